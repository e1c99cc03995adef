/**
 * The long history's wiring (issue 16) for app.ts: the history store beside the main Store, the
 * feeder that wraps the change notifier, the start-up backfill (in the background: a node serves
 * at once; idempotent, so every node may run it) and pruning at the housekeeping interval under
 * the housekeeping lease (once cluster-wide).
 */
import type { ClusterLease } from '../cluster/lease';
import type { ServerConfig } from '../config';
import type { Logger } from '../logger';
import type { Store } from '../store/store';
import { historyStoreFor, type HistoryStore } from '../store/history-store';
import { HistoryFeeder } from './history-feeder';
import type { HistorySearchRouterDeps } from './history-search-router';

export interface StartHistoryDeps {
  store: Store;
  config: Pick<ServerConfig, 'historyRetentionMs' | 'housekeepIntervalMs'>;
  log: Logger;
  /** pruning runs only on its holder */
  lease: ClusterLease;
}

export interface StartedHistory {
  history: HistoryStore;
  feeder: HistoryFeeder;
  routerDeps: Pick<HistorySearchRouterDeps, 'history'>;
  /** copies the working set into the history (started by app.ts once the store is loaded) */
  backfill(): void;
  close(): Promise<void>;
}

export function startHistory(d: StartHistoryDeps): StartedHistory {
  const history = historyStoreFor(d.store, { retentionMs: d.config.historyRetentionMs });
  const feeder = new HistoryFeeder(history, d.log);
  const prune = async (): Promise<void> => {
    if (!(await d.lease.isHeld())) return;
    await history
      .prune(Date.now())
      .then((r) => {
        if (r.removed > 0) d.log.info({ removed: r.removed }, 'history: pruned records past retention');
      })
      .catch((err: unknown) => d.log.warn({ err }, 'history prune failed; will retry'));
  };
  const timer = setInterval(() => void prune(), d.config.housekeepIntervalMs);
  timer.unref();
  let backfilling: Promise<unknown> = Promise.resolve();
  return {
    history,
    feeder,
    routerDeps: { history },
    backfill() {
      const startedTs = Date.now();
      backfilling = feeder
        .backfill(d.store)
        .then((n) => d.log.info({ ...n, ms: Date.now() - startedTs }, 'history: backfilled the working set'))
        .catch((err: unknown) => d.log.warn({ err }, 'history backfill failed; records are archived at their next change'));
    },
    async close() {
      clearInterval(timer);
      await backfilling;
      await feeder.settled();
    },
  };
}
