/**
 * The reports page in headless Chromium (issue 16, "done when"): `/reports` opened by leader1 shows
 * the daily report's KPI numbers for incidents worked through the ordinary commands, downloads an
 * XLSX that exceljs reads back, prints to an A4 PDF; the after-action page shows who did what.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { DEMO_HANDLERS } from '../../scenes/city/qingdao';
import type { Incident } from '../../scenes/domain';
import { login } from '../../server/test/helpers';
import { beijingDate } from '../../scenes/reports/report-period';
import { browserSuite, collectConsoleErrors, signedInContext, VIEWPORTS, waitUntil } from '../helpers/browser';

const suite = browserSuite({ commandRatePerS: 10_000, commandBurst: 10_000 });
/** screenshots and the PDF, for a person to look at */
const SHOTS_DIR = '/tmp';
let seq = 0;
/** an A4 sheet in CSS px (96 dpi) */
const A4_VIEWPORT = { width: 794, height: 1123 };

async function command(username: string, body: Record<string, unknown>): Promise<Incident> {
  const token = await login(suite.server, username);
  const r = await fetch(`${suite.server.url}/api/commands`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ commandId: `reports-browser-${process.pid}-${++seq}`, ...body }),
  });
  const answer = (await r.json()) as { ok: boolean; incident?: Incident };
  if (!answer.ok || !answer.incident) throw new Error(`${String(body.type)} failed: ${JSON.stringify(answer)}`);
  return answer.incident;
}

const create = (title: string) =>
  command('officer2', {
    type: 'incident.create',
    title,
    category: 'gas-leak',
    scene: 'emergency',
    location: [120.38, 36.07],
    district: '370202',
    priority: 'P2',
  });

describe.skipIf(suite.skipped)('the reports page', () => {
  it('shows the daily KPI numbers, downloads an XLSX and prints on A4', async () => {
    const done = await create('市南区 燃气泄漏');
    for (const [who, body] of [
      ['officer2', { type: 'incident.dispatch', assignees: ['handler3'] }],
      ['handler3', { type: 'incident.accept' }],
      ['handler3', { type: 'incident.arrive' }],
      ['handler3', { type: 'incident.resolve', note: '关阀，复测正常' }],
      ['officer2', { type: 'incident.close', resolutionCategory: 'repaired', summary: '更换阀门' }],
    ] as const)
      await command(who, { ...body, incidentId: done.id });
    await create('市南区 燃气报警 待处置');

    const leader = await signedInContext(suite.browser, suite.server, 'leader1', { viewport: VIEWPORTS.desktop, acceptDownloads: true });
    const page = await leader.newPage();
    const errors = collectConsoleErrors(page);
    await page.goto(`/reports?kind=daily&date=${beijingDate(done.createdTs)}`);
    const kpi = (key: string) => page.locator(`[data-testid=report-kpis] [data-kpi=${key}] .value`);
    await waitUntil(
      async () => (await kpi('incidents').count()) === 1 && (await kpi('incidents').textContent())?.trim() === '2',
      15_000,
      'the incidents KPI',
    );
    expect((await kpi('resolved').textContent())?.trim()).toBe('1');
    expect((await kpi('open').textContent())?.trim()).toBe('1');
    expect((await kpi('slaCompliancePct').textContent())?.trim()).toBe('100%');
    expect(await page.locator('[data-testid=report-title]').textContent()).toContain('日报');
    expect(await page.locator('[data-testid=report-handlers]').textContent()).toContain(DEMO_HANDLERS.find((h) => h.id === 'handler3')!.name);
    await page.screenshot({ path: `${SHOTS_DIR}/reports-page.png`, fullPage: true });

    const download = page.waitForEvent('download', { timeout: 15_000 });
    await page.locator('[data-testid=report-xlsx]').click();
    const file = await download;
    expect(file.suggestedFilename()).toMatch(/^城市运行日报_\d{4}-\d{2}-\d{2}\.xlsx$/);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(readFileSync((await file.path())!) as unknown as ArrayBuffer);
    const row = wb
      .getWorksheet('概况')!
      .getRows(1, 20)!
      .find((r) => r.getCell(1).value === '事件数')!;
    expect(row.getCell(2).value).toBe(2);

    // print: white paper, no controls, laid out at the width of A4 (794 CSS px at 96 dpi)
    await page.setViewportSize(A4_VIEWPORT);
    await page.emulateMedia({ media: 'print' });
    expect(await page.locator('form.controls').isVisible()).toBe(false);
    const paper = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    expect(paper).toBe('rgb(255, 255, 255)');
    await page.screenshot({ path: `${SHOTS_DIR}/reports-print.png`, fullPage: true });
    writeFileSync(`${SHOTS_DIR}/reports.pdf`, await page.pdf({ format: 'A4', printBackground: true }));
    expect(errors).toEqual([]);

    // the after-action summary of the closed incident, from the report's list of closed incidents
    const summary = await leader.newPage();
    await summary.setViewportSize(VIEWPORTS.desktop);
    await summary.goto(`/reports?kind=daily&date=${beijingDate(done.createdTs)}`);
    await summary.locator(`[data-testid=report-closed] a[data-incident-id="${done.id}"]`).click();
    await waitUntil(() => new URL(summary.url()).pathname === `/reports/incident/${done.id}`, 10_000, 'the after-action page');
    await waitUntil(async () => (await summary.locator('[data-testid=summary-timeline] tbody tr').count()) === 6, 15_000, 'the timeline');
    expect(await summary.locator('[data-testid=summary-outcome]').textContent()).toContain('已处置');
    // the record names the handler, with the account: 李强（handler3）
    expect(await summary.locator('[data-testid=summary-timeline]').textContent()).toContain('李强（handler3）');
    await summary.screenshot({ path: `${SHOTS_DIR}/incident-summary.png`, fullPage: true });
    await summary.setViewportSize(A4_VIEWPORT);
    await summary.emulateMedia({ media: 'print' });
    await summary.screenshot({ path: `${SHOTS_DIR}/incident-summary-print.png`, fullPage: true });
    writeFileSync(`${SHOTS_DIR}/incident-summary.pdf`, await summary.pdf({ format: 'A4', printBackground: true }));
    await leader.close();
  });
});
