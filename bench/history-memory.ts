/**
 * The long history's cost (issue 16): Redis memory per archived incident and the time of typical
 * searches at 100,000 incidents (not run by `npm test`).
 *
 *   npx tsx bench/history-memory.ts [--incidents 100000] [--rounds 20]
 *
 * Starts its own throwaway redis-server (tests/helpers) and writes through the RedisHistoryStore
 * only: incidents spread evenly over 184 days, 13 districts, all priorities and scenes, 80 % closed
 * after a six-step lifecycle with notes (as bench/redis-memory.ts prices the working set). Then:
 * - `used_memory` before and after, per incident; `MEMORY USAGE` summed over the record keys and
 *   over the index keys (sorted sets) separately;
 * - each search `--rounds` times (p50 / p99 / max ms, records examined), and an unselective text
 *   search followed through every `complete: false` page to the end (total time, calls).
 * Prints a Markdown table (the README's "History (184 days)" quotes it).
 */
import { pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { DISTRICT_CODES, type Incident, type IncidentTransition } from '../scenes/domain';
import { archivedIncident, incidentQuery } from '../scenes/history/history-fixtures';
import type { IncidentHistoryQuery } from '../scenes/history/history-query';
import { RedisStore } from '../server/store/redis-store';
import { historyStoreFor, type HistoryStore } from '../server/store/history-store';
import { startRedisServer } from '../tests/helpers/redis-server';

const DAY_MS = 24 * 3600_000;
const MINUTE_MS = 60_000;
const RETENTION_DAYS = 184;
/** upserts in flight at once */
const CONCURRENCY = 64;
/** keys per MEMORY USAGE pipeline */
const SCAN_CHUNK = 1_000;

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

const prefix = 'histbench';

/** Stable pseudo-random in [0, 1) so runs compare. */
function rand(seed: number): number {
  const x = Math.sin(seed * 12.9898) * 43_758.5453;
  return x - Math.floor(x);
}

const PLACES = ['香港中路', '李村河', '崂山路', '长江路', '重庆南路', '黑龙江路', '辽阳西路', '滨海大道', '胶州湾隧道', '正阳路'];
const KINDS = [
  { scene: 'water', category: 'waterlogging', title: '道路积水' },
  { scene: 'emergency', category: 'gas-leak', title: '燃气泄漏' },
  { scene: 'bridge', category: 'bridge-overload', title: '桥梁超载' },
  { scene: 'community', category: 'elevator-trapped', title: '电梯困人' },
  { scene: 'water', category: 'pipe-burst', title: '供水管道爆管' },
] as const;
const PRIORITIES = ['P1', 'P2', 'P3', 'P4'] as const;
const NOTE = '现场积水约 30 cm，已设置围挡，泵车到达后开始抽排；周边交通已疏导。Water ~30 cm, barriers set, pump truck on the way.';

function incident(n: number, nowTs: number): Incident {
  const createdTs = Math.floor(nowTs - rand(n + 1) * RETENTION_DAYS * DAY_MS);
  const kind = KINDS[n % KINDS.length]!;
  const place = PLACES[Math.floor(rand(n + 7) * PLACES.length)]!;
  const closed = rand(n + 13) < 0.8;
  const handler = `handler${1 + (n % 40)}`;
  const base = archivedIncident(
    `INC-${String(n).padStart(7, '0')}`,
    createdTs,
    {
      district: DISTRICT_CODES[n % DISTRICT_CODES.length]!,
      priority: PRIORITIES[Math.floor(rand(n + 3) * 4)]!,
      scene: kind.scene,
      category: kind.category,
      title: `${place}${kind.title}`,
      titleEn: `${kind.category} at ${place}`,
      location: [120.0 + rand(n + 5) * 0.9, 35.9 + rand(n + 11) * 0.6],
    },
    { closed, handler, note: NOTE },
  );
  if (!closed) return base;
  // accept and arrive between dispatch and resolve: a six-step lifecycle
  const extra: IncidentTransition[] = [
    { action: 'accept', from: 'dispatched', to: 'accepted', actor: handler, ts: createdTs + 3 * MINUTE_MS, commandId: `${base.id}-a` },
    { action: 'arrive', from: 'accepted', to: 'on_site', actor: handler, ts: createdTs + 12 * MINUTE_MS, commandId: `${base.id}-o`, note: NOTE },
  ];
  const history = [...base.history.slice(0, 2), ...extra, ...base.history.slice(2)];
  return { ...base, history, version: history.length };
}

async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)![1]);
}

async function memoryByFamily(redis: Redis): Promise<{ records: number; indexes: number; keys: number }> {
  let cursor = '0';
  let records = 0;
  let indexes = 0;
  let keys = 0;
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}:hist:*`, 'COUNT', SCAN_CHUNK);
    cursor = next;
    const p = redis.pipeline();
    for (const k of batch) p.call('MEMORY', 'USAGE', k, 'SAMPLES', '0');
    const sizes = (await p.exec()) ?? [];
    batch.forEach((k, i) => {
      const bytes = Number(sizes[i]![1]);
      keys++;
      if (k.includes(':hist:i:r:')) records += bytes;
      else indexes += bytes;
    });
  } while (cursor !== '0');
  return { records, indexes, keys };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function timeSearch(
  history: HistoryStore,
  q: IncidentHistoryQuery,
  rounds: number,
): Promise<{ p50: number; p99: number; max: number; found: number; scanned: number }> {
  const times: number[] = [];
  let found = 0;
  let scanned = 0;
  for (let r = 0; r < rounds; r++) {
    const t = performance.now();
    const page = await history.searchIncidents(q);
    times.push(performance.now() - t);
    found = page.records.length;
    scanned = page.scanned;
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p99: percentile(times, 99), max: times[times.length - 1]!, found, scanned };
}

async function followToEnd(history: HistoryStore, q: IncidentHistoryQuery): Promise<{ ms: number; calls: number; found: number; scanned: number }> {
  const t = performance.now();
  let calls = 0;
  let found = 0;
  let scanned = 0;
  let cursor: string | undefined;
  do {
    const page = await history.searchIncidents({ ...q, ...(cursor ? { cursor } : {}) });
    calls++;
    found += page.records.length;
    scanned += page.scanned;
    cursor = page.nextCursor;
  } while (cursor);
  return { ms: performance.now() - t, calls, found, scanned };
}

export interface HistoryBenchResult {
  incidents: number;
  upsertsPerS: number;
  /** used_memory delta per incident, bytes */
  bytesPerIncident: number;
  recordBytesPerIncident: number;
  indexBytesPerIncident: number;
  /** JSON of one closed incident, bytes */
  closedJsonBytes: number;
  searches: { name: string; p50Ms: number; p99Ms: number; maxMs: number; found: number; scanned: number }[];
  /** a text that matches nothing, over all 184 days, followed through every page */
  fullScan: { ms: number; calls: number; scanned: number };
  /** every incident of 7 days in pages of 10,000 (a report's read) */
  reportRead: { ms: number; calls: number; found: number };
}

/** Writes `incidents` archived incidents into a throwaway redis-server and times the searches (`bench/run.ts` may call it). */
export async function measureHistory(opts: { incidents: number; rounds: number }): Promise<HistoryBenchResult> {
  const count = opts.incidents;
  const server = await startRedisServer();
  if (!server) throw new Error('redis-server not found (Debian package redis-server)');
  const admin = new Redis(server.url);
  const store = new RedisStore(server.url, { prefix });
  const history = historyStoreFor(store);
  try {
    await store.ping();
    const before = await usedMemory(admin);
    const nowTs = Date.now();
    const writeStart = performance.now();
    for (let n = 0; n < count; n += CONCURRENCY) {
      const batch: Promise<void>[] = [];
      for (let k = n; k < Math.min(count, n + CONCURRENCY); k++) batch.push(history.upsertIncident(incident(k, nowTs)));
      await Promise.all(batch);
    }
    const writeMs = performance.now() - writeStart;
    const after = await usedMemory(admin);
    const families = await memoryByFamily(admin);
    let sampleN = 0;
    while (incident(sampleN, nowTs).state !== 'closed') sampleN++;

    const week = { from: nowTs - 7 * DAY_MS, to: nowTs };
    const queries: [string, IncidentHistoryQuery][] = [
      ['district + 7 days, newest first', incidentQuery({ ...week, districts: ['370203'] })],
      ['2 districts (scoped officer) + 7 days', incidentQuery({ ...week, districts: ['370202', '370203'] })],
      ['7 days, all districts', incidentQuery(week)],
      ['text 燃气 (common), 184 days', incidentQuery({ text: '燃气' })],
      ['text 李村河燃气 (1 in 50), 184 days', incidentQuery({ text: '李村河燃气' })],
      ['bbox (≈1/9 of the city) + 7 days', incidentQuery({ ...week, bbox: [120.3, 36.1, 120.6, 36.3] })],
      ['bbox, 184 days', incidentQuery({ bbox: [120.3, 36.1, 120.6, 36.3] })],
      ['priority sort, P1, 30 days', incidentQuery({ from: nowTs - 30 * DAY_MS, sort: 'priority', priorities: ['P1'] })],
      [
        'closed last 30 days, resolved, district',
        incidentQuery({ timeField: 'closed', from: nowTs - 30 * DAY_MS, outcomes: ['resolved'], districts: ['370212'] }),
      ],
    ];
    const searches: HistoryBenchResult['searches'] = [];
    for (const [name, q] of queries) {
      const r = await timeSearch(history, q, opts.rounds);
      searches.push({ name, p50Ms: r.p50, p99Ms: r.p99, maxMs: r.max, found: r.found, scanned: r.scanned });
    }
    const rare = await followToEnd(history, incidentQuery({ text: 'no-such-text-anywhere', limit: 200 }));
    const report = await followToEnd(history, incidentQuery({ ...week, limit: 10_000 }));
    return {
      incidents: count,
      upsertsPerS: Math.round(count / (writeMs / 1000)),
      bytesPerIncident: Math.round((after - before) / count),
      recordBytesPerIncident: Math.round(families.records / count),
      indexBytesPerIncident: Math.round(families.indexes / count),
      closedJsonBytes: Buffer.byteLength(JSON.stringify(incident(sampleN, nowTs))),
      searches,
      fullScan: { ms: rare.ms, calls: rare.calls, scanned: rare.scanned },
      reportRead: { ms: report.ms, calls: report.calls, found: report.found },
    };
  } finally {
    await store.close();
    admin.disconnect();
    await server.stop();
  }
}

function printReport(r: HistoryBenchResult): void {
  console.log(`\n## History memory and search (${r.incidents.toLocaleString('en-US')} incidents over ${RETENTION_DAYS} days)\n`);
  console.log(`- written at ${r.upsertsPerS} upserts/s (${CONCURRENCY} in flight)`);
  console.log(`- used_memory delta: **${r.bytesPerIncident} B per incident** (JSON of a closed one: ${r.closedJsonBytes} B)`);
  console.log(`- MEMORY USAGE: records ${r.recordBytesPerIncident} B/incident, indexes ${r.indexBytesPerIncident} B/incident`);
  console.log(`- per 100,000 incidents: ≈ ${((r.bytesPerIncident * 100_000) / 1024 / 1024).toFixed(0)} MiB\n`);
  console.log('| search (limit 50) | p50 ms | p99 ms | max ms | found | records examined |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const x of r.searches)
    console.log(`| ${x.name} | ${x.p50Ms.toFixed(1)} | ${x.p99Ms.toFixed(1)} | ${x.maxMs.toFixed(1)} | ${x.found} | ${x.scanned} |`);
  console.log(
    `| text matching nothing, 184 days, followed to the end | ${r.fullScan.ms.toFixed(0)} total | | | 0 | ${r.fullScan.scanned} in ${r.fullScan.calls} calls |`,
  );
  console.log(
    `| report read: every incident of 7 days (limit 10,000) | ${r.reportRead.ms.toFixed(0)} total | | | ${r.reportRead.found} | ${r.reportRead.calls} calls |`,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  printReport(await measureHistory({ incidents: arg('incidents', 100_000), rounds: arg('rounds', 20) }));
}
