import { describe, expect, it } from 'vitest';
import { ClosedBucketSeries } from './closed-bucket-series';
import type { SeriesWindow } from '../scenes/scene-model';

describe('closed-bucket view of chart windows', () => {
  const live = new Map<string, { window: SeriesWindow }>([
    ['d1.level', { window: { bucketMs: 10, ts: [0, 10, 20], values: [1, 2, 3], max: [1, 2, 3] } }],
  ]);

  it('shows only buckets that closed before the cutoff, and the same copy until the cutoff moves', () => {
    const view = new ClosedBucketSeries(live);
    view.setCutoff(20);
    const a = view.get('d1.level')!;
    expect(a.ts).toEqual([0, 10]);
    // a reading into the open bucket does not change what charts see
    live.get('d1.level')!.window.values[2] = 99;
    expect(view.get('d1.level')).toBe(a);
    view.setCutoff(30);
    expect(view.get('d1.level')!.values).toEqual([1, 2, 99]);
    expect(view.has('nope')).toBe(false);
    expect([...view.keys()]).toEqual(['d1.level']);
  });
});
