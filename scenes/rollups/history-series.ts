/**
 * A device metric's history for one window (24 h, 7 d, 30 d), assembled from stored roll-up
 * buckets: one point per bucket of the window, a bucket without readings is a gap (nulls), never a
 * zero. Also the wire types of `GET /api/devices/:id/history`. Pure: `nowTs` is an argument.
 */
import { z } from 'zod';
import { HOUR_MS, MINUTE_MS, bucketStart, coarsenBuckets, type RollupBucket, type RollupResolution } from './rollup-aggregate';

export const HISTORY_WINDOWS = ['24h', '7d', '30d'] as const;
export type HistoryWindow = (typeof HISTORY_WINDOWS)[number];

/** How each window is read and drawn. */
export interface HistoryWindowSpec {
  /** the window's length, ms */
  spanMs: number;
  /** which stored roll-up it reads */
  resolution: RollupResolution;
  /** one point per this many ms (a multiple of the stored bucket: coarser buckets are merged) */
  pointBucketMs: number;
}

/** 24 h: minutes merged into 5-minute points (288, a readable line); 7 d and 30 d: hours (168, 720). */
export const HISTORY_WINDOW_SPECS: Readonly<Record<HistoryWindow, HistoryWindowSpec>> = {
  '24h': { spanMs: 24 * HOUR_MS, resolution: 'minute', pointBucketMs: 5 * MINUTE_MS },
  '7d': { spanMs: 7 * 24 * HOUR_MS, resolution: 'hour', pointBucketMs: HOUR_MS },
  '30d': { spanMs: 30 * 24 * HOUR_MS, resolution: 'hour', pointBucketMs: HOUR_MS },
};

/** Query of `GET /api/devices/:id/history`. */
export const HistoryQuerySchema = z.object({
  window: z.enum(HISTORY_WINDOWS),
  metric: z.string().regex(/^[a-zA-Z][a-zA-Z0-9_]{0,39}$/),
});
export type HistoryQuery = z.infer<typeof HistoryQuerySchema>;

/** `[bucket start ms, min, avg, max, count]`, or `[bucket start ms, null, null, null, 0]` for a gap. */
export type HistoryPoint = [number, number, number, number, number] | [number, null, null, null, 0];

const HistoryPointSchema = z.union([
  z.tuple([z.number(), z.number(), z.number(), z.number(), z.number().int().gte(1)]),
  z.tuple([z.number(), z.null(), z.null(), z.null(), z.literal(0)]),
]);

/** Answer of `GET /api/devices/:id/history` (validated by the client). */
export const HistoryAnswerSchema = z.object({
  deviceId: z.string(),
  metric: z.string(),
  /** the metric's unit from the catalogue, when it has one */
  unit: z.string().optional(),
  window: z.enum(HISTORY_WINDOWS),
  /** length of each point's bucket, ms */
  bucketMs: z.number().int().positive(),
  /** first and last bucket start, epoch ms */
  fromTs: z.number(),
  toTs: z.number(),
  points: z.array(HistoryPointSchema),
});
export type HistoryAnswer = z.infer<typeof HistoryAnswerSchema>;

/** The stored buckets a window needs: `[fromTs, toTs)` in epoch ms at the window's resolution. */
export function historyRange(window: HistoryWindow, nowTs: number): { resolution: RollupResolution; fromTs: number; toTs: number } {
  const spec = HISTORY_WINDOW_SPECS[window];
  const toTs = bucketStart(nowTs, spec.pointBucketMs) + spec.pointBucketMs;
  return { resolution: spec.resolution, fromTs: toTs - spec.spanMs, toTs };
}

/**
 * Points of `window` ending with the bucket that holds `nowTs`, oldest first: every bucket of the
 * window is present, with nulls where no reading was rolled up. Buckets outside the window are ignored.
 */
export function assembleHistory(
  stored: readonly RollupBucket[],
  window: HistoryWindow,
  nowTs: number,
): { bucketMs: number; fromTs: number; toTs: number; points: HistoryPoint[] } {
  const spec = HISTORY_WINDOW_SPECS[window];
  const range = historyRange(window, nowTs);
  const inRange = stored.filter((b) => b.ts >= range.fromTs && b.ts < range.toTs);
  const byTs = new Map(coarsenBuckets(inRange, spec.pointBucketMs).map((b) => [b.ts, b.aggregate]));
  const points: HistoryPoint[] = [];
  for (let ts = range.fromTs; ts < range.toTs; ts += spec.pointBucketMs) {
    const a = byTs.get(ts);
    points.push(a ? [ts, a.min, a.sum / a.count, a.max, a.count] : [ts, null, null, null, 0]);
  }
  return { bucketMs: spec.pointBucketMs, fromTs: range.fromTs, toTs: range.toTs - spec.pointBucketMs, points };
}
