import { describe, expect, it } from 'vitest';
import { buildReport } from '../../scenes/reports/build-report';
import { previousPeriod, reportPeriod } from '../../scenes/reports/report-period';
import { contentDisposition, reportCsv, reportFileNames, UTF8_BOM } from './report-files';

const period = reportPeriod('weekly', '2026-12-02')!;
const empty = buildReport({
  period,
  incidents: [],
  alerts: [],
  previous: { period: previousPeriod(period), incidents: [], alerts: [] },
  generatedTs: period.toTs,
});

describe('report files', () => {
  it('names the file in Chinese with an ASCII fallback, RFC 5987 encoded', () => {
    const names = reportFileNames({ ...empty, district: '370202' }, 'xlsx');
    expect(names).toEqual({ utf8: '城市运行周报_2026-11-30_370202.xlsx', ascii: 'city-ioc-weekly-report_2026-11-30_370202.xlsx' });
    const header = contentDisposition(names);
    expect(header).toBe(
      `attachment; filename="city-ioc-weekly-report_2026-11-30_370202.xlsx"; filename*=UTF-8''${encodeURIComponent('城市运行周报_2026-11-30_370202.xlsx')}`,
    );
    expect(header).toMatch(/^[\x20-\x7e]+$/);
  });

  it('writes CSV as UTF-8 with a BOM, CRLF lines, every table under its name', () => {
    const csv = reportCsv(empty);
    expect(csv.startsWith(UTF8_BOM)).toBe(true);
    expect(csv).toContain('\r\n概况\r\n指标,本期,上期,环比变化,环比(%),去年同期,同比变化,同比(%)\r\n');
    expect(csv).toContain('\r\n每日趋势\r\n');
    // an empty week: changes against nothing are "—", never Infinity
    expect(csv).toContain('事件数,0,0,0,—,—,—,—');
    expect(csv).not.toMatch(/Infinity|NaN/);
  });

  it('quotes cells that a spreadsheet would run as formulas', () => {
    const hostile = { ...empty, incidents: { ...empty.incidents, byCategory: [{ key: '=HYPERLINK("x")', count: 1 }] } };
    expect(reportCsv(hostile)).toContain(`"'=HYPERLINK(""x"")",1`);
  });
});
