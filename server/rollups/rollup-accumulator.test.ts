import { describe, expect, it } from 'vitest';
import type { Reading } from '../../scenes/domain';
import { HOUR_MS, MINUTE_MS } from '../../scenes/rollups/rollup-aggregate';
import { RollupAccumulator } from './rollup-accumulator';

const T0 = Date.UTC(2026, 11, 1, 8);

function reading(deviceId: string, ts: number, metrics: Record<string, number>, seq = 0): Reading {
  return { deviceId, ts, seq, metrics };
}

function byKey(entries: ReturnType<RollupAccumulator['drain']>): Record<string, unknown> {
  return Object.fromEntries(
    entries.map((e) => [`${e.resolution} ${e.deviceId} ${e.metric} ${new Date(e.bucketTs).toISOString().slice(11, 16)}`, e.aggregate]),
  );
}

describe('roll-up accumulator', () => {
  it('rolls each device metric up into minutes and the hours they belong to', () => {
    const acc = new RollupAccumulator();
    acc.add([reading('a', T0 + 1_000, { level: 2, flow: 10 }), reading('a', T0 + 30_000, { level: 4 }), reading('b', T0 + 2_000, { level: 7 })]);
    acc.add([reading('a', T0 + MINUTE_MS + 5, { level: 1 })]);
    expect(acc.pendingReadings).toBe(4);
    expect(byKey(acc.drain())).toEqual({
      'minute a level 08:00': { min: 2, max: 4, sum: 6, count: 2 },
      'minute a level 08:01': { min: 1, max: 1, sum: 1, count: 1 },
      'hour a level 08:00': { min: 1, max: 4, sum: 7, count: 3 },
      'minute a flow 08:00': { min: 10, max: 10, sum: 10, count: 1 },
      'hour a flow 08:00': { min: 10, max: 10, sum: 10, count: 1 },
      'minute b level 08:00': { min: 7, max: 7, sum: 7, count: 1 },
      'hour b level 08:00': { min: 7, max: 7, sum: 7, count: 1 },
    });
  });

  it('puts a late reading into its own earlier minute and hour', () => {
    const acc = new RollupAccumulator();
    acc.add([
      reading('a', T0 + HOUR_MS + 10, { v: 5 }),
      reading('a', T0 + 59 * MINUTE_MS, { v: 3 }),
      reading('a', T0 + 59 * MINUTE_MS + 1, { v: 9 }),
    ]);
    expect(byKey(acc.drain())).toEqual({
      'minute a v 09:00': { min: 5, max: 5, sum: 5, count: 1 },
      'minute a v 08:59': { min: 3, max: 9, sum: 12, count: 2 },
      'hour a v 09:00': { min: 5, max: 5, sum: 5, count: 1 },
      'hour a v 08:00': { min: 3, max: 9, sum: 12, count: 2 },
    });
  });

  it('starts over after a drain: nothing is flushed twice', () => {
    const acc = new RollupAccumulator();
    acc.add([reading('a', T0, { v: 1 })]);
    expect(acc.drain()).toHaveLength(2);
    expect(acc.drain()).toEqual([]);
    acc.add([reading('a', T0 + 1, { v: 2 })]);
    expect(byKey(acc.drain())['minute a v 08:00']).toEqual({ min: 2, max: 2, sum: 2, count: 1 });
  });
});
