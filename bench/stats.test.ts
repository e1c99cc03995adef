import { describe, expect, it } from 'vitest';
import { median, percentile, probeLatencies, ratio, round, summarizeLatency } from './stats';

describe('bench statistics', () => {
  it('takes the nearest-rank percentile of unsorted samples', () => {
    const xs = [5, 1, 4, 2, 3, 6, 7, 8, 9, 10];
    expect(percentile(xs, 50)).toBe(5);
    expect(percentile(xs, 99)).toBe(10);
    expect(percentile(xs, 0)).toBe(1);
    expect(percentile([], 99)).toBeNull();
  });

  it('summarises latencies as n, p50, p99 and max in ms', () => {
    expect(summarizeLatency([10, 20, 30])).toEqual({ n: 3, p50: 20, p99: 30, max: 30 });
    expect(summarizeLatency([])).toEqual({ n: 0, p50: null, p99: null, max: null });
  });

  it('reports a ratio only when both figures exist and the divisor is not zero', () => {
    expect(ratio(1, 4)).toBe(0.25);
    expect(ratio(null, 4)).toBeNull();
    expect(ratio(1, 0)).toBeNull();
    expect(round(1.26, 1)).toBe(1.3);
  });

  it('pairs probe receipts with their send time and ignores unknown probes', () => {
    const sent = new Map([
      ['a', 100],
      ['b', 200],
    ]);
    expect(
      probeLatencies(sent, [
        ['a', 130],
        ['b', 260],
        ['a', 150],
        ['zzz', 999],
      ]),
    ).toEqual([30, 60, 50]);
  });
});

describe('median', () => {
  it('takes the middle sample, or the mean of the middle two', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
  });
});
