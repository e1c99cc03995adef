import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { HOUR_MS, MINUTE_MS, addValue, aggregateOf, bucketStart, coarsenBuckets, mergeAggregates, type RollupAggregate } from './rollup-aggregate';

const T = Date.UTC(2026, 11, 1, 8, 30, 15, 500);

function exactly(values: readonly number[]): RollupAggregate {
  return { min: Math.min(...values), max: Math.max(...values), sum: values.reduce((s, v) => s + v, 0), count: values.length };
}

describe('roll-up buckets', () => {
  it('puts a timestamp in the UTC-aligned minute and hour that hold it', () => {
    expect(bucketStart(T, MINUTE_MS)).toBe(Date.UTC(2026, 11, 1, 8, 30));
    expect(bucketStart(T, HOUR_MS)).toBe(Date.UTC(2026, 11, 1, 8));
    expect(bucketStart(Date.UTC(2026, 11, 1, 8, 31), MINUTE_MS)).toBe(Date.UTC(2026, 11, 1, 8, 31));
  });
});

describe('roll-up aggregates', () => {
  it('accumulates min, max, sum and count of the values added', () => {
    const a = aggregateOf(3);
    for (const v of [1, 7, -2]) addValue(a, v);
    expect(a).toEqual({ min: -2, max: 7, sum: 9, count: 4 });
  });

  // integers keep the sums exact, so the grouping must not change a single field
  it('merges partial aggregates to the same result in any grouping and order (several nodes, several flushes)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.integer({ min: -1e6, max: 1e6 }), { minLength: 1, maxLength: 20 }), { minLength: 1, maxLength: 8 }),
        (parts) => {
          const partials = parts.map(exactly);
          const leftFold = partials.reduce((acc, p) => mergeAggregates(acc, p));
          const rightFold = partials.reduceRight((acc, p) => mergeAggregates(p, acc));
          const reversed = [...partials].reverse().reduce((acc, p) => mergeAggregates(acc, p));
          const whole = exactly(parts.flat());
          expect(leftFold).toEqual(whole);
          expect(rightFold).toEqual(whole);
          expect(reversed).toEqual(whole);
        },
      ),
    );
  });

  it('rolls minutes up into hours exactly as if the hour had been aggregated from the raw values', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 3 * HOUR_MS - 1 }), fc.integer({ min: -500, max: 500 })), { minLength: 1, maxLength: 200 }),
        (raw) => {
          const minutes = coarsenBuckets(
            raw.map(([ts, v]) => ({ ts, aggregate: aggregateOf(v) })),
            MINUTE_MS,
          );
          const hoursFromMinutes = coarsenBuckets(minutes, HOUR_MS);
          const hoursFromRaw = coarsenBuckets(
            raw.map(([ts, v]) => ({ ts, aggregate: aggregateOf(v) })),
            HOUR_MS,
          );
          expect(hoursFromMinutes).toEqual(hoursFromRaw);
          for (const h of hoursFromRaw)
            expect(h.aggregate).toEqual(exactly(raw.filter(([ts]) => bucketStart(ts, HOUR_MS) === h.ts).map(([, v]) => v)));
        },
      ),
    );
  });
});
