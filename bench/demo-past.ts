/**
 * The demo's past (issue 16): how long the backfill of a fresh demo store takes (goal < 15 s), on
 * the memory store and on a throwaway Redis, for the demo fleet (2,000 devices, 7 days).
 *
 *   npx tsx bench/demo-past.ts [--devices 2000] [--days 7]      (alone: its table and one JSON line)
 *   npm run bench -- --only demo-past                             (as a part of the bench)
 *
 * Peer: the raw time to write the very same records (roll-up buckets, alerts, incidents, their
 * history copies, plan instances) into a fresh store of the same kind, generated beforehand, one
 * after the other — the part of the backfill that is I/O; the rest is the simulator's physics and
 * the rule engine per sample (the backfill overlaps the two).
 */
import { pathToFileURL } from 'node:url';
import type { Alert, Device, Incident } from '../scenes/domain';
import { generateControlDevices, generateFleet } from '../scenes/fleet';
import { QINGDAO_ASSETS } from '../scenes/city/qingdao';
import { rulesFor, runPast, SEED } from '../scenes/demo-past/demo-past.fixture';
import { demoPastPlans, type DemoPastPlan } from '../scenes/demo-past/plan-past';
import { DEMO_PLANS } from '../scenes/plans/demo-plans';
import { writeDemoPast, writePlanInstance, type DemoPastReport } from '../server/demo-past/demo-past-writer';
import { planStoreFor } from '../server/store/plan-store';
import { MemoryStore } from '../server/store/memory-store';
import { RedisStore } from '../server/store/redis-store';
import type { Store } from '../server/store/store';
import { historyStoreFor } from '../server/store/history-store';
import { rollupStoreFor, DEFAULT_ROLLUP_STORE_OPTIONS, type RollupEntry } from '../server/store/rollup-store';
import { startRedisServer } from '../tests/helpers/redis-server';

/** roll-up entries per raw merge call (the writer flushes per chunk of 5 devices: about as many) */
const RAW_FLUSH_ENTRIES = 3_000;
const WRITE_CONCURRENCY = 32;

export interface DemoPastBenchRow {
  figure: string;
  value: number | null;
  unit: string;
  peer: string;
  peerValue: number | null;
  ratio: number | null;
  goal: string;
}

export interface DemoPastBenchContext {
  redisUrl: string | null;
  devices?: number;
  days?: number;
  set(key: string, value: unknown): void;
  row(r: DemoPastBenchRow): void;
  log(msg: string): void;
}

interface Generated {
  entries: RollupEntry[];
  alerts: Alert[];
  incidents: Incident[];
  plans: DemoPastPlan[];
  ms: number;
}

function generate(devices: readonly Device[], nowTs: number, days: number): Generated {
  const t0 = performance.now();
  // the same walk the scenes' tests take (the writer's, without the stores)
  const { alerts, incidents, buckets } = runPast(nowTs, devices, days);
  const plans = demoPastPlans({ plans: DEMO_PLANS, alerts, incidents, seed: SEED, nowTs });
  return { entries: buckets, alerts, incidents, plans, ms: performance.now() - t0 };
}

async function inBatches<T>(items: readonly T[], write: (item: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += WRITE_CONCURRENCY) await Promise.all(items.slice(i, i + WRITE_CONCURRENCY).map(write));
}

/** The peer: the same records written straight into `store`'s stores, ms. */
async function rawWrite(store: Store, g: Generated): Promise<number> {
  const rollups = rollupStoreFor(store, DEFAULT_ROLLUP_STORE_OPTIONS);
  const history = historyStoreFor(store);
  const t0 = performance.now();
  for (let i = 0; i < g.entries.length; i += RAW_FLUSH_ENTRIES)
    await rollups.mergeRollups({ flushId: `raw-${i}`, entries: g.entries.slice(i, i + RAW_FLUSH_ENTRIES) });
  await inBatches(g.incidents, (x) => store.createIncident(x, `${x.id}-create`));
  await inBatches(g.alerts, (x) => store.saveAlert(x));
  await inBatches(g.incidents, (x) => history.upsertIncident(x));
  await inBatches(g.alerts, (x) => history.upsertAlert(x));
  const plans = planStoreFor(store);
  for (const p of g.plans) await writePlanInstance(plans, p);
  return performance.now() - t0;
}

async function backfill(store: Store, devices: readonly Device[], nowTs: number, days: number): Promise<DemoPastReport> {
  return writeDemoPast({
    store,
    rollups: rollupStoreFor(store, DEFAULT_ROLLUP_STORE_OPTIONS),
    history: historyStoreFor(store),
    plans: { store: planStoreFor(store), definitions: DEMO_PLANS },
    restore: () => undefined,
    devices,
    assets: QINGDAO_ASSETS,
    rulesFor,
    seed: SEED,
    days,
    nowTs,
  });
}

export async function measureDemoPast(ctx: DemoPastBenchContext): Promise<void> {
  const count = ctx.devices ?? 2_000;
  const days = ctx.days ?? 7;
  const devices = [...generateFleet({ count, seed: SEED }), ...generateControlDevices(SEED)];
  const nowTs = Date.now();
  ctx.log(`demo-past: generating ${days} days for ${devices.length} devices`);
  const g = generate(devices, nowTs, days);
  ctx.set('demo_past_records', {
    rollup_buckets: g.entries.length,
    alerts: g.alerts.length,
    incidents: g.incidents.length,
    plans: g.plans.length,
    generate_ms: Math.round(g.ms),
  });

  const kinds: { name: string; open(label: string): Promise<Store | null> }[] = [
    { name: 'memory', open: async () => new MemoryStore() },
    {
      name: 'redis',
      open: async (label) => (ctx.redisUrl ? new RedisStore(ctx.redisUrl, { prefix: `bench-demo-past-${label}-${process.pid}` }) : null),
    },
  ];
  for (const kind of kinds) {
    const forRaw = await kind.open('raw');
    const forBackfill = await kind.open('backfill');
    if (!forRaw || !forBackfill) {
      ctx.set(`demo_past_${kind.name}_ms`, null);
      continue;
    }
    ctx.log(`demo-past: ${kind.name} store`);
    const rawMs = await rawWrite(forRaw, g);
    const report = await backfill(forBackfill, devices, nowTs, days);
    await Promise.all([forRaw.close(), forBackfill.close()]);
    ctx.set(`demo_past_${kind.name}_ms`, report.totalMs);
    ctx.set(`demo_past_${kind.name}`, { ...report, raw_write_ms: Math.round(rawMs) });
    ctx.row({
      figure: `demo past backfill, ${days} d × ${devices.length} devices (${kind.name})`,
      value: report.totalMs,
      unit: 'ms',
      peer: 'raw write of the same records',
      peerValue: Math.round(rawMs),
      ratio: Math.round((report.totalMs / rawMs) * 100) / 100,
      goal: '< 15000 ms',
    });
  }
}

async function main(): Promise<void> {
  const arg = (name: string, fallback: number) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? Number(process.argv[i + 1]) : fallback;
  };
  const redis = await startRedisServer();
  const results: Record<string, unknown> = {};
  const rows: DemoPastBenchRow[] = [];
  try {
    await measureDemoPast({
      redisUrl: redis?.url ?? null,
      devices: arg('devices', 2_000),
      days: arg('days', 7),
      set: (k, v) => (results[k] = v),
      row: (r) => rows.push(r),
      log: (m) => process.stderr.write(`${m}\n`),
    });
  } finally {
    await redis?.stop();
  }
  for (const r of rows) console.log(`${r.figure} │ ${r.value} ${r.unit} │ ${r.peer} │ ${r.peerValue} ${r.unit} │ ${r.ratio ?? ''}× │ goal ${r.goal}`);
  console.log(JSON.stringify(results));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
