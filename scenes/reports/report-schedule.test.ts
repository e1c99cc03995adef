import { describe, expect, it } from 'vitest';
import { ReportScheduleSchema, dueRun, nextRuns, reportDateForRun } from './report-schedule';

const bj = (iso: string): number => Date.parse(`${iso}+08:00`);

describe('scheduled reports', () => {
  it('reads a cron expression in Beijing time: 08:00 every day is 00:00 UTC', () => {
    expect(dueRun('0 8 * * *', bj('2026-12-01T07:00:00'), bj('2026-12-01T08:00:00'))).toBe(bj('2026-12-01T08:00:00'));
    expect(dueRun('0 8 * * *', bj('2026-12-01T08:00:00'), bj('2026-12-01T09:00:00'))).toBeNull();
  });

  it('makes only the newest of several missed runs', () => {
    expect(dueRun('0 8 * * *', bj('2026-11-20T09:00:00'), bj('2026-12-01T10:00:00'))).toBe(bj('2026-12-01T08:00:00'));
  });

  it.each([
    ['daily', '2026-12-01T08:00:00', '2026-11-30'],
    ['weekly', '2026-12-07T08:00:00', '2026-11-30'], // a Monday run: the week before
    ['monthly', '2026-12-01T08:00:00', '2026-11-30'],
    ['monthly', '2026-01-01T08:00:00', '2025-12-31'],
  ] as const)('a %s run at %s reports on the period of %s', (kind, run, date) => {
    expect(reportDateForRun(kind, bj(run))).toBe(date);
  });

  it('accepts a schedule and refuses a bad cron, an unknown kind or no recipients', () => {
    const ok = { id: 'daily-city', cron: '0 8 * * *', kind: 'daily', recipients: ['leader1'] };
    expect(ReportScheduleSchema.safeParse(ok).success).toBe(true);
    expect(ReportScheduleSchema.safeParse({ ...ok, cron: 'every day' }).success).toBe(false);
    expect(ReportScheduleSchema.safeParse({ ...ok, kind: 'custom' }).success).toBe(false);
    expect(ReportScheduleSchema.safeParse({ ...ok, recipients: [] }).success).toBe(false);
  });

  it('previews the next runs in Beijing time, and none for a bad expression', () => {
    expect(nextRuns('0 8 * * 1', bj('2026-12-01T09:00:00'), 3)).toEqual([
      bj('2026-12-07T08:00:00'),
      bj('2026-12-14T08:00:00'),
      bj('2026-12-21T08:00:00'),
    ]);
    expect(nextRuns('nonsense', 0, 3)).toBeNull();
  });
});
