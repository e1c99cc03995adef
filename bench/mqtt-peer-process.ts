/**
 * The peer of the MQTT ingest ceiling: a bare `mqtt` subscriber on the same Mosquitto, receiving
 * the same publishes as City IOC (`ioc/v1/+/telemetry`, QoS 1), doing the least a consumer can:
 * parse the JSON and read `ts`. Its latency is reading `ts` → message handled here, for every
 * message (not a sample); its count is messages received in the window.
 */
import { connect } from 'mqtt';
import { childOptions, serveRpc } from './child-rpc';
import { summarizeLatency, type LatencySummary } from './stats';

export interface MqttPeerOptions {
  url: string;
  topic: string;
}

export interface MqttPeerReport {
  received: number;
  windowMs: number;
  latency: LatencySummary;
}

const opts = childOptions<MqttPeerOptions>();
let startMs = Date.now();
let received = 0;
let latencies: number[] = [];

const client = connect(opts.url, { clientId: `bench-peer-${process.pid}`, protocolVersion: 4, reconnectPeriod: 0, clean: true });
client.on('message', (_topic, payload) => {
  const ts = (JSON.parse(payload.toString()) as { ts: number }).ts;
  received++;
  latencies.push(Math.max(0, Date.now() - ts));
});
await new Promise<void>((resolve, reject) => {
  client.once('connect', () => client.subscribe(opts.topic, { qos: 1 }, (err) => (err ? reject(err) : resolve())));
  client.once('error', reject);
});

const rpc = serveRpc(
  {
    resetWindow: () => {
      startMs = Date.now();
      received = 0;
      latencies = [];
      return true;
    },
    report: (): MqttPeerReport => ({ received, windowMs: Date.now() - startMs, latency: summarizeLatency(latencies) }),
  },
  async () => {
    await new Promise<void>((res) => client.end(true, {}, () => res()));
  },
);
rpc.ready({ pid: process.pid });
