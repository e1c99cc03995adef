/**
 * Reports (issue 16) end to end: incidents made and worked through the ordinary commands show up in
 * the daily report with the right counts and MTTR; the XLSX reads back with exceljs, the CSV starts
 * with the UTF-8 BOM; exports are audited; a district-scoped officer cannot ask for another district;
 * the after-action summary tells who did what.
 */
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Incident } from '../../scenes/domain';
import type { Report } from '../../scenes/reports/build-report';
import { beijingDate } from '../../scenes/reports/report-period';
import type { IncidentSummary } from '../../scenes/reports/incident-summary';
import { LAOSHAN, SHINAN, incidentAt, startScopeHarness, type ScopeHarness } from './scope-helpers';

let h: ScopeHarness;
let date: string;
const worked: Incident[] = [];
let falseAlarm: Incident;
/** limited to 市南区 in beforeAll */
const SCOPED = 'officer1';
const HANDLER = 'handler3';

/** create → dispatch → accept → arrive → resolve → close, as the officer and the handler would */
async function workThrough(title: string): Promise<Incident> {
  const created = await h.must('officer2', incidentAt(SHINAN, title));
  await h.must('officer2', { type: 'incident.dispatch', incidentId: created.id, assignees: [HANDLER] });
  await h.must(HANDLER, { type: 'incident.accept', incidentId: created.id });
  await h.must(HANDLER, { type: 'incident.arrive', incidentId: created.id });
  await h.must(HANDLER, { type: 'incident.resolve', incidentId: created.id, note: '已关阀，复测正常' });
  return h.must('officer2', { type: 'incident.close', incidentId: created.id, resolutionCategory: 'repaired', summary: '更换阀门' });
}

async function download(path: string, username: string): Promise<{ status: number; headers: Headers; bytes: Buffer }> {
  const r = await fetch(`${h.server.url}${path}`, { headers: { authorization: `Bearer ${await h.token(username)}` } });
  return { status: r.status, headers: r.headers, bytes: Buffer.from(await r.arrayBuffer()) };
}

beforeAll(async () => {
  h = await startScopeHarness('reports');
  const user = (await h.server.store.getUser(SCOPED))!;
  await h.server.store.putUser({ ...user, districts: [SHINAN.district] });
  worked.push(await workThrough('市南区 燃气泄漏 一'), await workThrough('市南区 燃气泄漏 二'));
  const laoshan = await h.must('officer2', incidentAt(LAOSHAN, '崂山区 燃气报警'));
  falseAlarm = await h.must('officer2', { type: 'incident.close_unresolved', incidentId: laoshan.id, outcome: 'false_alarm', reason: '现场无泄漏' });
  await h.must('officer2', incidentAt(SHINAN, '市南区 待派单'));
  date = beijingDate(worked[0]!.createdTs);
}, 60_000);

afterAll(async () => {
  await h?.close();
});

describe('the daily report', () => {
  it('counts the day’s incidents by outcome and level, with SLA and MTTR from the transitions', async () => {
    const r = await h.get(`/api/reports?kind=daily&date=${date}`, 'leader1');
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const report = r.body as Report;
    expect(report.headline).toMatchObject({ incidents: 4, resolved: 2, falseAlarms: 1, open: 1 });
    expect(report.incidents.byOutcome.find((x) => x.key === 'false_alarm')?.count).toBe(1);
    expect(report.incidents.byCategory).toEqual([{ key: 'gas-leak', count: 4 }]);
    expect(report.sla).toMatchObject({ resolved: 2, onTime: 2, compliancePct: 100 });
    const mttr = worked.reduce((s, i) => s + (i.resolvedTs! - i.createdTs), 0) / worked.length;
    expect(report.timings.resolve.count).toBe(2);
    expect(report.timings.resolve.meanMs).toBe(Math.round(mttr));
    expect(report.headline.mttrMs).toBe(Math.round(mttr));
    expect(report.handlers.find((x) => x.handler === HANDLER)).toMatchObject({ assigned: 2, resolved: 2 });
  });

  it('refuses a bad query with E_VALIDATION and field handlers with 403', async () => {
    const bad = await h.get('/api/reports?kind=daily&date=2026-02-30', 'leader1');
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('E_VALIDATION');
    expect((await h.get('/api/reports?kind=yearly&date=2026-01-01', 'leader1')).status).toBe(400);
    expect((await h.get('/api/reports?kind=custom&from=2026-01-01', 'leader1')).status).toBe(400);
    expect((await h.get(`/api/reports?kind=daily&date=${date}`, HANDLER)).status).toBe(403);
  });
});

describe('a district-scoped officer', () => {
  it('gets a report of their district only, and 403 E_FORBIDDEN for another district', async () => {
    const own = await h.get(`/api/reports?kind=daily&date=${date}`, SCOPED);
    expect(own.status).toBe(200);
    expect((own.body as Report).headline).toMatchObject({ incidents: 3, falseAlarms: 0 });
    const other = await h.get(`/api/reports?kind=daily&date=${date}&district=${LAOSHAN.district}`, SCOPED);
    expect(other.status).toBe(403);
    expect(other.body.error.code).toBe('E_FORBIDDEN');
    const otherFile = await download(`/api/reports/export?kind=daily&date=${date}&district=${LAOSHAN.district}&format=csv`, SCOPED);
    expect(otherFile.status).toBe(403);
  });
});

describe('exports', () => {
  it('downloads an XLSX with a Chinese file name that exceljs reads back', async () => {
    const f = await download(`/api/reports/export?kind=daily&date=${date}&format=xlsx`, 'leader1');
    expect(f.status, f.bytes.toString()).toBe(200);
    expect(f.headers.get('content-type')).toContain('spreadsheetml');
    const disposition = f.headers.get('content-disposition')!;
    expect(disposition).toContain(`filename="city-ioc-daily-report_${date}.xlsx"`);
    expect(disposition).toContain(`filename*=UTF-8''${encodeURIComponent(`城市运行日报_${date}.xlsx`)}`);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(f.bytes as unknown as ArrayBuffer);
    expect(wb.worksheets.map((s) => s.name)).toEqual(
      expect.arrayContaining(['概况', '按场景', '按类别', '按级别', '按结果', 'SLA', '时效', '告警设备', '处置人员']),
    );
    const summary = wb.getWorksheet('概况')!;
    expect(summary.getRow(1).getCell(1).value).toBe('指标');
    const row = (label: string) => summary.getRows(1, summary.rowCount)!.find((r) => r.getCell(1).value === label)!;
    expect(row('事件数').getCell(2).value).toBe(4);
    expect(row('误报').getCell(2).value).toBe(1);
    expect(row('SLA达标率(%)').getCell(2).value).toBe(100);
    const outcomes = wb.getWorksheet('按结果')!;
    expect(outcomes.getRow(2).values).toEqual([undefined, '已处置', 2]);
    expect(outcomes.getColumn(1).width).toBeGreaterThan(10);
  });

  it('downloads a CSV that starts with the UTF-8 BOM and reads as Chinese', async () => {
    const f = await download(`/api/reports/export?kind=daily&date=${date}&format=csv`, 'officer2');
    expect(f.status).toBe(200);
    expect([...f.bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = f.bytes.toString('utf8');
    expect(text).toContain('事件数,4,');
    expect(text).toContain('\r\n');
  });

  it('records every export in the audit log, refusals too', async () => {
    const page = await h.server.audit.query({ action: 'export', target: 'reports' }, { limit: 20, scanMax: 10_000 });
    const outcomes = page.records.map((r) => [r.actor, r.outcome, r.details?.format]);
    expect(outcomes).toEqual(
      expect.arrayContaining([
        ['leader1', 'success', 'xlsx'],
        ['officer2', 'success', 'csv'],
        [SCOPED, 'denied', 'csv'],
      ]),
    );
  });
});

describe('the after-action summary (事件总结)', () => {
  it('tells who did what and when, and the outcome', async () => {
    const r = await h.get(`/api/reports/incidents/${worked[0]!.id}/summary`, 'leader1');
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const s = r.body as IncidentSummary;
    expect(s.outcome).toBe('resolved');
    expect(s.resolution).toEqual({ category: 'repaired', summary: '更换阀门' });
    expect(s.timeline.map((t) => t.action)).toEqual(['create', 'dispatch', 'accept', 'arrive', 'resolve', 'close']);
    expect(s.people.find((p) => p.actor === HANDLER)?.actions.map((a) => a.action)).toEqual(['accept', 'arrive', 'resolve']);
    expect(s.timings.resolve).toBe(worked[0]!.resolvedTs! - worked[0]!.createdTs);
  });

  it('is refused outside the caller’s districts and for unknown incidents', async () => {
    expect((await h.get(`/api/reports/incidents/${falseAlarm.id}/summary`, SCOPED)).status).toBe(403);
    expect((await h.get(`/api/reports/incidents/${falseAlarm.id}/summary`, 'leader1')).body.outcome).toBe('false_alarm');
    expect((await h.get('/api/reports/incidents/INC-nope/summary', 'leader1')).status).toBe(404);
  });
});
