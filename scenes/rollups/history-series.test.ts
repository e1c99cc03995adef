import { describe, expect, it } from 'vitest';
import { HOUR_MS, MINUTE_MS, aggregateOf } from './rollup-aggregate';
import { HistoryAnswerSchema, HistoryQuerySchema, assembleHistory, historyRange } from './history-series';

const NOW = Date.UTC(2026, 11, 1, 8, 32, 10);

describe('history series', () => {
  it('covers 24 hours with 288 five-minute points ending with the bucket that holds now', () => {
    const h = assembleHistory([], '24h', NOW);
    expect(h.bucketMs).toBe(5 * MINUTE_MS);
    expect(h.points).toHaveLength(288);
    expect(h.toTs).toBe(Date.UTC(2026, 11, 1, 8, 30));
    expect(h.points.at(-1)![0]).toBe(h.toTs);
    expect(h.fromTs).toBe(h.toTs - 287 * 5 * MINUTE_MS);
  });

  it('covers 7 and 30 days with hourly points', () => {
    expect(assembleHistory([], '7d', NOW).points).toHaveLength(7 * 24);
    expect(assembleHistory([], '30d', NOW).points).toHaveLength(30 * 24);
    expect(historyRange('7d', NOW)).toEqual({
      resolution: 'hour',
      fromTs: Date.UTC(2026, 11, 1, 9) - 7 * 24 * HOUR_MS,
      toTs: Date.UTC(2026, 11, 1, 9),
    });
  });

  it('shows a bucket without readings as a gap (nulls), never as zero', () => {
    const h = assembleHistory([{ ts: Date.UTC(2026, 11, 1, 8, 31), aggregate: aggregateOf(0) }], '24h', NOW);
    expect(h.points.at(-1)).toEqual([Date.UTC(2026, 11, 1, 8, 30), 0, 0, 0, 1]);
    expect(h.points.at(-2)).toEqual([Date.UTC(2026, 11, 1, 8, 25), null, null, null, 0]);
  });

  it('merges the minutes of a 5-minute point into its min, avg, max and count', () => {
    const stored = [
      { ts: Date.UTC(2026, 11, 1, 8, 20), aggregate: { min: 1, max: 4, sum: 10, count: 4 } },
      { ts: Date.UTC(2026, 11, 1, 8, 24), aggregate: { min: 0.5, max: 2, sum: 2, count: 2 } },
      // outside the window: ignored
      { ts: Date.UTC(2026, 10, 20), aggregate: aggregateOf(99) },
    ];
    const h = assembleHistory(stored, '24h', NOW);
    expect(h.points.at(-3)).toEqual([Date.UTC(2026, 11, 1, 8, 20), 0.5, 2, 4, 6]);
    expect(h.points.filter((p) => p[4] > 0)).toHaveLength(1);
    expect(HistoryAnswerSchema.safeParse({ deviceId: 'd', metric: 'm', window: '24h', ...h }).success).toBe(true);
  });

  it('accepts only the known windows and well-formed metric names', () => {
    expect(HistoryQuerySchema.safeParse({ window: '24h', metric: 'waterLevel' }).success).toBe(true);
    expect(HistoryQuerySchema.safeParse({ window: '1y', metric: 'waterLevel' }).success).toBe(false);
    expect(HistoryQuerySchema.safeParse({ window: '7d', metric: '__proto__' }).success).toBe(false);
    expect(HistoryQuerySchema.safeParse({ window: '7d' }).success).toBe(false);
  });
});
