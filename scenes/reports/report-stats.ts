/**
 * Small statistics of the reports: duration summaries (mean, p50, p90 by nearest rank) and the
 * change between two periods (环比/同比), where a change against nothing is "—", never Infinity.
 */

/** Summary of durations, ms; every figure null when there was nothing to measure. */
export interface DurationStats {
  count: number;
  meanMs: number | null;
  p50Ms: number | null;
  p90Ms: number | null;
}

/** The `q`-quantile (0..1) of ascending values by nearest rank; null for none. */
export function nearestRank(sortedAsc: readonly number[], q: number): number | null {
  if (sortedAsc.length === 0) return null;
  const rank = Math.max(1, Math.ceil(q * sortedAsc.length));
  return sortedAsc[Math.min(sortedAsc.length, rank) - 1]!;
}

export function durationStats(durationsMs: readonly number[]): DurationStats {
  const sorted = [...durationsMs].sort((a, b) => a - b);
  if (sorted.length === 0) return { count: 0, meanMs: null, p50Ms: null, p90Ms: null };
  const mean = sorted.reduce((s, x) => s + x, 0) / sorted.length;
  return { count: sorted.length, meanMs: Math.round(mean), p50Ms: nearestRank(sorted, 0.5), p90Ms: nearestRank(sorted, 0.9) };
}

/** One figure now and in a period before. */
export interface Change {
  current: number | null;
  previous: number | null;
  /** current − previous; null when either is unknown */
  delta: number | null;
  /** (current − previous) / previous, %, one decimal; null when either is unknown or previous is 0 */
  changePct: number | null;
}

const ONE_DECIMAL = 10;

export function change(current: number | null, previous: number | null): Change {
  const known = current !== null && previous !== null;
  const delta = known ? Math.round((current - previous) * ONE_DECIMAL) / ONE_DECIMAL : null;
  const changePct = known && previous !== 0 ? Math.round(((current - previous) / previous) * 100 * ONE_DECIMAL) / ONE_DECIMAL : null;
  return { current, previous, delta, changePct };
}

/** `+12.5%`, `-3%`, `0%`; "—" when there is no percentage (no figure, or nothing to compare with). */
export function formatChangePct(c: Pick<Change, 'changePct'>): string {
  if (c.changePct === null) return '—';
  return `${c.changePct > 0 ? '+' : ''}${c.changePct}%`;
}

/** `+3`, `-1`, `0`; "—" when unknown. */
export function formatDelta(c: Pick<Change, 'delta'>): string {
  if (c.delta === null) return '—';
  return `${c.delta > 0 ? '+' : ''}${c.delta}`;
}
