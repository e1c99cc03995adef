/**
 * Web Push (RFC 8030/8291/8292) with the `web-push` package: it signs (VAPID) and encrypts
 * (aes128gcm) the request; we send it ourselves (webhook-http.ts's bounded POST: timeout, no
 * redirects, bounded answer) so a push endpoint is held to the same limits as a webhook.
 *
 * A 404/410 answer means the browser's subscription is gone: it is removed, and that is not a
 * failure. Any other non-2xx or a network error is a failure the outbox retries.
 */
import webpush from 'web-push';
import { postWebhook, type WebhookPostOptions } from './webhook-http';
import type { StoredPushSubscription, VapidKeys } from './notify-types';

export interface PushSendOptions {
  /** VAPID `sub` claim: a mailto: or https: contact of the operator */
  subject: string;
  /** how long the push service keeps an undelivered message, s */
  ttlS: number;
  http: WebhookPostOptions;
}

export type PushSendResult = { status: 'delivered' } | { status: 'gone' } | { status: 'failed'; error: string };

/** A fresh VAPID key pair (P-256, base64url): generated once per install and stored (NotifyStore.vapidKeys). */
export function generateVapidKeys(): VapidKeys {
  const k = webpush.generateVAPIDKeys();
  return { publicKey: k.publicKey, privateKey: k.privateKey };
}

export async function sendWebPush(
  subscription: Pick<StoredPushSubscription, 'endpoint' | 'keys'>,
  payload: string,
  vapid: VapidKeys,
  options: PushSendOptions,
): Promise<PushSendResult> {
  let details: webpush.RequestDetails;
  try {
    details = webpush.generateRequestDetails({ endpoint: subscription.endpoint, keys: subscription.keys }, payload, {
      vapidDetails: { subject: options.subject, publicKey: vapid.publicKey, privateKey: vapid.privateKey },
      TTL: options.ttlS,
      contentEncoding: 'aes128gcm',
      urgency: 'high',
    });
  } catch (err) {
    // a malformed key of the browser: it will never work
    return { status: 'failed', error: `cannot encrypt for this subscription: ${(err as Error).message.slice(0, 120)}` };
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(details.headers)) headers[name.toLowerCase()] = String(value);
  const body = details.body ?? Buffer.alloc(0);
  const r = await postWebhook(details.endpoint, body, headers, { ...options.http, maxRedirects: 0 });
  if (r.ok) return { status: 'delivered' };
  if (r.status === 404 || r.status === 410) return { status: 'gone' };
  return { status: 'failed', error: r.error };
}
