/**
 * Token buckets by key (per device, per source address), synchronous and O(1) per call: the ingest
 * hot path asks once per reading, so no promise or timer per bucket.
 *
 * A bucket refilled to its capacity is the same as no bucket, so idle buckets are dropped when the
 * map grows past `sweepAboveKeys` (at most once per `sweepIntervalMs`): memory is bounded by the
 * keys active within one refill period, whatever the number of keys ever seen.
 */
export interface TokenBucketLimits {
  /** tokens added per second */
  ratePerS: number;
  /** tokens a full bucket holds */
  capacity: number;
}

interface Bucket {
  tokens: number;
  /** ms of the last refill */
  ts: number;
  limits: TokenBucketLimits;
}

export interface TokenBucketsOptions {
  /** sweep idle buckets when more keys than this are held */
  sweepAboveKeys: number;
  /** …and not more often than this, ms */
  sweepIntervalMs: number;
  now?: () => number;
}

export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();
  private readonly now: () => number;
  private lastSweepTs = 0;

  constructor(private readonly opts: TokenBucketsOptions) {
    this.now = opts.now ?? Date.now;
  }

  /** Takes up to `wanted` tokens from `key`'s bucket; returns how many it got (0..wanted). */
  take(key: string, wanted: number, limits: TokenBucketLimits, nowTs = this.now()): number {
    const b = this.refill(key, limits, nowTs);
    const got = Math.max(0, Math.min(wanted, Math.floor(b.tokens)));
    b.tokens -= got;
    return got;
  }

  /** True when `key` has at least one whole token (nothing is taken). */
  has(key: string, limits: TokenBucketLimits, nowTs = this.now()): boolean {
    const b = this.buckets.get(key);
    if (!b) return limits.capacity >= 1;
    return Math.min(limits.capacity, b.tokens + ((nowTs - b.ts) * limits.ratePerS) / 1000) >= 1;
  }

  /** Keys currently held (tests, metrics). */
  get size(): number {
    return this.buckets.size;
  }

  private refill(key: string, limits: TokenBucketLimits, nowTs: number): Bucket {
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size >= this.opts.sweepAboveKeys) this.sweep(nowTs);
      b = { tokens: limits.capacity, ts: nowTs, limits };
      this.buckets.set(key, b);
      return b;
    }
    if (nowTs > b.ts) {
      b.tokens = Math.min(limits.capacity, b.tokens + ((nowTs - b.ts) * limits.ratePerS) / 1000);
      b.ts = nowTs;
    }
    return b;
  }

  private sweep(nowTs: number): void {
    if (nowTs - this.lastSweepTs < this.opts.sweepIntervalMs) return;
    this.lastSweepTs = nowTs;
    for (const [key, b] of this.buckets) {
      if (b.tokens + ((nowTs - b.ts) * b.limits.ratePerS) / 1000 >= b.limits.capacity) this.buckets.delete(key);
    }
  }
}
