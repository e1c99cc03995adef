/**
 * The long history (issue 16, "History that lasts"): incidents with their full transition history,
 * notes, assignees and outcome, and alerts (their steps are read from the alert, scenes/history/
 * alert-timeline.ts), kept `historyRetentionMs` (184 days by default) after they finished — beside
 * the main Store's working set, which keeps only what the live screens need. Same connection
 * (Redis) or same lifetime (memory) as the Store, like the plan store; two implementations with
 * one contract (server/test/store-history-contract.test.ts).
 *
 * Invariants both keep:
 * - Upsert by id, newest copy wins: a copy with an older revision (scenes/history/history-record.ts)
 *   than the stored one is ignored; the same copy written twice (several nodes, a backfill) is one record.
 * - Finished records (incidents closed; alerts cleared and acknowledged) leave `retentionMs` after
 *   they finished, at `prune(nowTs)` (the hourly housekeeping); unfinished ones stay.
 * - Search answers the same records in the same order on both (scenes/history/history-match.ts);
 *   a search examines at most `scanBudgetRecords` records per call and then answers
 *   `complete: false` with a cursor to go on (Redis; the memory store always completes).
 * - Everything in and out is a copy with well-formed strings.
 */
import type { Alert, Incident } from '../../scenes/domain';
import type { AlertHistoryQuery, HistoryPage, IncidentHistoryQuery } from '../../scenes/history/history-query';
import { alertMatches, alertSortKey, incidentMatches, incidentSortKey, pageOf } from '../../scenes/history/history-match';
import { alertEndTs, alertRevision, incidentEndTs, incidentRevision, isExpired } from '../../scenes/history/history-record';
import type { Store } from './store';
import { wellFormedCopy } from './store';
import type { RedisStore } from './redis-store';
import { RedisHistoryStore } from './redis-history';

const DAY_MS = 24 * 3600_000;

export interface HistoryStoreOptions {
  /** finished records are kept this long after they finished, ms */
  retentionMs: number;
  /** most records one search call examines before it answers with a cursor (bounds a call's time) */
  scanBudgetRecords: number;
  /** width of one time bucket of the Redis indexes, ms (a day: a bucket's ids are read in one call) */
  bucketMs: number;
}

export const DEFAULT_HISTORY_OPTIONS: HistoryStoreOptions = {
  retentionMs: 184 * DAY_MS,
  scanBudgetRecords: 50_000,
  bucketMs: DAY_MS,
};

export interface HistoryStore {
  /** Store the incident as it is now unless a newer copy is stored. */
  upsertIncident(incident: Incident): Promise<void>;
  /** Store the alert as it is now unless a newer copy is stored. */
  upsertAlert(alert: Alert): Promise<void>;
  getIncident(id: string): Promise<Incident | null>;
  getAlert(id: string): Promise<Alert | null>;
  searchIncidents(q: IncidentHistoryQuery): Promise<HistoryPage<Incident>>;
  searchAlerts(q: AlertHistoryQuery): Promise<HistoryPage<Alert>>;
  /** Every matching incident, page after page (reports over a period): `q.limit` is the page size. */
  scanIncidents(q: IncidentHistoryQuery): AsyncGenerator<Incident>;
  scanAlerts(q: AlertHistoryQuery): AsyncGenerator<Alert>;
  /** Remove finished records past retention at `nowTs`. Idempotent; returns how many left. */
  prune(nowTs: number): Promise<{ removed: number }>;
}

/** Pages through a search until it has nothing more (shared by both implementations). */
export async function* scanPages<T, Q extends { cursor?: string; offset?: number }>(
  search: (q: Q) => Promise<HistoryPage<T>>,
  q: Q,
): AsyncGenerator<T> {
  let next: Q = q;
  for (;;) {
    const page = await search(next);
    yield* page.records;
    if (page.nextCursor === undefined) return;
    next = { ...next, cursor: page.nextCursor, offset: undefined };
  }
}

interface Kept<T> {
  record: T;
  revision: string;
  endTs: number | undefined;
}

export class MemoryHistoryStore implements HistoryStore {
  private readonly incidents = new Map<string, Kept<Incident>>();
  private readonly alerts = new Map<string, Kept<Alert>>();
  private readonly options: HistoryStoreOptions;

  constructor(options: Partial<HistoryStoreOptions> = {}) {
    this.options = { ...DEFAULT_HISTORY_OPTIONS, ...options };
  }

  async upsertIncident(incident: Incident): Promise<void> {
    keepNewest(this.incidents, incident.id, incident, incidentRevision(incident), incidentEndTs(incident));
  }

  async upsertAlert(alert: Alert): Promise<void> {
    keepNewest(this.alerts, alert.id, alert, alertRevision(alert), alertEndTs(alert));
  }

  async getIncident(id: string): Promise<Incident | null> {
    const kept = this.incidents.get(id);
    return kept ? wellFormedCopy(kept.record) : null;
  }

  async getAlert(id: string): Promise<Alert | null> {
    const kept = this.alerts.get(id);
    return kept ? wellFormedCopy(kept.record) : null;
  }

  async searchIncidents(q: IncidentHistoryQuery): Promise<HistoryPage<Incident>> {
    const page = pageOf(
      records(this.incidents),
      q,
      (i) => incidentMatches(i, q),
      (i) => incidentSortKey(i, q),
    );
    return { ...page, records: page.records.map((i) => wellFormedCopy(i)) };
  }

  async searchAlerts(q: AlertHistoryQuery): Promise<HistoryPage<Alert>> {
    const page = pageOf(
      records(this.alerts),
      q,
      (a) => alertMatches(a, q),
      (a) => alertSortKey(a, q),
    );
    return { ...page, records: page.records.map((a) => wellFormedCopy(a)) };
  }

  scanIncidents(q: IncidentHistoryQuery): AsyncGenerator<Incident> {
    return scanPages((x) => this.searchIncidents(x), q);
  }

  scanAlerts(q: AlertHistoryQuery): AsyncGenerator<Alert> {
    return scanPages((x) => this.searchAlerts(x), q);
  }

  async prune(nowTs: number): Promise<{ removed: number }> {
    let removed = 0;
    for (const map of [this.incidents, this.alerts] as Map<string, Kept<unknown>>[]) {
      for (const [id, kept] of map) {
        if (!isExpired(kept.endTs, nowTs, this.options.retentionMs)) continue;
        map.delete(id);
        removed++;
      }
    }
    return { removed };
  }
}

function keepNewest<T>(map: Map<string, Kept<T>>, id: string, record: T, revision: string, endTs: number | undefined): void {
  const stored = map.get(id);
  if (stored && stored.revision > revision) return;
  map.set(id, { record: wellFormedCopy(record), revision, endTs });
}

function* records<T>(map: Map<string, Kept<T>>): Generator<T> {
  for (const kept of map.values()) yield kept.record;
}

/** One memory history per Store: a test that restarts a server on the same store keeps its history. */
const memoryHistories = new WeakMap<Store, MemoryHistoryStore>();

/** The history store beside `store`: Redis keys under its prefix, or memory living as long as it does. */
export function historyStoreFor(store: Store, options: Partial<HistoryStoreOptions> = {}): HistoryStore {
  if (store.kind === 'redis') {
    const redis = store as RedisStore;
    return new RedisHistoryStore(redis.redisClient, redis.keyPrefix, options);
  }
  let memory = memoryHistories.get(store);
  if (!memory) {
    memory = new MemoryHistoryStore(options);
    memoryHistories.set(store, memory);
  }
  return memory;
}
