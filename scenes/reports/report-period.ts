/**
 * Report periods (日报/周报/月报) in Beijing time (UTC+8, no daylight saving): a day, a Monday-based
 * week or a calendar month containing a date, or a custom range of whole days. Every period is
 * half-open `[fromTs, toTs)` in epoch ms. Pure: dates are arguments, never "now".
 */
import { z } from 'zod';

export const REPORT_KINDS = ['daily', 'weekly', 'monthly', 'custom'] as const;
export const ReportKindSchema = z.enum(REPORT_KINDS);
export type ReportKind = z.infer<typeof ReportKindSchema>;

/** Beijing time is UTC+8 all year, ms */
export const BEIJING_OFFSET_MS = 8 * 3600_000;
export const DAY_MS = 86_400_000;
const DAYS_PER_WEEK = 7;
/** a weekly period a year before: 52 weeks back, so it starts on a Monday too */
const WEEKS_PER_YEAR = 52;

/** `YYYY-MM-DD`, a real calendar date */
export const ReportDateSchema = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'a date as YYYY-MM-DD')
  .refine((s) => parseReportDate(s) !== null, 'not a calendar date');

export interface ReportPeriod {
  kind: ReportKind;
  /** epoch ms, included: 00:00 Beijing time of the first day */
  fromTs: number;
  /** epoch ms, excluded: 00:00 Beijing time of the day after the last one */
  toTs: number;
}

/** `2026-11-30` → the epoch ms of 00:00 Beijing time that day; null when not a calendar date. */
export function parseReportDate(date: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const utc = Date.UTC(y, mo - 1, d);
  const back = new Date(utc);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return null;
  return utc - BEIJING_OFFSET_MS;
}

/** epoch ms → its Beijing calendar date `YYYY-MM-DD`. */
export function beijingDate(ts: number): string {
  return new Date(ts + BEIJING_OFFSET_MS).toISOString().slice(0, 10);
}

/** 00:00 Beijing time of the day that contains `ts`, epoch ms. */
export function beijingDayStart(ts: number): number {
  return Math.floor((ts + BEIJING_OFFSET_MS) / DAY_MS) * DAY_MS - BEIJING_OFFSET_MS;
}

/** The daily, weekly (Monday to Sunday) or monthly period containing the Beijing date `date`. */
export function reportPeriod(kind: Exclude<ReportKind, 'custom'>, date: string): ReportPeriod | null {
  const dayStart = parseReportDate(date);
  if (dayStart === null) return null;
  switch (kind) {
    case 'daily':
      return { kind, fromTs: dayStart, toTs: dayStart + DAY_MS };
    case 'weekly': {
      // getUTCDay of the shifted time is the Beijing weekday: 0 = Sunday … 6 = Saturday
      const weekday = new Date(dayStart + BEIJING_OFFSET_MS).getUTCDay();
      const sinceMonday = (weekday + DAYS_PER_WEEK - 1) % DAYS_PER_WEEK;
      const fromTs = dayStart - sinceMonday * DAY_MS;
      return { kind, fromTs, toTs: fromTs + DAYS_PER_WEEK * DAY_MS };
    }
    case 'monthly': {
      const local = new Date(dayStart + BEIJING_OFFSET_MS);
      const y = local.getUTCFullYear();
      const mo = local.getUTCMonth();
      return { kind, fromTs: Date.UTC(y, mo, 1) - BEIJING_OFFSET_MS, toTs: Date.UTC(y, mo + 1, 1) - BEIJING_OFFSET_MS };
    }
  }
}

/** A custom period of whole Beijing days, `from` to `to` both included; null when not dates or `to` is before `from`. */
export function customPeriod(from: string, to: string): ReportPeriod | null {
  const fromTs = parseReportDate(from);
  const lastTs = parseReportDate(to);
  if (fromTs === null || lastTs === null || lastTs < fromTs) return null;
  return { kind: 'custom', fromTs, toTs: lastTs + DAY_MS };
}

/** Whole days in a period. */
export function periodDays(period: Pick<ReportPeriod, 'fromTs' | 'toTs'>): number {
  return Math.round((period.toTs - period.fromTs) / DAY_MS);
}

/** The period just before (环比): the day, week or month before; a custom range of the same length before. */
export function previousPeriod(period: ReportPeriod): ReportPeriod {
  if (period.kind === 'monthly') {
    const local = new Date(period.fromTs + BEIJING_OFFSET_MS);
    const fromTs = Date.UTC(local.getUTCFullYear(), local.getUTCMonth() - 1, 1) - BEIJING_OFFSET_MS;
    return { kind: period.kind, fromTs, toTs: period.fromTs };
  }
  const lengthMs = period.toTs - period.fromTs;
  return { kind: period.kind, fromTs: period.fromTs - lengthMs, toTs: period.fromTs };
}

/**
 * The same period a year before (同比): the same calendar day or month (29 February falls on 1 March),
 * the week 52 weeks before (a Monday again), a custom range of the same dates a year before.
 */
export function samePeriodLastYear(period: ReportPeriod): ReportPeriod {
  if (period.kind === 'weekly') {
    const shift = WEEKS_PER_YEAR * DAYS_PER_WEEK * DAY_MS;
    return { kind: period.kind, fromTs: period.fromTs - shift, toTs: period.toTs - shift };
  }
  const yearBefore = (ts: number): number => {
    const local = new Date(ts + BEIJING_OFFSET_MS);
    return Date.UTC(local.getUTCFullYear() - 1, local.getUTCMonth(), local.getUTCDate()) - BEIJING_OFFSET_MS;
  };
  return { kind: period.kind, fromTs: yearBefore(period.fromTs), toTs: yearBefore(period.toTs) };
}

/** The Beijing days of a period, each `[dayStartTs, dayStartTs + DAY_MS)`, oldest first. */
export function periodDayStarts(period: Pick<ReportPeriod, 'fromTs' | 'toTs'>): number[] {
  const days: number[] = [];
  for (let ts = beijingDayStart(period.fromTs); ts < period.toTs; ts += DAY_MS) days.push(ts);
  return days;
}
