/**
 * Scheduled reports over REST (issue 16): only admins manage schedules; validation errors are typed
 * and name the recipient who may not receive the report (unknown, a handler, a district officer on
 * a whole-city report); every change is audited; 运行 delivers to the recipients' inbox and open
 * sockets; a recipient downloads the XLSX, someone else is refused. Also `/api/briefing?period=`
 * (the /brief period selector).
 */
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReportReadyMessageSchema } from '../../scenes/reports/report-schedule';
import { SHINAN, collect, startScopeHarness, type ScopeHarness } from './scope-helpers';

let h: ScopeHarness;
/** limited to 市南区 in beforeAll */
const SCOPED = 'officer1';

async function call(method: string, path: string, username: string, body?: unknown): Promise<{ status: number; body: any }> {
  const r = await fetch(`${h.server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${await h.token(username)}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null };
}

const city = { id: 'daily-city', cron: '0 8 * * *', kind: 'daily', recipients: ['leader1'] };

beforeAll(async () => {
  h = await startScopeHarness('rsched');
  const user = (await h.server.store.getUser(SCOPED))!;
  await h.server.store.putUser({ ...user, districts: [SHINAN.district] });
}, 60_000);

afterAll(async () => {
  await h?.close();
});

describe('managing schedules', () => {
  it('lets only admins create or list schedules', async () => {
    const r = await call('POST', '/api/reports/schedules', 'officer2', city);
    expect(r.status).toBe(403);
    expect(r.body.error.code).toBe('E_FORBIDDEN');
    expect((await call('GET', '/api/reports/schedules', 'leader1')).status).toBe(403);
  });

  it('refuses a bad cron and recipients who may not receive the report, naming them', async () => {
    const badCron = await call('POST', '/api/reports/schedules', 'admin', { ...city, cron: 'every morning' });
    expect(badCron.status).toBe(400);
    expect(badCron.body.error.code).toBe('E_VALIDATION');
    for (const who of ['nobody', 'handler1', SCOPED]) {
      const r = await call('POST', '/api/reports/schedules', 'admin', { ...city, recipients: ['leader1', who] });
      expect(r.status, who).toBe(400);
      expect(r.body.error.code).toBe('E_VALIDATION');
      expect(r.body.error.message).toContain(who);
    }
  });

  it('creates, updates and deletes a schedule, audited', async () => {
    const created = await call('POST', '/api/reports/schedules', 'admin', { ...city, id: 'tmp-weekly', kind: 'weekly', cron: '0 9 * * 1' });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.schedule).toMatchObject({ id: 'tmp-weekly', createdBy: 'admin' });
    expect((await call('POST', '/api/reports/schedules', 'admin', { ...city, id: 'tmp-weekly' })).body.error.code).toBe('E_CONFLICT');
    const updated = await call('PUT', '/api/reports/schedules/tmp-weekly', 'admin', { ...city, kind: 'monthly', cron: '0 9 1 * *' });
    expect(updated.status).toBe(200);
    expect(updated.body.schedule).toMatchObject({ id: 'tmp-weekly', kind: 'monthly', createdBy: 'admin' });
    expect((await call('DELETE', '/api/reports/schedules/tmp-weekly', 'admin')).status).toBe(204);
    expect((await call('DELETE', '/api/reports/schedules/tmp-weekly', 'admin')).body.error.code).toBe('E_NOT_FOUND');
    const page = await h.server.audit.query({ target: 'report_schedule:tmp-weekly' }, { limit: 20, scanMax: 10_000 });
    const actions = page.records.map((r) => `${r.action}:${r.outcome}`);
    for (const a of [
      'report_schedule.create:success',
      'report_schedule.update:success',
      'report_schedule.delete:success',
      'report_schedule.delete:failure',
    ])
      expect(actions).toContain(a);
  });
});

describe('running and delivering', () => {
  it('runs a district schedule now: its recipients see it in the inbox and on their sockets, and download the XLSX', async () => {
    const created = await call('POST', '/api/reports/schedules', 'admin', {
      id: 'shinan-daily',
      cron: '30 7 * * *',
      kind: 'daily',
      district: SHINAN.district,
      recipients: ['leader1', SCOPED],
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const socket = await h.socket(SCOPED);
    const ready = collect<{ runId: string }>(socket, 'report.ready');
    const run = await call('POST', '/api/reports/schedules/shinan-daily/run', 'admin');
    expect(run.status, JSON.stringify(run.body)).toBe(201);
    const runId = run.body.run.id as string;
    expect(run.body.run).toMatchObject({ scheduleId: 'shinan-daily', trigger: 'manual', district: SHINAN.district, recipients: ['leader1', SCOPED] });
    // what the server sends is what the protocol declares (the client validates it with this schema)
    const message = ReportReadyMessageSchema.parse(await ready.waitFor((x) => x.runId === runId));
    expect(message).toMatchObject({ runId, scheduleId: 'shinan-daily', kind: 'daily', district: SHINAN.district });
    expect(message.generatedTs).toBe(run.body.run.generatedTs);

    const inbox = await call('GET', '/api/reports/inbox', SCOPED);
    expect(inbox.body.unread).toBe(1);
    expect(inbox.body.runs[0]).toMatchObject({ id: runId, read: false });

    const file = await fetch(`${h.server.url}/api/reports/runs/${runId}/export?format=xlsx`, {
      headers: { authorization: `Bearer ${await h.token(SCOPED)}` },
    });
    expect(file.status).toBe(200);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load((await file.arrayBuffer()) as ArrayBuffer);
    expect(wb.worksheets.length).toBeGreaterThan(0);
    expect((await call('GET', '/api/reports/inbox', SCOPED)).body.unread).toBe(0);

    // not a recipient, and a handler: refused
    expect((await call('GET', `/api/reports/runs/${runId}`, 'officer2')).body.error.code).toBe('E_FORBIDDEN');
    expect((await call('GET', '/api/reports/inbox', 'handler1')).status).toBe(403);
    expect((await call('GET', `/api/reports/runs/${runId}/export?format=pdf`, 'leader1')).body.error.code).toBe('E_VALIDATION');
    const exports = await h.server.audit.query({ action: 'export', target: `report_run:${runId}` }, { limit: 20, scanMax: 10_000 });
    expect(exports.records.map((r) => r.outcome).sort()).toEqual(['failure', 'success']);
    const schedules = await call('GET', '/api/reports/schedules', 'admin');
    expect(schedules.body.schedules.find((s: { id: string }) => s.id === 'shinan-daily').lastRun).toMatchObject({ runId, status: 'ok' });
  });
});

describe('the briefing period selector over HTTP', () => {
  it('answers the 7-day briefing by default, 30 days on request, and E_VALIDATION for a bad period', async () => {
    const week = await call('GET', '/api/briefing', 'leader1');
    expect(week.status).toBe(200);
    expect(week.body.dayStartTs).toHaveLength(7);
    expect(week.body.period).toMatchObject({ period: '7d', days: 7 });
    const month = await call('GET', '/api/briefing?period=30d', 'leader1');
    expect(month.body.dayStartTs).toHaveLength(30);
    const bad = await call('GET', '/api/briefing?period=year', 'leader1');
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('E_VALIDATION');
    expect((await call('GET', '/api/briefing?period=custom&from=2026-01-01', 'leader1')).body.error.code).toBe('E_VALIDATION');
  });
});
