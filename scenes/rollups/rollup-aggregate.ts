/**
 * Roll-ups of readings (issue 16): per device and metric, one aggregate `{min, max, sum, count}`
 * per UTC-aligned bucket (1 minute, 1 hour). Pure: no I/O, no clock.
 *
 * Invariant: `mergeAggregates` is associative and commutative on min, max and count (exactly) and
 * on sum up to floating-point rounding, so partial aggregates from several nodes, several flushes
 * or several minutes combine into the same result in any grouping — the Redis merge script, the
 * memory store, the hour roll-up and the 5-minute downsampling all use this one rule.
 */

/** A minute, ms */
export const MINUTE_MS = 60_000;
/** An hour, ms */
export const HOUR_MS = 3_600_000;

export const ROLLUP_RESOLUTIONS = ['minute', 'hour'] as const;
export type RollupResolution = (typeof ROLLUP_RESOLUTIONS)[number];

/** Bucket length of each resolution, ms. */
export const RESOLUTION_BUCKET_MS: Readonly<Record<RollupResolution, number>> = { minute: MINUTE_MS, hour: HOUR_MS };

/** Min, max, sum and count of the values of one bucket. */
export interface RollupAggregate {
  /** smallest value, in the metric's unit */
  min: number;
  /** largest value, in the metric's unit */
  max: number;
  /** sum of the values, in the metric's unit (avg = sum / count) */
  sum: number;
  /** number of values, ≥ 1 */
  count: number;
}

/** One stored bucket: its start (epoch ms, UTC-aligned) and aggregate. */
export interface RollupBucket {
  /** bucket start, epoch ms, a multiple of the bucket length */
  ts: number;
  aggregate: RollupAggregate;
}

/** Start of the bucket of length `bucketMs` holding `ts` (epoch ms; UTC alignment, Beijing is display only). */
export function bucketStart(ts: number, bucketMs: number): number {
  return Math.floor(ts / bucketMs) * bucketMs;
}

/** The aggregate of a single value. */
export function aggregateOf(value: number): RollupAggregate {
  return { min: value, max: value, sum: value, count: 1 };
}

/** Adds one value to `into` in place (the accumulator's hot path: no allocation). */
export function addValue(into: RollupAggregate, value: number): void {
  if (value < into.min) into.min = value;
  if (value > into.max) into.max = value;
  into.sum += value;
  into.count += 1;
}

/** `a` and `b` combined, as a new aggregate. */
export function mergeAggregates(a: RollupAggregate, b: RollupAggregate): RollupAggregate {
  return { min: Math.min(a.min, b.min), max: Math.max(a.max, b.max), sum: a.sum + b.sum, count: a.count + b.count };
}

/** Merges `b` into `into` in place. */
export function mergeInto(into: RollupAggregate, b: RollupAggregate): void {
  if (b.min < into.min) into.min = b.min;
  if (b.max > into.max) into.max = b.max;
  into.sum += b.sum;
  into.count += b.count;
}

/**
 * Buckets of a finer length merged into buckets of `bucketMs` (a multiple of theirs): the hour
 * roll-up of minutes, the 5-minute view of minutes. Input in any order; output sorted by ts.
 */
export function coarsenBuckets(buckets: readonly RollupBucket[], bucketMs: number): RollupBucket[] {
  const byTs = new Map<number, RollupAggregate>();
  for (const b of buckets) {
    const ts = bucketStart(b.ts, bucketMs);
    const found = byTs.get(ts);
    if (found) mergeInto(found, b.aggregate);
    else byTs.set(ts, { ...b.aggregate });
  }
  return [...byTs].sort((x, y) => x[0] - y[0]).map(([ts, aggregate]) => ({ ts, aggregate }));
}
