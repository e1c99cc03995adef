/**
 * REST of notifications (issue 14):
 * - `GET /api/notifications?incidentId=&limit=` the notification log (officers, leaders, admins; in their data scope)
 * - `POST /api/notifications/:id/ack` the caller acknowledges their own entry (a tap on a push)
 * - `GET|POST /api/webhooks`, `PUT|DELETE /api/webhooks/:id` subscriptions (admins; audited; the secret is never answered)
 * - `GET /api/webhooks/dead-letters`, `POST /api/webhooks/dead-letters/:id/retry`, `GET /api/webhooks/outbox` (admins)
 * - `GET /api/webhooks/demo-sink` what the demo's local sink received (admins; `npm start` only)
 * - `GET /api/push/vapid-public-key`, `POST|DELETE /api/push/subscriptions` (any signed-in person; the
 *   subscription belongs to the session's username, never to one named in the body)
 */
import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { IdSchema, type Role } from '../../scenes/domain';
import type { IocError } from '../../scenes/protocol';
import { districtInScope, incidentInScope, isWholeCity, type DataScope } from '../../scenes/scope';
import type { AuditEntry, AuditRecorder } from '../audit/audit';
import { userAgentOf } from '../audit/audit-request';
import type { SessionClaims } from '../auth/tokens';
import { httpStatusOf, iocError } from '../errors';
import { safeValidate, sourceOf } from '../guard';
import type { Store } from '../store/store';
import type { NotificationService } from './notification-service';
import { publicWebhook, WebhookInputSchema, type WebhookSubscription } from './notify-types';
import type { WebhookSink } from './webhook-sink';

type AuthedRequest = Request & { user?: SessionClaims };
type RouteHandler = (req: AuthedRequest, res: Response) => unknown;

export interface NotifyRouterDeps {
  notifications: NotificationService;
  store: Pick<Store, 'getIncident'>;
  audit: AuditRecorder;
  /** the demo's local sink, when it runs */
  sink: WebhookSink | null;
  route: (entry: string, handler: RouteHandler) => RequestHandler;
  auth: (...roles: Role[]) => RequestHandler;
  scopeOf: (req: AuthedRequest) => Promise<DataScope>;
}

const PAGE_MAX = 500;
const ListQuerySchema = z.strictObject({ incidentId: IdSchema.optional(), limit: z.coerce.number().int().min(1).max(PAGE_MAX).optional() });
const WebhookIdSchema = z.object({ id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/) });
const NotificationIdSchema = z.object({ id: z.string().min(1).max(200) });
/** an update may leave the secret out: it is kept */
const WebhookUpdateSchema = WebhookInputSchema.extend({ secret: WebhookInputSchema.shape.secret.optional() });
const UnsubscribeSchema = z.strictObject({ endpoint: z.string().min(1).max(1000) });

function sendError(res: Response, e: IocError): void {
  res.status(httpStatusOf(e.code)).json({ error: e });
}

export function createNotifyRouter(d: NotifyRouterDeps): Router {
  const r = express.Router();
  const audited = async (req: AuthedRequest, entry: Omit<AuditEntry, 'actor' | 'role' | 'source' | 'userAgent'>): Promise<void> => {
    const ua = userAgentOf(req.headers['user-agent']);
    await d.audit.record({
      actor: req.user!.username,
      role: req.user!.role,
      source: sourceOf(req.socket.remoteAddress, req.headers['x-forwarded-for']),
      ...(ua ? { userAgent: ua } : {}),
      ...entry,
    });
  };
  const summary = (s: Pick<WebhookSubscription, 'url' | 'eventTypes' | 'minLevel' | 'districts' | 'enabled'>) => ({
    host: new URL(s.url).host,
    eventTypes: s.eventTypes,
    ...(s.minLevel ? { minLevel: s.minLevel } : {}),
    districts: s.districts,
    enabled: s.enabled,
  });

  // --- the notification log --------------------------------------------------------------------
  r.get(
    '/notifications',
    d.auth('officer', 'leader', 'admin'),
    d.route('notifications', async (req, res) => {
      const q = safeValidate(ListQuerySchema, { ...(req.query as Record<string, unknown>) }, 'query');
      if (!q.ok) return sendError(res, q.error);
      const scope = await d.scopeOf(req);
      if (q.data.incidentId !== undefined) {
        const incident = await d.store.getIncident(q.data.incidentId);
        if (!incident || !incidentInScope(scope, incident)) return sendError(res, iocError('E_NOT_FOUND', 'no such incident in your scope'));
      }
      const list = await d.notifications.listNotifications({
        ...(q.data.incidentId ? { incidentId: q.data.incidentId } : {}),
        limit: q.data.limit ?? 100,
      });
      const visible = list.filter((n) => (n.district === undefined ? isWholeCity(scope) : districtInScope(scope, n.district)));
      res.json({ notifications: visible });
    }),
  );
  r.post(
    '/notifications/:id/ack',
    d.auth(),
    d.route('notification-ack', async (req, res) => {
      const p = safeValidate(NotificationIdSchema, req.params, 'notification id');
      if (!p.ok) return sendError(res, p.error);
      const ok = await d.notifications.acknowledge(p.data.id, req.user!.username);
      if (!ok) return sendError(res, iocError('E_NOT_FOUND', 'no such notification for you'));
      res.json({ ok: true });
    }),
  );

  // --- webhook subscriptions (admins) ------------------------------------------------------------
  r.get(
    '/webhooks',
    d.auth('admin'),
    d.route('webhooks', async (_req, res) => {
      res.json({ webhooks: (await d.notifications.store.listWebhooks()).map(publicWebhook) });
    }),
  );
  r.post(
    '/webhooks',
    d.auth('admin'),
    d.route('webhook-create', async (req, res) => {
      const b = safeValidate(WebhookInputSchema, req.body ?? {}, 'webhook');
      if (!b.ok) return sendError(res, b.error);
      const now = Date.now();
      const sub: WebhookSubscription = {
        ...b.data,
        id: `wh-${randomBytes(6).toString('hex')}`,
        createdTs: now,
        updatedTs: now,
        createdBy: req.user!.username,
      };
      // audited before it takes effect: a change that cannot be recorded is not made
      await audited(req, { action: 'webhook.create', target: `webhook:${sub.id}`, outcome: 'success', details: summary(sub) });
      await d.notifications.store.putWebhook(sub);
      res.status(201).json({ webhook: publicWebhook(sub) });
    }),
  );
  r.put(
    '/webhooks/:id',
    d.auth('admin'),
    d.route('webhook-update', async (req, res) => {
      const p = safeValidate(WebhookIdSchema, req.params, 'webhook id');
      if (!p.ok) return sendError(res, p.error);
      const b = safeValidate(WebhookUpdateSchema, req.body ?? {}, 'webhook');
      if (!b.ok) return sendError(res, b.error);
      const before = await d.notifications.store.getWebhook(p.data.id);
      if (!before) return sendError(res, iocError('E_NOT_FOUND', 'no such webhook'));
      const sub: WebhookSubscription = { ...before, ...b.data, secret: b.data.secret ?? before.secret, updatedTs: Date.now() };
      await audited(req, {
        action: 'webhook.update',
        target: `webhook:${sub.id}`,
        outcome: 'success',
        details: { ...summary(sub), secretChanged: b.data.secret !== undefined && b.data.secret !== before.secret },
      });
      await d.notifications.store.putWebhook(sub);
      res.json({ webhook: publicWebhook(sub) });
    }),
  );
  r.delete(
    '/webhooks/:id',
    d.auth('admin'),
    d.route('webhook-delete', async (req, res) => {
      const p = safeValidate(WebhookIdSchema, req.params, 'webhook id');
      if (!p.ok) return sendError(res, p.error);
      if (!(await d.notifications.store.getWebhook(p.data.id))) return sendError(res, iocError('E_NOT_FOUND', 'no such webhook'));
      await audited(req, { action: 'webhook.delete', target: `webhook:${p.data.id}`, outcome: 'success' });
      await d.notifications.store.deleteWebhook(p.data.id);
      res.json({ ok: true });
    }),
  );
  r.get(
    '/webhooks/dead-letters',
    d.auth('admin'),
    d.route('webhook-dead-letters', async (_req, res) => {
      res.json({ deadLetters: await d.notifications.store.listDeadLetters(PAGE_MAX) });
    }),
  );
  r.post(
    '/webhooks/dead-letters/:id/retry',
    d.auth('admin'),
    d.route('webhook-retry', async (req, res) => {
      const p = safeValidate(NotificationIdSchema, req.params, 'dead letter id');
      if (!p.ok) return sendError(res, p.error);
      await audited(req, { action: 'webhook.retry', target: `delivery:${p.data.id}`.slice(0, 200), outcome: 'success' });
      if (!(await d.notifications.store.retryDeadLetter(p.data.id, Date.now())))
        return sendError(res, iocError('E_NOT_FOUND', 'no such dead letter'));
      void d.notifications.worker.kick();
      res.json({ ok: true });
    }),
  );
  r.get(
    '/webhooks/outbox',
    d.auth('admin'),
    d.route('webhook-outbox', async (_req, res) => {
      res.json({ pending: await d.notifications.store.pendingOutbox(PAGE_MAX) });
    }),
  );
  r.get(
    '/webhooks/demo-sink',
    d.auth('admin'),
    d.route('webhook-demo-sink', (_req, res) => {
      if (!d.sink) return sendError(res, iocError('E_NOT_FOUND', 'the demo webhook sink runs with `npm start` only'));
      res.json({ url: d.sink.url, messages: d.sink.messages() });
    }),
  );

  // --- Web Push ----------------------------------------------------------------------------------
  r.get(
    '/push/vapid-public-key',
    d.auth(),
    d.route('push-key', (_req, res) => {
      res.json({ publicKey: d.notifications.vapidKeys().publicKey });
    }),
  );
  r.post(
    '/push/subscriptions',
    d.auth(),
    d.route('push-subscribe', async (req, res) => {
      // whose it is comes from the session; a `username` in the body is refused by the strict schema
      const out = await d.notifications.subscribePush(req.user!.username, req.body);
      if (!out.ok) return sendError(res, out.error);
      await audited(req, { action: 'push.subscribe', target: `push:${out.id}`, outcome: 'success' });
      res.status(201).json({ id: out.id });
    }),
  );
  r.delete(
    '/push/subscriptions',
    d.auth(),
    d.route('push-unsubscribe', async (req, res) => {
      const b = safeValidate(UnsubscribeSchema, req.body ?? {}, 'push subscription');
      if (!b.ok) return sendError(res, b.error);
      const removed = await d.notifications.unsubscribePush(req.user!.username, b.data.endpoint);
      if (!removed) return sendError(res, iocError('E_NOT_FOUND', 'no such push subscription of yours'));
      await audited(req, { action: 'push.unsubscribe', outcome: 'success' });
      res.json({ ok: true });
    }),
  );
  return r;
}
