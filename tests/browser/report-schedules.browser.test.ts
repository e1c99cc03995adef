/**
 * Scheduled reports in headless Chromium (issue 16): the admin creates a schedule in /admin 定时报表
 * (the cron preview shows the next runs), clicks 立即运行; the officer recipient sees it unread in
 * /reports 已订阅报表 and downloads the XLSX, which exceljs reads back, and the badge clears; the
 * next run appears in the open inbox live (report.ready); a leader's /brief switches to 近30天.
 */
import { readFileSync } from 'node:fs';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { login } from '../../server/test/helpers';
import { browserSuite, collectConsoleErrors, signedInContext, VIEWPORTS, waitUntil } from '../helpers/browser';

const suite = browserSuite();
const SHOTS_DIR = '/tmp';

describe.skipIf(suite.skipped)('scheduled reports', () => {
  it('an admin schedules and runs a report; the recipient finds it in /reports and downloads the XLSX', async () => {
    const admin = await signedInContext(suite.browser, suite.server, 'admin', { viewport: VIEWPORTS.desktop });
    const page = await admin.newPage();
    const errors = collectConsoleErrors(page);
    await page.goto('/admin?tab=reportSchedules');
    await page.locator('[data-testid=schedule-new]').click();
    await page.locator('[data-testid=schedule-id]').fill('daily-browser');
    await page.locator('[data-testid=schedule-cron]').fill('0 8 * * *');
    await waitUntil(async () => (await page.locator('[data-testid=schedule-preview] .num').count()) === 3, 10_000, 'the cron preview');
    expect(await page.locator('[data-testid=schedule-preview]').textContent()).toContain('08:00');
    await page.locator('[data-testid=schedule-recipients]').fill('officer2, leader1');
    await page.locator('[data-testid=schedule-save]').click();
    const row = page.locator('tr[data-schedule=daily-browser]');
    await waitUntil(async () => (await row.count()) === 1, 10_000, 'the new schedule in the list');
    await row.locator('[data-testid=schedule-run]').click();
    await waitUntil(
      async () => ((await row.locator('[data-testid=schedule-last-run]').textContent()) ?? '').includes('成功'),
      15_000,
      'the last run',
    );
    await page.screenshot({ path: `${SHOTS_DIR}/admin-report-schedules.png`, fullPage: true });
    expect(errors).toEqual([]);
    await admin.close();

    const officer = await signedInContext(suite.browser, suite.server, 'officer2', { viewport: VIEWPORTS.desktop, acceptDownloads: true });
    const reports = await officer.newPage();
    await reports.goto('/reports');
    const unread = reports.locator('[data-testid=report-inbox-unread]');
    await waitUntil(async () => (await unread.count()) === 1, 15_000, 'the unread badge');
    expect(await unread.textContent()).toContain('1');
    await reports.screenshot({ path: `${SHOTS_DIR}/reports-inbox.png`, fullPage: true });
    const download = reports.waitForEvent('download', { timeout: 15_000 });
    await reports.locator('[data-testid=report-inbox-xlsx]').first().click();
    const file = await download;
    expect(file.suggestedFilename()).toMatch(/\.xlsx$/);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(readFileSync((await file.path())!) as unknown as ArrayBuffer);
    expect(wb.getWorksheet('概况')).toBeDefined();
    await waitUntil(async () => (await unread.count()) === 0, 10_000, 'the badge to clear');

    // live: the next run reaches the open inbox by report.ready (the fallback poll is 5 min away)
    const adminToken = await login(suite.server, 'admin');
    const ran = await fetch(`${suite.server.url}/api/reports/schedules/daily-browser/run`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}` },
    });
    expect(ran.status).toBe(201);
    await waitUntil(async () => (await unread.count()) === 1, 15_000, 'the second run in the open inbox, unread');
    expect(await reports.locator('[data-testid=report-inbox-xlsx]').count()).toBe(2);
    await officer.close();

    // /brief's period selector (issue 16): 近30天 re-labels the tiles and draws 30 days
    const leader = await signedInContext(suite.browser, suite.server, 'leader1', { viewport: VIEWPORTS.tablet });
    const brief = await leader.newPage();
    const briefErrors = collectConsoleErrors(brief);
    await brief.goto('/brief');
    const thirtyDays = brief.locator('[data-testid=brief-periods] [data-period="30d"]');
    await waitUntil(async () => (await thirtyDays.count()) === 1, 30_000, 'the period selector').catch(async (err: unknown) => {
      await brief.screenshot({ path: `${SHOTS_DIR}/brief-failed.png`, fullPage: true });
      throw new Error(`${(err as Error).message}; console errors: ${briefErrors.join('; ')}`);
    });
    // the map keeps a busy machine's page from settling for a scroll-and-click: dispatch the click itself
    await thirtyDays.dispatchEvent('click');
    const alertsTile = brief.locator('[data-testid=brief-kpis] [data-kpi=alerts] .label');
    await waitUntil(async () => ((await alertsTile.textContent()) ?? '').includes('近30天'), 30_000, 'the 30-day tiles');
    expect(await brief.locator('[data-testid=brief-kpis] [data-kpi=sla] .label').textContent()).toContain('近30天按时办结率');
    // for a person to look at; the live map can keep a loaded machine's page from settling: best effort
    await brief.screenshot({ path: `${SHOTS_DIR}/brief-30d.png`, timeout: 90_000 }).catch(() => undefined);
    await leader.close();
  }, 240_000);
});
