/**
 * A handler loses the network, takes two actions (accept, arrive), and comes back: the phone shows
 * both as waiting while offline, replays them in order on reconnect, and the server applies each
 * exactly once (checked in the incident's history). A replay of something already applied is
 * answered `duplicate: true` and counts as done.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Incident } from '../../scenes/domain';
import { login } from '../../server/test/helpers';
import { browserSuite, signedInContext, VIEWPORTS, waitUntil } from '../helpers/browser';

/** a step, page loads included: software GL on 2 cores shared with the unit tests */
const STEP_TIMEOUT_MS = 30_000;

let officerToken: string;
let n = 0;

const suite = browserSuite();

beforeAll(async () => {
  if (suite.skipped) return;
  officerToken = await login(suite.server, 'officer1');
});

async function officer(body: Record<string, unknown>): Promise<Incident> {
  const r = await fetch(`${suite.server.url}/api/commands`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${officerToken}` },
    body: JSON.stringify({ commandId: `offline-test-${++n}-${Date.now()}`, ...body }),
  });
  const json = (await r.json()) as { ok: boolean; incident?: Incident; error?: unknown };
  if (!json.ok || !json.incident) throw new Error(JSON.stringify(json));
  return json.incident;
}

describe.skipIf(suite.skipped)('handler phone offline', () => {
  it('queues two actions taken offline, shows them waiting, and applies both exactly once after reconnecting', async () => {
    let incident = await officer({
      type: 'incident.create',
      title: '检查井冒溢',
      category: 'manhole',
      scene: 'water',
      location: [120.385, 36.075],
      priority: 'P2',
    });
    incident = await officer({ type: 'incident.dispatch', incidentId: incident.id, assignees: ['handler1'] });

    const ctx = await signedInContext(suite.browser, suite.server, 'handler1', {
      viewport: VIEWPORTS.phone,
      isMobile: true,
      hasTouch: true,
      geolocation: { longitude: 120.386, latitude: 36.076 },
      permissions: ['geolocation'],
    });
    const phone = await ctx.newPage();
    await phone.goto('/mobile');
    const task = phone.locator(`[data-testid=task][data-incident-id="${incident.id}"]`);
    await task.waitFor({ timeout: STEP_TIMEOUT_MS });

    await ctx.setOffline(true);
    await phone.getByTestId('offline-banner').waitFor({ timeout: STEP_TIMEOUT_MS });
    await task.locator('[data-action=accept]').click();
    // the phone applies the waiting action locally, so the next step is offered at once
    await phone.locator(`[data-testid=task][data-incident-id="${incident.id}"][data-state="accepted"]`).waitFor({ timeout: STEP_TIMEOUT_MS });
    await task.locator('[data-action=arrive]').click();
    await phone.locator(`[data-testid=task][data-incident-id="${incident.id}"][data-state="on_site"]`).waitFor({ timeout: STEP_TIMEOUT_MS });
    await phone.locator('[data-testid=outbox-pending][data-count="2"]').waitFor({ timeout: STEP_TIMEOUT_MS });
    await phone.screenshot({ path: '/tmp/ioc-mobile-offline-waiting.png', timeout: 10_000 }).catch(() => undefined);

    // nothing reached the server while offline
    await new Promise((r) => setTimeout(r, 500));
    expect(suite.server.fusion.incidents.get(incident.id)!.state).toBe('dispatched');

    // both actions are stored on the device (IndexedDB), in order, with their command ids
    const stored = await phone.evaluate(
      () =>
        new Promise<string[]>((resolve, reject) => {
          const open = indexedDB.open('ioc-outbox-handler1');
          open.onerror = () => reject(open.error);
          open.onsuccess = () => {
            const req = open.result.transaction('outbox').objectStore('outbox').index('queuedTs').getAll();
            req.onsuccess = () => resolve((req.result as { command: { type: string } }[]).map((x) => x.command.type));
            req.onerror = () => reject(req.error);
          };
        }),
    );
    expect(stored).toEqual(['incident.accept', 'incident.arrive']);

    await ctx.setOffline(false);
    await phone.getByTestId('outbox-pending').waitFor({ state: 'detached', timeout: STEP_TIMEOUT_MS });
    await waitUntil(() => suite.server.fusion.incidents.get(incident.id)!.state === 'on_site', STEP_TIMEOUT_MS, 'server on_site');

    const after = suite.server.fusion.incidents.get(incident.id)!;
    const actions = after.history.map((h) => h.action);
    expect(actions).toEqual(['create', 'dispatch', 'accept', 'arrive']);
    expect(new Set(after.history.map((h) => h.commandId)).size).toBe(after.history.length);
    expect(after.history.filter((h) => h.action === 'accept')[0]!.actor).toBe('handler1');

    // replaying the same ids again (e.g. the phone never saw the answers) changes nothing
    const replayIds = after.history.slice(2).map((h) => h.commandId);
    const handlerToken = await login(suite.server, 'handler1');
    for (const [i, commandId] of replayIds.entries()) {
      const r = await fetch(`${suite.server.url}/api/commands`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${handlerToken}` },
        body: JSON.stringify({ type: i === 0 ? 'incident.accept' : 'incident.arrive', commandId, incidentId: incident.id }),
      });
      expect(await r.json()).toMatchObject({ ok: true, duplicate: true });
    }
    expect(suite.server.fusion.incidents.get(incident.id)!.version).toBe(after.version);
    await phone.screenshot({ path: '/tmp/ioc-mobile-back-online.png', timeout: 10_000 }).catch(() => undefined);
    await ctx.close();
  }, 90_000);
});
