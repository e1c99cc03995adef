/**
 * MQTT across nodes (issue 15 "any node takes any request", with issue 13's external-broker mode):
 * two nodes on one Redis, both clients of one real Mosquitto with the shared subscription
 * `$share/ioc/…`. The broker splits the devices' messages between the nodes; every reading is
 * fused by both nodes (one from MQTT, the other from the shared log), each exactly once, and a red
 * reading that lands on either node raises one alert that both nodes show.
 */
import { randomUUID } from 'node:crypto';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_RULES } from '../../scenes/catalogue';
import type { Device, ThresholdRule } from '../../scenes/domain';
import { waitUntil } from '../../tests/helpers/cluster-clients';
import { startMosquitto, type TestMosquitto } from '../../tests/helpers/mosquitto';
import { startRedisServer } from '../../tests/helpers/redis-server';
import type { IocServer } from '../app';
import { deviceToken, DEV_DEVICE_SECRET } from '../device-token';
import { telemetryTopic } from '../mqtt/topics';
import { RedisStore } from '../store/redis-store';
import { startTestServer } from './helpers';

const inCI = process.env.CI === 'true';
const redis = await startRedisServer();
const mosquitto: TestMosquitto | null = await startMosquitto();
if ((!redis || !mosquitto) && inCI) throw new Error('redis-server and mosquitto are required in CI (apt-get install redis-server mosquitto)');
if (!redis || !mosquitto) console.warn('SKIPPED cluster MQTT test: install the Debian packages redis-server and mosquitto');

/** Devices publishing, and readings each; enough messages that the broker gives both nodes some. */
const DEVICES = 6;
const READINGS_PER_DEVICE = 20;
/** How long everything may take to reach both nodes on a loaded 2-core machine, ms. */
const SETTLE_MS = 15_000;
const METRICS_TOKEN = 'cluster-mqtt-metrics-token';
const STRAIN_RULE = DEFAULT_RULES.find((r) => r.id === 'bridge.strain.threshold') as ThresholdRule;
const QUIET_STRAIN = STRAIN_RULE.limits.yellow! - 100;
const RED_STRAIN = STRAIN_RULE.limits.red! + 50;

let a: IocServer;
let b: IocServer;
const clients: MqttClient[] = [];

async function startNode(nodeId: string, prefix: string): Promise<IocServer> {
  const store = new RedisStore(redis!.url, { prefix, nodeId });
  return startTestServer({ cluster: true, mqttUrl: mosquitto!.url, mqttPort: null, metricsToken: METRICS_TOKEN }, { store, nodeId });
}

beforeAll(async () => {
  if (!redis || !mosquitto) return;
  const prefix = `cluster-mqtt-${randomUUID().slice(0, 8)}`;
  a = await startNode('node-a', prefix);
  b = await startNode('node-b', prefix);
}, 60_000);
afterAll(async () => {
  for (const c of clients) c.end(true);
  await b?.close();
  await a?.close();
  await mosquitto?.stop();
  await redis?.stop();
});

/** Messages the node took from the broker (its ioc_mqtt_messages_total{verdict="ok"}). */
async function acceptedOver(server: IocServer): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
  const m = /^ioc_mqtt_messages_total\{[^}]*verdict="ok"[^}]*\} (\d+)/m.exec(text);
  if (!m)
    throw new Error(
      `no ok MQTT messages counter in /metrics of ${server.url}: ${text
        .split('\n')
        .filter((l) => l.includes('mqtt'))
        .join(' | ')}`,
    );
  return m ? Number(m[1]) : Number.NaN;
}

describe.skipIf(!redis || !mosquitto)('MQTT across two nodes (shared subscription)', () => {
  it('splits the devices’ messages between the nodes, and both nodes fuse every reading once', async () => {
    const gauges = [...a.fusion.devices.values()].filter((d: Device) => d.kind === 'strain-gauge' && d.status === 'active').slice(0, DEVICES);
    expect(gauges).toHaveLength(DEVICES);
    for (const d of gauges) {
      const c = await connectAsync(mosquitto!.url, { clientId: `dev-${d.id}`, protocolVersion: 5, reconnectPeriod: 0, connectTimeout: 5_000 });
      clients.push(c);
      const token = deviceToken(DEV_DEVICE_SECRET, d.id);
      for (let seq = 1; seq <= READINGS_PER_DEVICE; seq++) {
        await c.publishAsync(telemetryTopic(d.id), JSON.stringify({ ts: Date.now(), seq, metrics: { strain: QUIET_STRAIN + seq }, token }), {
          qos: 1,
        });
      }
    }
    for (const node of [a, b]) {
      await waitUntil(
        `every reading fused on ${node.url}`,
        () => gauges.every((d) => node.fusion.deviceStates.get(d.id)?.lastSeq === READINGS_PER_DEVICE),
        SETTLE_MS,
      );
      for (const d of gauges) expect(node.fusion.deviceStates.get(d.id)?.metrics).toMatchObject({ strain: QUIET_STRAIN + READINGS_PER_DEVICE });
    }
    // the broker split the work: each node took some of the messages itself
    const [onA, onB] = await Promise.all([acceptedOver(a), acceptedOver(b)]);
    expect(onA).toBeGreaterThan(0);
    expect(onB).toBeGreaterThan(0);
    expect(onA + onB).toBe(DEVICES * READINGS_PER_DEVICE);
  });

  it('raises one alert for a red reading whichever node took it, and both nodes show it', async () => {
    const d = [...a.fusion.devices.values()].filter((x: Device) => x.kind === 'strain-gauge' && x.status === 'active')[DEVICES]!;
    const c = await connectAsync(mosquitto!.url, { clientId: `dev-${d.id}`, protocolVersion: 5, reconnectPeriod: 0, connectTimeout: 5_000 });
    clients.push(c);
    const token = deviceToken(DEV_DEVICE_SECRET, d.id);
    // over the rule's minimum duration: readings 0, ½ and 1 × minDurationMs (+1 s) apart, stamped in the past
    const t0 = Date.now() - STRAIN_RULE.minDurationMs! - 1_000;
    const stamps = [t0, t0 + STRAIN_RULE.minDurationMs! / 2, Date.now()];
    for (let i = 0; i < stamps.length; i++) {
      await c.publishAsync(telemetryTopic(d.id), JSON.stringify({ ts: stamps[i], seq: i + 1, metrics: { strain: RED_STRAIN }, token }), { qos: 1 });
    }
    const open = (node: IocServer) => node.fusion.openAlertsOf(d.id).filter((x) => x.ruleId === STRAIN_RULE.id);
    for (const node of [a, b]) await waitUntil(`the red alert on ${node.url}`, () => open(node).length === 1, SETTLE_MS);
    expect(open(a)[0]!.id).toBe(open(b)[0]!.id);
    expect(open(a)[0]!.level).toBe('red');
    // persisted once, by the node that took the reading
    const stored = (await a.store.loadAlerts(Date.now() - 60_000)).filter((x) => x.deviceId === d.id && x.ruleId === STRAIN_RULE.id);
    expect(stored).toHaveLength(1);
  });
});
