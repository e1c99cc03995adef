/**
 * The 通知 / Notifications tab of /admin and the console's 通知记录 in headless Chromium against a
 * real server (issue 14): an administrator adds a webhook subscription in the tab (the secret is
 * never shown back) and sees it listed; the subscription points at a closed local port and the
 * server gives up after one attempt, so a dispatched task becomes a dead letter the tab shows with
 * its error and retries. An officer opens the incident's notification log (fetched only when
 * opened) and sees the handler's notification sent and acknowledged. Screenshots:
 * /tmp/admin-notifications*.png and /tmp/console-notification-log.png.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { login } from '../../server/test/helpers';
import { notifyConfigFromEnv } from '../../server/notify/notify-config';
import type { DeadLetter, PublicWebhookSubscription } from '../../server/notify/notify-types';
import { browserSuite, collectConsoleErrors, PAGE_LOAD_MS, signedInContext, VIEWPORTS, waitUntil } from '../helpers/browser';
import { freePort } from '../helpers/free-port';

const SECRET = 'browser-test-secret-0123456789';

// fail fast: one attempt, short timeout, then the dead letters
const suite = browserSuite({
  notify: { ...notifyConfigFromEnv({ NODE_ENV: 'test' }, false), maxAttempts: 1, retryBaseMs: 10, retryMaxMs: 10, webhookTimeoutMs: 1_000 },
});

async function api<T>(path: string, token: string, body?: unknown): Promise<T> {
  const r = await fetch(`${suite.server.url}/api${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const json = (await r.json()) as T;
  if (!r.ok) throw new Error(`${path}: ${r.status} ${JSON.stringify(json)}`);
  return json;
}

describe.skipIf(suite.skipped)('notifications in the admin page and the console', { timeout: 120_000 }, () => {
  it('adds a webhook subscription, shows its dead letter with the error, retries it, and shows the incident log', async () => {
    const admin = await signedInContext(suite.browser, suite.server, 'admin', { viewport: VIEWPORTS.desktop });
    const officer = await signedInContext(suite.browser, suite.server, 'officer1', { viewport: VIEWPORTS.desktop });
    const adminToken = await login(suite.server, 'admin');
    const officerToken = await login(suite.server, 'officer1');
    const handlerToken = await login(suite.server, 'handler1');
    const closedPort = await freePort(); // nothing listens there: every delivery fails at once
    const url = `http://127.0.0.1:${closedPort}/ioc-hook`;
    try {
      const page = await admin.newPage();
      const errors = collectConsoleErrors(page);
      await page.goto('/admin');
      await page.locator('[data-testid=admin-tab-notifications]').click();
      await page.locator('[data-testid=admin-notifications]').waitFor();
      await page.locator('[data-testid=webhook-none]').waitFor();
      await page.locator('[data-testid=dead-none]').waitFor();

      // the form names a mistake before anything is sent
      await page.locator('[data-testid=webhook-add]').click();
      await page.locator('[data-testid=webhook-url]').fill('ftp://nowhere');
      await page.locator('[data-testid=webhook-secret]').fill('short');
      await page.locator('[data-testid=webhook-save]').click();
      await expect.poll(async () => (await page.locator('[data-testid=webhook-errors] li').count()) >= 2).toBe(true);

      await page.locator('[data-testid=webhook-url]').fill(url);
      await page.locator('[data-testid=webhook-secret]').fill(SECRET);
      await page.locator('[data-testid=webhook-description]').fill('短信网关（测试）');
      await page.locator('[data-testid=webhook-type][data-type="incident.dispatched"]').check();
      await page.screenshot({ path: '/tmp/admin-notifications-form.png' });
      await page.locator('[data-testid=webhook-save]').click();

      const row = page.locator('[data-testid=webhook-row]');
      await row.first().waitFor();
      expect(await row.count()).toBe(1);
      expect(await row.first().textContent()).toContain(url);
      expect(await row.first().textContent()).toContain('短信网关（测试）');
      expect(await page.locator('[data-testid=webhook-form]').count()).toBe(0);
      // the secret is never shown again, and the server stored what the form said
      expect(await page.content()).not.toContain(SECRET);
      const listed = await api<{ webhooks: PublicWebhookSubscription[] }>('/webhooks', adminToken);
      expect(listed.webhooks).toHaveLength(1);
      expect(listed.webhooks[0]).toMatchObject({ url, eventTypes: ['incident.dispatched'], districts: [], enabled: true });
      const webhookId = listed.webhooks[0]!.id;

      // a task dispatched to handler1, accepted by them: one event for the subscription, which fails
      const created = await api<{ incident: { id: string; version: number } }>('/commands', officerToken, {
        type: 'incident.create',
        commandId: randomUUID(),
        title: '通知测试积水',
        category: 'waterlogging',
        scene: 'water',
        location: [120.42, 36.16],
        priority: 'P2',
      });
      const incidentId = created.incident.id;
      await api('/commands', officerToken, {
        type: 'incident.dispatch',
        commandId: randomUUID(),
        incidentId,
        expectedVersion: created.incident.version,
        assignees: ['handler1'],
      });
      await api('/commands', handlerToken, { type: 'incident.accept', commandId: randomUUID(), incidentId });

      const deadFor = async () =>
        (await api<{ deadLetters: DeadLetter[] }>('/webhooks/dead-letters', adminToken)).deadLetters.filter((d) => d.target === webhookId);
      await waitUntil(async () => (await deadFor()).length === 1, 15_000, 'the dead letter');
      const firstDeadTs = (await deadFor())[0]!.deadTs;

      await page.locator('[data-testid=webhook-refresh]').click();
      const dead = page.locator('[data-testid=dead-letter-row]');
      await dead.first().waitFor();
      expect(await dead.count()).toBe(1);
      expect(await dead.first().textContent()).toContain('派单');
      expect((await page.locator('[data-testid=dead-letter-error]').first().textContent())?.trim()).not.toBe('—');
      expect(await page.locator('[data-testid=webhook-state]').first().textContent()).toContain('失败 1 条');
      await page.screenshot({ path: '/tmp/admin-notifications.png' });

      // retry: queued again (audited), tried again, and dead again (the port is still closed)
      await page.locator('[data-testid=dead-letter-retry]').first().click();
      await expect.poll(() => page.locator('[data-testid=notify-message]').textContent()).toContain('已重新排入发送队列');
      await waitUntil(async () => ((await deadFor())[0]?.deadTs ?? 0) > firstDeadTs, 15_000, 'the retried delivery to fail again');
      const audit = await api<{ records: { action: string }[] }>('/audit?action=webhook.retry', adminToken);
      expect(JSON.stringify(audit)).toContain('webhook.retry');

      // the English strings
      await page.locator('header button', { hasText: 'EN' }).click();
      await page.locator('[data-testid=admin-tab-notifications]', { hasText: 'Notifications' }).waitFor();
      await page.locator('[data-testid=webhook-refresh]').click();
      await page.locator('[data-testid=dead-letter-retry]', { hasText: 'Retry' }).waitFor();
      expect(await page.locator('[data-testid=notify-message]').textContent()).toContain('Queued for delivery again');
      await page.screenshot({ path: '/tmp/admin-notifications-en.png' });
      await page.locator('header button', { hasText: '中文' }).click();
      expect(errors.filter((e) => !/GPU stall|GL Driver Message/.test(e))).toEqual([]);

      // the console: the log is read only once the section is opened
      const desk = await officer.newPage();
      const logRequests: string[] = [];
      desk.on('request', (r) => {
        if (r.url().includes('/api/notifications')) logRequests.push(r.url());
      });
      await desk.goto(`/console?incident=${incidentId}`);
      const detail = desk.locator(`[data-testid=incident-detail][data-incident-id="${incidentId}"]`);
      // a console page load: its map's first frame blocks a software-GL page for seconds (longer under load)
      await detail.waitFor({ timeout: PAGE_LOAD_MS });
      const log = detail.locator('[data-testid=notification-log]');
      await log.waitFor();
      await desk.waitForTimeout(500);
      expect(logRequests).toEqual([]);
      await log.locator('summary').click();
      const entry = log.locator('[data-testid=notification-log-entry][data-type="incident.dispatched"]');
      await entry.waitFor();
      expect(logRequests).toHaveLength(1);
      const recipient = entry.locator('[data-testid=notification-log-recipient][data-username="handler1"]');
      await recipient.waitFor();
      expect((await recipient.locator('[data-step=acknowledged]').textContent())?.trim()).not.toBe('—');
      await log.scrollIntoViewIfNeeded();
      await log.screenshot({ path: '/tmp/console-notification-log.png' });
      await desk.screenshot({ path: '/tmp/console-notification-log-page.png' });
    } finally {
      await admin.close();
      await officer.close();
    }
  });
});
