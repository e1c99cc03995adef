/**
 * Console responsiveness (issue 14): under a storm's updates, with software GL, the officer's
 * dispatch click reaches the socket without waiting for map work. The console's map frames yield
 * to the officer (client/src/map/redraw-governor.ts): while the officer works the panels no map
 * frame is drawn (one frame with SwiftShader blocks the main thread for up to a second), and the
 * map keeps redrawing when nobody clicks. The latency figures live in `npm run bench -- --only
 * console-click`; this test asserts the behaviour, with only a generous time bound.
 */
import { describe, expect, it } from 'vitest';
import { browserSuite, collectConsoleErrors, signedInContext, VIEWPORTS } from '../helpers/browser';
import { login } from '../../server/test/helpers';
import { DEFAULT_FLEET } from '../../scenes/fleet';
import { startStormLoad } from '../../bench/storm-load';
import { CLICK_INSTRUMENT, createIncidents } from '../../bench/console-click';

const STEP_TIMEOUT_MS = 60_000;
/** the map redraws in this quiet spell before the officer starts clicking, ms */
const QUIET_MS = 6_000;
/** a person reads the recommendations before ticking one, then aims at the button, ms */
const HUMAN_PAUSE_MS = 400;
/** generous: before issue 14 this click took 0.5–10 s to reach the socket on a loaded machine */
const CLICK_TO_SEND_BOUND_MS = 1_000;
/** frames cheaper than this are not held (MAP_CONFIG.consoleRedraw.inputHoldAboveFrameCostMs) */
const HOLD_ABOVE_FRAME_COST_MS = 50;

const suite = browserSuite({ demoDevices: 2_000 });

describe.skipIf(suite.skipped)('console click under a storm (software GL)', () => {
  it('sends the dispatch without waiting on map frames, and the map keeps redrawing when nobody clicks', async () => {
    const server = suite.server;
    const load = startStormLoad({ serverUrl: server.url, fleet: [...server.fusion.devices.values()], seed: DEFAULT_FLEET.seed });
    const ctx = await signedInContext(suite.browser, server, 'officer1', { viewport: VIEWPORTS.desktop });
    try {
      await ctx.addInitScript(CLICK_INSTRUMENT);
      const [incidentId] = await createIncidents(server.url, await login(server, 'officer1'), 1);
      const page = await ctx.newPage();
      const errors = collectConsoleErrors(page);
      await page.goto('/console');
      await page.getByTestId('console').waitFor({ timeout: STEP_TIMEOUT_MS });
      await page.waitForFunction(`typeof window.__iocBench?.mapStats === 'function' && window.__iocBench.mapStats() !== null`, undefined, {
        timeout: STEP_TIMEOUT_MS,
      });

      // nobody clicks: the storm's updates are drawn
      const framesBefore = (await page.evaluate('window.__iocBench.mapFrames().length')) as number;
      await page.waitForTimeout(QUIET_MS);
      const framesQuiet = ((await page.evaluate('window.__iocBench.mapFrames().length')) as number) - framesBefore;
      expect(framesQuiet).toBeGreaterThan(0);

      // the officer dispatches
      await page.locator(`[data-testid=incident-queue] li[data-incident-id="${incidentId}"]`).click({ timeout: STEP_TIMEOUT_MS });
      const rec = page.locator('[data-testid=recommendations] li').first();
      await rec.waitFor({ timeout: STEP_TIMEOUT_MS });
      await page.waitForTimeout(HUMAN_PAUSE_MS);
      await rec.click({ timeout: STEP_TIMEOUT_MS });
      const recClickedAt = (await page.evaluate('window.__clickBench.clicks.at(-1).ts')) as number;
      await page.waitForFunction(`!document.querySelector('[data-testid=dispatch-button]')?.disabled`, undefined, { timeout: STEP_TIMEOUT_MS });
      const box = (await page.getByTestId('dispatch-button').boundingBox())!;
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2, { steps: 4 });
      await page.waitForTimeout(HUMAN_PAUSE_MS);
      await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
      await page.waitForFunction('window.__clickBench.sends.length > 0', undefined, { timeout: STEP_TIMEOUT_MS, polling: 20 });
      const r = (await page.evaluate(`(() => {
        const h = window.__clickBench;
        return {
          click: h.clicks.filter((c) => c.testid === 'dispatch-button').at(-1).ts,
          sent: h.sends[0],
          frames: window.__iocBench.mapFrames(),
          stats: window.__iocBench.mapStats(),
        };
      })()`)) as { click: number; sent: number; frames: number[]; stats: { frameCostMs: number; frameIntervalMs: number } };
      const framesWhileClicking = r.frames.filter((t) => t > recClickedAt && t <= r.sent);
      console.log(
        `[console-click] dispatch click → command sent ${(r.sent - r.click).toFixed(1)} ms; map frame cost ≈ ${r.stats.frameCostMs.toFixed(0)} ms, ` +
          `${framesQuiet} frames in ${QUIET_MS} ms quiet, ${framesWhileClicking.length} while clicking; ${load.stats().sent} readings sent`,
      );
      expect(r.sent - r.click).toBeLessThan(CLICK_TO_SEND_BOUND_MS);
      // expensive frames (software GL) are held from the officer's first click to the command
      if (r.stats.frameCostMs > HOLD_ABOVE_FRAME_COST_MS) expect(framesWhileClicking).toEqual([]);
      await page
        .locator(`[data-testid=incident-detail][data-incident-id="${incidentId}"][data-state="dispatched"]`)
        .waitFor({ timeout: STEP_TIMEOUT_MS });
      expect(server.fusion.incidents.get(incidentId)!.history.map((h) => h.action)).toEqual(['create', 'dispatch']);
      expect(errors.filter((e) => !/favicon|WebGL|GPU|swiftshader/i.test(e))).toEqual([]);
    } finally {
      await ctx.close();
      await load.stop();
    }
  }, 180_000);
});
