/**
 * Notifications end to end on a whole server: an admin subscribes a webhook (audited, the secret
 * never answered), a handler's browser subscribes to Web Push (bound to the session's username),
 * an officer dispatches a task → the handler's push endpoint gets a payload it decrypts and the
 * webhook receiver gets the signed event; the log shows sent / delivered, and the handler's accept
 * acknowledges it. Roles are enforced on every route.
 */
import { createECDH, randomBytes, randomUUID } from 'node:crypto';
import * as ece from 'http_ece';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IocServer } from '../app';
import type { NotificationLogEntry } from '../notify/notify-types';
import { verifyWebhookSignature } from '../notify/webhook-http';
import { login, startTestServer } from './helpers';
import { startReceiver, type Receiver } from './notify-helpers';

let server: IocServer;
let rx: Receiver;
const tokens: Record<string, string> = {};
const SECRET = 'gateway-secret-0123456789';

async function api(path: string, who: string, init: { method?: string; body?: unknown } = {}): Promise<{ status: number; body: any }> {
  const r = await fetch(`${server.url}/api${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${tokens[who]}`, ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null };
}

async function until<T>(probe: () => Promise<T | undefined | null | false>, what: string, timeoutMs = 5000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeAll(async () => {
  server = await startTestServer();
  rx = await startReceiver();
  for (const u of ['admin', 'officer1', 'handler1', 'leader1']) tokens[u] = await login(server, u);
});
afterAll(async () => {
  await rx?.close();
  await server?.close();
});

describe('notifications over REST', () => {
  const browser = createECDH('prime256v1');
  browser.generateKeys();
  const auth = randomBytes(16).toString('base64url');
  let webhookId = '';

  it('lets only admins manage webhooks, audits each change and never answers the secret', async () => {
    const body = { url: `${rx.url}/gateway`, secret: SECRET, eventTypes: ['incident.dispatched'], description: 'SMS gateway' };
    expect((await api('/webhooks', 'officer1', { method: 'POST', body })).status).toBe(403);
    expect((await api('/webhooks', 'admin', { method: 'POST', body: { ...body, url: 'ftp://x' } })).body.error.code).toBe('E_VALIDATION');
    const created = await api('/webhooks', 'admin', { method: 'POST', body });
    expect(created.status).toBe(201);
    webhookId = created.body.webhook.id;
    expect(created.body.webhook).not.toHaveProperty('secret');
    const listed = await api('/webhooks', 'admin');
    expect(JSON.stringify(listed.body)).not.toContain(SECRET);
    const audit = await api(`/audit?action=webhook.create`, 'admin');
    expect(audit.status).toBe(200);
    expect(JSON.stringify(audit.body)).toContain(`webhook:${webhookId}`);
  });

  it('serves the VAPID public key and binds a browser subscription to the session user, not the body', async () => {
    const key = await api('/push/vapid-public-key', 'handler1');
    expect(key.body.publicKey).toMatch(/^[A-Za-z0-9_-]{80,}$/);
    const sub = { endpoint: `${rx.url}/push/handler1-phone`, keys: { p256dh: browser.getPublicKey().toString('base64url'), auth } };
    const spoof = await api('/push/subscriptions', 'handler1', { method: 'POST', body: { ...sub, username: 'officer1' } });
    expect(spoof.body.error.code).toBe('E_VALIDATION');
    expect((await api('/push/subscriptions', 'handler1', { method: 'POST', body: sub })).status).toBe(201);
    expect(await server.notifications.store.listPushSubscriptions('handler1')).toHaveLength(1);
    expect(await server.notifications.store.listPushSubscriptions('officer1')).toEqual([]);
    // someone else cannot remove it
    expect((await api('/push/subscriptions', 'officer1', { method: 'DELETE', body: { endpoint: sub.endpoint } })).status).toBe(404);
  });

  it('tells the handler of a new task by push and the gateway by webhook; the log shows delivered then acknowledged', async () => {
    const created = await api('/commands', 'officer1', {
      method: 'POST',
      body: {
        type: 'incident.create',
        commandId: randomUUID(),
        title: '道路积水',
        category: 'waterlogging',
        scene: 'water',
        location: [120.42, 36.16],
        priority: 'P2',
      },
    });
    expect(created.status).toBe(200);
    const incident = created.body.incident as { id: string; version: number };
    const dispatched = await api('/commands', 'officer1', {
      method: 'POST',
      body: {
        type: 'incident.dispatch',
        commandId: randomUUID(),
        incidentId: incident.id,
        expectedVersion: incident.version,
        assignees: ['handler1'],
      },
    });
    expect(dispatched.status).toBe(200);

    const requests = await rx.waitFor(2);
    const push = requests.find((r) => r.path === '/push/handler1-phone')!;
    const hook = requests.find((r) => r.path === '/gateway')!;
    const payload = JSON.parse(ece.decrypt(push.body, { version: 'aes128gcm', privateKey: browser, authSecret: auth }).toString('utf8'));
    expect(payload).toMatchObject({ type: 'incident.dispatched', url: `/mobile?incident=${incident.id}`, tag: incident.id });
    expect(payload.title).toContain('道路积水');
    expect(verifyWebhookSignature(SECRET, hook.body.toString('utf8'), hook.headers['x-ioc-signature'] as string)).toBe(true);
    expect(JSON.parse(hook.body.toString('utf8'))).toMatchObject({ type: 'incident.dispatched', incidentId: incident.id, recipients: ['handler1'] });

    const delivered = await until(async () => {
      const r = await api(`/notifications?incidentId=${incident.id}`, 'officer1');
      const n = (r.body.notifications as NotificationLogEntry[]).find((x) => x.type === 'incident.dispatched');
      return n?.recipientStatus[0]?.deliveredTs ? n : null;
    }, 'delivered');
    expect(delivered.recipientStatus[0]).toMatchObject({ username: 'handler1', sentTs: expect.any(Number) });
    expect(delivered.recipientStatus[0]!.acknowledgedTs).toBeUndefined();
    // handlers do not read the log
    expect((await api(`/notifications?incidentId=${incident.id}`, 'handler1')).status).toBe(403);

    const accepted = await api('/commands', 'handler1', {
      method: 'POST',
      body: { type: 'incident.accept', commandId: randomUUID(), incidentId: incident.id },
    });
    expect(accepted.status).toBe(200);
    await until(async () => {
      const r = await api(`/notifications?incidentId=${incident.id}`, 'officer1');
      return (r.body.notifications as NotificationLogEntry[]).find((x) => x.type === 'incident.dispatched')?.recipientStatus[0]?.acknowledgedTs;
    }, 'acknowledged');

    // 督办 by a leader: the assignee is told
    const supervised = await api('/commands', 'leader1', {
      method: 'POST',
      body: {
        type: 'incident.supervise',
        commandId: randomUUID(),
        incidentId: incident.id,
        note: '一小时内办结',
        deadlineTs: Date.now() + 3_600_000,
      },
    });
    expect(supervised.status).toBe(200);
    const notice = await until(async () => {
      const r = await api(`/notifications?incidentId=${incident.id}`, 'leader1');
      return (r.body.notifications as NotificationLogEntry[]).find((x) => x.type === 'incident.supervised');
    }, 'supervision notice');
    expect(notice.recipients).toEqual(['handler1']);
    expect(notice.body.zh).toContain('一小时内办结');
  });

  it('lets admins list and retry dead letters, and nobody else', async () => {
    expect((await api('/webhooks/dead-letters', 'officer1')).status).toBe(403);
    expect((await api('/webhooks/dead-letters', 'admin')).body).toEqual({ deadLetters: [] });
    expect((await api('/webhooks/dead-letters/nope/retry', 'admin', { method: 'POST', body: {} })).status).toBe(404);
    expect((await api(`/webhooks/${webhookId}`, 'admin', { method: 'DELETE' })).status).toBe(200);
    expect((await api('/webhooks', 'admin')).body.webhooks).toEqual([]);
  });
});
