/**
 * Which protocol the simulator's devices speak. `mqtt` and `http` are taken as given; `auto` (the
 * default) speaks MQTT when the server offers it — some device's CONNECT is accepted within
 * AUTO_MQTT_PROBE_MS — and otherwise falls back to HTTP batches with a loud line saying why.
 */
import { GatewayClient } from './gateway-client';
import { MqttGateway, type MqttGatewayOptions } from './mqtt-gateway';
import type { ReadingProtocol, ReadingTransport } from './reading-transport';

export const SIM_PROTOCOLS = ['auto', 'mqtt', 'http'] as const;
export type SimProtocol = (typeof SIM_PROTOCOLS)[number];

/** The server's embedded broker port unless IOC_MQTT_PORT says otherwise (1884: never the system broker's 1883). */
export const DEFAULT_MQTT_PORT = 1884;
/** `auto`: the first device must be connected within this long, ms, or the simulator uses HTTP. */
export const AUTO_MQTT_PROBE_MS = 3_000;

export function isSimProtocol(s: string): s is SimProtocol {
  return (SIM_PROTOCOLS as readonly string[]).includes(s);
}

/** mqtt://<the server's host>:<port> — the embedded broker runs in the server process. */
export function defaultMqttUrl(serverUrl: string, port: number = DEFAULT_MQTT_PORT): string {
  return `mqtt://${new URL(serverUrl).hostname}:${port}`;
}

export interface OpenTransportOptions {
  protocol: SimProtocol;
  serverUrl: string;
  mqttUrl: string;
  /** the registry's tokens for the fleet (MQTT connects one device per token) */
  tokens: ReadonlyMap<string, string>;
  log: (line: string) => void;
  onRejected: (deviceId: string, code: string) => void;
  fetchImpl?: typeof fetch;
  /** default AUTO_MQTT_PROBE_MS */
  probeMs?: number;
  /** extra MQTT gateway options (tests, token in payload for an external broker) */
  mqtt?: Partial<MqttGatewayOptions>;
}

/** Build, feed with tokens and start the transport the protocol asks for. */
export async function openTransport(opts: OpenTransportOptions): Promise<{ transport: ReadingTransport; protocol: ReadingProtocol }> {
  const http = (): ReadingTransport => {
    const client = new GatewayClient({ serverUrl: opts.serverUrl, log: opts.log, fetchImpl: opts.fetchImpl, onRejected: opts.onRejected });
    client.setTokens(opts.tokens);
    client.start();
    return client;
  };
  if (opts.protocol === 'http') return { transport: http(), protocol: 'http' };
  const mqtt = new MqttGateway({ ...opts.mqtt, url: opts.mqttUrl, log: opts.log, onRejected: opts.onRejected });
  mqtt.setTokens(opts.tokens);
  mqtt.start();
  if (opts.protocol === 'mqtt') {
    opts.log(`[devices] speaking MQTT to ${opts.mqttUrl} (one connection per device)`);
    return { transport: mqtt, protocol: 'mqtt' };
  }
  const probeMs = opts.probeMs ?? AUTO_MQTT_PROBE_MS;
  const probe = await mqtt.waitForFirstConnect(probeMs);
  if (probe.ok) {
    opts.log(`[devices] the server offers MQTT: speaking MQTT to ${opts.mqttUrl} (one connection per device)`);
    return { transport: mqtt, protocol: 'mqtt' };
  }
  await mqtt.stop();
  opts.log(
    `[devices] !!! MQTT NOT AVAILABLE — FALLING BACK TO HTTP: no device connected to ${opts.mqttUrl} within ${probeMs} ms ` +
      `(${probe.reason}). Readings go to ${opts.serverUrl}/api/ingest; use --protocol mqtt to insist, --mqtt-url to point elsewhere.`,
  );
  return { transport: http(), protocol: 'http' };
}
