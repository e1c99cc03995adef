/**
 * The embedded MQTT broker's edges (issue 13): back-pressure when the store is down past the
 * deferred bound (no PUBACK: the client keeps the message and sends it again), the per-source
 * CONNECT throttle, and what a busy port does (default: MQTT off, loudly; explicit: refuse to start).
 */
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import type { IocServer } from '../app';
import type { Reading } from '../../scenes/domain';
import { ConfigError } from '../config';
import { deviceToken, DEV_DEVICE_SECRET } from '../device-token';
import { createLogger } from '../logger';
import { MemoryStore } from '../store/memory-store';
import { EMPTY_READINGS_CURSOR } from '../store/store';
import { statusTopic, telemetryTopic } from '../mqtt/topics';
import { startTestServer } from './helpers';

/** A memory store whose reading writes fail while `down`. */
class FlakyStore extends MemoryStore {
  down = false;
  override async appendReadings(readings: readonly Reading[], batchId?: string): Promise<void> {
    if (this.down) throw new Error('store down (test)');
    return super.appendReadings(readings, batchId);
  }
}

let server: IocServer | undefined;
const clients: MqttClient[] = [];
let blocker: Server | undefined;

afterEach(async () => {
  for (const c of clients.splice(0)) c.end(true);
  await server?.close();
  server = undefined;
  await new Promise<void>((resolve) => (blocker ? blocker.close(() => resolve()) : resolve()));
  blocker = undefined;
});

function firstDevice(s: IocServer, kind = 'strain-gauge'): string {
  return [...s.fusion.devices.values()].find((d) => d.kind === kind && d.status === 'active')!.id;
}

function options(id: string, extra: IClientOptions = {}): IClientOptions {
  return { username: id, password: deviceToken(DEV_DEVICE_SECRET, id), protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5_000, ...extra };
}

async function busyPort(): Promise<number> {
  blocker = createServer();
  await new Promise<void>((resolve) => blocker!.listen(0, '127.0.0.1', () => resolve()));
  return (blocker.address() as { port: number }).port;
}

describe('MQTT back-pressure', () => {
  it('withholds the PUBACK while the store is down past the deferred bound; the client sends the message again and it is stored once', async () => {
    const store = new FlakyStore();
    server = await startTestServer({ mqttPort: 0, mqttPortExplicit: true, maxDeferredReadings: 1 }, { store });
    const id = firstDevice(server);
    const topic = telemetryTopic(id);
    const c = await connectAsync(
      `mqtt://127.0.0.1:${server.mqttPort}`,
      options(id, {
        reconnectPeriod: 100,
        clean: true,
        clientId: `dev-${id}`,
        will: { topic: statusTopic(id), payload: Buffer.from('{"online":false}'), qos: 1, retain: false },
      }),
    );
    clients.push(c);
    const markedOffline: string[] = [];
    const markOffline = server.fusion.markOffline.bind(server.fusion);
    server.fusion.markOffline = (deviceId, ts, out) => {
      markedOffline.push(deviceId);
      return markOffline(deviceId, ts, out);
    };
    let closes = 0;
    c.on('close', () => closes++);

    store.down = true;
    // the first reading is deferred (kept in memory for the store) and acknowledged
    await c.publishAsync(topic, JSON.stringify({ ts: Date.now(), seq: 1, metrics: { strain: 100 } }), { qos: 1 });
    expect(server.ingest.deferredReadings()).toBe(1);
    // the second finds the deferred queue full: no PUBACK, the connection is closed
    let acked = false;
    const second = c.publishAsync(topic, JSON.stringify({ ts: Date.now(), seq: 2, metrics: { strain: 100 } }), { qos: 1 }).then(() => {
      acked = true;
    });
    await expect.poll(() => closes, { timeout: 5_000 }).toBeGreaterThan(0);
    expect(acked).toBe(false);
    expect(server.fusion.deviceStates.get(id)?.lastSeq).toBe(1);

    // the store answers again: the deferred reading is written, the resent one acknowledged
    store.down = false;
    await second;
    const stored = (await server.store.readReadingsAfter(EMPTY_READINGS_CURSOR, 10_000)).readings.filter((r) => r.deviceId === id);
    expect(stored.map((r) => r.seq).sort()).toEqual([1, 2]);
    // the server closed that connection, the device did not die: its last will was not taken
    expect(markedOffline).toEqual([]);
  }, 20_000);
});

describe('MQTT CONNECT throttle', () => {
  it('refuses every CONNECT from a source that failed authentication too often, the right password included', async () => {
    server = await startTestServer({ mqttPort: 0, mqttPortExplicit: true, authFailureBurst: 3, authFailureRefillPerS: 0.001 });
    const id = firstDevice(server);
    const url = `mqtt://127.0.0.1:${server.mqttPort}`;
    for (let i = 0; i < 3; i++) await expect(connectAsync(url, options(id, { password: 'x'.repeat(43) }))).rejects.toMatchObject({ code: 4 });
    await expect(connectAsync(url, options(id))).rejects.toMatchObject({ code: 5 });
  });
});

describe('MQTT port', () => {
  it('runs without MQTT, with a warning, when the default port is busy', async () => {
    const port = await busyPort();
    const warnings: string[] = [];
    const log = createLogger('silent');
    const warn = log.warn.bind(log);
    log.warn = ((...args: unknown[]) => {
      warnings.push(String(args.find((a) => typeof a === 'string') ?? ''));
      return (warn as (...a: unknown[]) => void)(...args);
    }) as typeof log.warn;
    server = await startTestServer({ mqttPort: port, mqttPortExplicit: false, logLevel: 'silent' }, { logger: log });
    expect(server.mqttPort).toBeNull();
    expect(warnings.some((w) => w.startsWith('MQTT DISABLED'))).toBe(true);
    expect((await fetch(`${server.url}/healthz`)).ok).toBe(true);
  });

  it('refuses to start when the port set with IOC_MQTT_PORT is busy', async () => {
    const port = await busyPort();
    await expect(startTestServer({ mqttPort: port, mqttPortExplicit: true })).rejects.toBeInstanceOf(ConfigError);
  });
});
