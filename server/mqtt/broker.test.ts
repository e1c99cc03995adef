/**
 * The embedded broker with a gate on fake dependencies (no server): the per-address CONNECT rate
 * limit, the command channel (reach = a connection subscribed to its commands topic; delivery
 * QoS 1 through aedes), acknowledgements handed to the sink, refused CONNECTs audited at most
 * once per (source, device) per interval.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { connect, connectAsync, type MqttClient } from 'mqtt';
import type { DeviceCommandAck } from '../../scenes/device-commands';
import { CollectingAudit } from '../audit/audit';
import { createLogger } from '../logger';
import { AuditLimiter } from '../audit/audit-limiter';
import { startMqttBroker, type MqttBroker } from './broker';
import { MqttDeviceGate, type ConnectRefusal } from './device-gate';
import type { MqttVerdict } from './payloads';
import { commandsAckTopic, commandsTopic } from './topics';

const TOKEN = 't'.repeat(43);
const log = createLogger('silent');

interface Rig {
  broker: MqttBroker;
  gate: MqttDeviceGate;
  url: string;
  refused: ConnectRefusal[];
  counted: MqttVerdict[];
  acks: Array<[string, DeviceCommandAck]>;
  audit: CollectingAudit;
}

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function rig(connectRate = { ratePerS: 1000, capacity: 5000 }): Promise<Rig> {
  const refused: ConnectRefusal[] = [];
  const counted: MqttVerdict[] = [];
  const acks: Array<[string, DeviceCommandAck]> = [];
  const audit = new CollectingAudit();
  const gate = new MqttDeviceGate({
    devices: { has: (id) => id.startsWith('dev-') },
    verifier: { verify: (_id, token) => token === TOKEN },
    ingest: { ingest: () => Promise.resolve({ accepted: 1, duplicates: 0, outOfOrder: 0, rejected: [] }) },
    guard: { authBlocked: () => null, noteAuthFailure: () => undefined },
    markOffline: () => undefined,
    acknowledge: (id, ack) => void acks.push([id, ack]),
    count: (v) => void counted.push(v),
    countRefusedConnect: (r) => void refused.push(r),
    audit: new AuditLimiter({ audit, log, intervalMs: 60_000, maxKeys: 100 }),
    log,
    limits: { maxPayloadBytes: 4096, maxDepth: 8, maxReadings: 10, logIntervalMs: 10_000 },
  });
  const broker = await startMqttBroker({
    host: '127.0.0.1',
    port: 0,
    portExplicit: true,
    maxPacketBytes: 8192,
    connectTimeoutMs: 5_000,
    gate,
    connectRate,
    maxTrackedSources: 100,
    connections: { allowConnection: () => true, trackPending: () => undefined, authenticated: () => undefined },
    log,
  });
  if (!broker) throw new Error('broker did not start');
  cleanup.push(() => broker.close());
  return { broker, gate, url: `mqtt://127.0.0.1:${broker.port}`, refused, counted, acks, audit };
}

async function device(r: Rig, id: string, password = TOKEN): Promise<MqttClient> {
  const c = await connectAsync(r.url, { username: id, password, protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 2_000 });
  cleanup.push(() => void c.end(true));
  return c;
}

/** 'connected', or 'closed' when the server ended the connection before any CONNACK. */
function attempt(r: Rig, id: string): Promise<'connected' | 'closed'> {
  return new Promise((resolve) => {
    const c = connect(r.url, { username: id, password: TOKEN, protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5_000 });
    cleanup.push(() => void c.end(true));
    c.once('connect', () => resolve('connected'));
    c.once('close', () => resolve('closed'));
  });
}

async function waitUntil(cond: () => boolean, timeoutMs = 3_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((res) => setTimeout(res, 10));
  }
}

describe('embedded MQTT broker', () => {
  it('refuses connections from an address past its CONNECT burst, counts them, and serves it again once the bucket refills', async () => {
    const r = await rig({ ratePerS: 2, capacity: 3 });
    for (let i = 0; i < 3; i++) expect(await attempt(r, `dev-${i}`)).toBe('connected');
    expect(await attempt(r, 'dev-3')).toBe('closed');
    expect(await attempt(r, 'dev-4')).toBe('closed');
    expect(r.refused).toEqual(['rate_limited', 'rate_limited']);
    // refused before any token check: nothing audited
    expect(r.audit.entries).toEqual([]);
    // 2 tokens per second: the address may connect again within about half a second
    let outcome: 'connected' | 'closed' = 'closed';
    const end = Date.now() + 2_000;
    while (outcome === 'closed' && Date.now() < end) {
      await new Promise((res) => setTimeout(res, 20));
      outcome = await attempt(r, 'dev-5');
    }
    expect(outcome).toBe('connected');
  });

  it('reaches a device only while it holds a connection subscribed to its commands topic, and delivers there with QoS 1', async () => {
    const r = await rig();
    const channel = { reaches: (id: string) => r.gate.reaches(id) };
    const c = await device(r, 'dev-a');
    expect(channel.reaches('dev-a')).toBe(false);
    await c.subscribeAsync(commandsTopic('dev-a'), { qos: 1 });
    expect(channel.reaches('dev-a')).toBe(true);
    expect(channel.reaches('dev-b')).toBe(false);
    const got: Array<{ payload: string; qos: number; retain: boolean }> = [];
    c.on('message', (_t, payload, packet) => got.push({ payload: payload.toString(), qos: packet.qos, retain: packet.retain }));
    expect(await r.broker.deliver(commandsTopic('dev-a'), '{"commandId":"c-1"}')).toBe(true);
    await waitUntil(() => got.length === 1, 3_000, 'the command');
    expect(got[0]).toEqual({ payload: '{"commandId":"c-1"}', qos: 1, retain: false });

    await c.unsubscribeAsync(commandsTopic('dev-a'));
    expect(channel.reaches('dev-a')).toBe(false);
    await c.subscribeAsync(commandsTopic('dev-a'), { qos: 1 });
    expect(channel.reaches('dev-a')).toBe(true);
    c.stream.destroy();
    await waitUntil(() => !channel.reaches('dev-a'), 3_000, 'the disconnect to clear the reach');
  });

  it('routes nothing a device publishes: a command forged on its own commands topic never reaches a subscriber, the server’s does', async () => {
    const r = await rig();
    const listener = await device(r, 'dev-a');
    await listener.subscribeAsync(commandsTopic('dev-a'), { qos: 1 });
    const got: string[] = [];
    listener.on('message', (_t, payload) => got.push(payload.toString()));
    // the same device on a second connection, and the listener itself, publish a "command"
    const forger = await device(r, 'dev-a');
    await forger.publishAsync(commandsTopic('dev-a'), '{"commandId":"forged-1"}', { qos: 1 });
    await listener.publishAsync(commandsTopic('dev-a'), '{"commandId":"forged-2"}', { qos: 1 });
    expect(r.counted).toEqual(['foreign_topic', 'foreign_topic']);
    // the server's command, routed after the forgeries were acknowledged, is the first message heard
    expect(await r.broker.deliver(commandsTopic('dev-a'), '{"commandId":"c-1"}')).toBe(true);
    await waitUntil(() => got.length >= 1, 3_000, 'the server command');
    expect(got[0]).toBe('{"commandId":"c-1"}');
  });

  it('hands a valid acknowledgement from the device’s own connection to the sink, without its token, and drops a bad one', async () => {
    const r = await rig();
    const c = await device(r, 'dev-a');
    await c.publishAsync(commandsAckTopic('dev-a'), JSON.stringify({ commandId: 'c-1', status: 'failed', message: 'jammed', token: TOKEN }), {
      qos: 1,
    });
    await c.publishAsync(commandsAckTopic('dev-a'), JSON.stringify({ commandId: 'c-2', status: 'maybe' }), { qos: 1 });
    await c.publishAsync(commandsAckTopic('dev-b'), JSON.stringify({ commandId: 'c-3', status: 'ok' }), { qos: 1 });
    expect(r.acks).toEqual([['dev-a', { commandId: 'c-1', status: 'failed', message: 'jammed' }]]);
    expect(r.counted).toEqual(['ok', 'invalid', 'foreign_topic']);
  });

  it('audits a refused CONNECT once per source and device per interval, never a successful one', async () => {
    const r = await rig();
    for (let i = 0; i < 5; i++) await expect(device(r, 'dev-a', 'wrong-token-wrong-token')).rejects.toMatchObject({ code: 4 });
    await expect(device(r, 'dev-b', 'wrong-token-wrong-token')).rejects.toMatchObject({ code: 4 });
    // made-up ids share one key per source: they cannot multiply the records
    for (let i = 0; i < 5; i++) await expect(device(r, `ghost-${i}`)).rejects.toMatchObject({ code: 4 });
    await device(r, 'dev-c');
    expect(r.refused).toEqual(Array(11).fill('bad_credentials'));
    expect(r.audit.entries.map((e) => [e.action, e.target, e.outcome, e.source])).toEqual([
      ['device.connect_refused', 'device:dev-a', 'failure', '127.0.0.1'],
      ['device.connect_refused', 'device:dev-b', 'failure', '127.0.0.1'],
      ['device.connect_refused', undefined, 'failure', '127.0.0.1'],
    ]);
  });
});
