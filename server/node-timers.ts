/**
 * The node's housekeeping timers: fusion's tick (trend roll, series publication, retention), the
 * offline check, the device-state snapshot, the deferred-readings flush and store retention.
 * Those that act on shared state run only on the holder of their cluster lease (issue 15); a single
 * node holds every lease.
 */
import type { AlertChangeRecord, Fusion } from './fusion';
import type { IngestService } from './ingest';
import type { Logger } from './logger';
import type { ClusterLease } from './cluster/lease';
import type { ReadingsCursor, Store } from './store/store';

/** Timing of the timers, ms (and one count). */
export interface NodeTimerOptions {
  tickIntervalMs: number;
  offlineCheckIntervalMs: number;
  stateFlushIntervalMs: number;
  /** device states per store call: a flush of 100k states is many short calls, not one long stall */
  stateFlushChunk: number;
  deferredFlushIntervalMs: number;
  housekeepIntervalMs: number;
}

export interface NodeTimerDeps {
  fusion: Fusion;
  store: Store;
  ingest: Pick<IngestService, 'flushDeferred' | 'deferredReadings'>;
  leases: { offline: ClusterLease; 'state-flush': ClusterLease; housekeep: ClusterLease };
  /** offline alerts go where every alert change goes (persist, notify, automation) */
  onAlertChanges: (changes: AlertChangeRecord[]) => void;
  /**
   * The readings-stream position the fused state covers. A lone node: the stream's end (every
   * reading it appended was fused before it was appended). A cluster node: what its log follower
   * has applied — other nodes' readings appended after that are not in its states yet, and a
   * snapshot must not claim them (a restart replays what follows the snapshot's cursor).
   */
  coveredReadingsCursor: () => Promise<ReadingsCursor>;
  /** the cursor of the snapshot loaded at start */
  startCursor: ReadingsCursor | null;
  log: Logger;
  options: NodeTimerOptions;
}

export interface NodeTimers {
  /** writes the changed device states now (also on shutdown); only on the state-flush lease holder */
  flushStates(): Promise<void>;
  stop(): void;
}

export function startNodeTimers(d: NodeTimerDeps): NodeTimers {
  const { fusion, store, log, options: o } = d;
  const timers: NodeJS.Timeout[] = [];
  timers.push(setInterval(() => fusion.tick(Date.now()), o.tickIntervalMs));
  timers.push(
    setInterval(() => {
      // one node decides who went silent (issue 15): its offline alerts reach the others through
      // the log (an offline alert's id carries the time it was decided, so only one node may)
      void d.leases.offline.isHeld().then((held) => {
        if (!held) return;
        const changes: AlertChangeRecord[] = [];
        fusion.checkSilence(Date.now(), changes);
        if (changes.length) d.onAlertChanges(changes);
      });
    }, o.offlineCheckIntervalMs),
  );

  let flushing = false;
  let savedCursor = d.startCursor;
  const flushStates = async (): Promise<void> => {
    // one node writes the snapshot (issue 15): every node fuses the whole log
    if (flushing || !(await d.leases['state-flush'].isHeld()) || flushing) return;
    flushing = true;
    try {
      // the cursor is read BEFORE the states are taken: every reading up to it is in them
      const cursor = await d.coveredReadingsCursor();
      const changed = fusion.takeChangedStates();
      // nothing changed here, but the stream moved: keep the replay short
      if (changed.length === 0 && cursor !== savedCursor) {
        await store.saveDeviceStates([], cursor);
        savedCursor = cursor;
      }
      for (let i = 0; i < changed.length; i += o.stateFlushChunk) {
        try {
          // each await lets readings and frames in between chunks; the cursor goes with the last
          // chunk only: saved states before it do not claim it
          const last = i + o.stateFlushChunk >= changed.length;
          await store.saveDeviceStates(changed.slice(i, i + o.stateFlushChunk), last ? cursor : undefined);
          if (last) savedCursor = cursor;
        } catch (err) {
          fusion.requeueChangedStates(changed.slice(i));
          throw err;
        }
      }
    } catch (err) {
      log.warn({ err }, 'device state flush failed; will retry');
    } finally {
      flushing = false;
    }
  };
  timers.push(setInterval(() => void flushStates(), o.stateFlushIntervalMs));

  timers.push(
    setInterval(() => {
      d.ingest
        .flushDeferred()
        .then((n) => {
          if (n > 0) log.info({ written: n, stillDeferred: d.ingest.deferredReadings() }, 'deferred readings written to the store');
        })
        .catch((err: unknown) => log.error({ err }, 'deferred readings flush failed; will retry'));
    }, o.deferredFlushIntervalMs),
  );

  // retention: closed incidents, their alerts and photos past their period leave the store
  const housekeep = async (): Promise<void> => {
    if (!(await d.leases.housekeep.isHeld())) return;
    await store
      .housekeep(Date.now())
      .then((r) => {
        if (r.removed > 0) log.info({ removed: r.removed }, 'store housekeeping removed expired records');
      })
      .catch((err: unknown) => log.warn({ err }, 'store housekeeping failed; will retry'));
  };
  timers.push(setInterval(() => void housekeep(), o.housekeepIntervalMs));
  for (const t of timers) t.unref();

  return {
    flushStates,
    stop: () => {
      for (const t of timers) clearInterval(t);
    },
  };
}
