import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { DEMO_PLANS } from '../../scenes/plans/demo-plans';
import { buildReport } from '../../scenes/reports/build-report';
import { previousPeriod, reportPeriod } from '../../scenes/reports/report-period';
import { FIXTURE_DAY, FIXTURE_GENERATED_TS, FIXTURE_INSTANCES } from '../../scenes/reports/plan-responses.fixture';
import { contentDisposition, reportCsv, reportFileNames, reportXlsx, UTF8_BOM } from './report-files';

const period = reportPeriod('weekly', '2026-12-02')!;
const empty = buildReport({
  period,
  incidents: [],
  alerts: [],
  previous: { period: previousPeriod(period), incidents: [], alerts: [] },
  generatedTs: period.toTs,
});

/** the fixture day of contingency responses (scenes/reports/plan-responses.fixture.ts) */
const withPlans = buildReport({
  period: FIXTURE_DAY,
  incidents: [],
  alerts: [],
  previous: { period: previousPeriod(FIXTURE_DAY), incidents: [], alerts: [] },
  planInstances: FIXTURE_INSTANCES,
  planDefinitions: DEMO_PLANS,
  generatedTs: FIXTURE_GENERATED_TS,
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

  it('writes the contingency responses as two XLSX sheets: one row per response, then totals per plan', async () => {
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load((await reportXlsx(withPlans)) as unknown as ArrayBuffer);
    const list = wb.getWorksheet('应急预案响应')!;
    expect(list.getRow(1).values).toEqual([
      undefined,
      '预案',
      '响应级别',
      '区域',
      '启动时间',
      '结束时间',
      '持续时长(小时)',
      '已完成步骤',
      '步骤总数',
      '启动人',
      '结束人',
      '状态',
    ]);
    expect(list.rowCount).toBe(5);
    // the flood response of 市南区: 08:00–11:30, 2 of 4 steps
    expect(list.getRow(3).values).toEqual([
      undefined,
      '青岛市城区防汛（暴雨内涝）应急预案',
      'Ⅲ级',
      '市南区',
      '2026-11-30T08:00:00+08:00',
      '2026-11-30T11:30:00+08:00',
      3.5,
      2,
      4,
      'officer1',
      'leader1',
      '已结束',
    ]);
    // the city-wide level I response still running at 01:00 the next day
    expect(list.getRow(5).values).toEqual([
      undefined,
      '青岛市城区防汛（暴雨内涝）应急预案',
      'Ⅰ级',
      '全市',
      '2026-11-30T20:00:00+08:00',
      '—',
      5,
      0,
      7,
      'system',
      '—',
      '响应中',
    ]);
    const totals = wb.getWorksheet('预案响应汇总')!;
    const rows = totals.getRows(2, totals.rowCount - 1)!.map((r) => (r.values as unknown[]).slice(1));
    expect(rows).toEqual([
      ['青岛市城区防汛（暴雨内涝）应急预案', 2, 7.5],
      ['桥梁超限超载车辆应急处置预案', 1, 1],
      ['社区火灾事故应急预案', 1, 2],
      ['合计', 4, 10.5],
      ['提议未启动(已撤销)', 1],
    ]);
  });

  it('carries the contingency responses in the CSV under their own heading, and leaves them out of a report stored before them', () => {
    const csv = reportCsv(withPlans);
    expect(csv).toContain('\r\n应急预案响应\r\n预案,响应级别,区域,启动时间,结束时间,持续时长(小时),已完成步骤,步骤总数,启动人,结束人,状态\r\n');
    expect(csv).toContain('\r\n合计,4,10.5\r\n');
    const { planResponses: _dropped, ...older } = withPlans;
    expect(reportCsv(older)).not.toContain('应急预案响应');
  });
});
