/**
 * Issue 14's storm, end to end in real browsers: the rainstorm drill (mock-devices/drill.ts, the
 * default demo fleet, simulated time) runs through a real server; then
 *   - the officer's console shows the district warning and at most a handful of decisions,
 *   - the officer starts the proposed flood plan from the console,
 *   - the wall shows the response-level banner with the plan's progress,
 *   - the officer dispatches the waterlogging incident and the handler's phone gets the task,
 *   - an incident from earlier in the night, past its deadline, is red on the wall, beside the
 *     district warnings.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { Incident } from '../../scenes/domain';
import { DEFAULT_FLEET } from '../../scenes/fleet';
import { slaDeadlines } from '../../scenes/sla';
import { DRILL_TAIL_MS, runDrill } from '../../mock-devices/drill';
import { DRILLS } from '../../mock-devices/drills';
import { MemoryStore } from '../../server/store/memory-store';
import { browserSuite, collectConsoleErrors, PAGE_LOAD_MS, signedInContext, VIEWPORTS } from '../helpers/browser';

const SHOTS = process.env.IOC_SCREENSHOT_DIR ?? '/tmp';
const STEP_TIMEOUT_MS = 30_000;
const HOUR_MS = 3_600_000;
/** "a handful": the goal for the officer after the storm (48 alerts before issue 14) */
const MAX_DECISIONS = 5;

async function shot(page: Page, name: string) {
  await page.screenshot({ path: path.join(SHOTS, `ioc-${name}.png`), timeout: 10_000 }).catch(() => undefined);
}

/** reported 5 h ago as P2 (due 4 h after reporting): an hour overdue when the storm starts */
const OVERDUE = 'INC-NIGHT-OVERDUE';
const store = new MemoryStore();
const reportedTs = Date.now() - 5 * HOUR_MS;
const overdue: Incident = {
  id: OVERDUE,
  version: 1,
  state: 'reported',
  priority: 'P2',
  level: 'orange',
  scene: 'community',
  category: 'manhole',
  title: '井盖缺失（夜间上报）',
  district: '370203',
  location: [120.3712, 36.0876],
  source: 'manual',
  alertIds: [],
  assignees: [],
  escalated: false,
  createdTs: reportedTs,
  updatedTs: reportedTs,
  ...slaDeadlines('P2', reportedTs),
  reportedBy: 'officer1',
  photos: [],
  history: [{ action: 'create', from: null, to: 'reported', actor: 'officer1', ts: reportedTs, commandId: 'seed-night-overdue' }],
};
await store.createIncident(overdue, 'seed-night-overdue');

const suite = browserSuite({ demoDevices: DEFAULT_FLEET.count, demoSeed: DEFAULT_FLEET.seed }, { store });

describe.skipIf(suite.skipped)('the rainstorm drill in the browser', () => {
  it('leaves the officer a district warning and a handful of decisions, a plan to start, a task on the phone and red overdue on the wall', async () => {
    const { server, browser } = suite;
    const durationMs = DRILLS.rainstorm.durationMs + DRILL_TAIL_MS;
    const drill = await runDrill(server.url, 'rainstorm', {
      devices: DEFAULT_FLEET.count,
      seed: DEFAULT_FLEET.seed,
      realTime: false,
      // the drill's last reading a few seconds ago: readings from the future are refused
      startTs: Date.now() - durationMs - 2_000,
      log: () => {},
    });
    expect(drill.stats).toMatchObject({ rejected: 0 });

    // the console: a district warning, the decision count, the proposed flood plan
    const deskCtx = await signedInContext(browser, server, 'officer1', { viewport: VIEWPORTS.desktop });
    const desk = await deskCtx.newPage();
    const deskErrors = collectConsoleErrors(desk);
    await desk.goto('/console');
    await desk.getByTestId('console').waitFor({ timeout: PAGE_LOAD_MS });
    await desk.locator('[data-testid=warning]').first().waitFor({ timeout: STEP_TIMEOUT_MS });
    const count = desk.getByTestId('decisions-count');
    await count.waitFor({ timeout: STEP_TIMEOUT_MS });
    await expect.poll(async () => Number(await count.getAttribute('data-count')), { timeout: STEP_TIMEOUT_MS }).toBeGreaterThan(0);
    const decisions = Number(await count.getAttribute('data-count'));
    const alertsRaised = server.fusion.listAlerts().length;
    expect(alertsRaised).toBeGreaterThanOrEqual(drill.expected.length);
    expect(decisions, `${decisions} decisions for ${alertsRaised} alerts`).toBeLessThanOrEqual(MAX_DECISIONS);

    const plan = desk.locator('[data-testid=plan-instance]', { hasText: '防汛' }).first();
    await plan.waitFor({ timeout: STEP_TIMEOUT_MS });
    await shot(desk, 'drill-console');
    await plan.locator('[data-action=plan-start]').click();
    await desk.locator('[data-testid=plan-instance].active [data-testid=plan-checklist]').first().waitFor({ timeout: STEP_TIMEOUT_MS });

    // the wall: the response-level banner with progress, and the overdue incident in red
    const wallCtx = await signedInContext(browser, server, 'screen1', { viewport: VIEWPORTS.desktop });
    const wall = await wallCtx.newPage();
    const wallErrors = collectConsoleErrors(wall);
    await wall.goto('/screen/water');
    await wall.locator('[data-testid=screen][data-scene=water]').waitFor({ timeout: PAGE_LOAD_MS });
    const banner = wall.getByTestId('plan-banner');
    await banner.waitFor({ timeout: STEP_TIMEOUT_MS });
    expect(await banner.textContent()).toMatch(/级响应/);
    expect(await wall.getByTestId('plan-banner-steps').textContent()).toMatch(/\d+\s*\/\s*\d+/);
    // switched with the wall's own tabs: a second software-GL page load costs seconds
    await wall.locator('nav.tabs a[href^="/screen/overview"]').click({ timeout: STEP_TIMEOUT_MS });
    const red = wall.locator(`[data-testid=overdue-incident][data-incident-id="${OVERDUE}"]`);
    await red.waitFor({ timeout: STEP_TIMEOUT_MS });
    expect(await red.evaluate((el) => getComputedStyle(el).borderLeftColor)).toMatch(/^rgb\(2[0-9]{2}, /);
    // the storm's per-gauge alerts are a few district warnings on the wall too
    const warnings = wall.getByTestId('wall-warnings');
    await warnings.waitFor({ timeout: STEP_TIMEOUT_MS });
    const shown = Number(await warnings.getAttribute('data-count'));
    expect(shown).toBeGreaterThan(0);
    expect(shown).toBeLessThanOrEqual(MAX_DECISIONS);
    await shot(wall, 'drill-wall');

    // the waterlogging incident the storm opened: dispatched from the console, on the handler's phone
    const incident = [...server.fusion.incidents.values()].find((i) => i.category === 'waterlogging' && i.state === 'reported');
    expect(incident, 'the storm opened a waterlogging incident').toBeDefined();
    const phoneCtx = await signedInContext(browser, server, 'handler1', { viewport: VIEWPORTS.phone, isMobile: true, hasTouch: true });
    const phone = await phoneCtx.newPage();
    await phone.goto('/mobile');
    await phone.getByTestId('mobile').waitFor({ timeout: PAGE_LOAD_MS });
    await desk.locator(`[data-testid=incident-queue] li[data-incident-id="${incident!.id}"]`).click();
    const rec = desk.locator('[data-testid=recommendations] li[data-handler-id="handler1"]');
    await rec.waitFor({ timeout: STEP_TIMEOUT_MS });
    await rec.click();
    await desk.getByTestId('dispatch-button').click();
    await phone.locator(`[data-testid=task][data-incident-id="${incident!.id}"]`).waitFor({ timeout: STEP_TIMEOUT_MS });
    await shot(phone, 'drill-phone');

    const benign = (e: string) => /favicon|ERR_|WebGL|GPU|swiftshader/i.test(e);
    expect(deskErrors.filter((e) => !benign(e))).toEqual([]);
    expect(wallErrors.filter((e) => !benign(e))).toEqual([]);
    await Promise.all([deskCtx.close(), wallCtx.close(), phoneCtx.close()]);
  }, 300_000);
});
