/**
 * Devices over MQTT through the embedded broker (issue 13): a real server, the `mqtt` npm client,
 * a `/live` screen. Readings go through the one ingest path; bad input is dropped and counted;
 * the last will marks a device offline at once; the server survives random traffic.
 */
import { connect as netConnect } from 'node:net';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import type { Socket } from 'socket.io-client';
import type { IocServer } from '../app';
import type { Device, ThresholdRule } from '../../scenes/domain';
import { DEFAULT_RULES } from '../../scenes/catalogue';
import type { SceneJoinResult } from '../../scenes/protocol';
import { deviceToken, DEV_DEVICE_SECRET } from '../device-token';
import { EMPTY_READINGS_CURSOR } from '../store/store';
import { DeltaCollector, emitAck, liveSocket, login, startTestServer } from './helpers';
import { statusTopic, telemetryTopic, commandsTopic } from '../mqtt/topics';

const METRICS_TOKEN = 'mqtt-ingest-metrics-token';
const strainRule = DEFAULT_RULES.find((r) => r.id === 'bridge.strain.threshold') as ThresholdRule;

let server: IocServer;
let mqttUrl: string;
let devices: Device[];
const open: MqttClient[] = [];

beforeAll(async () => {
  server = await startTestServer({ mqttPort: 0, mqttPortExplicit: true, metricsToken: METRICS_TOKEN });
  mqttUrl = `mqtt://127.0.0.1:${server.mqttPort}`;
  devices = [...server.fusion.devices.values()];
});

afterAll(async () => {
  for (const c of open) c.end(true);
  await server?.close();
});

function deviceOf(kind: string, skip = 0): Device {
  const d = devices.filter((x) => x.kind === kind && x.status === 'active')[skip];
  if (!d) throw new Error(`no ${kind} device #${skip}`);
  return d;
}

async function device(id: string, extra: IClientOptions = {}): Promise<MqttClient> {
  const c = await connectAsync(mqttUrl, {
    username: id,
    password: deviceToken(DEV_DEVICE_SECRET, id),
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: 5_000,
    ...extra,
  });
  open.push(c);
  return c;
}

async function waitUntil(cond: () => boolean | Promise<boolean>, timeoutMs = 5_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function mqttCount(verdict: string): Promise<number> {
  const r = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  const text = await r.text();
  const m = new RegExp(`^ioc_mqtt_messages_total\\{verdict="${verdict}"\\} (\\d+)`, 'm').exec(text);
  if (!m) throw new Error(`no ioc_mqtt_messages_total{verdict="${verdict}"} in /metrics`);
  return Number(m[1]);
}

async function storedReadings(deviceId: string) {
  const page = await server.store.readReadingsAfter(EMPTY_READINGS_CURSOR, 100_000);
  return page.readings.filter((r) => r.deviceId === deviceId);
}

describe('MQTT ingest (embedded broker)', () => {
  it('fuses and stores a QoS 1 reading before the PUBACK, and a red value raises an alert on /live', async () => {
    const gauge = deviceOf('strain-gauge');
    const screen: Socket = await liveSocket(server, await login(server, 'screen1'));
    try {
      const deltas = new DeltaCollector(screen);
      const join = await emitAck<SceneJoinResult>(screen, 'scene:join', { scene: 'bridge' });
      expect(join.ok).toBe(true);
      const c = await device(gauge.id);
      const now = Date.now();
      await c.publishAsync(telemetryTopic(gauge.id), JSON.stringify({ ts: now - 60_000, seq: 1, metrics: { strain: 120 } }), { qos: 1 });
      // acknowledged = fused and stored (memory store: written before the answer)
      expect(server.fusion.deviceStates.get(gauge.id)).toMatchObject({ online: true, lastSeq: 1, metrics: { strain: 120 } });
      expect((await storedReadings(gauge.id)).map((r) => r.seq)).toEqual([1]);

      const over = strainRule.limits.red! + 40;
      const steps = Math.ceil(strainRule.minDurationMs / 5000) + 2;
      const readings = Array.from({ length: steps }, (_, i) => ({ ts: now - 50_000 + i * 5000, seq: 2 + i, metrics: { strain: over } }));
      await c.publishAsync(telemetryTopic(gauge.id), JSON.stringify({ readings }), { qos: 1 });
      await deltas.waitFor((d) => !!d.delta.alerts?.put?.some((a) => a.deviceId === gauge.id && a.level === 'red'));
    } finally {
      screen.close();
    }
  });

  it('counts a redelivered reading (same seq) once', async () => {
    const d = deviceOf('strain-gauge', 1);
    const c = await device(d.id);
    const body = JSON.stringify({ ts: Date.now() - 1000, seq: 7, metrics: { strain: 100 } });
    const dupBefore = server.ingest.totals.duplicates;
    await c.publishAsync(telemetryTopic(d.id), body, { qos: 1 });
    await c.publishAsync(telemetryTopic(d.id), body, { qos: 1, dup: true });
    expect(server.ingest.totals.duplicates).toBe(dupBefore + 1);
    expect((await storedReadings(d.id)).map((r) => r.seq)).toEqual([7]);
  });

  it('refuses CONNECT with a wrong password, an unknown device or no credentials', async () => {
    const d = deviceOf('strain-gauge', 2);
    const attempt = (opts: IClientOptions) => connectAsync(mqttUrl, { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5_000, ...opts });
    await expect(attempt({ username: d.id, password: deviceToken('another-secret-entirely', d.id) })).rejects.toMatchObject({ code: 4 });
    await expect(attempt({ username: 'no-such-device', password: deviceToken(DEV_DEVICE_SECRET, 'no-such-device') })).rejects.toMatchObject({
      code: 4,
    });
    await expect(attempt({})).rejects.toMatchObject({ code: 4 });
  });

  it('closes a connected device at once when an admin rotates its token, before it sends anything', async () => {
    const d = deviceOf('strain-gauge', 10);
    const c = await device(d.id);
    let closed = false;
    c.on('close', () => (closed = true));
    const admin = await login(server, 'admin');
    const r = await fetch(`${server.url}/api/devices/${d.id}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
      body: '{}',
    });
    expect(r.status).toBe(200);
    await waitUntil(() => closed, 5_000, 'the broker closing the revoked connection');
    // the old token no longer opens a connection
    await expect(device(d.id)).rejects.toThrow();
  });

  it('drops a publish to another device’s topic, counts it, and leaves that device alone', async () => {
    const me = deviceOf('strain-gauge', 3);
    const victim = deviceOf('strain-gauge', 4);
    const c = await device(me.id);
    const before = await mqttCount('foreign_topic');
    const victimBefore = server.fusion.deviceStates.get(victim.id);
    await c.publishAsync(telemetryTopic(victim.id), JSON.stringify({ ts: Date.now(), seq: 1, metrics: { strain: 999 } }), { qos: 1 });
    await c.publishAsync(commandsTopic(me.id), JSON.stringify({ id: 'x' }), { qos: 1 }); // down only
    expect(await mqttCount('foreign_topic')).toBe(before + 2);
    expect(server.fusion.deviceStates.get(victim.id)).toEqual(victimBefore);
    expect(await storedReadings(victim.id)).toEqual([]);
    // and it may subscribe to its own commands only
    expect((await c.subscribeAsync(commandsTopic(me.id), { qos: 1 })).map((g) => g.qos)).toEqual([1]);
    await expect(c.subscribeAsync(commandsTopic(victim.id))).rejects.toThrow(/Subscribe error/);
    await expect(c.subscribeAsync('ioc/v1/#')).rejects.toThrow(/Subscribe error/);
    // a refused subscription is negated (SUBACK 0x80), the connection stays up
    await c.publishAsync(telemetryTopic(me.id), JSON.stringify({ ts: Date.now(), seq: 1, metrics: { strain: 100 } }), { qos: 1 });
    expect(server.fusion.deviceStates.get(me.id)?.lastSeq).toBe(1);
  });

  it('drops malformed JSON, an oversize payload and retained telemetry, and counts each', async () => {
    const d = deviceOf('strain-gauge', 5);
    const c = await device(d.id);
    const [badJson, tooLarge, retained, invalid] = await Promise.all(['bad_json', 'too_large', 'retained', 'invalid'].map(mqttCount));
    await c.publishAsync(telemetryTopic(d.id), '{"ts": 1, "seq":', { qos: 1 });
    await c.publishAsync(telemetryTopic(d.id), JSON.stringify({ ts: Date.now(), seq: 1, metrics: { strain: 1 }, pad: 'x'.repeat(300 * 1024) }), {
      qos: 1,
    });
    await c.publishAsync(telemetryTopic(d.id), JSON.stringify({ ts: Date.now(), seq: 2, metrics: { strain: 1 } }), { qos: 1, retain: true });
    await c.publishAsync(telemetryTopic(d.id), JSON.stringify({ ts: Date.now(), seq: 3, metrics: { nonsense: 1 } }), { qos: 1 });
    expect(await mqttCount('bad_json')).toBe(badJson + 1);
    expect(await mqttCount('too_large')).toBe(tooLarge + 1);
    expect(await mqttCount('retained')).toBe(retained + 1);
    expect(await mqttCount('invalid')).toBe(invalid + 1);
    expect(server.fusion.deviceStates.get(d.id)?.lastSeq ?? 0).toBe(0);
    // the connection is still good
    await c.publishAsync(telemetryTopic(d.id), JSON.stringify({ ts: Date.now(), seq: 4, metrics: { strain: 1 } }), { qos: 1 });
    expect(server.fusion.deviceStates.get(d.id)?.lastSeq).toBe(4);
  });

  it('closes a connection that announces a packet over the frame limit', async () => {
    const d = deviceOf('strain-gauge', 6);
    const c = await device(d.id);
    const closed = new Promise<void>((resolve) => c.once('close', () => resolve()));
    c.publish(telemetryTopic(d.id), Buffer.alloc(1024 * 1024, 0x20), { qos: 0 });
    await closed;
  });

  it('marks a device offline within a second of its socket dying (last will)', async () => {
    const d = deviceOf('strain-gauge', 7);
    const c = await device(d.id, { will: { topic: statusTopic(d.id), payload: Buffer.from('{"online":false}'), qos: 1, retain: false } });
    await c.publishAsync(telemetryTopic(d.id), JSON.stringify({ ts: Date.now(), seq: 1, metrics: { strain: 100 } }), { qos: 1 });
    expect(server.fusion.deviceStates.get(d.id)?.online).toBe(true);
    const t0 = Date.now();
    c.stream.destroy();
    await waitUntil(() => server.fusion.deviceStates.get(d.id)?.online === false, 1_000, 'the device to go offline');
    expect(Date.now() - t0).toBeLessThan(1_000);
    // and its next reading brings it back
    const again = await device(d.id);
    await again.publishAsync(telemetryTopic(d.id), JSON.stringify({ ts: Date.now(), seq: 2, metrics: { strain: 100 } }), { qos: 1 });
    expect(server.fusion.deviceStates.get(d.id)?.online).toBe(true);
  });

  it('takes {"online": false} on the status topic as going offline now', async () => {
    const d = deviceOf('strain-gauge', 8);
    const c = await device(d.id);
    await c.publishAsync(telemetryTopic(d.id), JSON.stringify({ ts: Date.now(), seq: 1, metrics: { strain: 100 } }), { qos: 1 });
    await c.publishAsync(statusTopic(d.id), '{"online":true}', { qos: 1 });
    expect(server.fusion.deviceStates.get(d.id)?.online).toBe(true);
    const openAlerts = server.fusion.stats().openAlerts;
    await c.publishAsync(statusTopic(d.id), '{"online":false}', { qos: 1 });
    expect(server.fusion.deviceStates.get(d.id)?.online).toBe(false);
    // with its offline alert, as the silence timeout would raise it
    expect(server.fusion.stats().openAlerts).toBe(openAlerts + 1);
  });

  it('survives random topics, payloads and bytes, and still serves devices', async () => {
    const d = deviceOf('strain-gauge', 9);
    const c = await device(d.id);
    const topics = [
      telemetryTopic(d.id),
      statusTopic(d.id),
      `${commandsTopic(d.id)}/ack`,
      '$SYS/x',
      'ioc/v1/../telemetry',
      'a/b/c',
      'ioc/v1/x/telemetry',
    ];
    const payloads = ['', 'null', '[]', '{"readings":null}', '{"online":1}', '\u0000\uffff', '{"readings":[{"seq":-1}]}', '{"ts":1e400}'];
    for (let i = 0; i < 200; i++) {
      const topic = topics[i % topics.length]!;
      const payload = i % 3 === 0 ? randomBytes(i % 50) : payloads[i % payloads.length]!;
      c.publish(topic, payload, { qos: (i % 2) as 0 | 1 });
    }
    // raw garbage on fresh TCP connections (no CONNECT, broken packets)
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => {
        return new Promise<void>((resolve) => {
          const s = netConnect(server.mqttPort!, '127.0.0.1', () => s.end(randomBytes(1 + i * 7)));
          s.on('error', () => resolve());
          s.on('close', () => resolve());
        });
      }),
    );
    await c.publishAsync(telemetryTopic(d.id), JSON.stringify({ ts: Date.now(), seq: 1, metrics: { strain: 100 } }), { qos: 1 });
    expect(server.fusion.deviceStates.get(d.id)?.lastSeq).toBe(1);
    expect((await fetch(`${server.url}/healthz`)).ok).toBe(true);
  });
});
