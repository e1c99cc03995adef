/**
 * NotificationService: `publish(event)` tells people beyond the open page — Web Push to the
 * recipients' browsers and signed webhooks to the city's gateways (SMS, WeCom, DingTalk, voice) —
 * and keeps the notification log (sent / delivered / acknowledged per recipient).
 *
 * `publish` is idempotent by `event.id` and durable: the record, the log and every delivery are
 * written in one store step before anything is sent (NotifyStore.publish), and the outbox worker
 * delivers at least once. Other services (plans, the ladder) call `publish` like the incident hook.
 */
import { createHash } from 'node:crypto';
import { ALERT_LEVEL_RANK } from '../../scenes/domain';
import type { IocError } from '../../scenes/protocol';
import { iocError, validationError } from '../errors';
import type { Logger } from '../logger';
import type { NotifyConfig } from './notify-config';
import type { NotifyStore } from './notify-store';
import {
  NotificationEventSchema,
  PushSubscriptionInputSchema,
  type NotificationEvent,
  type NotificationLogEntry,
  type NotificationRecord,
  type OutboxEntry,
  type StoredPushSubscription,
  type VapidKeys,
  type WebhookSubscription,
} from './notify-types';
import { OutboxWorker } from './outbox-worker';
import { generateVapidKeys } from './web-push-sender';

export interface NotificationServiceDeps {
  store: NotifyStore;
  config: NotifyConfig;
  log: Logger;
  now?: () => number;
  /** deliver right after a publish (default); false: only on the worker's poll or `worker.kick()` (tests) */
  deliverOnPublish?: boolean;
}

export type PublishResult = { ok: true; published: boolean } | { ok: false; error: IocError };

/** Does a webhook subscription want this event? Type, minimum level and district filters. */
export function webhookMatches(
  sub: Pick<WebhookSubscription, 'enabled' | 'eventTypes' | 'minLevel' | 'districts'>,
  event: NotificationEvent,
): boolean {
  if (!sub.enabled) return false;
  if (sub.eventTypes.length > 0 && !sub.eventTypes.includes(event.type)) return false;
  if (sub.minLevel !== undefined && event.level !== undefined && ALERT_LEVEL_RANK[event.level] > ALERT_LEVEL_RANK[sub.minLevel]) return false;
  if (sub.districts.length > 0 && event.district !== undefined && !sub.districts.includes(event.district)) return false;
  return true;
}

/** The JSON a webhook receives (signed as sent; the same bytes on every attempt). */
export function webhookBody(record: NotificationRecord, publicUrl: string | null): string {
  return JSON.stringify({
    id: record.id,
    type: record.type,
    ts: record.ts,
    ...(record.level !== undefined ? { level: record.level } : {}),
    ...(record.district !== undefined ? { district: record.district } : {}),
    ...(record.incidentId !== undefined ? { incidentId: record.incidentId } : {}),
    ...(record.alertId !== undefined ? { alertId: record.alertId } : {}),
    ...(record.planInstanceId !== undefined ? { planInstanceId: record.planInstanceId } : {}),
    recipients: record.recipients,
    title: record.title,
    body: record.body,
    url: publicUrl ? new URL(record.url, publicUrl).toString() : record.url,
  });
}

/** What the service worker receives (client/public/sw.js shows it; a tap opens `url`). */
export interface PushPayload {
  id: string;
  type: NotificationEvent['type'];
  title: string;
  body: string;
  titleEn: string;
  bodyEn: string;
  url: string;
  /** notifications of one incident replace each other on the phone */
  tag: string;
  ts: number;
}

export function pushPayload(record: NotificationRecord): string {
  const p: PushPayload = {
    id: record.id,
    type: record.type,
    title: record.title.zh,
    body: record.body.zh,
    titleEn: record.title.en,
    bodyEn: record.body.en,
    url: record.url,
    tag: record.incidentId ?? record.alertId ?? record.id,
    ts: record.ts,
  };
  return JSON.stringify(p);
}

/** One record per browser: the id is a hash of its endpoint. */
export function pushSubscriptionId(endpoint: string): string {
  return createHash('sha256').update(endpoint).digest('hex').slice(0, 32);
}

export class NotificationService {
  readonly store: NotifyStore;
  readonly worker: OutboxWorker;
  private readonly now: () => number;
  private vapid: VapidKeys | null = null;

  constructor(private readonly d: NotificationServiceDeps) {
    this.store = d.store;
    this.now = d.now ?? Date.now;
    this.worker = new OutboxWorker({ store: d.store, config: d.config, log: d.log, now: this.now, vapid: () => this.vapidKeys() });
  }

  /** Loads (or creates and stores) the VAPID keys and starts delivering the outbox (what a restart left included). */
  async start(): Promise<void> {
    this.vapid = this.d.config.push.vapid ?? (await this.d.store.vapidKeys(generateVapidKeys()));
    this.worker.start();
    void this.worker.kick();
  }

  stop(): void {
    this.worker.stop();
  }

  vapidKeys(): VapidKeys {
    if (!this.vapid) throw new Error('NotificationService.start() was not awaited');
    return this.vapid;
  }

  async publish(input: NotificationEvent): Promise<PublishResult> {
    const parsed = NotificationEventSchema.safeParse(input);
    if (!parsed.success) return { ok: false, error: validationError(parsed.error, 'notification') };
    const event = parsed.data;
    const record: NotificationRecord = { ...event, recipients: [...new Set(event.recipients)], ts: event.ts ?? this.now() };
    const queuedTs = this.now();
    const outbox: OutboxEntry[] = [];
    const webhooks = await this.d.store.listWebhooks();
    const body = webhookBody(record, this.d.config.publicUrl);
    for (const sub of webhooks) {
      if (!webhookMatches(sub, event)) continue;
      outbox.push({
        id: `${record.id}|webhook:${sub.id}`,
        channel: 'webhook',
        target: sub.id,
        eventId: record.id,
        body,
        attempts: 0,
        nextAttemptTs: queuedTs,
        createdTs: queuedTs,
      });
    }
    const payload = pushPayload(record);
    for (const username of record.recipients) {
      outbox.push({
        id: `${record.id}|push:${username}`,
        channel: 'push',
        target: username,
        eventId: record.id,
        body: payload,
        attempts: 0,
        nextAttemptTs: queuedTs,
        createdTs: queuedTs,
      });
    }
    const published = await this.d.store.publish(record, outbox);
    if (published) {
      this.d.log.debug(
        { notification: record.id, type: record.type, recipients: record.recipients.length, webhooks: outbox.length - record.recipients.length },
        'notification published',
      );
      if (this.d.deliverOnPublish !== false) void this.worker.kick();
    }
    return { ok: true, published };
  }

  /** The person acted on it (tapped, accepted, acknowledged); only their own entry. */
  async acknowledge(notificationId: string, username: string): Promise<boolean> {
    const n = await this.d.store.getNotification(notificationId);
    if (!n || !n.recipients.includes(username)) return false;
    await this.d.store.markAcknowledged(notificationId, username, this.now());
    return true;
  }

  /** Every notification of the incident addressed to `username` counts as acknowledged (they acted on it). */
  async acknowledgeIncident(incidentId: string, username: string): Promise<void> {
    const list = await this.d.store.listNotifications({ incidentId, limit: 500 });
    const ts = this.now();
    for (const n of list) {
      const s = n.recipientStatus.find((r) => r.username === username);
      if (s && s.acknowledgedTs === undefined) await this.d.store.markAcknowledged(n.id, username, ts);
    }
  }

  listNotifications(query: { incidentId?: string; limit: number }): Promise<NotificationLogEntry[]> {
    return this.d.store.listNotifications(query);
  }

  /** A browser subscribes for `username` (the session's, never the body's). */
  async subscribePush(username: string, raw: unknown): Promise<{ ok: true; id: string } | { ok: false; error: IocError }> {
    const parsed = PushSubscriptionInputSchema.safeParse(raw);
    if (!parsed.success) return { ok: false, error: validationError(parsed.error, 'push subscription') };
    const endpoint = new URL(parsed.data.endpoint);
    const { allowedHosts, allowInsecure } = this.d.config.push;
    if (endpoint.protocol !== 'https:' && !allowInsecure) return { ok: false, error: iocError('E_VALIDATION', 'a push endpoint must be https') };
    const host = endpoint.hostname.toLowerCase();
    if (allowedHosts.length > 0 && !allowedHosts.some((h) => host === h || host.endsWith(`.${h}`)))
      return { ok: false, error: iocError('E_VALIDATION', `push endpoints on ${host} are not allowed (IOC_PUSH_ALLOWED_HOSTS)`) };
    const record: StoredPushSubscription = {
      id: pushSubscriptionId(parsed.data.endpoint),
      username,
      endpoint: parsed.data.endpoint,
      keys: parsed.data.keys,
      createdTs: this.now(),
    };
    await this.d.store.putPushSubscription(record);
    return { ok: true, id: record.id };
  }

  /** Removes the caller's own subscription of this endpoint; false when there is none of theirs. */
  async unsubscribePush(username: string, endpoint: string): Promise<boolean> {
    const id = pushSubscriptionId(endpoint);
    const s = await this.d.store.getPushSubscription(id);
    if (!s || s.username !== username) return false;
    return this.d.store.deletePushSubscription(id);
  }

  close(): Promise<void> {
    this.stop();
    return this.worker.idle();
  }
}
