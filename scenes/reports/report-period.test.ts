import { describe, expect, it } from 'vitest';
import {
  beijingDate,
  customPeriod,
  parseReportDate,
  periodDayStarts,
  periodDays,
  previousPeriod,
  reportPeriod,
  samePeriodLastYear,
} from './report-period';

const bj = (iso: string): number => Date.parse(`${iso}+08:00`);

describe('report periods in Beijing time', () => {
  it.each([
    ['daily', '2026-11-30', '2026-11-30T00:00:00', '2026-12-01T00:00:00'],
    ['weekly', '2026-11-30', '2026-11-30T00:00:00', '2026-12-07T00:00:00'], // a Monday
    ['weekly', '2026-12-06', '2026-11-30T00:00:00', '2026-12-07T00:00:00'], // a Sunday belongs to the week before it
    ['weekly', '2026-12-02', '2026-11-30T00:00:00', '2026-12-07T00:00:00'],
    ['monthly', '2026-11-30', '2026-11-01T00:00:00', '2026-12-01T00:00:00'],
    ['monthly', '2026-12-15', '2026-12-01T00:00:00', '2027-01-01T00:00:00'],
    ['monthly', '2028-02-10', '2028-02-01T00:00:00', '2028-03-01T00:00:00'],
  ] as const)('a %s period of %s runs from %s to %s Beijing time', (kind, date, from, to) => {
    expect(reportPeriod(kind, date)).toEqual({ kind, fromTs: bj(from), toTs: bj(to) });
  });

  it('refuses dates that are not on the calendar', () => {
    expect(parseReportDate('2026-02-30')).toBeNull();
    expect(parseReportDate('2026-13-01')).toBeNull();
    expect(parseReportDate('26-1-1')).toBeNull();
    expect(reportPeriod('daily', '2026-02-29')).toBeNull();
  });

  it('a Beijing midnight is 16:00 UTC the day before', () => {
    expect(new Date(parseReportDate('2026-12-01')!).toISOString()).toBe('2026-11-30T16:00:00.000Z');
    expect(beijingDate(Date.parse('2026-11-30T16:00:00Z'))).toBe('2026-12-01');
    expect(beijingDate(Date.parse('2026-11-30T15:59:59Z'))).toBe('2026-11-30');
  });

  it('a custom period covers whole days, both ends included, and refuses a reversed range', () => {
    const p = customPeriod('2026-11-01', '2026-11-03')!;
    expect(p).toEqual({ kind: 'custom', fromTs: bj('2026-11-01T00:00:00'), toTs: bj('2026-11-04T00:00:00') });
    expect(periodDays(p)).toBe(3);
    expect(periodDayStarts(p)).toEqual([bj('2026-11-01T00:00:00'), bj('2026-11-02T00:00:00'), bj('2026-11-03T00:00:00')]);
    expect(customPeriod('2026-11-03', '2026-11-01')).toBeNull();
  });

  it.each([
    ['daily', '2026-12-01', '2026-11-30T00:00:00', '2026-12-01T00:00:00'],
    ['weekly', '2026-12-02', '2026-11-23T00:00:00', '2026-11-30T00:00:00'],
    ['monthly', '2026-03-15', '2026-02-01T00:00:00', '2026-03-01T00:00:00'],
    ['monthly', '2026-01-15', '2025-12-01T00:00:00', '2026-01-01T00:00:00'],
  ] as const)('the period before a %s period of %s (环比) runs from %s to %s', (kind, date, from, to) => {
    expect(previousPeriod(reportPeriod(kind, date)!)).toEqual({ kind, fromTs: bj(from), toTs: bj(to) });
  });

  it('the period before a custom range is as long and ends where it starts', () => {
    expect(previousPeriod(customPeriod('2026-11-04', '2026-11-06')!)).toEqual({
      kind: 'custom',
      fromTs: bj('2026-11-01T00:00:00'),
      toTs: bj('2026-11-04T00:00:00'),
    });
  });

  it.each([
    ['daily', '2026-12-01', '2025-12-01T00:00:00', '2025-12-02T00:00:00'],
    ['monthly', '2026-11-20', '2025-11-01T00:00:00', '2025-12-01T00:00:00'],
    ['weekly', '2026-12-02', '2025-12-01T00:00:00', '2025-12-08T00:00:00'], // 52 weeks back: a Monday again
  ] as const)('the same %s period a year before %s (同比) runs from %s to %s', (kind, date, from, to) => {
    expect(samePeriodLastYear(reportPeriod(kind, date)!)).toEqual({ kind, fromTs: bj(from), toTs: bj(to) });
  });
});
