/**
 * Issue 14 on the wall and the phone, in real browsers: an incident past its resolution deadline
 * is listed in red on /screen/overview with its 督办 badge; a handler's task that the duty officer
 * closes as a false alarm disappears from /mobile with a clear notice (not an error).
 */
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { Incident } from '../../scenes/domain';
import { slaDeadlines } from '../../scenes/sla';
import { MemoryStore } from '../../server/store/memory-store';
import { login } from '../../server/test/helpers';
import { browserSuite, collectConsoleErrors, signedInContext, VIEWPORTS } from '../helpers/browser';

const SHOTS = process.env.IOC_SCREENSHOT_DIR ?? '/tmp';
/** a step, page loads included: software GL on 2 cores shared with the unit tests */
const STEP_TIMEOUT_MS = 30_000;
const HOUR_MS = 3_600_000;

async function shot(page: Page, name: string) {
  await page.screenshot({ path: path.join(SHOTS, `ioc-${name}.png`), timeout: 10_000 }).catch(() => undefined);
}

function incident(id: string, createdTs: number, o: Partial<Incident>): Incident {
  return {
    id,
    version: 1,
    state: 'reported',
    priority: 'P2',
    level: 'orange',
    scene: 'water',
    category: 'waterlogging',
    title: `道路积水 ${id}`,
    district: '370202',
    location: [120.3833, 36.0712],
    source: 'manual',
    alertIds: [],
    assignees: [],
    escalated: false,
    createdTs,
    updatedTs: createdTs,
    ...slaDeadlines(o.priority ?? 'P2', createdTs),
    reportedBy: 'officer1',
    photos: [],
    history: [{ action: 'create', from: null, to: 'reported', actor: 'officer1', ts: createdTs, commandId: `seed-${id}` }],
    ...o,
  };
}

// incidents the server finds in its store at start: registered before browserSuite's beforeAll
const store = new MemoryStore();
const now = Date.now();
const OVERDUE = 'INC-STORM-OVERDUE';
const TASK = 'INC-STORM-TASK';
beforeAll(async () => {
  // a P2 is due 4 h after it was reported: reported 5 h ago, it is an hour overdue; a leader supervises it
  await store.createIncident(
    incident(OVERDUE, now - 5 * HOUR_MS, {
      supervision: { by: 'leader1', note: '今晚必须排干', deadlineTs: now + HOUR_MS, startedTs: now - 60_000 },
    }),
    `seed-${OVERDUE}`,
  );
  await store.createIncident(
    incident(TASK, now - 60_000, { state: 'dispatched', assignees: ['handler1'], category: 'manhole', title: '井盖缺失 TASK' }),
    `seed-${TASK}`,
  );
});
const suite = browserSuite({}, { store });

describe.skipIf(suite.skipped)('storm operations on the wall and the phone', () => {
  it('lists an overdue incident in red on the wall, with its 督办 badge', async () => {
    const ctx = await signedInContext(suite.browser, suite.server, 'screen1', { viewport: VIEWPORTS.desktop });
    const wall = await ctx.newPage();
    await wall.goto('/screen/overview');
    const row = wall.locator(`[data-testid=overdue-incident][data-incident-id="${OVERDUE}"]`);
    await row.waitFor({ timeout: STEP_TIMEOUT_MS });
    expect(await row.getByTestId('supervision-badge').textContent()).toContain('督办');
    // the task reported a minute ago is not overdue
    expect(await wall.locator(`[data-testid=overdue-incident][data-incident-id="${TASK}"]`).count()).toBe(0);
    const colour = await row.evaluate((el) => getComputedStyle(el).borderLeftColor);
    expect(colour).toMatch(/^rgb\(2[0-9]{2}, /);
    await shot(wall, 'storm-wall-overdue');
    await ctx.close();
  }, 120_000);

  it('takes a task closed as a false alarm off the handler’s phone with a notice, not an error', async () => {
    const ctx = await signedInContext(suite.browser, suite.server, 'handler1', { viewport: VIEWPORTS.phone, isMobile: true, hasTouch: true });
    const phone = await ctx.newPage();
    const errors = collectConsoleErrors(phone);
    await phone.goto('/mobile');
    const task = phone.locator(`[data-testid=task][data-incident-id="${TASK}"]`);
    await task.waitFor({ timeout: STEP_TIMEOUT_MS });

    const token = await login(suite.server, 'officer1');
    const r = await fetch(`${suite.server.url}/api/commands`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({
        type: 'incident.close_unresolved',
        commandId: 'storm-close-task-1',
        incidentId: TASK,
        outcome: 'false_alarm',
        reason: '巡查确认井盖完好',
      }),
    });
    expect(r.status).toBe(200);

    const notice = phone.locator(`[data-testid=task-gone][data-incident-id="${TASK}"]`);
    await notice.waitFor({ timeout: STEP_TIMEOUT_MS });
    expect(await notice.textContent()).toContain('误报');
    expect(await notice.textContent()).toContain('巡查确认井盖完好');
    await task.waitFor({ state: 'detached', timeout: STEP_TIMEOUT_MS });
    expect(await phone.getByTestId('outbox-dropped').count()).toBe(0);
    await shot(phone, 'storm-phone-task-closed');
    await phone.getByTestId('task-gone-dismiss').click();
    await notice.waitFor({ state: 'detached', timeout: STEP_TIMEOUT_MS });
    expect(errors.filter((e) => !/favicon|ERR_|WebGL|GPU/i.test(e))).toEqual([]);
    await ctx.close();
  }, 120_000);
});
