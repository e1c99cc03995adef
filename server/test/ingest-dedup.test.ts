/**
 * Ingest and fusion check a reading's seq once: ingest classifies it (to answer duplicates without
 * spending budget or a store write) and hands the verdict to fusion, which does not ask again.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { IngestService } from '../ingest';
import { Fusion } from '../fusion';
import { DeviceTokenVerifier, DEV_DEVICE_SECRET } from '../device-token';
import { MemoryStore } from '../store/memory-store';
import { generateFleet } from '../../scenes/fleet';
import type { Reading } from '../../scenes/domain';
import { sign } from './helpers';

const T0 = 1_763_700_000_000;

function setup() {
  const devices = generateFleet({ count: 60 });
  const fusion = new Fusion(devices, undefined, undefined, T0);
  const svc = new IngestService(new MemoryStore(), fusion, new DeviceTokenVerifier(DEV_DEVICE_SECRET), () => undefined, {
    maxClockSkewMs: 60_000,
    maxDeferredReadings: 1000,
    now: () => T0,
  });
  const gas = devices.find((d) => d.kind === 'gas-detector')!;
  const reading = (seq: number): Reading => ({ deviceId: gas.id, ts: T0 - 1000 + seq, seq, metrics: { lel: 1 } });
  return { fusion, svc, reading };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('duplicate check', () => {
  it('classifies each reading of a batch once', async () => {
    const { fusion, svc, reading } = setup();
    const classify = vi.spyOn(fusion, 'classify');
    const result = await svc.ingest(sign([reading(1), reading(2), reading(3)]));
    expect(result).toMatchObject({ accepted: 3, duplicates: 0, outOfOrder: 0 });
    expect(classify).toHaveBeenCalledTimes(3);
  });

  it('answers a shuffled batch with repeats, gaps and replays as before: duplicates, out-of-order and accepted', async () => {
    const { fusion, svc, reading } = setup();
    await svc.ingest(sign([reading(10), reading(12)]));
    // 11: never seen, behind 12 → out of order; 10 and 12: replays; 14 twice in the batch; 13 after 14
    const result = await svc.ingest(sign([reading(14), reading(11), reading(10), reading(14), reading(13), reading(12)]));
    expect(result).toMatchObject({ accepted: 2, duplicates: 3, outOfOrder: 1, rejected: [] });
    expect(fusion.deviceStates.get(reading(0).deviceId)!.lastSeq).toBe(14);
    expect(fusion.classify(reading(11))).toBe('duplicate');
    expect(fusion.classify(reading(13))).toBe('duplicate');
  });
});
