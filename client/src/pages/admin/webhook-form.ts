/**
 * Pure helpers of the notifications tab (issue 14): the webhook form's draft, its checks (the same
 * rules as the server's WebhookInputSchema, so a mistake is named before it is sent), the body it
 * sends, and what the outbox and dead letters say about each subscription.
 */
import { ALERT_LEVELS, DISTRICT_CODES, type AlertLevel, type DistrictCode } from '@scenes/domain';
import { NOTIFICATION_TYPES, type NotificationType } from '../../../../server/notify/notify-types';
import type { DeadLetter, OutboxEntry, PublicWebhookSubscription, WebhookInput, WebhookUpdate } from '../../data/notifications';
import type { MessageKey } from '../../i18n/i18n';

/** shortest secret the server takes, characters */
export const WEBHOOK_SECRET_MIN_CHARS = 16;
const WEBHOOK_SECRET_MAX_CHARS = 200;
const WEBHOOK_URL_MAX_CHARS = 500;
const WEBHOOK_DESCRIPTION_MAX_CHARS = 200;

export interface WebhookDraft {
  url: string;
  /** create: required; edit: empty keeps the stored secret, anything else rotates it */
  secret: string;
  eventTypes: NotificationType[];
  /** '' = every level */
  minLevel: AlertLevel | '';
  districts: DistrictCode[];
  enabled: boolean;
  description: string;
}

export type WebhookFormMode = 'create' | 'edit';

export function emptyWebhookDraft(): WebhookDraft {
  return { url: '', secret: '', eventTypes: [], minLevel: '', districts: [], enabled: true, description: '' };
}

/** The form of a stored subscription: everything but the secret, which is never answered. */
export function draftFromWebhook(w: PublicWebhookSubscription): WebhookDraft {
  return {
    url: w.url,
    secret: '',
    eventTypes: [...w.eventTypes],
    minLevel: w.minLevel ?? '',
    districts: [...w.districts],
    enabled: w.enabled,
    description: w.description,
  };
}

function validUrl(s: string): boolean {
  if (s.length === 0 || s.length > WEBHOOK_URL_MAX_CHARS || !URL.canParse(s)) return false;
  const u = new URL(s);
  return (u.protocol === 'http:' || u.protocol === 'https:') && u.username === '' && u.password === '';
}

/** What is wrong with the draft, as message keys (empty: it can be sent). */
export function validateWebhookDraft(d: WebhookDraft, mode: WebhookFormMode): MessageKey[] {
  const errors: MessageKey[] = [];
  if (!validUrl(d.url.trim())) errors.push('adm.notify.err.url');
  const secret = d.secret;
  if (mode === 'create' && secret.length === 0) errors.push('adm.notify.err.secretRequired');
  else if (secret.length > 0 && (secret.length < WEBHOOK_SECRET_MIN_CHARS || secret.length > WEBHOOK_SECRET_MAX_CHARS))
    errors.push('adm.notify.err.secretLength');
  if (d.description.trim().length > WEBHOOK_DESCRIPTION_MAX_CHARS) errors.push('adm.notify.err.description');
  return errors;
}

/** The body of a create (secret included) or an update (secret only when rotated), in canonical order. */
export function webhookBody(d: WebhookDraft, mode: 'create'): WebhookInput;
export function webhookBody(d: WebhookDraft, mode: 'edit'): WebhookUpdate;
export function webhookBody(d: WebhookDraft, mode: WebhookFormMode): WebhookInput | WebhookUpdate {
  const body: WebhookUpdate = {
    url: d.url.trim(),
    eventTypes: NOTIFICATION_TYPES.filter((x) => d.eventTypes.includes(x)),
    districts: DISTRICT_CODES.filter((x) => d.districts.includes(x)),
    enabled: d.enabled,
    description: d.description.trim(),
    ...(d.minLevel ? { minLevel: d.minLevel } : {}),
  };
  if (mode === 'create' || d.secret.length > 0) body.secret = d.secret;
  return body;
}

/** "Only these levels": the levels a minimum level lets through, worst first. */
export function levelsAtLeast(min: AlertLevel | undefined): readonly AlertLevel[] {
  if (!min) return ALERT_LEVELS;
  return ALERT_LEVELS.slice(0, ALERT_LEVELS.indexOf(min) + 1);
}

/**
 * What the outbox and the dead letters say about one subscription's deliveries (the API keeps no
 * "last delivered"): failed for good, being retried, waiting, or nothing open.
 */
export type DeliveryState =
  | { kind: 'dead'; count: number; lastError?: string; ts: number }
  | { kind: 'retrying'; count: number; lastError?: string }
  | { kind: 'pending'; count: number }
  | { kind: 'clear' };

export function deliveryState(webhookId: string, deadLetters: readonly DeadLetter[], pending: readonly OutboxEntry[]): DeliveryState {
  const dead = deadLetters.filter((d) => d.channel === 'webhook' && d.target === webhookId);
  if (dead.length > 0) {
    const last = dead.reduce((a, b) => (b.deadTs > a.deadTs ? b : a));
    return { kind: 'dead', count: dead.length, ts: last.deadTs, ...(last.lastError ? { lastError: last.lastError } : {}) };
  }
  const open = pending.filter((p) => p.channel === 'webhook' && p.target === webhookId);
  const failing = open.filter((p) => p.attempts > 0);
  if (failing.length > 0) {
    const lastError = failing.find((p) => p.lastError)?.lastError;
    return { kind: 'retrying', count: open.length, ...(lastError ? { lastError } : {}) };
  }
  if (open.length > 0) return { kind: 'pending', count: open.length };
  return { kind: 'clear' };
}

/** The event a dead letter carried, read from its body (a webhook body is the event JSON). */
export function deadLetterEvent(
  d: Pick<DeadLetter, 'body' | 'eventId'>,
  language: 'zh' | 'en',
): { type?: NotificationType; incidentId?: string; title?: string } {
  const prefix = d.eventId.split(':')[0] ?? '';
  const fromId = (NOTIFICATION_TYPES as readonly string[]).includes(prefix) ? { type: prefix as NotificationType } : {};
  let b: { type?: unknown; incidentId?: unknown; title?: unknown };
  try {
    b = JSON.parse(d.body) as typeof b;
  } catch {
    return fromId;
  }
  if (typeof b !== 'object' || b === null) return fromId;
  const type = (NOTIFICATION_TYPES as readonly unknown[]).includes(b.type) ? (b.type as NotificationType) : fromId.type;
  const titles = typeof b.title === 'object' && b.title !== null ? (b.title as Record<string, unknown>) : {};
  const title = typeof titles[language] === 'string' ? (titles[language] as string) : undefined;
  return {
    ...(type ? { type } : {}),
    ...(typeof b.incidentId === 'string' ? { incidentId: b.incidentId } : {}),
    ...(title ? { title } : {}),
  };
}

/** The host of a subscription's URL for narrow columns (the full URL is its title). */
export function urlHost(url: string): string {
  return URL.canParse(url) ? new URL(url).host : url;
}
