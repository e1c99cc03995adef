/**
 * Readings history as roll-ups (issue 16) through the real server: readings ingested over HTTP are
 * rolled up by the accepting node and flushed; `GET /api/devices/:id/readings/history` answers the
 * window's min/avg/max/count per bucket, in the caller's scope only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IocServer } from '../app';
import type { Device } from '../../scenes/domain';
import { DEVICE_CATALOGUE } from '../../scenes/catalogue';
import { HOUR_MS, bucketStart } from '../../scenes/rollups/rollup-aggregate';
import { HistoryAnswerSchema } from '../../scenes/rollups/history-series';
import { rollupStoreFor } from '../store/rollup-store';
import { MemoryStore } from '../store/memory-store';
import { ingest, login, sign, startTestServer, testConfig } from './helpers';

/** flushes this often in the test (the default is 5 s) */
const TEST_FLUSH_MS = 50;
/** polling while waiting for a flush to land */
const POLL_MS = 25;
const WAIT_TIMEOUT_MS = 10_000;

let server: IocServer;
const store = new MemoryStore();
const tokens = new Map<string, string>();
let device: Device;
let other: Device;
let metric: string;

async function get(path: string, username: string | null): Promise<{ status: number; body: any }> {
  if (username !== null && !tokens.has(username)) tokens.set(username, await login(server, username));
  const r = await fetch(`${server.url}${path}`, { headers: username === null ? {} : { authorization: `Bearer ${tokens.get(username)}` } });
  return { status: r.status, body: await r.json() };
}

function historyPath(d: Device, window: string, m = metric): string {
  return `/api/devices/${encodeURIComponent(d.id)}/readings/history?window=${window}&metric=${m}`;
}

async function waitFor<T>(probe: () => Promise<T | null>): Promise<T> {
  const deadline = Date.now() + WAIT_TIMEOUT_MS;
  for (;;) {
    const v = await probe();
    if (v !== null) return v;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

beforeAll(async () => {
  const base = testConfig();
  server = await startTestServer({ rollups: { ...base.rollups, flushIntervalMs: TEST_FLUSH_MS } }, { store });
  const devices = [...server.fusion.devices.values()];
  device = devices.find((d) => DEVICE_CATALOGUE[d.kind].metrics.some((m) => !m.flag))!;
  other = devices.find((d) => d.district !== device.district)!;
  metric = DEVICE_CATALOGUE[device.kind].metrics.find((m) => !m.flag)!.name;
  // officer1 limited to the other device's district
  const officer = (await store.getUser('officer1'))!;
  await store.putUser({ ...officer, districts: [other.district] });
});

afterAll(async () => {
  await server?.close();
});

describe('readings history (roll-ups)', () => {
  it('answers min, avg, max and count of the ingested readings in the current bucket', async () => {
    const spec = DEVICE_CATALOGUE[device.kind].metrics.find((m) => m.name === metric)!;
    const values = [0.25, 0.5, 0.75].map((f) => spec.min + f * (spec.max - spec.min));
    // all three in one 5-minute bucket (and hour), however close to a boundary the test runs
    const now = Date.now();
    const firstTs = Math.max(now - 100, bucketStart(now, 300_000));
    const readings = values.map((v, k) => ({ deviceId: device.id, ts: firstTs + k, seq: 1_000_000_000 + k, metrics: { [metric]: v } }));
    const r = await ingest(server, sign(readings));
    expect(r.status).toBe(200);
    expect(r.body.accepted).toBe(3);
    const answer = await waitFor(async () => {
      const h = await get(historyPath(device, '24h'), 'officer2');
      const last = h.body.points?.find((p: unknown[]) => p[4] === 3);
      return last ? h.body : null;
    });
    expect(HistoryAnswerSchema.parse(answer)).toMatchObject({ deviceId: device.id, metric, window: '24h', bucketMs: 300_000 });
    expect(answer.points).toHaveLength(288);
    const point = answer.points.find((p: unknown[]) => p[4] === 3);
    expect(point[1]).toBeCloseTo(values[0]!, 9);
    expect(point[2]).toBeCloseTo((values[0]! + values[1]! + values[2]!) / 3, 9);
    expect(point[3]).toBeCloseTo(values[2]!, 9);
    // the hour roll-up got them too
    const week = await get(historyPath(device, '7d'), 'screen1');
    expect(week.status).toBe(200);
    expect(week.body.points.find((p: number[]) => p[0] === bucketStart(firstTs, HOUR_MS))).toEqual([
      bucketStart(firstTs, HOUR_MS),
      values[0],
      expect.any(Number),
      values[2],
      3,
    ]);
  });

  it('answers the 30-day window from stored hours, with gaps as nulls', async () => {
    const hourTs = bucketStart(Date.now(), HOUR_MS) - 10 * 24 * HOUR_MS;
    await rollupStoreFor(store).mergeRollups({
      flushId: 'seeded-30d',
      entries: [
        {
          deviceId: other.id,
          metric: DEVICE_CATALOGUE[other.kind].metrics[0]!.name,
          resolution: 'hour',
          bucketTs: hourTs,
          aggregate: { min: 1, max: 3, sum: 8, count: 4 },
        },
      ],
    });
    const h = await get(historyPath(other, '30d', DEVICE_CATALOGUE[other.kind].metrics[0]!.name), 'leader1');
    expect(h.status).toBe(200);
    expect(h.body.points).toHaveLength(720);
    expect(h.body.points.filter((p: unknown[]) => p[4] !== 0)).toEqual([[hourTs, 1, 2, 3, 4]]);
    expect(h.body.points[0]).toEqual([h.body.fromTs, null, null, null, 0]);
  });

  it('refuses a device outside the caller’s districts, field handlers and anonymous callers', async () => {
    expect((await get(historyPath(device, '24h'), 'officer1')).body.error.code).toBe('E_FORBIDDEN');
    expect((await get(historyPath(other, '24h', DEVICE_CATALOGUE[other.kind].metrics[0]!.name), 'officer1')).status).toBe(200);
    expect((await get(historyPath(device, '24h'), 'handler1')).status).toBe(403);
    expect((await get(historyPath(device, '24h'), null)).status).toBe(401);
  });

  it('answers a bad window or metric with E_VALIDATION and an unknown device with E_NOT_FOUND', async () => {
    const bad = await get(historyPath(device, '1y'), 'admin');
    expect([bad.status, bad.body.error.code]).toEqual([400, 'E_VALIDATION']);
    const unknownMetric = await get(historyPath(device, '24h', 'notAMetric'), 'admin');
    expect([unknownMetric.status, unknownMetric.body.error.code]).toEqual([400, 'E_VALIDATION']);
    const twice = await get(`${historyPath(device, '24h')}&window=7d`, 'admin');
    expect(twice.body.error.code).toBe('E_VALIDATION');
    const missing = await get(historyPath({ ...device, id: 'no-such-device' }, '24h'), 'admin');
    expect([missing.status, missing.body.error.code]).toEqual([404, 'E_NOT_FOUND']);
  });
});
