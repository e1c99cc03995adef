/**
 * Scheduled reports (issue 16) in the store, beside the main Store like the API keys: the schedules
 * admins keep, the per-schedule slot marker the ticker claims, and the generated runs (metadata and
 * the report JSON; files are rendered on download) with their readers' "read" marks. Two
 * implementations, one contract (server/report-schedules/report-schedule-store.test.ts).
 *
 * Invariants both keep:
 * - `claimSlot(id, slotTs)` succeeds once per (schedule, slot) and never for a slot at or before one
 *   already claimed: two nodes (a lease handover) cannot both make the same scheduled report;
 * - a slot claimed with try times keeps a pending attempt until it is settled: written in the same
 *   atomic step as the claim, so a try that dies with the store or the process is still retried;
 *   `claimRetry(id, slotTs, attempt, …, nowTs)` succeeds once per attempt, only for the newest
 *   slot's pending attempt that is `attempt - 1` (a newer slot's claim abandons an older slot's
 *   retries), and only from `nextTryTs` of it on: a try is "running" from its claim until it ends
 *   (`endTry`, a failure) or its lease (`runningUntilTs`) runs out — a slow try is not retried
 *   under it, a crashed one is once the lease is over;
 * - delivery is once per run id (a scheduled run's id is its schedule and slot): `saveRun` writes
 *   only when no run with that id exists, in one atomic step, and only the try whose write it was
 *   notifies — a try that outlived its lease and raced its retry delivers nothing twice;
 * - runs are kept at most `maxRuns` (newest) and at most `maxAgeMs` old; a pruned run's report and
 *   read marks go with it.
 */
import type { Report } from '../../scenes/reports/build-report';
import type { ReportSchedule } from '../../scenes/reports/report-schedule';
import type { Store } from './store';
import type { RedisStore } from './redis-store';
import { RedisReportScheduleStore } from './redis-report-schedules';

/** A schedule as stored: what the admin set plus who and when. */
export interface StoredReportSchedule extends ReportSchedule {
  createdBy: string;
  /** epoch ms */
  createdTs: number;
  /** epoch ms */
  updatedTs: number;
  /** the newest run made of it (scheduled or by hand), for the admin list */
  lastRun?: ReportRunOutcome;
}

export interface ReportRunOutcome {
  runId: string;
  status: 'ok' | 'failed';
  /** epoch ms the run finished */
  ts: number;
  error?: string;
  /** which try of the slot this was, 1 = the first (scheduled runs; a manual run has none) */
  attempt?: number;
  /** epoch ms of the next try of a failed scheduled run; absent on a failure = given up (final) */
  retryTs?: number;
}

/** When a claimed try's successor may start. */
export interface SlotTryTimes {
  /** epoch ms from which the next try may be claimed (once this one ended); null = this is the last try */
  retryTs: number | null;
  /** epoch ms until which this try is taken to be running (its lease): no retry starts before, unless it ends */
  runningUntilTs: number;
}

/** The try of a claimed slot not yet settled (made or given up). */
export interface PendingSlotAttempt {
  /** epoch ms of the cron slot */
  slotTs: number;
  /** the try under way or failed, 1 = the first */
  attempt: number;
  /** epoch ms from which the next try may be claimed; null = this was the last try */
  retryTs: number | null;
  /** epoch ms until which the try is taken to be still running; null = it ended (failed) */
  runningUntilTs: number | null;
}

/** When the try after `p` may be claimed, epoch ms: its retry time, but not while it may still run; null = none. */
export function nextTryTs(p: PendingSlotAttempt): number | null {
  if (p.retryTs === null) return null;
  return p.runningUntilTs === null ? p.retryTs : Math.max(p.retryTs, p.runningUntilTs);
}

/** A generated report delivered to its recipients (the report itself is stored apart). */
export interface ReportRunMeta {
  id: string;
  scheduleId: string;
  kind: ReportSchedule['kind'];
  /** the date (YYYY-MM-DD, Beijing) whose period the report covers */
  date: string;
  district?: ReportSchedule['district'];
  recipients: string[];
  /** 'schedule': made by the ticker for `slotTs`; 'manual': 运行 by an admin */
  trigger: 'schedule' | 'manual';
  /** epoch ms of the cron slot (scheduled) or of the request (manual) */
  slotTs: number;
  /** epoch ms */
  generatedTs: number;
  /** admin who ran it by hand */
  by?: string;
}

export interface ReportRunRetention {
  /** runs kept at most, count (the newest) */
  maxRuns: number;
  /** runs older than this are pruned, ms */
  maxAgeMs: number;
}

export const DEFAULT_REPORT_RUN_RETENTION: Readonly<ReportRunRetention> = { maxRuns: 90, maxAgeMs: 184 * 86_400_000 };

export interface ReportScheduleStore {
  /** false (nothing written) when the id exists */
  createSchedule(s: StoredReportSchedule): Promise<boolean>;
  /** false when there is no such schedule */
  replaceSchedule(s: StoredReportSchedule): Promise<boolean>;
  deleteSchedule(id: string): Promise<boolean>;
  getSchedule(id: string): Promise<StoredReportSchedule | null>;
  /** by id */
  listSchedules(): Promise<StoredReportSchedule[]>;
  /** the newest slot claimed of a schedule, epoch ms, or null */
  lastSlot(id: string): Promise<number | null>;
  /**
   * true once per (id, slotTs), and only for a slot later than every slot claimed before. With
   * `times` the claim also records attempt 1 as pending (and running) until `settleSlot`.
   */
  claimSlot(id: string, slotTs: number, times?: SlotTryTimes): Promise<boolean>;
  /** the newest claimed slot's unsettled attempt, or null */
  pendingAttempt(id: string): Promise<PendingSlotAttempt | null>;
  /**
   * true once: when the pending attempt is (slotTs, attempt - 1) and its `nextTryTs` is not after
   * `nowTs` (epoch ms); it becomes (slotTs, attempt, times)
   */
  claimRetry(id: string, slotTs: number, attempt: number, times: SlotTryTimes, nowTs: number): Promise<boolean>;
  /** try `attempt` of the slot failed: it no longer holds its slot (its retry may start at its retryTs) */
  endTry(id: string, slotTs: number, attempt: number): Promise<void>;
  /** the slot was made or given up: its pending attempt (if still that slot's) goes */
  settleSlot(id: string, slotTs: number): Promise<void>;
  /**
   * stores a run and prunes past retention (relative to `nowTs`); false (nothing written) when a
   * run with its id exists: it was delivered already, by another try
   */
  saveRun(meta: ReportRunMeta, report: Report, nowTs: number): Promise<boolean>;
  /** every kept run, newest first */
  listRuns(): Promise<ReportRunMeta[]>;
  getRun(id: string): Promise<ReportRunMeta | null>;
  getRunReport(id: string): Promise<Report | null>;
  /** run ids `username` has read, of those given */
  readRunIds(username: string, runIds: readonly string[]): Promise<Set<string>>;
  markRead(username: string, runId: string, ts: number): Promise<void>;
}

const newestFirst = (a: ReportRunMeta, b: ReportRunMeta): number => b.generatedTs - a.generatedTs || (a.id < b.id ? 1 : -1);

/** Which runs fall out: past `maxRuns` (newest kept) or older than `maxAgeMs`. Shared by both stores. */
export function runsToPrune(runs: readonly ReportRunMeta[], retention: ReportRunRetention, nowTs: number): ReportRunMeta[] {
  return [...runs].sort(newestFirst).filter((r, i) => i >= retention.maxRuns || r.generatedTs < nowTs - retention.maxAgeMs);
}

export function sortRunsNewestFirst(runs: ReportRunMeta[]): ReportRunMeta[] {
  return runs.sort(newestFirst);
}

export class MemoryReportScheduleStore implements ReportScheduleStore {
  private readonly schedules = new Map<string, StoredReportSchedule>();
  private readonly slots = new Map<string, number>();
  private readonly attempts = new Map<string, PendingSlotAttempt>();
  private readonly runs = new Map<string, { meta: ReportRunMeta; report: Report }>();
  /** `${runId}|${username}` → ts */
  private readonly reads = new Map<string, number>();

  constructor(private readonly retention: ReportRunRetention = DEFAULT_REPORT_RUN_RETENTION) {}

  async createSchedule(s: StoredReportSchedule): Promise<boolean> {
    if (this.schedules.has(s.id)) return false;
    this.schedules.set(s.id, structuredClone(s));
    return true;
  }

  async replaceSchedule(s: StoredReportSchedule): Promise<boolean> {
    if (!this.schedules.has(s.id)) return false;
    this.schedules.set(s.id, structuredClone(s));
    return true;
  }

  async deleteSchedule(id: string): Promise<boolean> {
    this.slots.delete(id);
    this.attempts.delete(id);
    return this.schedules.delete(id);
  }

  async getSchedule(id: string): Promise<StoredReportSchedule | null> {
    const s = this.schedules.get(id);
    return s ? structuredClone(s) : null;
  }

  async listSchedules(): Promise<StoredReportSchedule[]> {
    return [...this.schedules.values()].map((s) => structuredClone(s)).sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  async lastSlot(id: string): Promise<number | null> {
    return this.slots.get(id) ?? null;
  }

  async claimSlot(id: string, slotTs: number, times?: SlotTryTimes): Promise<boolean> {
    if ((this.slots.get(id) ?? -Infinity) >= slotTs) return false;
    this.slots.set(id, slotTs);
    if (times === undefined) this.attempts.delete(id);
    else this.attempts.set(id, { slotTs, attempt: 1, ...times });
    return true;
  }

  async pendingAttempt(id: string): Promise<PendingSlotAttempt | null> {
    const a = this.attempts.get(id);
    return a ? { ...a } : null;
  }

  async claimRetry(id: string, slotTs: number, attempt: number, times: SlotTryTimes, nowTs: number): Promise<boolean> {
    const a = this.attempts.get(id);
    if (!a || a.slotTs !== slotTs || a.attempt !== attempt - 1) return false;
    const next = nextTryTs(a);
    if (next === null || next > nowTs) return false;
    this.attempts.set(id, { slotTs, attempt, ...times });
    return true;
  }

  async endTry(id: string, slotTs: number, attempt: number): Promise<void> {
    const a = this.attempts.get(id);
    if (a && a.slotTs === slotTs && a.attempt === attempt) this.attempts.set(id, { ...a, runningUntilTs: null });
  }

  async settleSlot(id: string, slotTs: number): Promise<void> {
    if (this.attempts.get(id)?.slotTs === slotTs) this.attempts.delete(id);
  }

  async saveRun(meta: ReportRunMeta, report: Report, nowTs: number): Promise<boolean> {
    if (this.runs.has(meta.id)) return false;
    this.runs.set(meta.id, structuredClone({ meta, report }));
    for (const gone of runsToPrune(
      [...this.runs.values()].map((r) => r.meta),
      this.retention,
      nowTs,
    )) {
      this.runs.delete(gone.id);
      for (const u of gone.recipients) this.reads.delete(`${gone.id}|${u}`);
    }
    return true;
  }

  async listRuns(): Promise<ReportRunMeta[]> {
    return sortRunsNewestFirst([...this.runs.values()].map((r) => structuredClone(r.meta)));
  }

  async getRun(id: string): Promise<ReportRunMeta | null> {
    const r = this.runs.get(id);
    return r ? structuredClone(r.meta) : null;
  }

  async getRunReport(id: string): Promise<Report | null> {
    const r = this.runs.get(id);
    return r ? structuredClone(r.report) : null;
  }

  async readRunIds(username: string, runIds: readonly string[]): Promise<Set<string>> {
    return new Set(runIds.filter((id) => this.reads.has(`${id}|${username}`)));
  }

  async markRead(username: string, runId: string, ts: number): Promise<void> {
    if (this.runs.has(runId)) this.reads.set(`${runId}|${username}`, ts);
  }
}

/** One memory store per MemoryStore: a test that restarts a server on the same store keeps its schedules. */
const memoryStores = new WeakMap<Store, MemoryReportScheduleStore>();

/** The schedule store beside `store`: Redis keys under its prefix, or memory living as long as it does. */
export function reportScheduleStoreFor(store: Store, retention: ReportRunRetention = DEFAULT_REPORT_RUN_RETENTION): ReportScheduleStore {
  if (store.kind === 'redis') {
    const redis = store as RedisStore;
    return new RedisReportScheduleStore(redis.redisClient, redis.keyPrefix, retention);
  }
  let memory = memoryStores.get(store);
  if (!memory) {
    memory = new MemoryReportScheduleStore(retention);
    memoryStores.set(store, memory);
  }
  return memory;
}
