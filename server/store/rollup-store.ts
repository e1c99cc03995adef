/**
 * Readings roll-ups (issue 16) in the store, beside the main Store like the plan store: 1-minute
 * and 1-hour `{min, max, sum, count}` per device and metric, two implementations with one
 * contract (server/test/store-rollups-contract.test.ts).
 *
 * Invariants both keep:
 * - `mergeRollups` merges (scenes/rollups/rollup-aggregate.ts `mergeAggregates`), never overwrites:
 *   several nodes may flush the same bucket, each for the readings it ingested.
 * - A flush is applied once: a retried `flushId` (a lost answer, a timeout after the write) is
 *   answered `duplicate` and changes nothing, for `flushIdTtlMs` after it was applied.
 * - Bounded: a minute bucket lives `minuteRetentionMs` after its start, an hour bucket
 *   `hourRetentionMs`; older entries of a flush are not written, older buckets are pruned
 *   (memory) or expire (Redis).
 */
import type { Store } from './store';
import type { RedisStore } from './redis-store';
import {
  RESOLUTION_BUCKET_MS,
  mergeInto,
  type RollupAggregate,
  type RollupBucket,
  type RollupResolution,
} from '../../scenes/rollups/rollup-aggregate';
import { RedisRollupStore } from './redis-rollups';

/** One bucket's partial aggregate from one node's flush. */
export interface RollupEntry {
  deviceId: string;
  metric: string;
  resolution: RollupResolution;
  /** bucket start, epoch ms, aligned to the resolution */
  bucketTs: number;
  aggregate: RollupAggregate;
}

/** What one node accumulated since its last flush, under an id kept through every retry. */
export interface RollupFlush {
  flushId: string;
  entries: readonly RollupEntry[];
}

export interface RollupStoreOptions {
  /** a minute bucket is kept this long after its start, ms */
  minuteRetentionMs: number;
  /** an hour bucket is kept this long after its start, ms */
  hourRetentionMs: number;
  /** an applied flush id is remembered this long (retries within it are duplicates), ms */
  flushIdTtlMs: number;
}

const DAY_MS = 24 * 3_600_000;

export const DEFAULT_ROLLUP_STORE_OPTIONS: RollupStoreOptions = {
  minuteRetentionMs: 7 * DAY_MS,
  hourRetentionMs: 184 * DAY_MS,
  flushIdTtlMs: 3_600_000,
};

export type RollupMergeOutcome = { status: 'applied' } | { status: 'duplicate' };

export interface RollupStore {
  /** Merges a flush's partial aggregates into the stored buckets, once per flushId (see the module comment). */
  mergeRollups(flush: RollupFlush): Promise<RollupMergeOutcome>;
  /** Stored buckets of one device metric with `fromTs <= ts < toTs` (epoch ms), oldest first. */
  readRollups(deviceId: string, metric: string, resolution: RollupResolution, fromTs: number, toTs: number): Promise<RollupBucket[]>;
}

/** The retention of `resolution`, ms. */
export function retentionOf(options: RollupStoreOptions, resolution: RollupResolution): number {
  return resolution === 'minute' ? options.minuteRetentionMs : options.hourRetentionMs;
}

/** How often the memory store walks its series for expired buckets, ms. */
const MEMORY_SWEEP_INTERVAL_MS = 60_000;
/** Buckets per memory block: an hour of minutes, a day of hours. */
const MEMORY_BLOCK_BUCKETS: Readonly<Record<RollupResolution, number>> = { minute: 60, hour: 24 };
/** Doubles per bucket in a block: min, max, sum, count (count 0 = no bucket). */
const SLOT = 4;

/**
 * In this process: per series, blocks of `Float64Array` (4 doubles per bucket, ≈ 2 KB per
 * device-metric-hour of minutes) instead of an object per bucket — about a third of the memory.
 */
export class MemoryRollupStore implements RollupStore {
  /** `${resolution}|${metric}|${deviceId}` → block start → packed buckets */
  private readonly series = new Map<string, Map<number, Float64Array>>();
  /** flush id → expiry, epoch ms */
  private readonly flushes = new Map<string, number>();
  private readonly options: RollupStoreOptions;
  private lastSweepTs = 0;

  constructor(
    options: Partial<RollupStoreOptions> = {},
    private readonly now: () => number = Date.now,
  ) {
    this.options = { ...DEFAULT_ROLLUP_STORE_OPTIONS, ...options };
  }

  async mergeRollups(flush: RollupFlush): Promise<RollupMergeOutcome> {
    const now = this.now();
    this.sweep(now);
    const seen = this.flushes.get(flush.flushId);
    if (seen !== undefined && seen > now) return { status: 'duplicate' };
    for (const e of flush.entries) {
      if (e.bucketTs + retentionOf(this.options, e.resolution) <= now) continue;
      const key = `${e.resolution}|${e.metric}|${e.deviceId}`;
      let blocks = this.series.get(key);
      if (!blocks) {
        blocks = new Map();
        this.series.set(key, blocks);
      }
      const bucketMs = RESOLUTION_BUCKET_MS[e.resolution];
      const blockMs = bucketMs * MEMORY_BLOCK_BUCKETS[e.resolution];
      const blockTs = Math.floor(e.bucketTs / blockMs) * blockMs;
      let block = blocks.get(blockTs);
      if (!block) {
        block = new Float64Array(MEMORY_BLOCK_BUCKETS[e.resolution] * SLOT);
        blocks.set(blockTs, block);
      }
      const at = ((e.bucketTs - blockTs) / bucketMs) * SLOT;
      const a = e.aggregate;
      if (block[at + 3] === 0) {
        block[at] = a.min;
        block[at + 1] = a.max;
        block[at + 2] = a.sum;
        block[at + 3] = a.count;
      } else {
        const merged: RollupAggregate = { min: block[at]!, max: block[at + 1]!, sum: block[at + 2]!, count: block[at + 3]! };
        mergeInto(merged, a);
        block.set([merged.min, merged.max, merged.sum, merged.count], at);
      }
    }
    this.flushes.set(flush.flushId, now + this.options.flushIdTtlMs);
    return { status: 'applied' };
  }

  async readRollups(deviceId: string, metric: string, resolution: RollupResolution, fromTs: number, toTs: number): Promise<RollupBucket[]> {
    const now = this.now();
    this.sweep(now);
    const oldest = now - retentionOf(this.options, resolution);
    const blocks = this.series.get(`${resolution}|${metric}|${deviceId}`);
    if (!blocks) return [];
    const bucketMs = RESOLUTION_BUCKET_MS[resolution];
    const out: RollupBucket[] = [];
    for (const [blockTs, block] of blocks) {
      for (let at = 0; at < block.length; at += SLOT) {
        const ts = blockTs + (at / SLOT) * bucketMs;
        if (block[at + 3] === 0 || ts < fromTs || ts >= toTs || ts <= oldest) continue;
        out.push({ ts, aggregate: { min: block[at]!, max: block[at + 1]!, sum: block[at + 2]!, count: block[at + 3]! } });
      }
    }
    return out.sort((a, b) => a.ts - b.ts);
  }

  /** Blocks whose last bucket is past retention, and flush ids past their TTL, leave (bounded like Redis' expiry), at most once per interval. */
  private sweep(now: number): void {
    if (now - this.lastSweepTs < MEMORY_SWEEP_INTERVAL_MS) return;
    this.lastSweepTs = now;
    for (const [key, blocks] of this.series) {
      const resolution: RollupResolution = key.startsWith('minute|') ? 'minute' : 'hour';
      const blockMs = RESOLUTION_BUCKET_MS[resolution] * MEMORY_BLOCK_BUCKETS[resolution];
      const retention = retentionOf(this.options, resolution);
      for (const blockTs of blocks.keys()) if (blockTs + blockMs + retention <= now) blocks.delete(blockTs);
      if (blocks.size === 0) this.series.delete(key);
    }
    for (const [id, expiresTs] of this.flushes) if (expiresTs <= now) this.flushes.delete(id);
  }
}

/** One memory roll-up store per MemoryStore: a test that restarts a server on the same store keeps its roll-ups. */
const memoryRollupStores = new WeakMap<Store, MemoryRollupStore>();

/** The roll-up store beside `store`: Redis keys under its prefix, or memory living as long as it does. */
export function rollupStoreFor(store: Store, options: Partial<RollupStoreOptions> = {}, now: () => number = Date.now): RollupStore {
  if (store.kind === 'redis') {
    const redis = store as RedisStore;
    return new RedisRollupStore(redis.redisClient, redis.keyPrefix, options, now);
  }
  let memory = memoryRollupStores.get(store);
  if (!memory) {
    memory = new MemoryRollupStore(options, now);
    memoryRollupStores.set(store, memory);
  }
  return memory;
}
