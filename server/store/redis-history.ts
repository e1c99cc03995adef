/**
 * The long history in Redis (the HistoryStore of history-store.ts), on the store's client and prefix.
 *
 * Layout, per kind (`i` incidents, `a` alerts), all under `${prefix}:hist:<kind>:`:
 * - `r:<id>`               the record: `<revision>\t<endTs or ''>\t<index suffix>…\n<JSON>` — the
 *                          header lets one Lua script compare revisions and move the index entries
 *                          without decoding JSON; no TTL (retention is `prune`, from the `ends` zset)
 * - `a:<bucket>`           zset id → created time (alerts: first seen), one per time bucket (a day)
 * - `d:<district>:<bucket>` the same, per district (a district-scoped search reads only its own)
 * - `p:<rank>:<bucket>`    the same, per priority (alerts: worst level) rank 1…4 (the `priority` sort)
 * - `c:<bucket>`           zset id → closed time (alerts: cleared), bucketed by that time
 * - `b` / `cb`             zsets of the created / closed buckets that exist (bucket → bucket)
 * - `ends`                 zset id → finished time, finished records only: `prune` reads what expired
 *
 * Why this shape (measured in bench/history-memory.ts, numbers in the README "History (184 days)"):
 * - JSON strings beside sorted sets keep the ACL user's command set (GET SET MGET DEL ZADD ZREM
 *   ZRANGEBYSCORE EVAL — no new grant, no module such as RediSearch on Debian's Redis 7.0).
 * - Buckets of a day: the search walks buckets newest first (or oldest first), reads a bucket's ids
 *   with one ZRANGEBYSCORE (a day is hundreds to ~10k ids; 1, 2, 4 … 32 buckets per round trip)
 *   and orders them in the node, so no ZREVRANGEBYSCORE is needed (the ACL user has none), a
 *   cursor resumes exactly, and a 7-day search never touches the other 177 days.
 * - Per-district and per-priority buckets narrow the two commonest filters; every other filter
 *   (text, area, category, state…) is applied in the node on MGET pages with the same pure
 *   matcher as the memory store (scenes/history/history-match.ts). Lua filtering would put JSON
 *   decoding and point-in-polygon on Redis's one thread, blocking every other client.
 * - ≈ 2.15 KB per incident (1.69 KB record, 0.42 KB indexes): 100,000 incidents ≈ 205 MiB.
 * - A search examines at most `scanBudgetRecords` records per call, then answers `complete: false`
 *   with a cursor: an unselective text search over half a year is several calls, never one stall.
 */
import type { Redis } from 'ioredis';
import { ALERT_LEVEL_RANK, type Alert, type Incident } from '../../scenes/domain';
import {
  encodeCursor,
  type AlertHistoryQuery,
  type HistoryPage,
  type HistorySortKey,
  type IncidentHistoryQuery,
} from '../../scenes/history/history-query';
import {
  alertMatches,
  alertSortKey,
  compareSortKeys,
  incidentMatches,
  incidentSortKey,
  pageStartOf,
  PRIORITY_RANK,
} from '../../scenes/history/history-match';
import { alertEndTs, alertRevision, incidentEndTs, incidentRevision } from '../../scenes/history/history-record';
import { encodeStoredJson } from './redis-store';
import { defineScripts, RedisSideStore } from './redis-side-store';
import { DEFAULT_HISTORY_OPTIONS, scanPages, type HistoryStore, type HistoryStoreOptions } from './history-store';

/**
 * KEYS: record, ends zset, created-buckets zset, closed-buckets zset
 * ARGV: base, id, revision, json, endTs|'', createdBucket, closedBucket|'', n, then n × (suffix, score)
 * Returns 1 written, 0 a newer copy is stored.
 */
const LUA_UPSERT = `
local function split(s)
  local out = {}
  local from = 1
  while true do
    local tab = string.find(s, '\\t', from, true)
    if not tab then
      out[#out + 1] = string.sub(s, from)
      return out
    end
    out[#out + 1] = string.sub(s, from, tab - 1)
    from = tab + 1
  end
end
local old = redis.call('GET', KEYS[1])
if old then
  local nl = string.find(old, '\\n', 1, true)
  local fields = split(string.sub(old, 1, nl - 1))
  if fields[1] > ARGV[3] then return 0 end
  for i = 3, #fields do
    if fields[i] ~= '' then redis.call('ZREM', ARGV[1] .. fields[i], ARGV[2]) end
  end
end
local n = tonumber(ARGV[8])
local suffixes = {}
for i = 0, n - 1 do
  local suffix = ARGV[9 + 2 * i]
  redis.call('ZADD', ARGV[1] .. suffix, ARGV[10 + 2 * i], ARGV[2])
  suffixes[#suffixes + 1] = suffix
end
redis.call('SET', KEYS[1], ARGV[3] .. '\\t' .. ARGV[5] .. '\\t' .. table.concat(suffixes, '\\t') .. '\\n' .. ARGV[4])
if ARGV[5] == '' then redis.call('ZREM', KEYS[2], ARGV[2]) else redis.call('ZADD', KEYS[2], ARGV[5], ARGV[2]) end
redis.call('ZADD', KEYS[3], ARGV[6], ARGV[6])
if ARGV[7] ~= '' then redis.call('ZADD', KEYS[4], ARGV[7], ARGV[7]) end
return 1
`;

/**
 * KEYS: ends zset
 * ARGV: base, cutoff (records finished before it leave), then ids
 * A record re-opened since the ids were read (no end, or a later one) stays. Returns how many left.
 */
const LUA_PRUNE = `
local function split(s)
  local out = {}
  local from = 1
  while true do
    local tab = string.find(s, '\\t', from, true)
    if not tab then
      out[#out + 1] = string.sub(s, from)
      return out
    end
    out[#out + 1] = string.sub(s, from, tab - 1)
    from = tab + 1
  end
end
local removed = 0
for i = 3, #ARGV do
  local id = ARGV[i]
  local key = ARGV[1] .. 'r:' .. id
  local value = redis.call('GET', key)
  if not value then
    redis.call('ZREM', KEYS[1], id)
  else
    local nl = string.find(value, '\\n', 1, true)
    local fields = split(string.sub(value, 1, nl - 1))
    local ends = tonumber(fields[2])
    if ends and ends < tonumber(ARGV[2]) then
      for j = 3, #fields do
        if fields[j] ~= '' then redis.call('ZREM', ARGV[1] .. fields[j], id) end
      end
      redis.call('DEL', key)
      redis.call('ZREM', KEYS[1], id)
      removed = removed + 1
    end
  end
end
return removed
`;

interface HistoryScripts {
  iocHistoryUpsert(...args: string[]): Promise<number>;
  iocHistoryPrune(...args: string[]): Promise<number>;
}

/** Records per MGET while searching. */
const SEARCH_MGET_RECORDS = 250;
/** Most buckets whose ids one round trip reads while a search walks its range. */
const BUCKET_GROUP_MAX = 32;
/** Expired ids per prune script call (one short script, not one long stall). */
const PRUNE_BATCH_RECORDS = 500;

/** What the layout needs of a record of one kind. */
interface KindSpec<T, Q> {
  tag: 'i' | 'a';
  idOf(r: T): string;
  revisionOf(r: T): string;
  endOf(r: T): number | undefined;
  createdOf(r: T): number;
  closedOf(r: T): number | undefined;
  districtOf(r: T): string;
  rankOf(r: T): number;
  matches(r: T, q: Q): boolean;
  sortKeyOf(r: T, q: Q): HistorySortKey;
}

type SearchQuery = IncidentHistoryQuery | AlertHistoryQuery;

const INCIDENTS: KindSpec<Incident, IncidentHistoryQuery> = {
  tag: 'i',
  idOf: (i) => i.id,
  revisionOf: incidentRevision,
  endOf: incidentEndTs,
  createdOf: (i) => i.createdTs,
  closedOf: (i) => i.closedTs,
  districtOf: (i) => i.district,
  rankOf: (i) => PRIORITY_RANK[i.priority],
  matches: incidentMatches,
  sortKeyOf: incidentSortKey,
};

const ALERTS: KindSpec<Alert, AlertHistoryQuery> = {
  tag: 'a',
  idOf: (a) => a.id,
  revisionOf: alertRevision,
  endOf: alertEndTs,
  createdOf: (a) => a.firstTs,
  closedOf: (a) => a.clearedTs,
  districtOf: (a) => a.district,
  rankOf: (a) => ALERT_LEVEL_RANK[a.peakLevel],
  matches: alertMatches,
  sortKeyOf: alertSortKey,
};

const ALL_RANKS = [1, 2, 3, 4];

function ranksAsked(q: SearchQuery, tag: 'i' | 'a'): number[] {
  if (tag === 'i') {
    const p = (q as IncidentHistoryQuery).priorities;
    return p ? [...new Set(p.map((x) => PRIORITY_RANK[x]))].sort((x, y) => x - y) : ALL_RANKS;
  }
  const l = (q as AlertHistoryQuery).levels;
  return l ? [...new Set(l.map((x) => ALERT_LEVEL_RANK[x]))].sort((x, y) => x - y) : ALL_RANKS;
}

/**
 * A text search's needle for a cheap test on the stored JSON before it is parsed: every field the
 * text filter reads is in the JSON as written, unless JSON escapes the needle's characters (then
 * no pre-test). Necessary, not sufficient: a record that passes is still matched in full.
 */
function rawNeedleOf(text: string | undefined): string | null {
  if (text === undefined || /["\\\u0000-\u001f]/.test(text)) return null;
  return text.toLowerCase();
}

function recordOf<T>(value: string): T {
  return JSON.parse(value.slice(value.indexOf('\n') + 1)) as T;
}

export class RedisHistoryStore implements HistoryStore {
  private readonly side: RedisSideStore;
  private readonly scripts: HistoryScripts;
  private readonly options: HistoryStoreOptions;

  constructor(
    private readonly client: Redis,
    private readonly prefix: string,
    options: Partial<HistoryStoreOptions> = {},
  ) {
    this.side = new RedisSideStore(client, 'redis history store');
    this.options = { ...DEFAULT_HISTORY_OPTIONS, ...options };
    this.scripts = defineScripts<HistoryScripts>(client, {
      iocHistoryUpsert: { numberOfKeys: 4, lua: LUA_UPSERT },
      iocHistoryPrune: { numberOfKeys: 1, lua: LUA_PRUNE },
    });
  }

  private base(tag: 'i' | 'a'): string {
    return `${this.prefix}:hist:${tag}:`;
  }

  private bucketOf(ts: number): number {
    return Math.floor(ts / this.options.bucketMs);
  }

  upsertIncident(incident: Incident): Promise<void> {
    return this.side.call('upsertIncident', () => this.upsert(INCIDENTS, incident));
  }

  upsertAlert(alert: Alert): Promise<void> {
    return this.side.call('upsertAlert', () => this.upsert(ALERTS, alert));
  }

  private async upsert<T, Q>(spec: KindSpec<T, Q>, record: T): Promise<void> {
    const base = this.base(spec.tag);
    const id = spec.idOf(record);
    const created = spec.createdOf(record);
    const closed = spec.closedOf(record);
    const b = this.bucketOf(created);
    const entries: [string, number][] = [
      [`a:${b}`, created],
      [`d:${spec.districtOf(record)}:${b}`, created],
      [`p:${spec.rankOf(record)}:${b}`, created],
    ];
    if (closed !== undefined) entries.push([`c:${this.bucketOf(closed)}`, closed]);
    const end = spec.endOf(record);
    await this.scripts.iocHistoryUpsert(
      `${base}r:${id}`,
      `${base}ends`,
      `${base}b`,
      `${base}cb`,
      base,
      id,
      spec.revisionOf(record),
      encodeStoredJson(record),
      end === undefined ? '' : String(end),
      String(b),
      closed === undefined ? '' : String(this.bucketOf(closed)),
      String(entries.length),
      ...entries.flatMap(([suffix, score]) => [suffix, String(score)]),
    );
  }

  getIncident(id: string): Promise<Incident | null> {
    return this.side.call('getIncident', () => this.get<Incident>('i', id));
  }

  getAlert(id: string): Promise<Alert | null> {
    return this.side.call('getAlert', () => this.get<Alert>('a', id));
  }

  private async get<T>(tag: 'i' | 'a', id: string): Promise<T | null> {
    const value = await this.client.get(`${this.base(tag)}r:${id}`);
    return value === null ? null : recordOf<T>(value);
  }

  searchIncidents(q: IncidentHistoryQuery): Promise<HistoryPage<Incident>> {
    return this.side.call('searchIncidents', () => this.search(INCIDENTS, q));
  }

  searchAlerts(q: AlertHistoryQuery): Promise<HistoryPage<Alert>> {
    return this.side.call('searchAlerts', () => this.search(ALERTS, q));
  }

  scanIncidents(q: IncidentHistoryQuery): AsyncGenerator<Incident> {
    return scanPages((x) => this.searchIncidents(x), q);
  }

  scanAlerts(q: AlertHistoryQuery): AsyncGenerator<Alert> {
    return scanPages((x) => this.searchAlerts(x), q);
  }

  prune(nowTs: number): Promise<{ removed: number }> {
    return this.side.call('prune', async () => {
      let removed = 0;
      const cutoff = nowTs - this.options.retentionMs;
      for (const tag of ['i', 'a'] as const) {
        const base = this.base(tag);
        for (;;) {
          // strictly before the cutoff (isExpired): '(' excludes it
          const ids = await this.client.zrangebyscore(`${base}ends`, '-inf', `(${cutoff}`, 'LIMIT', 0, PRUNE_BATCH_RECORDS);
          if (ids.length === 0) break;
          removed += await this.scripts.iocHistoryPrune(`${base}ends`, base, String(cutoff), ...ids);
          if (ids.length < PRUNE_BATCH_RECORDS) break;
        }
      }
      return { removed };
    });
  }

  /**
   * Walks the buckets in the sort's order (for `priority`: rank by rank, each newest first), reads
   * the ids of a growing group of buckets per round trip from the narrowest index that fits,
   * orders each bucket's ids in the node, then reads the records in MGET pages and matches them,
   * until the page is full (plus one to know whether more follow) or the scan budget is spent.
   */
  private async search<T, Q extends SearchQuery>(spec: KindSpec<T, Q>, q: Q): Promise<HistoryPage<T>> {
    const base = this.base(spec.tag);
    const start = pageStartOf(q);
    let skip = start.skip;
    const byClosed = q.timeField === 'closed';
    const buckets = (
      await this.client.zrangebyscore(
        `${base}${byClosed ? 'cb' : 'b'}`,
        q.from === undefined ? '-inf' : String(this.bucketOf(q.from)),
        q.to === undefined ? '+inf' : String(this.bucketOf(q.to)),
      )
    ).map(Number);
    const ascending = q.sort === 'time_asc';
    buckets.sort((x, y) => (ascending ? x - y : y - x));
    // a district-scoped search reads its districts' indexes only
    const districts = q.districts && q.districts.length > 0 ? q.districts : null;
    const keysOf = (rank: number, bucket: number): string[] => {
      if (byClosed) return [`${base}c:${bucket}`];
      if (rank > 0) return [`${base}p:${rank}:${bucket}`];
      if (districts) return districts.map((d) => `${base}d:${d}:${bucket}`);
      return [`${base}a:${bucket}`];
    };
    const ranks = q.sort === 'priority' ? ranksAsked(q, spec.tag) : [0];
    const needle = rawNeedleOf(q.text);
    const found: { key: HistorySortKey; record: T }[] = [];
    let scanned = 0;
    let lastExamined: HistorySortKey | null = null;

    /** Examines one page of entries; a page answer when the search is done, else null. */
    const examine = async (chunk: HistorySortKey[]): Promise<HistoryPage<T> | null> => {
      if (scanned >= this.options.scanBudgetRecords) {
        // out of budget with records left to examine: the caller goes on from the last one examined
        return { records: found.map((f) => f.record), ...(lastExamined ? { nextCursor: encodeCursor(lastExamined) } : {}), complete: false, scanned };
      }
      const values = await this.client.mget(chunk.map((k) => `${base}r:${k[2]}`));
      for (let j = 0; j < chunk.length; j++) {
        const value = values[j];
        const key = chunk[j]!;
        scanned++;
        lastExamined = key;
        if (value === null || value === undefined) continue;
        if (needle !== null && !value.toLowerCase().includes(needle)) continue;
        const record = recordOf<T>(value);
        if (!spec.matches(record, q)) continue;
        // a priority search by closed time reads the closed buckets once per rank
        if (byClosed && key[0] > 0 && spec.rankOf(record) !== key[0]) continue;
        if (skip > 0) {
          skip--;
          continue;
        }
        found.push({ key, record });
        if (found.length > q.limit) {
          const page = found.slice(0, q.limit);
          return { records: page.map((f) => f.record), nextCursor: encodeCursor(page[page.length - 1]!.key), complete: true, scanned };
        }
      }
      return null;
    };

    let pending: HistorySortKey[] = [];
    for await (const ordered of this.orderedEntries(ranks, buckets, keysOf, q, start.after)) {
      for (const key of ordered) {
        pending.push(key);
        // a page never reads past the scan budget
        if (pending.length < Math.max(1, Math.min(SEARCH_MGET_RECORDS, this.options.scanBudgetRecords - scanned))) continue;
        const done = await examine(pending);
        if (done) return done;
        pending = [];
      }
    }
    if (pending.length > 0) {
      const done = await examine(pending);
      if (done) return done;
    }
    return { records: found.map((f) => f.record), complete: true, scanned };
  }

  /**
   * Each bucket's entries after the cursor, in the sort's order, bucket after bucket. Buckets are
   * read in groups of 1, 2, 4 … BUCKET_GROUP_MAX per round trip: a "newest 50" search reads one
   * bucket, a sparse one over half a year a few dozen round trips instead of 184.
   */
  private async *orderedEntries(
    ranks: number[],
    buckets: number[],
    keysOf: (rank: number, bucket: number) => string[],
    q: SearchQuery,
    after: HistorySortKey | null,
  ): AsyncGenerator<HistorySortKey[]> {
    for (const rank of ranks) {
      if (after && rank < after[0]) continue;
      let group = 1;
      for (let i = 0; i < buckets.length; i += group, group = Math.min(group * 2, BUCKET_GROUP_MAX)) {
        const perBucket = await this.bucketEntries(
          buckets.slice(i, i + group).map((b) => keysOf(rank, b)),
          rank,
          q,
        );
        for (const entries of perBucket) {
          const ordered = entries
            .filter((k) => after === null || compareSortKeys(q.sort, k, after) > 0)
            .sort((x, y) => compareSortKeys(q.sort, x, y));
          if (ordered.length > 0) yield ordered;
        }
      }
    }
  }

  /** Per bucket (its index keys), its [rank, time, id] entries within the query's time range; one round trip. */
  private async bucketEntries(keysPerBucket: string[][], rank: number, q: SearchQuery): Promise<HistorySortKey[][]> {
    const min = q.from === undefined ? '-inf' : String(q.from);
    const max = q.to === undefined ? '+inf' : String(q.to);
    const pipeline = this.client.pipeline();
    for (const keys of keysPerBucket) for (const key of keys) pipeline.zrangebyscore(key, min, max, 'WITHSCORES');
    const replies = (await pipeline.exec()) ?? [];
    let reply = 0;
    return keysPerBucket.map((keys) => {
      const entries: HistorySortKey[] = [];
      for (let k = 0; k < keys.length; k++) {
        const [err, flat] = replies[reply++]!;
        if (err) throw err;
        const list = flat as string[];
        for (let i = 0; i < list.length; i += 2) entries.push([rank, Number(list[i + 1]), list[i]!]);
      }
      return entries;
    });
  }
}
