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
 * chunk's marker, then per hash one HMGET of the chunk's fields (HGET for one), merge
 * (min/max/sum/count) where a bucket exists, one HSET of all the fields, PEXPIRE; SET the marker —
 * atomic and exact, and a retried chunk changes nothing. The buckets travel packed, one binary
 * argument per hash (`encodeHashBuckets`): two commands per hash instead of two per bucket, and no
 * number printed in Node or parsed in Lua (the demo's past, 1.2 M buckets, took 10 s to write
 * with six arguments per bucket; 2–3 s so). Only commands the app's ACL user already has
 * (server/backup/redis-acl.ts `store`): GET SET HGET HMGET HSET HGETALL PEXPIRE.
 */
import type { Redis } from 'ioredis';
import { defineScripts, RedisSideStore } from './redis-side-store';
import {
  HOUR_MS,
  mergeAggregates,
  RESOLUTION_BUCKET_MS,
  ROLLUP_RESOLUTIONS,
  type RollupAggregate,
  type RollupBucket,
  type RollupResolution,
} from '../../scenes/rollups/rollup-aggregate';
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

/** Bytes of one packed bucket in a script argument: the field (u16 LE), then the aggregate. */
const PACKED_BUCKET_BYTES = 2 + PACKED_AGGREGATE_BYTES;
/** Most buckets one hash may span: the script passes a hash's fields to HMGET and HSET through Lua's unpack (≈ 8,000 values at most). */
const MAX_BUCKETS_PER_SPAN = 2_048;

/**
 * KEYS: chunk marker, then the hashes
 * ARGV: marker ttl ms, then per hash: its PEXPIRE ms and its buckets, packed (`encodeHashBuckets`;
 * a field appears at most once per hash)
 */
const LUA_MERGE_ROLLUPS = `
if redis.call('GET', KEYS[1]) then return 0 end
local byte, sub, pack, unpackStruct = string.byte, string.sub, struct.pack, struct.unpack
local names = {}
local function fieldAt(packed, p)
  local lo, hi = byte(packed, p, p + 1)
  local f = lo + 256 * hi
  local name = names[f]
  if not name then
    name = tostring(f)
    names[f] = name
  end
  return name
end
-- a stored bucket and a flushed one combined (min, max, sum, count); a malformed stored one is replaced
local function merged(cur, value)
  if #cur ~= ${PACKED_AGGREGATE_BYTES} then return value end
  local a, b, c, d = unpackStruct('<dddd', cur)
  local mn, mx, sm, ct = unpackStruct('<dddd', value)
  if a < mn then mn = a end
  if b > mx then mx = b end
  return pack('<dddd', mn, mx, c + sm, d + ct)
end
for h = 1, #KEYS - 1 do
  local key = KEYS[h + 1]
  local packed = ARGV[2 * h + 1]
  if #packed == ${PACKED_BUCKET_BYTES} then
    -- one bucket of the hash (a live flush): no tables
    local field = fieldAt(packed, 1)
    local value = sub(packed, 3, ${PACKED_BUCKET_BYTES})
    local cur = redis.call('HGET', key, field)
    if cur then value = merged(cur, value) end
    redis.call('HSET', key, field, value)
  else
    local fields, args, n = {}, {}, 0
    for p = 1, #packed, ${PACKED_BUCKET_BYTES} do
      n = n + 1
      fields[n] = fieldAt(packed, p)
      args[2 * n - 1] = fields[n]
      args[2 * n] = sub(packed, p + 2, p + ${PACKED_BUCKET_BYTES - 1})
    end
    local current = redis.call('HMGET', key, unpack(fields))
    for k = 1, n do
      local cur = current[k]
      if cur then args[2 * k] = merged(cur, args[2 * k]) end
    end
    redis.call('HSET', key, unpack(args))
  end
  redis.call('PEXPIRE', key, ARGV[2 * h])
end
redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
return 1
`;

/** One hash's part of a chunk: its PEXPIRE and its buckets by field (bucket index within the span). */
interface HashBuckets {
  ttlMs: number;
  byField: Map<number, RollupAggregate>;
}

/** `byField` as one script argument: per bucket the field (u16 LE) and min, max, sum, count (LE doubles, exact). */
function encodeHashBuckets(byField: ReadonlyMap<number, RollupAggregate>): Buffer {
  const out = Buffer.allocUnsafe(byField.size * PACKED_BUCKET_BYTES);
  let at = 0;
  for (const [field, a] of byField) {
    out.writeUInt16LE(field, at);
    out.writeDoubleLE(a.min, at + 2);
    out.writeDoubleLE(a.max, at + 10);
    out.writeDoubleLE(a.sum, at + 18);
    out.writeDoubleLE(a.count, at + 26);
    at += PACKED_BUCKET_BYTES;
  }
  return out;
}

interface RollupScripts {
  iocMergeRollups(numberOfKeys: number, ...args: (string | Buffer)[]): Promise<number>;
}

export interface RedisRollupLayout {
  /** span of one hash per resolution, ms (a multiple of the bucket; ≤ 128 buckets keeps the listpack; at most MAX_BUCKETS_PER_SPAN) */
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
    for (const resolution of ROLLUP_RESOLUTIONS) {
      if (this.layout.keySpanMs[resolution] / RESOLUTION_BUCKET_MS[resolution] > MAX_BUCKETS_PER_SPAN)
        throw new Error(`redis roll-up store: a ${resolution} hash may span at most ${MAX_BUCKETS_PER_SPAN} buckets`);
    }
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
      // sent together (one connection: Redis runs them in order), each atomic and idempotent by its own marker: a retry applies only the missing ones
      const applied = await Promise.all(chunks.map((chunk, k) => this.mergeChunk(`${flush.flushId}:${k}`, chunk, now)));
      return applied.some((n) => n > 0) ? { status: 'applied' } : { status: 'duplicate' };
    });
  }

  private async mergeChunk(chunkId: string, entries: readonly RollupEntry[], now: number): Promise<number> {
    const hashes = new Map<string, HashBuckets>();
    // a flush usually lists a series' buckets side by side (the demo past: hundreds): the previous entry's hash is then this one's
    let previous: { entry: RollupEntry; span: number; hash: HashBuckets } | null = null;
    for (const e of entries) {
      const spanMs = this.layout.keySpanMs[e.resolution];
      const span = Math.floor(e.bucketTs / spanMs);
      let hash: HashBuckets | undefined;
      if (
        previous !== null &&
        previous.span === span &&
        previous.entry.deviceId === e.deviceId &&
        previous.entry.metric === e.metric &&
        previous.entry.resolution === e.resolution
      ) {
        hash = previous.hash;
      } else {
        const key = this.hashKey(e.resolution, e.metric, span, e.deviceId);
        hash = hashes.get(key);
        if (!hash) {
          // the hash lives until its last bucket is past retention
          hash = { ttlMs: Math.max(1, (span + 1) * spanMs + retentionOf(this.options, e.resolution) - now), byField: new Map() };
          hashes.set(key, hash);
        }
        previous = { entry: e, span, hash };
      }
      const field = (e.bucketTs - span * spanMs) / RESOLUTION_BUCKET_MS[e.resolution];
      // one field once per hash: the script reads all of a hash's fields before it writes them
      const seen = hash.byField.get(field);
      hash.byField.set(field, seen ? mergeAggregates(seen, e.aggregate) : e.aggregate);
    }
    const keys = [this.key(`rollup-flush:${chunkId}`)];
    const args: (string | Buffer)[] = [String(this.options.flushIdTtlMs)];
    for (const [key, hash] of hashes) {
      keys.push(key);
      args.push(String(hash.ttlMs), encodeHashBuckets(hash.byField));
    }
    return this.scripts.iocMergeRollups(keys.length, ...keys, ...args);
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
