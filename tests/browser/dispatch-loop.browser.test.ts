/**
 * The whole dispatch loop in real browsers, one context per person:
 * a gas detector goes over its red limit → the incident appears on the officer's /console →
 * the officer dispatches to the recommended handler → that handler's /mobile receives it (time
 * measured and printed) → accept → on site → resolved with a photo → the officer verifies and
 * closes → /screen/emergency and /brief show it closed.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { Device, Incident } from '../../scenes/domain';
import { ingest, sign } from '../../server/test/helpers';
import { browserSuite, collectConsoleErrors, signedInContext, VIEWPORTS, waitUntil } from '../helpers/browser';

const SHOTS = process.env.IOC_SCREENSHOT_DIR ?? '/tmp';
/** a step, page loads included: software GL on 2 cores shared with the unit tests */
const STEP_TIMEOUT_MS = 30_000;
/** Push delivery from the server to the phone's screen, ms. */
const DELIVERY_BUDGET_MS = 5_000;

const suite = browserSuite();

/** Evidence only: a screenshot that times out on a loaded machine must not fail the loop. */
async function shot(page: Page, name: string) {
  await page.screenshot({ path: path.join(SHOTS, `ioc-${name}.png`), timeout: 10_000 }).catch(() => undefined);
}

describe.skipIf(suite.skipped)('dispatch loop in the browser', () => {
  it('takes a drill alert from the console to the handler’s phone and back to closed, seen on the wall and the briefing', async () => {
    const detector = [...suite.server.fusion.devices.values()].find((d): d is Device => d.kind === 'gas-detector')!;
    const near: [number, number] = [detector.location[0] + 0.004, detector.location[1] + 0.003];

    // the gas specialist's phone is on duty near the site
    const handlerCtx = await signedInContext(suite.browser, suite.server, 'handler3', {
      viewport: VIEWPORTS.phone,
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
      geolocation: { longitude: near[0], latitude: near[1] },
      permissions: ['geolocation'],
    });
    const phone = await handlerCtx.newPage();
    const phoneErrors = collectConsoleErrors(phone);
    await phone.goto('/mobile');
    await phone.getByTestId('mobile').waitFor({ timeout: STEP_TIMEOUT_MS });
    await waitUntil(() => suite.server.fusion.getHandler('handler3')?.status === 'idle', STEP_TIMEOUT_MS, 'handler3 position report');

    const officerCtx = await signedInContext(suite.browser, suite.server, 'officer1', { viewport: VIEWPORTS.desktop });
    const desk = await officerCtx.newPage();
    const deskErrors = collectConsoleErrors(desk);
    await desk.goto('/console');
    await desk.getByTestId('console').waitFor({ timeout: STEP_TIMEOUT_MS });

    // drill: the detector reads 60 %LEL (red limit 25)
    const r = await ingest(suite.server, sign([{ deviceId: detector.id, ts: Date.now(), seq: 1, metrics: { lel: 60 } }]));
    expect(r.body.accepted).toBe(1);
    let incident: Incident | undefined;
    await waitUntil(
      () => !!(incident = [...suite.server.fusion.incidents.values()].find((i) => i.deviceId === detector.id)),
      STEP_TIMEOUT_MS,
      'auto incident',
    );
    const id = incident!.id;
    const row = desk.locator(`[data-testid=incident-queue] li[data-incident-id="${id}"]`);
    await row.waitFor({ timeout: STEP_TIMEOUT_MS });
    await shot(desk, 'console-new-incident');

    // dispatch to the first recommendation, which must be handler3 (idle, gas skill, nearest)
    await row.click();
    const firstRec = desk.locator('[data-testid=recommendations] li').first();
    await firstRec.waitFor({ timeout: STEP_TIMEOUT_MS });
    expect(await firstRec.getAttribute('data-handler-id')).toBe('handler3');
    await firstRec.click();
    await shot(desk, 'console-dispatch');
    const dispatchedAt = Date.now();
    await desk.getByTestId('dispatch-button').click();
    const clickedAt = Date.now();

    const task = phone.locator(`[data-testid=task][data-incident-id="${id}"]`);
    await task.waitFor({ timeout: STEP_TIMEOUT_MS });
    const shownAt = Date.now();
    const appliedTs = suite.server.fusion.incidents.get(id)!.history.find((h) => h.action === 'dispatch')!.ts;
    console.log(
      `[dispatch-loop] dispatch applied on the server → task on the handler's phone: ${shownAt - appliedTs} ms ` +
        `(officer click → phone: ${shownAt - dispatchedAt} ms, of which the click itself took ${clickedAt - dispatchedAt} ms)`,
    );
    // generous: CI machines running several headless browsers with software GL are slow
    expect(shownAt - appliedTs).toBeLessThan(DELIVERY_BUDGET_MS);
    await shot(phone, 'mobile-new-task');

    const stateIs = (s: string) =>
      phone.locator(`[data-testid=task][data-incident-id="${id}"][data-state="${s}"]`).waitFor({ timeout: STEP_TIMEOUT_MS });
    await task.locator('[data-action=accept]').click();
    await stateIs('accepted');
    await task.locator('[data-action=en_route]').click();
    await waitUntil(() => suite.server.fusion.incidents.get(id)!.history.some((h) => h.action === 'en_route'), STEP_TIMEOUT_MS, 'en route');
    await task.locator('[data-action=arrive]').click();
    await stateIs('on_site');
    await task.locator('[data-action=resolve]').click();
    await phone.getByTestId('sheet-note').fill('阀门已关闭，浓度恢复正常');
    const photo = readFileSync(path.resolve(import.meta.dirname, '../../client/public/icons/handler-192.png'));
    await phone.getByTestId('photo-input').setInputFiles({ name: 'site.png', mimeType: 'image/png', buffer: photo });
    await shot(phone, 'mobile-resolve-sheet');
    await phone.getByTestId('sheet-submit').click();
    await stateIs('resolved');
    await waitUntil(() => suite.server.fusion.incidents.get(id)!.state === 'resolved', STEP_TIMEOUT_MS, 'resolved on the server');
    expect(suite.server.fusion.incidents.get(id)!.photos).toHaveLength(1);
    // the valve is shut: the detector reads normal again and the alert clears
    await ingest(suite.server, sign([{ deviceId: detector.id, ts: Date.now(), seq: 2, metrics: { lel: 0 } }]));
    // three software-rendered maps on two cores starve each other: close what is done
    await handlerCtx.close();

    // verification: the officer sees the photo and closes
    const detail = desk.locator(`[data-testid=incident-detail][data-incident-id="${id}"]`);
    await desk.locator(`[data-testid=incident-detail][data-state="resolved"]`).waitFor({ timeout: STEP_TIMEOUT_MS });
    await desk.getByTestId('incident-photo').first().waitFor({ timeout: STEP_TIMEOUT_MS });
    await shot(desk, 'console-verify');
    await detail.locator('[data-action=close]').click();
    await desk.locator(`[data-testid=incident-detail][data-state="closed"]`).waitFor({ timeout: STEP_TIMEOUT_MS });

    const final = suite.server.fusion.incidents.get(id)!;
    expect(final.state).toBe('closed');
    expect(final.history.map((h) => h.action)).toEqual(['create', 'dispatch', 'accept', 'en_route', 'arrive', 'resolve', 'close']);
    expect(final.history.map((h) => h.actor)).toEqual(['system', 'officer1', 'handler3', 'handler3', 'handler3', 'handler3', 'officer1']);
    expect(final.history.find((h) => h.action === 'arrive')!.location).toBeDefined();

    // the wall: no open incident left on the emergency scene
    const screenCtx = await signedInContext(suite.browser, suite.server, 'screen1', { viewport: VIEWPORTS.desktop });
    const wall = await screenCtx.newPage();
    const wallErrors = collectConsoleErrors(wall);
    await wall.goto('/screen/emergency');
    const openKpi = wall.locator('.kpi', { hasText: '处置中事件' }).first();
    // the wall is the third software-rendered map of this test: its first frame may be slow
    await openKpi.waitFor({ timeout: 2 * STEP_TIMEOUT_MS }).catch(async (e: unknown) => {
      await shot(wall, 'screen-emergency-failed');
      const text = await wall
        .locator('body')
        .innerText({ timeout: 5_000 })
        .catch(() => '(no body text)');
      console.log('wall url', wall.url(), 'errors', wallErrors, 'text', text.slice(0, 600));
      throw e;
    });
    await waitUntil(async () => /^\s*0/.test(await openKpi.innerText()), STEP_TIMEOUT_MS, 'open incidents 0 on the wall');
    await shot(wall, 'screen-emergency-closed');
    await screenCtx.close();
    await officerCtx.close();

    // the briefing lists it as closed
    const leaderCtx = await signedInContext(suite.browser, suite.server, 'leader1', { viewport: VIEWPORTS.tablet, hasTouch: true });
    const tablet = await leaderCtx.newPage();
    const tabletErrors = collectConsoleErrors(tablet);
    await tablet.goto('/brief');
    await tablet
      .locator(`[data-testid=major-incident][data-incident-id="${id}"][data-state="closed"]`)
      .waitFor({ timeout: STEP_TIMEOUT_MS, state: 'attached' })
      .catch(async (e: unknown) => {
        await shot(tablet, 'brief-failed');
        console.log(
          'brief errors',
          tabletErrors,
          await tablet.locator('[data-testid=major-incident]').evaluateAll((els) => els.map((e) => e.outerHTML.slice(0, 200))),
        );
        throw e;
      });
    await tablet.locator('[data-kpi=closed] .value').filter({ hasText: '1' }).waitFor({ timeout: STEP_TIMEOUT_MS });
    await shot(tablet, 'brief-closed');

    const relevant = (errs: string[]) => errs.filter((e) => !/favicon|WebGL|GPU|swiftshader/i.test(e));
    expect(relevant(phoneErrors)).toEqual([]);
    expect(relevant(deskErrors)).toEqual([]);
    expect(relevant(tabletErrors)).toEqual([]);
    await leaderCtx.close();
  }, 240_000);
});
