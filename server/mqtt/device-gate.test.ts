import { describe, expect, it, vi } from 'vitest';
import type { IngestResult } from '../../scenes/protocol';
import type { AuthEntry } from '../guard';
import { createLogger } from '../logger';
import { MqttDeviceGate, type MqttGateDeps } from './device-gate';
import type { MqttVerdict } from './payloads';
import { TelemetryBatcher } from './telemetry-batcher';
import { commandsAckTopic, statusTopic, telemetryTopic } from './topics';

const TOKEN = 'k'.repeat(43);
const OK: IngestResult = { accepted: 1, duplicates: 0, outOfOrder: 0, rejected: [] };

function rig(answer: () => IngestResult = () => OK) {
  let now = 1_000;
  let tokenValid = true;
  const counted: MqttVerdict[] = [];
  const offline: string[] = [];
  const logged: string[] = [];
  const failures = new Map<string, number>();
  const log = createLogger('silent');
  log.warn = ((...args: unknown[]) => {
    logged.push(String(args.find((a) => typeof a === 'string')));
  }) as typeof log.warn;
  const deps: MqttGateDeps = {
    devices: { has: (id) => id === 'dev-1' || id === 'dev-2' },
    verifier: { verify: (_id, token) => tokenValid && token === TOKEN },
    ingest: { ingest: async () => answer() },
    guard: {
      authBlocked: (e: AuthEntry, s: string) => ((failures.get(`${e}:${s}`) ?? 0) >= 2 ? { code: 'E_RATE_LIMIT' } : null),
      noteAuthFailure: (e: AuthEntry, s: string) => void failures.set(`${e}:${s}`, (failures.get(`${e}:${s}`) ?? 0) + 1),
    },
    markOffline: (id) => void offline.push(id),
    count: (v) => void counted.push(v),
    log,
    limits: { maxPayloadBytes: 1024, maxDepth: 8, maxReadings: 10, logIntervalMs: 10_000 },
    now: () => now,
  };
  const gate = new MqttDeviceGate(deps);
  const conn = {};
  return {
    gate,
    conn,
    counted,
    offline,
    logged,
    advance: (ms: number) => (now += ms),
    revoke: () => (tokenValid = false),
    connect: () => gate.authenticate(conn, '10.0.0.1', 'dev-1', Buffer.from(TOKEN)),
  };
}

const reading = (seq: number) => JSON.stringify({ ts: 1, seq, metrics: { strain: 1 } });

describe('MQTT device gate', () => {
  it('accepts CONNECT only with a known device and its token, and throttles a failing source', () => {
    const r = rig();
    expect(r.gate.authenticate({}, '10.0.0.9', 'dev-1', 'wrong')).toBe('bad_credentials');
    expect(r.gate.authenticate({}, '10.0.0.9', 'ghost', TOKEN)).toBe('bad_credentials');
    expect(r.gate.authenticate({}, '10.0.0.9', 'dev-1', TOKEN)).toBe('throttled');
    expect(r.connect()).toBe('accepted');
    expect(r.gate.deviceOf(r.conn)).toBe('dev-1');
  });

  it('withholds the acknowledgement of QoS 1 telemetry that ingest answered E_UNAVAILABLE, but not of QoS 0', async () => {
    const r = rig(() => ({ ...OK, accepted: 0, rejected: [{ index: 0, code: 'E_UNAVAILABLE', message: 'full' }] }));
    r.connect();
    expect(await r.gate.publish(r.conn, { topic: telemetryTopic('dev-1'), payload: reading(1), qos: 1, retain: false })).toBe('refuse');
    expect(r.counted).toEqual(['unavailable']);
    // the server ends that connection: its last will is not a device dying
    expect(await r.gate.publish(r.conn, { topic: statusTopic('dev-1'), payload: '{"online":false}', qos: 1, retain: false })).toBe('refuse');
    expect(r.offline).toEqual([]);
    const qos0 = {};
    r.gate.authenticate(qos0, '10.0.0.1', 'dev-1', TOKEN);
    expect(await r.gate.publish(qos0, { topic: telemetryTopic('dev-1'), payload: reading(2), qos: 0, retain: false })).toBe('ack');
    expect(r.counted).toEqual(['unavailable', 'unavailable']);
  });

  it('closes a connection whose token stopped holding, and only drops other invalid readings', async () => {
    const r = rig(() => ({ ...OK, accepted: 0, rejected: [{ index: 0, code: 'E_UNAUTHORIZED', message: 'bad token' }] }));
    r.connect();
    expect(await r.gate.publish(r.conn, { topic: telemetryTopic('dev-1'), payload: reading(1), qos: 1, retain: false })).toBe('ack');
    r.revoke();
    expect(await r.gate.publish(r.conn, { topic: telemetryTopic('dev-1'), payload: reading(2), qos: 1, retain: false })).toBe('refuse');
    expect(r.counted).toEqual(['invalid', 'unauthorized']);
  });

  it('hands back at once the open connections of a device whose token a registry change revoked, and only those', async () => {
    const r = rig();
    r.connect();
    const other = {};
    expect(r.gate.authenticate(other, '10.0.0.2', 'dev-2', TOKEN)).toBe('accepted');
    // still valid: nothing to close
    expect(r.gate.revoked('dev-1')).toEqual([]);
    r.revoke();
    expect(r.gate.revoked('dev-1')).toEqual([r.conn]);
    expect(r.counted).toEqual(['unauthorized']);
    // forgotten: asked again, nothing; a message from it is refused without being read
    expect(r.gate.revoked('dev-1')).toEqual([]);
    expect(r.gate.deviceOf(r.conn)).toBeUndefined();
    // a connection that already ended is not handed back
    r.gate.disconnected(other);
    expect(r.gate.revoked('dev-2')).toEqual([]);
  });

  it('handles nothing for a connection it does not know, nor after close()', async () => {
    const r = rig();
    expect(await r.gate.publish(null, { topic: statusTopic('dev-1'), payload: '{"online":false}', qos: 1, retain: false })).toBe('refuse');
    expect(await r.gate.publish({}, { topic: statusTopic('dev-1'), payload: '{"online":false}', qos: 1, retain: false })).toBe('refuse');
    r.connect();
    r.gate.close();
    expect(await r.gate.publish(r.conn, { topic: statusTopic('dev-1'), payload: '{"online":false}', qos: 1, retain: false })).toBe('refuse');
    expect(r.offline).toEqual([]);
  });

  it('logs at most one line per verdict per interval', async () => {
    const r = rig();
    r.connect();
    for (let i = 0; i < 5; i++) await r.gate.publish(r.conn, { topic: 'elsewhere', payload: 'x', qos: 0, retain: false });
    await r.gate.publish(r.conn, { topic: telemetryTopic('dev-2'), payload: reading(1), qos: 0, retain: false });
    expect(r.logged.filter((l) => l.includes('unknown_topic'))).toHaveLength(1);
    expect(r.logged.filter((l) => l.includes('foreign_topic'))).toHaveLength(1);
    r.advance(10_000);
    await r.gate.publish(r.conn, { topic: 'elsewhere', payload: 'x', qos: 0, retain: false });
    expect(r.logged.filter((l) => l.includes('unknown_topic'))).toHaveLength(2);
    expect(r.counted.filter((v) => v === 'unknown_topic')).toHaveLength(6);
  });
});

describe('MQTT device gate with the telemetry batcher', () => {
  it('fuses what a device sent before its `{"online": false}` or command ack first (per-connection order survives the batch window)', async () => {
    const order: string[] = [];
    let release: () => void = () => undefined;
    const batcher = new TelemetryBatcher(
      {
        ingest: (raw) =>
          new Promise((resolve) => {
            release = () => {
              order.push(`ingested ${raw.length}`);
              resolve({ accepted: raw.length, duplicates: 0, outOfOrder: 0, rejected: [] });
            };
            order.push('ingest called');
          }),
      },
      // a window far longer than the test: only drain() can start the call
      { maxBatchReadings: 1000, windowMs: 60_000 },
    );
    const gate = new MqttDeviceGate({
      devices: { has: (id) => id === 'dev-1' },
      verifier: { verify: (_id, token) => token === TOKEN },
      ingest: batcher,
      guard: { authBlocked: () => null, noteAuthFailure: () => undefined },
      markOffline: (id) => void order.push(`offline ${id}`),
      acknowledge: (id, ack) => void order.push(`ack ${id} ${ack.commandId}`),
      count: () => undefined,
      log: createLogger('silent'),
      limits: { maxPayloadBytes: 1024, maxDepth: 8, maxReadings: 10, logIntervalMs: 10_000 },
    });
    const conn = {};
    expect(gate.authenticate(conn, '10.0.0.1', 'dev-1', TOKEN)).toBe('accepted');
    const publish = (topic: string, payload: string) => gate.publish(conn, { topic, payload, qos: 1, retain: false });

    const telemetry = publish(telemetryTopic('dev-1'), reading(1));
    const ack = publish(commandsAckTopic('dev-1'), JSON.stringify({ commandId: 'cmd-00000001', status: 'ok' }));
    const offline = publish(statusTopic('dev-1'), '{"online":false}');
    await vi.waitFor(() => expect(order).toEqual(['ingest called']));
    release();
    expect(await Promise.all([telemetry, ack, offline])).toEqual(['ack', 'ack', 'ack']);
    expect(order).toEqual(['ingest called', 'ingested 1', 'ack dev-1 cmd-00000001', 'offline dev-1']);
  });
});
