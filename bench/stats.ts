/** Small statistics helpers for the benchmark (pure). */

/** Nearest-rank percentile of unsorted samples; null when there are none. `p` in 0..100. */
export function percentile(samples: readonly number[], p: number): number | null {
  if (samples.length === 0) return null;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

/** Median of samples (mean of the middle two for an even count); NaN when there are none. */
export function median(samples: readonly number[]): number {
  const s = [...samples].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

export interface LatencySummary {
  /** number of samples */
  n: number;
  /** ms */
  p50: number | null;
  /** ms */
  p99: number | null;
  /** ms */
  max: number | null;
}

export function summarizeLatency(samplesMs: readonly number[]): LatencySummary {
  return {
    n: samplesMs.length,
    p50: round(percentile(samplesMs, 50)),
    p99: round(percentile(samplesMs, 99)),
    // a loop, not Math.max(...samples): spreading 10^5+ samples overflows the call stack
    max: round(samplesMs.length ? samplesMs.reduce((m, v) => (v > m ? v : m), -Infinity) : null),
  };
}

/** Rounds to `digits` decimals, keeping null. */
export function round(v: number | null | undefined, digits = 1): number | null {
  if (v === null || v === undefined || !Number.isFinite(v)) return null;
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

/** a / b rounded to 3 decimals, or null when either is missing or b is 0. */
export function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  if (a === null || a === undefined || b === null || b === undefined || b === 0) return null;
  return round(a / b, 3);
}

/**
 * Latencies of probes: for every (probe id, receive time) pair, receive − send of that id.
 * Receives of ids never sent are ignored; a probe seen by N clients yields N samples.
 */
export function probeLatencies(sentAtMs: ReadonlyMap<string, number>, received: readonly (readonly [id: string, atMs: number])[]): number[] {
  const out: number[] = [];
  for (const [id, at] of received) {
    const sent = sentAtMs.get(id);
    if (sent !== undefined) out.push(Math.max(0, at - sent));
  }
  return out;
}
