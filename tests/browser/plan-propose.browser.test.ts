/**
 * A contingency plan started by hand from the console (plan.propose) for one district: the
 * proposal is for that district (so the plan's "pump stations in the affected districts" resolve),
 * and it appears in the console's plan panel.
 */
import { describe, expect, it } from 'vitest';
import { browserSuite, collectConsoleErrors, signedInContext, VIEWPORTS } from '../helpers/browser';

/** a step, page loads included: software GL on 2 cores shared with the unit tests */
const STEP_TIMEOUT_MS = 30_000;
const SHINAN = '370202';

const suite = browserSuite();

describe.skipIf(suite.skipped)('a plan proposed by hand', () => {
  it('is proposed for the district the officer chose and shows in the plan panel', async () => {
    const ctx = await signedInContext(suite.browser, suite.server, 'officer1', { viewport: VIEWPORTS.desktop });
    const desk = await ctx.newPage();
    const errors = collectConsoleErrors(desk);
    await desk.goto('/console');
    await desk.getByTestId('console').waitFor({ timeout: STEP_TIMEOUT_MS });
    await desk.locator('[data-action=plan-propose]').click();
    const form = desk.getByTestId('plan-propose');
    await form.waitFor({ timeout: STEP_TIMEOUT_MS });
    // the plan list arrives from GET /api/plans: wait for the flood plan to be offered
    await expect.poll(() => form.locator('select').first().locator('option').count(), { timeout: STEP_TIMEOUT_MS }).toBeGreaterThan(0);
    await form.getByTestId('plan-propose-district').selectOption(SHINAN);
    await form.locator('input').fill('台风“海葵”预计今夜登陆，提前部署');
    await form.locator('button[type=submit]').click();

    await desk.locator('[data-testid=plan-instance]').first().waitFor({ timeout: STEP_TIMEOUT_MS });
    const views = suite.server.plans.viewsFor({ kind: 'all' });
    expect(views).toHaveLength(1);
    expect(views[0]!.instance.state).toBe('proposed');
    expect(views[0]!.districts).toEqual([SHINAN]);
    expect(views[0]!.instance.reasons[0]).toMatchObject({ trigger: 'manual', text: '台风“海葵”预计今夜登陆，提前部署' });
    expect(errors.filter((e) => !/favicon|ERR_|WebGL|GPU|swiftshader/i.test(e))).toEqual([]);
    await ctx.close();
  }, 120_000);
});
