/**
 * Scheduled reports (issue 16), the pure part: what a schedule is, when it is next due (a cron
 * expression read in Beijing time, by croner) and which period a run reports on — the one just
 * completed (a daily report at 08:00 covers the day before). Storing schedules, the admin API, the
 * leased ticker and in-app delivery are server/report-schedules/ (see the README, Reports).
 */
import { Cron } from 'croner';
import { z } from 'zod';
import { DistrictCodeSchema } from '../domain';
import { type ReportKind, BEIJING_OFFSET_MS, DAY_MS, beijingDate, parseReportDate } from './report-period';

export const REPORT_SCHEDULE_TIMEZONE = 'Asia/Shanghai';
/** people told of one scheduled report at most */
export const REPORT_SCHEDULE_RECIPIENTS_MAX = 50;
/** missed runs looked through at most when catching up (only the newest is made) */
export const REPORT_SCHEDULE_CATCH_UP_RUNS_MAX = 400;
const DAYS_PER_WEEK = 7;

/** A cron expression croner accepts (5 or 6 fields); read in Beijing time. */
export const CronExpressionSchema = z
  .string()
  .min(9)
  .max(100)
  .refine((expr) => {
    try {
      new Cron(expr, { paused: true, timezone: REPORT_SCHEDULE_TIMEZONE });
      return true;
    } catch {
      return false;
    }
  }, 'not a cron expression (e.g. "0 8 * * *" = every day at 08:00 Beijing time)');

export const ReportScheduleSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'id: up to 40 lower-case letters, digits and -'),
  cron: CronExpressionSchema,
  kind: z.enum(['daily', 'weekly', 'monthly']),
  district: DistrictCodeSchema.optional(),
  recipients: z.array(z.string().min(1).max(64)).min(1).max(REPORT_SCHEDULE_RECIPIENTS_MAX),
});
export type ReportSchedule = z.infer<typeof ReportScheduleSchema>;

/**
 * `report.ready` on `/live` (server → each recipient's sockets, their `user:<username>` room): a
 * scheduled or manual run was delivered. Readers' inboxes refetch on it; the inbox stays the truth.
 */
export const ReportReadyMessageSchema = z.object({
  runId: z.string().min(1).max(200),
  /** the schedule's id, which is its name in the admin list */
  scheduleId: ReportScheduleSchema.shape.id,
  kind: ReportScheduleSchema.shape.kind,
  /** YYYY-MM-DD (Beijing): the date whose day, week or month the report covers */
  date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  /** absent = the whole city */
  district: DistrictCodeSchema.optional(),
  /** epoch ms the report was made (ready) */
  generatedTs: z.number().int().nonnegative(),
});
export type ReportReadyMessage = z.infer<typeof ReportReadyMessageSchema>;

/**
 * The newest run of `cron` after `lastRunTs` and at or before `nowTs` (epoch ms), or null when none
 * is due. Runs missed while no node held the timer are not made one by one: the newest stands for them.
 */
export function dueRun(cron: string, lastRunTs: number, nowTs: number): number | null {
  const c = new Cron(cron, { paused: true, timezone: REPORT_SCHEDULE_TIMEZONE });
  let due: number | null = null;
  let from = new Date(lastRunTs);
  for (let i = 0; i < REPORT_SCHEDULE_CATCH_UP_RUNS_MAX; i++) {
    const next = c.nextRun(from);
    if (!next || next.getTime() > nowTs) break;
    due = next.getTime();
    from = next;
  }
  return due;
}

/**
 * The date (YYYY-MM-DD, Beijing) whose period a run at `runTs` reports on: the day, Monday-based
 * week or month completed before the run.
 */
export function reportDateForRun(kind: Exclude<ReportKind, 'custom'>, runTs: number): string {
  const runDayStart = parseReportDate(beijingDate(runTs))!;
  switch (kind) {
    case 'daily':
      return beijingDate(runDayStart - DAY_MS);
    case 'weekly':
      return beijingDate(runDayStart - DAYS_PER_WEEK * DAY_MS);
    case 'monthly': {
      const local = new Date(runDayStart + BEIJING_OFFSET_MS);
      // the last day of the month before
      return beijingDate(Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), 0) - BEIJING_OFFSET_MS);
    }
  }
}

/**
 * The next `count` runs of `cron` after `fromTs` (epoch ms), for the admin's preview; null when the
 * expression is not one croner accepts.
 */
export function nextRuns(cron: string, fromTs: number, count: number): number[] | null {
  let c: Cron;
  try {
    c = new Cron(cron, { paused: true, timezone: REPORT_SCHEDULE_TIMEZONE });
  } catch {
    return null;
  }
  return c.nextRuns(count, new Date(fromTs)).map((d) => d.getTime());
}
