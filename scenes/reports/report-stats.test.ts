import { describe, expect, it } from 'vitest';
import { change, durationStats, formatChangePct, formatDelta, nearestRank } from './report-stats';

describe('report statistics', () => {
  it('percentiles are by nearest rank', () => {
    const xs = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect(nearestRank(xs, 0.5)).toBe(5);
    expect(nearestRank(xs, 0.9)).toBe(9);
    expect(nearestRank([7], 0.9)).toBe(7);
    expect(nearestRank([], 0.5)).toBeNull();
  });

  it('summarises durations with mean, p50 and p90, and nothing for none', () => {
    expect(durationStats([30, 10, 20])).toEqual({ count: 3, meanMs: 20, p50Ms: 20, p90Ms: 30 });
    expect(durationStats([])).toEqual({ count: 0, meanMs: null, p50Ms: null, p90Ms: null });
  });

  it.each([
    [12, 10, 2, 20, '+20%', '+2'],
    [5, 10, -5, -50, '-50%', '-5'],
    [3, 0, 3, null, '—', '+3'],
    [0, 0, 0, null, '—', '0'],
    [null, 4, null, null, '—', '—'],
    [4, null, null, null, '—', '—'],
  ])('change from %s against %s: delta %s, %s %% (shown %s / %s)', (current, previous, delta, pct, shownPct, shownDelta) => {
    const c = change(current, previous);
    expect(c).toEqual({ current, previous, delta, changePct: pct });
    expect(formatChangePct(c)).toBe(shownPct);
    expect(formatDelta(c)).toBe(shownDelta);
  });

  it('never answers Infinity or NaN against an empty period', () => {
    const c = change(5, 0);
    expect(Number.isFinite(c.changePct ?? 0)).toBe(true);
    expect(JSON.stringify(c)).not.toMatch(/Infinity|NaN/);
  });
});
