/**
 * Notifications beyond the open page (issue 14): the event every channel carries, the webhook
 * subscription an admin manages, the durable outbox entry, the per-recipient log and the Web Push
 * subscription of a browser. Wire shapes are zod schemas; types derive from them.
 */
import { z } from 'zod';
import { AlertLevelSchema, DistrictCodeSchema, IdSchema } from '../../scenes/domain';

export const NOTIFICATION_TYPES = [
  'incident.dispatched',
  'incident.reminder',
  'incident.overdue',
  'incident.escalated_to_leader',
  'incident.supervised',
  'incident.closed_unresolved',
  'alert.red',
  'plan.started',
  'plan.proposed',
  'report.ready',
] as const;
export const NotificationTypeSchema = z.enum(NOTIFICATION_TYPES);
export type NotificationType = z.infer<typeof NotificationTypeSchema>;

/** longest title / body of a notification, characters (a push payload is at most ~4 KB) */
export const NOTIFICATION_TITLE_MAX_CHARS = 120;
export const NOTIFICATION_BODY_MAX_CHARS = 600;
/** recipients of one notification */
export const NOTIFICATION_RECIPIENTS_MAX = 200;

const UsernameSchema = z.string().min(1).max(64);
const Text = (max: number) => z.strictObject({ zh: z.string().min(1).max(max), en: z.string().min(1).max(max) });

/** What `NotificationService.publish` takes: one thing to tell some people (and the webhooks). */
export const NotificationEventSchema = z.strictObject({
  /** idempotency key: a second publish of the same id does nothing (also the webhook's X-IOC-Event-Id) */
  id: z
    .string()
    .min(1)
    .max(200)
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.:|-]*$/),
  type: NotificationTypeSchema,
  level: AlertLevelSchema.optional(),
  district: DistrictCodeSchema.optional(),
  incidentId: IdSchema.optional(),
  alertId: z.string().min(1).max(200).optional(),
  planInstanceId: z.string().min(1).max(120).optional(),
  /** usernames told through Web Push and the notification log (webhooks get every matching event) */
  recipients: z.array(UsernameSchema).max(NOTIFICATION_RECIPIENTS_MAX),
  title: Text(NOTIFICATION_TITLE_MAX_CHARS),
  body: Text(NOTIFICATION_BODY_MAX_CHARS),
  /** path in this app the notification opens ('/mobile?incident=…', '/console?incident=…') */
  url: z
    .string()
    .max(300)
    .regex(/^\/[^/\\]/, 'a path of this app'),
  /** epoch ms; default: when published */
  ts: z.number().int().positive().optional(),
});
export type NotificationEvent = z.infer<typeof NotificationEventSchema>;

/** The stored notification: the event as published. Its recipients' status lives beside it. */
export type NotificationRecord = NotificationEvent & { ts: number };

/** One recipient's status of one notification (the notification log). */
export interface RecipientStatus {
  username: string;
  /** epoch ms it was handed to the channels */
  sentTs: number;
  /** epoch ms a channel (push service) accepted it for this person; absent: not (yet) delivered */
  deliveredTs?: number;
  /** epoch ms the person acted on it (accepted the task, acknowledged the alert, tapped the notification) */
  acknowledgedTs?: number;
}

export interface NotificationLogEntry extends NotificationRecord {
  recipientStatus: RecipientStatus[];
}

// ---------------------------------------------------------------------------------------------
// Webhooks

/** longest webhook URL, characters */
const WEBHOOK_URL_MAX_CHARS = 500;

export const WebhookUrlSchema = z
  .string()
  .max(WEBHOOK_URL_MAX_CHARS)
  .refine((s) => {
    if (!URL.canParse(s)) return false;
    const u = new URL(s);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.username === '' && u.password === '';
  }, 'an http(s) URL without credentials');

/** What an admin sends to create or replace a subscription. */
export const WebhookInputSchema = z.strictObject({
  url: WebhookUrlSchema,
  /** HMAC-SHA256 key shared with the receiver; at least 16 characters */
  secret: z.string().min(16).max(200),
  /** event types sent; empty = all */
  eventTypes: z.array(NotificationTypeSchema).max(NOTIFICATION_TYPES.length).default([]),
  /** only events at this level or worse (events without a level always pass); absent = all */
  minLevel: AlertLevelSchema.optional(),
  /** only events of these districts (events without a district always pass); empty = all */
  districts: z.array(DistrictCodeSchema).max(20).default([]),
  enabled: z.boolean().default(true),
  description: z.string().max(200).default(''),
});
export type WebhookInput = z.infer<typeof WebhookInputSchema>;

export interface WebhookSubscription extends WebhookInput {
  id: string;
  createdTs: number;
  updatedTs: number;
  createdBy: string;
}

/** A subscription as admins read it: the secret is never answered. */
export type PublicWebhookSubscription = Omit<WebhookSubscription, 'secret'> & { secretSet: true };

export function publicWebhook(s: WebhookSubscription): PublicWebhookSubscription {
  const { secret: _secret, ...rest } = s;
  return { ...rest, secretSet: true };
}

/** How an outbox entry leaves: a signed POST to a webhook, or Web Push to every browser of one person. */
export type OutboxChannel = 'webhook' | 'push';

/** One pending delivery in the durable outbox (at-least-once). */
export interface OutboxEntry {
  /** `${eventId}|${channel}:${target}`: an event is queued once per subscription and per recipient */
  id: string;
  channel: OutboxChannel;
  /** webhook: the subscription id; push: the recipient's username */
  target: string;
  eventId: string;
  /** webhook: the exact JSON body sent (and signed) on every attempt; push: the payload JSON */
  body: string;
  /** attempts made so far */
  attempts: number;
  /** epoch ms of the next attempt */
  nextAttemptTs: number;
  createdTs: number;
  lastError?: string;
}

/** A delivery that failed `maxAttempts` times; an admin may retry it. */
export interface DeadLetter extends OutboxEntry {
  deadTs: number;
}

// ---------------------------------------------------------------------------------------------
// Web Push

/** A browser's PushSubscription.toJSON(), as the page posts it. */
export const PushSubscriptionInputSchema = z.strictObject({
  endpoint: z
    .string()
    .max(1000)
    .refine((s) => URL.canParse(s) && ['https:', 'http:'].includes(new URL(s).protocol), 'an http(s) URL'),
  expirationTime: z.number().nullable().optional(),
  keys: z.strictObject({
    p256dh: z
      .string()
      .min(80)
      .max(200)
      .regex(/^[A-Za-z0-9_-]+={0,2}$/),
    auth: z
      .string()
      .min(16)
      .max(64)
      .regex(/^[A-Za-z0-9_-]+={0,2}$/),
  }),
});
export type PushSubscriptionInput = z.infer<typeof PushSubscriptionInputSchema>;

export interface StoredPushSubscription {
  /** sha256 (hex, 32 chars) of the endpoint: one record per browser */
  id: string;
  /** the session's username when it was posted (never a value from the body) */
  username: string;
  endpoint: string;
  keys: { p256dh: string; auth: string };
  createdTs: number;
}

export interface VapidKeys {
  publicKey: string;
  privateKey: string;
}
