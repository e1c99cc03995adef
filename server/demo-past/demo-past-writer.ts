/**
 * Writes the demo's past (scenes/demo-past/) into the stores every chart reads (issue 16):
 * - roll-ups (the device card's 24 h / 7 d / 30 d history) through the roll-up store's merge, a
 *   flush per chunk of devices;
 * - alerts and incidents into the main Store (the briefing's 7-day trends and `/api/incidents`
 *   read it) and into the long history (reports, `/console/history`);
 * - contingency plan instances (scenes/demo-past/plan-past.ts) into the plan store, each created
 *   and then updated step by step as the plan service would have (a plan whose live instance is
 *   open meanwhile keeps it: the past one is left out);
 * - the last day of them into fusion (`restore`: the overview's 24 h alert trend, the emergency
 *   funnel, the rankings), exactly as a restart would have loaded them.
 * Nothing is told to the notifier: no notification, webhook or automation runs for the past.
 *
 * Once per store: a `setting` registry record `demo-past` is created with compare-and-set
 * (expected version 0) before anything is written; a second start, or a second node, finds it and
 * writes nothing. Devices are walked in chunks with a yield in between, so a node serving
 * meanwhile stays responsive; a chunk's roll-ups are written while the next chunks are walked (at
 * most `ROLLUP_FLUSHES_IN_FLIGHT` flushes at once: Redis merges while Node computes).
 */
import type { Alert, Asset, Device, Incident, Rule } from '../../scenes/domain';
import { devicePast } from '../../scenes/demo-past/device-past';
import { demoPastFromTs, demoPastIncidents, demoPastWeather } from '../../scenes/demo-past/demo-past';
import { DEFAULT_DEMO_PAST_CONFIG, type DemoPastConfig } from '../../scenes/demo-past/demo-past-config';
import { demoPastPlans, type DemoPastPlan } from '../../scenes/demo-past/plan-past';
import type { ContingencyPlan } from '../../scenes/plans/plan-schema';
import type { PlanStore } from '../store/plan-store';
import type { Store } from '../store/store';
import type { HistoryStore } from '../store/history-store';
import type { RollupEntry, RollupStore } from '../store/rollup-store';

/** The `setting` registry record that marks a store as backfilled. */
export const DEMO_PAST_MARKER_ID = 'demo-past';
/** Devices walked between two yields (and per roll-up flush). */
const DEVICES_PER_CHUNK = 5;
/** Tries of one roll-up flush (a busy Redis may time a script out), and the pause between them, ms. */
const FLUSH_ATTEMPTS = 3;
const RETRY_PAUSE_MS = 500;
/** Roll-up flushes (one per chunk) in flight at once while the walk goes on: bounds the buckets held in memory. */
const ROLLUP_FLUSHES_IN_FLIGHT = 4;
/** History upserts in flight at once. */
const HISTORY_CONCURRENCY = 32;
const DAY_MS = 24 * 3_600_000;

export interface DemoPastWriterDeps {
  store: Pick<Store, 'writeRegistry' | 'saveAlert' | 'createIncident'>;
  rollups: RollupStore;
  history: Pick<HistoryStore, 'upsertAlert' | 'upsertIncident'>;
  /** the plan store and the plan definitions the server runs */
  plans: { store: Pick<PlanStore, 'createPlanInstance' | 'updatePlanInstance'>; definitions: readonly ContingencyPlan[] };
  /** fusion's restore: the last day of the past joins the working set */
  restore: (alerts: readonly Alert[], incidents: readonly Incident[]) => void;
  devices: readonly Device[];
  assets: readonly Asset[];
  rulesFor: (device: Device) => readonly Rule[];
  seed: number;
  days: number;
  nowTs: number;
  config?: DemoPastConfig;
  /** tells the loop to stop early (the server is closing) */
  stopped?: () => boolean;
}

export interface DemoPastReport {
  status: 'written' | 'already_done' | 'stopped';
  devices: number;
  samples: number;
  rollupBuckets: number;
  alerts: number;
  incidents: number;
  /** plan instances written (all closed) */
  plans: number;
  /** wall time per phase, ms: the walk with its roll-up writes (overlapped), then the alerts and incidents */
  walkMs: number;
  writeMs: number;
  /** wall time the walk waited for roll-up writes (a full window of flushes, the last ones), ms */
  rollupWaitMs: number;
  totalMs: number;
}

const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A flush that timed out is tried again (its flushId makes a retry apply once) before the backfill gives up. */
async function withRetries<T>(write: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (err) {
      if (attempt >= FLUSH_ATTEMPTS) throw err;
      await new Promise((resolve) => setTimeout(resolve, RETRY_PAUSE_MS * attempt));
    }
  }
}

/**
 * Writes in flight, at most `limit`: `add` waits while the window is full; the first failure is
 * thrown from `add` or `drain`, after every write in flight settled (none is left running behind
 * the caller's back).
 */
class RollupFlushWindow {
  private readonly inFlight = new Set<Promise<void>>();
  private failure: { err: unknown } | null = null;
  /** wall time spent waiting in `add` and `drain`, ms */
  waitedMs = 0;

  constructor(private readonly limit: number) {}

  async add(write: Promise<unknown>): Promise<void> {
    const tracked: Promise<void> = write.then(
      () => void this.inFlight.delete(tracked),
      (err: unknown) => {
        this.inFlight.delete(tracked);
        this.failure ??= { err };
      },
    );
    this.inFlight.add(tracked);
    const waitStart = performance.now();
    while (this.inFlight.size >= this.limit && this.failure === null) await Promise.race(this.inFlight);
    this.waitedMs += performance.now() - waitStart;
    if (this.failure) await this.drain();
  }

  async drain(): Promise<void> {
    const waitStart = performance.now();
    await Promise.all(this.inFlight);
    this.waitedMs += performance.now() - waitStart;
    if (this.failure) throw this.failure.err;
  }
}

async function inBatches<T>(items: readonly T[], size: number, write: (item: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(write));
}

/**
 * One past instance as the plan service would have stored it: created as first proposed, then one
 * compare-and-set update per step. False when the plan's slot is taken (a live instance is open).
 */
export async function writePlanInstance(store: DemoPastWriterDeps['plans']['store'], plan: DemoPastPlan): Promise<boolean> {
  const [first, ...steps] = plan.versions;
  const created = await store.createPlanInstance(first!);
  if (created.status !== 'created') return false;
  let expectedVersion = first!.version;
  for (const next of steps) {
    const out = await store.updatePlanInstance(next, expectedVersion);
    if (out.status !== 'applied') throw new Error(`demo past: plan instance ${next.id} version ${next.version} not stored: ${out.status}`);
    expectedVersion = next.version;
  }
  return true;
}

/** Claims the store's marker; false when another start (or node) already did. */
export async function claimDemoPast(store: Pick<Store, 'writeRegistry'>, info: { nowTs: number; days: number; seed: number }): Promise<boolean> {
  const out = await store.writeRegistry('setting', [{ record: { id: DEMO_PAST_MARKER_ID, version: 1, ...info }, expectedVersion: 0 }]);
  return out.status === 'applied';
}

export async function writeDemoPast(d: DemoPastWriterDeps): Promise<DemoPastReport> {
  const startedTs = performance.now();
  const report: DemoPastReport = {
    status: 'written',
    devices: d.devices.length,
    samples: 0,
    rollupBuckets: 0,
    alerts: 0,
    incidents: 0,
    plans: 0,
    walkMs: 0,
    writeMs: 0,
    rollupWaitMs: 0,
    totalMs: 0,
  };
  const finish = (status: DemoPastReport['status']): DemoPastReport => ({ ...report, status, totalMs: Math.round(performance.now() - startedTs) });
  if (!(await claimDemoPast(d.store, { nowTs: d.nowTs, days: d.days, seed: d.seed }))) return finish('already_done');

  const config = d.config ?? DEFAULT_DEMO_PAST_CONFIG;
  const weather = demoPastWeather(d.seed, d.nowTs, config);
  const fromTs = demoPastFromTs(d.nowTs, d.days);
  const assets = new Map(d.assets.map((a) => [a.id, a]));
  const rawAlerts: Alert[] = [];
  const flushes = new RollupFlushWindow(ROLLUP_FLUSHES_IN_FLIGHT);
  for (let i = 0; i < d.devices.length; i += DEVICES_PER_CHUNK) {
    if (d.stopped?.()) {
      await flushes.drain();
      return finish('stopped');
    }
    const entries: RollupEntry[] = [];
    for (const device of d.devices.slice(i, i + DEVICES_PER_CHUNK)) {
      const asset = device.assetId ? assets.get(device.assetId) : undefined;
      const past = devicePast({
        device,
        ...(asset ? { asset } : {}),
        rules: d.rulesFor(device),
        weather,
        seed: d.seed,
        fromTs,
        nowTs: d.nowTs,
        config,
      });
      report.samples += past.samples;
      rawAlerts.push(...past.alerts);
      for (const b of past.buckets) entries.push(b);
    }
    const flushId = `${DEMO_PAST_MARKER_ID}-${d.nowTs}-${i}`;
    await flushes.add(withRetries(() => d.rollups.mergeRollups({ flushId, entries })));
    report.rollupBuckets += entries.length;
    await yieldToLoop();
  }
  await flushes.drain();
  report.rollupWaitMs = Math.round(flushes.waitedMs);
  report.walkMs = Math.round(performance.now() - startedTs);

  const writeStart = performance.now();
  const { incidents, alerts } = demoPastIncidents(
    { devices: d.devices, rulesFor: d.rulesFor, seed: d.seed, nowTs: d.nowTs, days: d.days, config },
    rawAlerts,
  );
  report.alerts = alerts.length;
  report.incidents = incidents.length;
  await inBatches(incidents, HISTORY_CONCURRENCY, (i) => d.store.createIncident(i, `${i.id}-create`));
  await inBatches(alerts, HISTORY_CONCURRENCY, (a) => d.store.saveAlert(a));
  await inBatches(incidents, HISTORY_CONCURRENCY, (i) => d.history.upsertIncident(i));
  await inBatches(alerts, HISTORY_CONCURRENCY, (a) => d.history.upsertAlert(a));
  const plans = demoPastPlans({ plans: d.plans.definitions, alerts, incidents, seed: d.seed, nowTs: d.nowTs, config });
  for (const plan of plans) if (await writePlanInstance(d.plans.store, plan)) report.plans++;
  // what a restart would load into fusion: the last day (server/app.ts ALERT_RETENTION_MS)
  const dayAgo = d.nowTs - DAY_MS;
  d.restore(
    alerts.filter((a) => a.lastTs >= dayAgo || (a.clearedTs ?? 0) >= dayAgo),
    incidents.filter((i) => (i.closedTs ?? i.updatedTs) >= dayAgo),
  );
  report.writeMs = Math.round(performance.now() - writeStart);
  return finish('written');
}
