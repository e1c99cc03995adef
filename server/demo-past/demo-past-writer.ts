/**
 * Writes the demo's past (scenes/demo-past/) into the stores every chart reads (issue 16):
 * - roll-ups (the device card's 24 h / 7 d / 30 d history) through the roll-up store's merge, a
 *   flush per chunk of devices;
 * - alerts and incidents into the main Store (the briefing's 7-day trends and `/api/incidents`
 *   read it) and into the long history (reports, `/console/history`);
 * - the last day of them into fusion (`restore`: the overview's 24 h alert trend, the emergency
 *   funnel, the rankings), exactly as a restart would have loaded them.
 * Nothing is told to the notifier: no notification, webhook or automation runs for the past.
 *
 * Once per store: a `setting` registry record `demo-past` is created with compare-and-set
 * (expected version 0) before anything is written; a second start, or a second node, finds it and
 * writes nothing. Devices are walked in chunks with a yield in between, so a node serving
 * meanwhile stays responsive.
 */
import type { Alert, Asset, Device, Incident, Rule } from '../../scenes/domain';
import { devicePast } from '../../scenes/demo-past/device-past';
import { demoPastFromTs, demoPastIncidents, demoPastWeather } from '../../scenes/demo-past/demo-past';
import { DEFAULT_DEMO_PAST_CONFIG, type DemoPastConfig } from '../../scenes/demo-past/demo-past-config';
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
/** History upserts in flight at once. */
const HISTORY_CONCURRENCY = 32;
const DAY_MS = 24 * 3_600_000;

export interface DemoPastWriterDeps {
  store: Pick<Store, 'writeRegistry' | 'saveAlert' | 'createIncident'>;
  rollups: RollupStore;
  history: Pick<HistoryStore, 'upsertAlert' | 'upsertIncident'>;
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
  /** wall time per phase, ms */
  walkMs: number;
  writeMs: number;
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

async function inBatches<T>(items: readonly T[], size: number, write: (item: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(write));
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
    walkMs: 0,
    writeMs: 0,
    totalMs: 0,
  };
  const finish = (status: DemoPastReport['status']): DemoPastReport => ({ ...report, status, totalMs: Math.round(performance.now() - startedTs) });
  if (!(await claimDemoPast(d.store, { nowTs: d.nowTs, days: d.days, seed: d.seed }))) return finish('already_done');

  const config = d.config ?? DEFAULT_DEMO_PAST_CONFIG;
  const weather = demoPastWeather(d.seed, d.nowTs, config);
  const fromTs = demoPastFromTs(d.nowTs, d.days);
  const assets = new Map(d.assets.map((a) => [a.id, a]));
  const rawAlerts: Alert[] = [];
  let writeMs = 0;
  for (let i = 0; i < d.devices.length; i += DEVICES_PER_CHUNK) {
    if (d.stopped?.()) return finish('stopped');
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
    const writeStart = performance.now();
    await withRetries(() => d.rollups.mergeRollups({ flushId: `${DEMO_PAST_MARKER_ID}-${d.nowTs}-${i}`, entries }));
    writeMs += performance.now() - writeStart;
    report.rollupBuckets += entries.length;
    await yieldToLoop();
  }
  report.walkMs = Math.round(performance.now() - startedTs - writeMs);

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
  // what a restart would load into fusion: the last day (server/app.ts ALERT_RETENTION_MS)
  const dayAgo = d.nowTs - DAY_MS;
  d.restore(
    alerts.filter((a) => a.lastTs >= dayAgo || (a.clearedTs ?? 0) >= dayAgo),
    incidents.filter((i) => (i.closedTs ?? i.updatedTs) >= dayAgo),
  );
  report.writeMs = Math.round(writeMs + performance.now() - writeStart);
  return finish('written');
}
