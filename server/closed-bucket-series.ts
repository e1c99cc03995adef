/**
 * What scene builders see of the rolling chart windows: only CLOSED buckets (older than the
 * bucket now filling), copied lazily on first access per bucket period and cached until the next
 * bucket closes. Charts therefore change once per bucket, not with every reading, and only the
 * few windows a chart actually shows are copied (copying every device's window every 10 s cost
 * tens of MB of garbage per copy at 20k devices).
 */
import type { SeriesWindow } from '../scenes/scene-model';

export class ClosedBucketSeries implements ReadonlyMap<string, SeriesWindow> {
  private cache = new Map<string, SeriesWindow | null>();
  private cutoffTs = 0;

  constructor(private readonly live: ReadonlyMap<string, { window: SeriesWindow }>) {}

  /** Buckets starting before `cutoffTs` are closed; a new cutoff drops the cached copies. */
  setCutoff(cutoffTs: number): void {
    if (cutoffTs === this.cutoffTs) return;
    this.cutoffTs = cutoffTs;
    this.cache = new Map();
  }

  get(key: string): SeriesWindow | undefined {
    const cached = this.cache.get(key);
    if (cached !== undefined) return cached ?? undefined;
    const w = this.live.get(key)?.window;
    let closed: SeriesWindow | null = null;
    if (w) {
      let n = w.ts.length;
      while (n > 0 && w.ts[n - 1]! >= this.cutoffTs) n--;
      if (n > 0) closed = { bucketMs: w.bucketMs, ts: w.ts.slice(0, n), values: w.values.slice(0, n), max: w.max.slice(0, n) };
    }
    this.cache.set(key, closed);
    return closed ?? undefined;
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  get size(): number {
    let n = 0;
    for (const k of this.live.keys()) if (this.has(k)) n++;
    return n;
  }

  *entries(): MapIterator<[string, SeriesWindow]> {
    for (const k of this.live.keys()) {
      const w = this.get(k);
      if (w) yield [k, w];
    }
  }

  *keys(): MapIterator<string> {
    for (const [k] of this.entries()) yield k;
  }

  *values(): MapIterator<SeriesWindow> {
    for (const [, w] of this.entries()) yield w;
  }

  forEach(fn: (value: SeriesWindow, key: string, map: ReadonlyMap<string, SeriesWindow>) => void): void {
    for (const [k, w] of this.entries()) fn(w, k, this);
  }

  [Symbol.iterator](): MapIterator<[string, SeriesWindow]> {
    return this.entries();
  }
}
