/**
 * Notifications beyond the open page (issue 14) over REST: the admins' webhook subscriptions
 * (`/api/webhooks`; the secret is sent on create or rotate and never answered), dead letters and
 * their retry, the outbox, and the per-incident notification log (`/api/notifications`).
 */
import type { DeadLetter, NotificationLogEntry, OutboxEntry, PublicWebhookSubscription, WebhookInput } from '../../../server/notify/notify-types';
import { call, jsonInit, type ApiResult } from './rest';

export type { DeadLetter, NotificationLogEntry, OutboxEntry, PublicWebhookSubscription, WebhookInput };

/** What an update sends: like a create, but the secret may be left out (the stored one is kept). */
export type WebhookUpdate = Omit<WebhookInput, 'secret'> & { secret?: string };

export function listWebhooks(token: string): Promise<ApiResult<{ webhooks: PublicWebhookSubscription[] }>> {
  return call(token, '/api/webhooks');
}

export function createWebhook(token: string, input: WebhookInput): Promise<ApiResult<{ webhook: PublicWebhookSubscription }>> {
  return call(token, '/api/webhooks', jsonInit(input));
}

export function updateWebhook(token: string, id: string, input: WebhookUpdate): Promise<ApiResult<{ webhook: PublicWebhookSubscription }>> {
  return call(token, `/api/webhooks/${encodeURIComponent(id)}`, jsonInit(input, 'PUT'));
}

export function deleteWebhook(token: string, id: string): Promise<ApiResult<{ ok: true }>> {
  return call(token, `/api/webhooks/${encodeURIComponent(id)}`, { method: 'DELETE' });
}

export function listDeadLetters(token: string): Promise<ApiResult<{ deadLetters: DeadLetter[] }>> {
  return call(token, '/api/webhooks/dead-letters');
}

export function retryDeadLetter(token: string, id: string): Promise<ApiResult<{ ok: true }>> {
  return call(token, `/api/webhooks/dead-letters/${encodeURIComponent(id)}/retry`, jsonInit({}));
}

export function listOutbox(token: string): Promise<ApiResult<{ pending: OutboxEntry[] }>> {
  return call(token, '/api/webhooks/outbox');
}

export function fetchNotificationLog(token: string, incidentId: string): Promise<ApiResult<{ notifications: NotificationLogEntry[] }>> {
  return call(token, `/api/notifications?incidentId=${encodeURIComponent(incidentId)}`);
}
