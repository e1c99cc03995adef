/**
 * Readings roll-ups in Redis (the RollupStore of rollup-store.ts), on the store's client and prefix.
 *
 * Keys, all under `${prefix}:` (deviceId last: ids may contain ':', metric names may not):
 * - `rollup:m:<metric>:<span>:<deviceId>`  hash, one per device-metric-hour: field = minute of the
 *   hour, value = 32 bytes `<dddd` (min, max, sum, count as little-endian doubles: exact, fixed
 *   size, so the 60-field hash stays a compact listpack); PEXPIRE span end + minute retention
 * - `rollup:h:<metric>:<span>:<deviceId>`  the same for hours, one hash per device-metric-4-days
 *   (96 fields)
 * - `rollup-flush:<flushId>[:<chunk>]`     "1", PX `flushIdTtlMs`: the chunk was applied
 *
 * `<span>` = bucket start div span length. A hash outlives its oldest bucket by at most one span;
 * reads filter by retention. Spans are chosen below Redis' default `hash-max-listpack-entries`
 * (128): see README "Readings history (roll-ups)" for the measured bytes per device-metric-day.
 *
 * A flush is merged by one Lua script per chunk of `maxEntriesPerScript` entries: check the
 * chunk's marker, then for every entry HGET + merge (min/max/sum/count) + HSET, PEXPIRE the
 * hashes, SET the marker — atomic and exact, and a retried chunk changes nothing. Only commands the
 * app's ACL user already has (server/backup/redis-acl.ts `store`): GET SET HGET HSET HGETALL PEXPIRE.
 */
import type { Redis } from 'ioredis';
import { defineScripts, RedisSideStore } from './redis-side-store';
import { HOUR_MS, RESOLUTION_BUCKET_MS, type RollupBucket, type RollupResolution } from '../../scenes/rollups/rollup-aggregate';
import {
  DEFAULT_ROLLUP_STORE_OPTIONS,
  retentionOf,
  type RollupEntry,
  type RollupFlush,
  type RollupMergeOutcome,
  type RollupStore,
  type RollupStoreOptions,
} from './rollup-store';

/** Length of the time span one hash holds, per resolution, ms (60 minutes; 96 hours). */
export const DEFAULT_ROLLUP_KEY_SPAN_MS: Readonly<Record<RollupResolution, number>> = { minute: HOUR_MS, hour: 96 * HOUR_MS };
/** Entries merged per Lua call: a flush of 40,000 device-metrics is many short scripts, not one long stall. */
export const DEFAULT_MAX_ENTRIES_PER_SCRIPT = 2_000;
/** Bytes of one stored aggregate (4 little-endian doubles). */
const PACKED_AGGREGATE_BYTES = 32;

/**
 * KEYS: chunk marker, then the hashes
 * ARGV: marker ttl ms, one PEXPIRE ms per hash, then per entry: hash index (1-based), field, min, max, sum, count
 */
const LUA_MERGE_ROLLUPS = `
if redis.call('GET', KEYS[1]) then return 0 end
local n = #KEYS - 1
local i = n + 2
while i <= #ARGV do
  local key = KEYS[tonumber(ARGV[i]) + 1]
  local field = ARGV[i + 1]
  local mn, mx, sm, ct = tonumber(ARGV[i + 2]), tonumber(ARGV[i + 3]), tonumber(ARGV[i + 4]), tonumber(ARGV[i + 5])
  local cur = redis.call('HGET', key, field)
  if cur and #cur == ${PACKED_AGGREGATE_BYTES} then
    local a, b, c, d = struct.unpack('<dddd', cur)
    if a < mn then mn = a end
    if b > mx then mx = b end
    sm = c + sm
    ct = d + ct
  end
  redis.call('HSET', key, field, struct.pack('<dddd', mn, mx, sm, ct))
  i = i + 6
end
for k = 1, n do redis.call('PEXPIRE', KEYS[k + 1], ARGV[k + 1]) end
redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
return 1
`;

/** A double as a script argument that Lua's tonumber reads back exactly (String(-0) would be "0"). */
function numberArg(x: number): string {
  return Object.is(x, -0) ? '-0' : String(x);
}

interface RollupScripts {
  iocMergeRollups(numberOfKeys: number, ...args: string[]): Promise<number>;
}

export interface RedisRollupLayout {
  /** span of one hash per resolution, ms (a multiple of the bucket; ≤ 128 buckets keeps the listpack) */
  keySpanMs: Readonly<Record<RollupResolution, number>>;
  maxEntriesPerScript: number;
}

export class RedisRollupStore implements RollupStore {
  private readonly side: RedisSideStore;
  private readonly scripts: RollupScripts;
  private readonly options: RollupStoreOptions;
  private readonly layout: RedisRollupLayout;

  constructor(
    private readonly client: Redis,
    private readonly prefix: string,
    options: Partial<RollupStoreOptions> = {},
    private readonly now: () => number = Date.now,
    layout: Partial<RedisRollupLayout> = {},
  ) {
    this.side = new RedisSideStore(client, 'redis roll-up store');
    this.options = { ...DEFAULT_ROLLUP_STORE_OPTIONS, ...options };
    this.layout = { keySpanMs: DEFAULT_ROLLUP_KEY_SPAN_MS, maxEntriesPerScript: DEFAULT_MAX_ENTRIES_PER_SCRIPT, ...layout };
    this.scripts = defineScripts<RollupScripts>(client, {
      // numberOfKeys varies per call: given as the first argument
      iocMergeRollups: { lua: LUA_MERGE_ROLLUPS },
    });
  }

  private hashKey(resolution: RollupResolution, metric: string, span: number, deviceId: string): string {
    return `${this.prefix}:rollup:${resolution === 'minute' ? 'm' : 'h'}:${metric}:${span}:${deviceId}`;
  }

  mergeRollups(flush: RollupFlush): Promise<RollupMergeOutcome> {
    return this.side.call('mergeRollups', async () => {
      const now = this.now();
      // chunked before filtering: a retry later (an entry past retention by then) keeps the chunk boundaries
      const chunks: RollupEntry[][] = [];
      for (let i = 0; i < flush.entries.length; i += this.layout.maxEntriesPerScript) {
        chunks.push(
          flush.entries.slice(i, i + this.layout.maxEntriesPerScript).filter((e) => e.bucketTs + retentionOf(this.options, e.resolution) > now),
        );
      }
      if (chunks.length === 0) chunks.push([]);
      let applied = 0;
      // chunks in order, each atomic and idempotent by its own marker: a retry applies only the missing ones
      for (let k = 0; k < chunks.length; k++) applied += await this.mergeChunk(`${flush.flushId}:${k}`, chunks[k]!, now);
      return applied > 0 ? { status: 'applied' } : { status: 'duplicate' };
    });
  }

  private async mergeChunk(chunkId: string, entries: readonly RollupEntry[], now: number): Promise<number> {
    const keys = [this.key(`rollup-flush:${chunkId}`)];
    const ttls: string[] = [];
    const indexOf = new Map<string, number>();
    const body: string[] = [];
    for (const e of entries) {
      const bucketMs = RESOLUTION_BUCKET_MS[e.resolution];
      const spanMs = this.layout.keySpanMs[e.resolution];
      const span = Math.floor(e.bucketTs / spanMs);
      const key = this.hashKey(e.resolution, e.metric, span, e.deviceId);
      let index = indexOf.get(key);
      if (index === undefined) {
        keys.push(key);
        index = keys.length - 1;
        indexOf.set(key, index);
        // the hash lives until its last bucket is past retention
        ttls.push(String(Math.max(1, (span + 1) * spanMs + retentionOf(this.options, e.resolution) - now)));
      }
      const a = e.aggregate;
      body.push(
        String(index),
        String((e.bucketTs - span * spanMs) / bucketMs),
        numberArg(a.min),
        numberArg(a.max),
        numberArg(a.sum),
        String(a.count),
      );
    }
    return this.scripts.iocMergeRollups(keys.length, ...keys, String(this.options.flushIdTtlMs), ...ttls, ...body);
  }

  readRollups(deviceId: string, metric: string, resolution: RollupResolution, fromTs: number, toTs: number): Promise<RollupBucket[]> {
    return this.side.call('readRollups', async () => {
      const oldest = this.now() - retentionOf(this.options, resolution);
      const bucketMs = RESOLUTION_BUCKET_MS[resolution];
      const spanMs = this.layout.keySpanMs[resolution];
      const from = Math.max(fromTs, oldest + 1);
      if (from >= toTs) return [];
      const pipeline = this.client.pipeline();
      const spans: number[] = [];
      for (let span = Math.floor(from / spanMs); span * spanMs < toTs; span++) {
        spans.push(span);
        pipeline.hgetallBuffer(this.hashKey(resolution, metric, span, deviceId));
      }
      const replies = (await pipeline.exec()) ?? [];
      const out: RollupBucket[] = [];
      replies.forEach(([err, hash], k) => {
        if (err) throw err;
        for (const [field, packed] of Object.entries(hash as Record<string, Buffer>)) {
          const ts = spans[k]! * spanMs + Number(field) * bucketMs;
          if (ts < from || ts >= toTs || packed.length !== PACKED_AGGREGATE_BYTES) continue;
          out.push({
            ts,
            aggregate: { min: packed.readDoubleLE(0), max: packed.readDoubleLE(8), sum: packed.readDoubleLE(16), count: packed.readDoubleLE(24) },
          });
        }
      });
      return out.sort((a, b) => a.ts - b.ts);
    });
  }

  private key(suffix: string): string {
    return `${this.prefix}:${suffix}`;
  }
}
