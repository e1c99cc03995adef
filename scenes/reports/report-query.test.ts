import { describe, expect, it } from 'vitest';
import { ReportQuerySchema, periodOfQuery } from './report-query';

const parse = (q: Record<string, unknown>) => ReportQuerySchema.safeParse(q);

describe('the report query', () => {
  it.each([
    [{ kind: 'daily', date: '2026-11-30' }],
    [{ kind: 'monthly', date: '2026-11-01', district: '370202' }],
    [{ kind: 'custom', from: '2026-09-01', to: '2026-11-30' }],
  ])('accepts %j', (q) => {
    expect(parse(q).success).toBe(true);
  });

  it.each([
    [{ kind: 'daily' }, 'a daily report without a date'],
    [{ kind: 'yearly', date: '2026-01-01' }, 'an unknown kind'],
    [{ kind: 'daily', date: '2026-02-30' }, 'a date not on the calendar'],
    [{ kind: 'custom', from: '2026-11-30' }, 'a custom report without an end'],
    [{ kind: 'custom', from: '2026-11-30', to: '2026-11-01' }, 'a reversed range'],
    [{ kind: 'custom', from: '2026-01-01', to: '2026-12-31' }, 'a custom range longer than 92 days'],
    [{ kind: 'daily', date: '2026-11-30', district: '999999' }, 'an unknown district'],
    [{ kind: 'daily', date: '2026-11-30', extra: '1' }, 'an unknown parameter'],
  ])('refuses %j (%s)', (q, _why) => {
    expect(parse(q).success).toBe(false);
  });

  it('turns a valid query into its period', () => {
    const q = ReportQuerySchema.parse({ kind: 'custom', from: '2026-11-01', to: '2026-11-02' });
    expect(periodOfQuery(q)).toEqual({
      kind: 'custom',
      fromTs: Date.parse('2026-11-01T00:00:00+08:00'),
      toTs: Date.parse('2026-11-03T00:00:00+08:00'),
    });
  });
});
