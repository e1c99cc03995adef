/**
 * The demo's past for app.ts (issue 16): started in the background once the node listens, only
 * on a store that was just seeded with the demo fleet (never in production: there the registry is
 * never seeded) and only when `IOC_DEMO_PAST_DAYS` > 0. The node serves at once; charts fill in
 * as soon as the past is written (a few seconds, `demo past written` in the log with its timing).
 */
import type { Asset, Device, Rule } from '../../scenes/domain';
import type { Fusion } from '../fusion';
import { sceneAssetOf } from '../fusion/asset-book';
import type { RegistryAsset } from '../registry/registry-schemas';
import type { Logger } from '../logger';
import type { Store } from '../store/store';
import type { HistoryStore } from '../store/history-store';
import type { RollupStore } from '../store/rollup-store';
import type { PlanStore } from '../store/plan-store';
import type { ContingencyPlan } from '../../scenes/plans/plan-schema';
import { writeDemoPast, type DemoPastReport } from './demo-past-writer';

export interface StartDemoPastDeps {
  store: Store;
  rollups: RollupStore;
  history: HistoryStore;
  /** the plan service's store and definitions: the past's plan instances */
  plans: { store: PlanStore; definitions: readonly ContingencyPlan[] };
  fusion: Pick<Fusion, 'restore'>;
  devices: readonly Device[];
  /** the registry's asset records (the signals follow e.g. a river's own levels) */
  assets: readonly RegistryAsset[];
  rulesFor: (device: Device) => readonly Rule[];
  seed: number;
  days: number;
  log: Logger;
  now?: () => number;
}

export interface StartedDemoPast {
  /** resolves with what was written (null: not started, or failed — logged) */
  done: Promise<DemoPastReport | null>;
  /** stops the walk between two chunks and waits for it */
  close(): Promise<void>;
}

/** The registry's assets as the simulator's signals take them (resources and retired records left out). */
function simulatedAssets(records: readonly RegistryAsset[]): Asset[] {
  return records.flatMap((r) => {
    const a = sceneAssetOf(r);
    return a.kind === 'asset' ? [a.asset] : [];
  });
}

export function startDemoPast(d: StartDemoPastDeps): StartedDemoPast {
  let stopped = false;
  const done = writeDemoPast({
    store: d.store,
    rollups: d.rollups,
    history: d.history,
    plans: d.plans,
    restore: (alerts, incidents) => d.fusion.restore([], alerts, incidents),
    devices: d.devices,
    assets: simulatedAssets(d.assets),
    rulesFor: d.rulesFor,
    seed: d.seed,
    days: d.days,
    nowTs: (d.now ?? Date.now)(),
    stopped: () => stopped,
  }).then(
    (report) => {
      if (report.status === 'written') d.log.info(report, 'demo past written (IOC_DEMO_PAST_DAYS; ids start with demo-)');
      else d.log.info({ status: report.status }, 'demo past not written');
      return report;
    },
    (err: unknown) => {
      d.log.warn({ err }, 'demo past failed; the demo starts without a past');
      return null;
    },
  );
  return {
    done,
    async close() {
      stopped = true;
      await done;
    },
  };
}

/** The no-op when the past is not due. */
export const NO_DEMO_PAST: StartedDemoPast = { done: Promise.resolve(null), close: async () => undefined };
