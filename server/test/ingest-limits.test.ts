/**
 * Ingest does the cheap checks first (credentials before schemas) and keeps one device or one
 * source from taking everyone's capacity: excess readings are answered E_RATE_LIMIT, reading by
 * reading, and neither fused nor stored.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { IngestService, type IngestLimits } from '../ingest';
import { Fusion } from '../fusion';
import { DeviceTokenVerifier, DEV_DEVICE_SECRET } from '../device-token';
import { MemoryStore } from '../store/memory-store';
import { generateFleet } from '../../scenes/fleet';
import { DEVICE_CATALOGUE } from '../../scenes/catalogue';
import { SignedReadingSchema } from '../../scenes/protocol';
import type { Device, Reading } from '../../scenes/domain';
import { sign } from './helpers';

const LIMITS: IngestLimits = { burstFactor: 10, deviceMinReadingsPerS: 1, burstSeconds: 60, sourceReadingsPerS: 100_000, authProbeReadings: 16 };
const T0 = 1_763_700_000_000;

function setup(limits: Partial<IngestLimits> = {}) {
  const devices = generateFleet({ count: 60 });
  const store = new MemoryStore();
  const fusion = new Fusion(devices);
  let nowTs = T0;
  const svc = new IngestService(store, fusion, new DeviceTokenVerifier(DEV_DEVICE_SECRET), () => undefined, {
    maxClockSkewMs: 60_000,
    maxDeferredReadings: 1000,
    limits: { ...LIMITS, ...limits },
    now: () => nowTs,
  });
  return { devices, store, fusion, svc, advance: (ms: number) => (nowTs += ms), now: () => nowTs };
}

const readingsOf = (d: Device, fromSeq: number, n: number, ts: number): Reading[] =>
  Array.from({ length: n }, (_, i) => ({ deviceId: d.id, ts, seq: fromSeq + i, metrics: { [DEVICE_CATALOGUE[d.kind].metrics[0]!.name]: 1 } }));

afterEach(() => {
  vi.restoreAllMocks();
});

describe('ingest: cheap checks first', () => {
  it('checks a reading’s credential before its schema: a bad token is E_UNAUTHORIZED even when the reading is malformed', async () => {
    const { devices, svc } = setup();
    const parse = vi.spyOn(SignedReadingSchema, 'safeParse');
    const r = await svc.ingest([{ deviceId: devices[0]!.id, token: 'x'.repeat(43), ts: 'not a number', seq: -1, metrics: 7 }]);
    expect(r.rejected).toEqual([expect.objectContaining({ index: 0, code: 'E_UNAUTHORIZED' })]);
    expect(parse).not.toHaveBeenCalled();
  });

  it('refuses the rest of a batch unread when its first 16 readings all fail authentication', async () => {
    const { devices, svc } = setup();
    const parse = vi.spyOn(SignedReadingSchema, 'safeParse');
    const bogus = Array.from({ length: 5000 }, (_, i) => ({
      deviceId: devices[i % devices.length]!.id,
      token: 'y'.repeat(43),
      ts: T0,
      seq: i,
      metrics: { a: 1 },
    }));
    const r = await svc.ingest(bogus);
    expect(r.accepted).toBe(0);
    expect(r.rejected).toHaveLength(5000);
    expect(r.rejected.every((x) => x.code === 'E_UNAUTHORIZED')).toBe(true);
    expect(r.rejected[16]!.message).toMatch(/refused unread/);
    expect(parse).not.toHaveBeenCalled();
  });

  it('judges every reading of a batch whose first reading authenticates, even if many later ones fail', async () => {
    const { devices, svc } = setup();
    const d = devices.find((x) => x.kind === 'rain-gauge')!;
    const [good] = sign(readingsOf(d, 1, 1, T0));
    const bad = Array.from({ length: 30 }, () => ({ ...good!, token: 'z'.repeat(43) }));
    const [last] = sign(readingsOf(d, 2, 1, T0));
    const r = await svc.ingest([good, ...bad, last]);
    expect(r.accepted).toBe(2);
    expect(r.rejected.filter((x) => /refused unread/.test(x.message))).toHaveLength(0);
  });

  it('answers non-object readings and missing credentials as E_VALIDATION without throwing', async () => {
    const { svc } = setup();
    const trap = { length: { valueOf: null, toString: null } };
    const r = await svc.ingest([null, 5, 'x', [], trap, { deviceId: 1, token: 2 }]);
    expect(r.rejected.map((x) => x.code)).toEqual(Array(6).fill('E_VALIDATION'));
  });
});

describe('ingest: per-device rate limit', () => {
  it('answers readings beyond a device’s burst E_RATE_LIMIT, neither fused nor stored, and lets it report again after refill', async () => {
    const { devices, svc, fusion, store, advance, now } = setup();
    const d = devices.find((x) => x.kind === 'strain-gauge')!;
    const limits = svc.deviceLimitsOf(d.kind)!;
    // catalogue rate × burst factor, a bucket of burstSeconds of it
    expect(limits.ratePerS).toBeCloseTo((1000 / DEVICE_CATALOGUE[d.kind].intervalMs) * LIMITS.burstFactor);
    expect(limits.capacity).toBeCloseTo(limits.ratePerS * LIMITS.burstSeconds);
    const burst = Math.floor(limits.capacity);

    const r = await svc.ingest(sign(readingsOf(d, 1, burst + 5, now())), '10.0.0.1');
    expect(r.accepted).toBe(burst);
    expect(r.rejected).toHaveLength(5);
    expect(r.rejected.every((x) => x.code === 'E_RATE_LIMIT')).toBe(true);
    expect(r.rejected[0]!.index).toBe(burst);
    expect(fusion.deviceStates.get(d.id)!.lastSeq).toBe(burst);
    expect(await store.readReadings([d.id], 0, now() + 1, 10_000)).toHaveLength(burst);
    expect(svc.totals.rateLimited).toBe(5);

    // other devices are not affected
    const other = devices.find((x) => x.kind === 'strain-gauge' && x.id !== d.id)!;
    expect((await svc.ingest(sign(readingsOf(other, 1, 3, now())))).accepted).toBe(3);

    // after a refill the refused readings are accepted when sent again
    advance(Math.ceil((5 / limits.ratePerS) * 1000));
    const again = await svc.ingest(sign(readingsOf(d, burst + 1, 5, now())));
    expect(again).toMatchObject({ accepted: 5, rejected: [] });
  });

  it('never limits a device below the floor rate (drills report every 2 s)', () => {
    const { svc } = setup();
    const slowest = Math.max(...Object.values(DEVICE_CATALOGUE).map((k) => k.intervalMs));
    const kind = Object.values(DEVICE_CATALOGUE).find((k) => k.intervalMs === slowest)!.kind;
    expect(svc.deviceLimitsOf(kind)!.ratePerS).toBeGreaterThanOrEqual(LIMITS.deviceMinReadingsPerS);
  });

  it('answers duplicates as duplicates, not against the budget', async () => {
    const { devices, svc } = setup();
    const d = devices.find((x) => x.kind === 'strain-gauge')!;
    const batch = sign(readingsOf(d, 1, 10, T0));
    await svc.ingest(batch);
    for (let i = 0; i < 50; i++) expect((await svc.ingest(batch)).duplicates).toBe(10);
    expect((await svc.ingest(sign(readingsOf(d, 11, 1, T0)))).accepted).toBe(1);
  });
});

describe('ingest: per-source rate limit', () => {
  it('refuses the readings of a source beyond its budget unread, and not those of another source', async () => {
    const { devices, svc } = setup({ sourceReadingsPerS: 10 });
    const gauges = devices.slice(0, 12);
    // metrics without a prototype: the schema reads them (scenes/reading-fast-path.ts leaves such
    // shapes to it), so its calls count the readings that were validated at all
    const batch = sign(gauges.map((d) => readingsOf(d, 1, 1, T0)[0]!)).map((r) => ({ ...r, metrics: Object.assign(Object.create(null), r.metrics) }));
    const parse = vi.spyOn(SignedReadingSchema, 'safeParse');
    const r = await svc.ingest(batch, 'gw-a');
    expect(r.accepted).toBe(10);
    expect(r.rejected.map((x) => [x.index, x.code])).toEqual([
      [10, 'E_RATE_LIMIT'],
      [11, 'E_RATE_LIMIT'],
    ]);
    expect(parse).toHaveBeenCalledTimes(10);
    const b = await svc.ingest(sign(gauges.slice(10).map((d) => readingsOf(d, 1, 1, T0)[0]!)), 'gw-b');
    expect(b.accepted).toBe(2);
  });
});
