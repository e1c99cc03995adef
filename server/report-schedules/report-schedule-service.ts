/**
 * Scheduled reports (issue 16), the server part around scenes/reports/report-schedule.ts: schedules
 * an admin keeps, runs made by the ticker (once per cron slot cluster-wide) or by hand, delivery
 * to the recipients (their inbox, a live `report.ready`, the notification service's webhooks and
 * Web Push) and who may read a run.
 *
 * Who may receive a report: an existing, enabled leader, officer or admin whose data scope covers
 * it — a district report needs that district in the recipient's districts, a whole-city report a
 * whole-city recipient. Checked when an admin saves the schedule (E_VALIDATION naming the
 * recipient) and again at every run and download (a scope can shrink after the schedule was saved:
 * that recipient is skipped / refused).
 */
import { randomUUID } from 'node:crypto';
import type { DistrictCode } from '../../scenes/domain';
import type { IocError } from '../../scenes/protocol';
import { WHOLE_CITY, districtInScope, isWholeCity } from '../../scenes/scope';
import type { Report } from '../../scenes/reports/build-report';
import { type ReportReadyMessage, type ReportSchedule, ReportScheduleSchema, dueRun, reportDateForRun } from '../../scenes/reports/report-schedule';
import { beijingDate } from '../../scenes/reports/report-period';
import { iocError } from '../errors';
import { safeValidate } from '../guard';
import type { Logger } from '../logger';
import { REPORT_READERS, generateReport, type ReportGeneratorDeps } from '../reports/report-router';
import {
  nextTryTs,
  type ReportRunMeta,
  type ReportScheduleStore,
  type SlotTryTimes,
  type StoredReportSchedule,
} from '../store/report-schedule-store';
import type { Store } from '../store/store';
import { userScope } from '../user-scope';

/** One entry of a user's inbox. */
export interface ReportInboxEntry extends ReportRunMeta {
  read: boolean;
}

export interface ReportInbox {
  runs: ReportInboxEntry[];
  unread: number;
}

/** What a delivered run tells its recipients' open pages (`report.ready` on `/live`). */
export type ReportReadyEvent = ReportReadyMessage;

export interface ReportScheduleServiceDeps {
  schedules: ReportScheduleStore;
  users: Pick<Store, 'getUser'>;
  generator: ReportGeneratorDeps;
  log: Logger;
  /** told once per delivered run: live sockets of the recipients, webhooks, push (best effort) */
  onDelivered?: (run: ReportRunMeta) => void;
  now?: () => number;
  /** waits before the 2nd, 3rd … try of a failed scheduled run, ms (default REPORT_RETRY_DELAYS_MS) */
  retryDelaysMs?: readonly number[];
  /** a scheduled try holds its slot this long unless it ends first, ms (default REPORT_TRY_LEASE_MS) */
  tryLeaseMs?: number;
}

/**
 * A failed scheduled run is tried again after 1, 5 and 15 min (4 tries in all), then given up: long
 * enough for a restarted store or a passing generator fault, short enough to finish well before the
 * schedule's next slot (whose claim abandons an older slot's retries).
 */
export const REPORT_RETRY_DELAYS_MS: readonly number[] = [60_000, 300_000, 900_000];

/**
 * A scheduled try is taken to be running this long after its claim, ms: no retry of its slot starts
 * before it ends (a failure ends it at once) or this runs out (its node died). Well above a report's
 * generation time (seconds); a try slower still may race its retry, and the store's once-per-run
 * write (ReportScheduleStore.saveRun) keeps that to one delivery.
 */
export const REPORT_TRY_LEASE_MS = 5 * 60_000;

/** records the change in the audit log; throws (AuditUnavailableError) when it cannot */
export type BeforeWrite = (schedule: StoredReportSchedule) => Promise<void>;

/** which try of a scheduled slot this is, and when the next may start (null = none: the last) */
interface SlotTry {
  attempt: number;
  retryTs: number | null;
}

/** what one try came to: a run it delivered, a run another try had delivered, or a failure */
type RunOutcome = { status: 'delivered'; run: ReportRunMeta } | { status: 'delivered_before' } | { status: 'failed' };

export type ServiceResult<T> = { ok: true; value: T } | { ok: false; error: IocError };

const ok = <T>(value: T): ServiceResult<T> => ({ ok: true, value });
const fail = <T>(error: IocError): ServiceResult<T> => ({ ok: false, error });

export class ReportScheduleService {
  private readonly now: () => number;
  private readonly retryDelaysMs: readonly number[];
  private readonly tryLeaseMs: number;

  constructor(private readonly d: ReportScheduleServiceDeps) {
    this.now = d.now ?? Date.now;
    this.retryDelaysMs = d.retryDelaysMs ?? REPORT_RETRY_DELAYS_MS;
    this.tryLeaseMs = d.tryLeaseMs ?? REPORT_TRY_LEASE_MS;
  }

  /** the times of try `attempt` claimed at `nowTs`: when the next may start (null when it is the last), how long it holds the slot */
  private tryTimes(attempt: number, nowTs: number): SlotTryTimes {
    const delay = this.retryDelaysMs[attempt - 1];
    return { retryTs: delay === undefined ? null : nowTs + delay, runningUntilTs: nowTs + this.tryLeaseMs };
  }

  list(): Promise<StoredReportSchedule[]> {
    return this.d.schedules.listSchedules();
  }

  /** Why `username` may not receive a report of `district` (undefined = whole city), or null. */
  async recipientRefusal(username: string, district: DistrictCode | undefined): Promise<string | null> {
    const user = await this.d.users.getUser(username);
    if (!user || user.disabled) return `${username}: no such active user`;
    if (!REPORT_READERS.includes(user.role)) return `${username}: role ${user.role} does not read reports`;
    const scope = await userScope(this.d.users, user);
    if (district === undefined ? !isWholeCity(scope) : !districtInScope(scope, district))
      return `${username}: limited to other districts than ${district ?? 'the whole city'} (give the schedule one of their districts)`;
    return null;
  }

  private async validate(input: unknown): Promise<ServiceResult<ReportSchedule>> {
    const v = safeValidate(ReportScheduleSchema, input, 'report schedule');
    if (!v.ok) return fail(v.error);
    const recipients = [...new Set(v.data.recipients)];
    const refusals = (await Promise.all(recipients.map((u) => this.recipientRefusal(u, v.data.district)))).filter((x): x is string => x !== null);
    if (refusals.length > 0) return fail(iocError('E_VALIDATION', `invalid recipients: ${refusals.join('; ')}`, { recipients: refusals }));
    return ok({ ...v.data, recipients });
  }

  /** `audit` runs after validation and before the write: a change that cannot be recorded is not made. */
  async create(input: unknown, by: string, audit: BeforeWrite): Promise<ServiceResult<StoredReportSchedule>> {
    const v = await this.validate(input);
    if (!v.ok) return v;
    const nowTs = this.now();
    const stored: StoredReportSchedule = { ...v.value, createdBy: by, createdTs: nowTs, updatedTs: nowTs };
    if (await this.d.schedules.getSchedule(stored.id)) return fail(iocError('E_CONFLICT', `a schedule ${v.value.id} exists`));
    await audit(stored);
    if (!(await this.d.schedules.createSchedule(stored))) return fail(iocError('E_CONFLICT', `a schedule ${v.value.id} exists`));
    return ok(stored);
  }

  async update(id: string, input: unknown, audit: BeforeWrite): Promise<ServiceResult<StoredReportSchedule>> {
    const current = await this.d.schedules.getSchedule(id);
    if (!current) return fail(iocError('E_NOT_FOUND', `no schedule ${id}`));
    const v = await this.validate({ ...(input !== null && typeof input === 'object' ? input : {}), id });
    if (!v.ok) return v;
    const { district: _old, ...kept } = current;
    const stored: StoredReportSchedule = { ...kept, ...v.value, updatedTs: this.now() };
    await audit(stored);
    if (!(await this.d.schedules.replaceSchedule(stored))) return fail(iocError('E_NOT_FOUND', `no schedule ${id}`));
    return ok(stored);
  }

  async remove(id: string, audit: BeforeWrite): Promise<ServiceResult<true>> {
    const current = await this.d.schedules.getSchedule(id);
    if (!current) return fail(iocError('E_NOT_FOUND', `no schedule ${id}`));
    await audit(current);
    return (await this.d.schedules.deleteSchedule(id)) ? ok(true) : fail(iocError('E_NOT_FOUND', `no schedule ${id}`));
  }

  /** 运行: makes the report of the period completed before now, at once (no slot is claimed). */
  async runNow(id: string, by: string, audit: BeforeWrite): Promise<ServiceResult<ReportRunMeta>> {
    const schedule = await this.d.schedules.getSchedule(id);
    if (!schedule) return fail(iocError('E_NOT_FOUND', `no schedule ${id}`));
    await audit(schedule);
    const nowTs = this.now();
    const out = await this.makeRun(schedule, {
      id: `${id}-m${nowTs.toString(36)}-${randomUUID().slice(0, 6)}`,
      trigger: 'manual',
      slotTs: nowTs,
      by,
    });
    return out.status === 'delivered' ? ok(out.run) : fail(iocError('E_INTERNAL', 'the report could not be made (see the server log)'));
  }

  /**
   * One ticker pass: for each schedule, first a failed slot's next try when it is due, then the
   * newest cron slot after the last claimed one (or after its creation) and not after now. A slot,
   * and each of its retries, is made only by whoever claims it in the store; the claim records the
   * pending try with it, so a try lost with the store or the process is retried too — once its lease
   * is over, never while it may still be generating. A slot is delivered once whatever the tries:
   * only the try whose run the store wrote first notifies (ReportScheduleStore.saveRun).
   * Returns the runs made.
   */
  async runDue(): Promise<ReportRunMeta[]> {
    const made: ReportRunMeta[] = [];
    for (const schedule of await this.d.schedules.listSchedules()) {
      const pending = await this.d.schedules.pendingAttempt(schedule.id);
      const retryAt = pending ? nextTryTs(pending) : null;
      if (pending && retryAt !== null && retryAt <= this.now()) {
        const attempt = pending.attempt + 1;
        const nowTs = this.now();
        const times = this.tryTimes(attempt, nowTs);
        if (await this.d.schedules.claimRetry(schedule.id, pending.slotTs, attempt, times, nowTs)) {
          const run = await this.makeScheduledRun(schedule, pending.slotTs, { attempt, retryTs: times.retryTs });
          if (run) made.push(run);
        }
      }
      const nowTs = this.now();
      const since = (await this.d.schedules.lastSlot(schedule.id)) ?? schedule.createdTs;
      const slotTs = dueRun(schedule.cron, since, nowTs);
      const times = this.tryTimes(1, nowTs);
      if (slotTs === null || !(await this.d.schedules.claimSlot(schedule.id, slotTs, times))) continue;
      const run = await this.makeScheduledRun(schedule, slotTs, { attempt: 1, retryTs: times.retryTs });
      if (run) made.push(run);
    }
    return made;
  }

  /**
   * One try of a claimed slot (its run id is the schedule's and the slot's, the same for every try).
   * A slot delivered (now or by an earlier try) or finally failed is settled; a failed try ends its
   * hold on the slot, so its retry comes at the retry time rather than after the lease.
   */
  private async makeScheduledRun(schedule: StoredReportSchedule, slotTs: number, tries: SlotTry): Promise<ReportRunMeta | null> {
    const id = `${schedule.id}-${slotTs.toString(36)}`;
    const settle = () =>
      this.d.schedules
        .settleSlot(schedule.id, slotTs)
        .catch((err: unknown) => this.d.log.warn({ err, scheduleId: schedule.id }, 'settling a report slot failed'));
    // a try whose slot was delivered (a settle lost with the store, a slow try) makes nothing
    if (await this.d.schedules.getRun(id).catch(() => null)) {
      await settle();
      return null;
    }
    const out = await this.makeRun(schedule, { id, trigger: 'schedule', slotTs }, tries);
    if (out.status !== 'failed' || tries.retryTs === null) await settle();
    else
      await this.d.schedules
        .endTry(schedule.id, slotTs, tries.attempt)
        .catch((err: unknown) =>
          this.d.log.warn({ err, scheduleId: schedule.id }, 'ending a failed report try failed; its retry waits for the lease'),
        );
    return out.status === 'delivered' ? out.run : null;
  }

  private async makeRun(
    schedule: StoredReportSchedule,
    how: Pick<ReportRunMeta, 'id' | 'trigger' | 'slotTs' | 'by'>,
    tries?: SlotTry,
  ): Promise<RunOutcome> {
    const nowTs = this.now();
    let meta: ReportRunMeta;
    try {
      const allowed = await Promise.all(schedule.recipients.map(async (u) => ((await this.recipientRefusal(u, schedule.district)) ? null : u)));
      const recipients = allowed.filter((u): u is string => u !== null);
      const date = reportDateForRun(schedule.kind, how.slotTs);
      const query = { kind: schedule.kind, date, ...(schedule.district ? { district: schedule.district } : {}) };
      const report: Report = await generateReport(this.d.generator, query, WHOLE_CITY, nowTs);
      meta = {
        id: how.id,
        trigger: how.trigger,
        slotTs: how.slotTs,
        ...(how.by !== undefined ? { by: how.by } : {}),
        scheduleId: schedule.id,
        kind: schedule.kind,
        date,
        ...(schedule.district ? { district: schedule.district } : {}),
        recipients,
        generatedTs: nowTs,
      };
      if (!(await this.d.schedules.saveRun(meta, report, nowTs))) {
        this.d.log.info({ scheduleId: schedule.id, runId: meta.id, attempt: tries?.attempt }, 'scheduled report was delivered by another try');
        return { status: 'delivered_before' };
      }
    } catch (err) {
      this.d.log.error(
        { err, scheduleId: schedule.id, slot: beijingDate(how.slotTs), attempt: tries?.attempt, retryTs: tries?.retryTs },
        tries?.retryTs ? 'scheduled report failed; will retry' : 'scheduled report failed',
      );
      await this.noteLastRun(schedule.id, {
        runId: how.id,
        status: 'failed',
        ts: nowTs,
        error: (err as Error).message?.slice(0, 200) ?? 'error',
        ...(tries ? { attempt: tries.attempt } : {}),
        ...(tries?.retryTs ? { retryTs: tries.retryTs } : {}),
      }).catch(() => undefined);
      return { status: 'failed' };
    }
    // delivered: announced whatever happens to the admin list's note
    this.d.log.info({ scheduleId: schedule.id, runId: meta.id, date: meta.date, recipients: meta.recipients.length }, 'scheduled report made');
    this.d.onDelivered?.(meta);
    await this.noteLastRun(schedule.id, { runId: meta.id, status: 'ok', ts: nowTs, ...(tries ? { attempt: tries.attempt } : {}) }).catch(
      (err: unknown) => this.d.log.warn({ err, scheduleId: schedule.id }, 'noting a delivered report run failed'),
    );
    return { status: 'delivered', run: meta };
  }

  /** the admin list's "last run"; a schedule deleted meanwhile stays deleted */
  private async noteLastRun(id: string, lastRun: NonNullable<StoredReportSchedule['lastRun']>): Promise<void> {
    const current = await this.d.schedules.getSchedule(id);
    if (current) await this.d.schedules.replaceSchedule({ ...current, lastRun });
  }

  /** The runs delivered to `username`, newest first, with read marks. */
  async inbox(username: string): Promise<ReportInbox> {
    const mine = (await this.d.schedules.listRuns()).filter((r) => r.recipients.includes(username));
    const read = await this.d.schedules.readRunIds(
      username,
      mine.map((r) => r.id),
    );
    const runs = mine.map((r) => ({ ...r, read: read.has(r.id) }));
    return { runs, unread: runs.filter((r) => !r.read).length };
  }

  /** A run's report for a reader: admins, or a recipient whose scope still covers it. Marks it read. */
  async readRun(runId: string, who: { username: string; role: string }): Promise<ServiceResult<{ meta: ReportRunMeta; report: Report }>> {
    const meta = await this.d.schedules.getRun(runId);
    if (!meta) return fail(iocError('E_NOT_FOUND', `no report run ${runId}`));
    if (who.role !== 'admin') {
      if (!meta.recipients.includes(who.username)) return fail(iocError('E_FORBIDDEN', 'this report was not delivered to you'));
      const refusal = await this.recipientRefusal(who.username, meta.district);
      if (refusal) return fail(iocError('E_FORBIDDEN', refusal));
    }
    const report = await this.d.schedules.getRunReport(runId);
    if (!report) return fail(iocError('E_NOT_FOUND', `report run ${runId} has no report (pruned)`));
    if (meta.recipients.includes(who.username)) await this.d.schedules.markRead(who.username, runId, this.now());
    return ok({ meta, report });
  }
}
