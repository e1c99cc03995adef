/**
 * Web Push on this browser (issue 14): tasks, reminders, 督办 and plan notices reach a handler's
 * phone or an officer's browser while the page is closed. The service worker (client/public/sw.js)
 * shows each notification; a tap opens its incident with `&notification=<id>`, which the page
 * acknowledges once signed in (`acknowledgeNotificationFromUrl`).
 *
 * The subscription belongs to the signed-in person on the server (never to a name sent from here).
 */
import { loadSession } from '../auth/session';
import { call, jsonInit, type ApiResult } from './rest';

const SERVICE_WORKER_URL = '/sw.js';
/** query parameter a tapped notification adds to the page it opens */
export const NOTIFICATION_QUERY = 'notification';

export type PushState = 'unsupported' | 'denied' | 'subscribed' | 'not_subscribed';

function supported(): boolean {
  return (
    typeof window !== 'undefined' && window.isSecureContext && 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window
  );
}

/** base64url (the VAPID public key) → the bytes PushManager wants */
export function base64UrlToBytes(b64url: string): Uint8Array<ArrayBuffer> {
  const b64 = b64url.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (b64url.length % 4)) % 4);
  const raw = atob(b64);
  const out = new Uint8Array(new ArrayBuffer(raw.length));
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  return out;
}

function sameKey(sub: PushSubscription, key: Uint8Array): boolean {
  const have = sub.options.applicationServerKey;
  if (!have) return false;
  const a = new Uint8Array(have);
  return a.length === key.length && a.every((b, i) => b === key[i]);
}

async function registration(): Promise<ServiceWorkerRegistration> {
  return (await navigator.serviceWorker.getRegistration('/')) ?? navigator.serviceWorker.register(SERVICE_WORKER_URL, { scope: '/' });
}

export async function pushState(): Promise<PushState> {
  if (!supported()) return 'unsupported';
  if (Notification.permission === 'denied') return 'denied';
  const reg = await navigator.serviceWorker.getRegistration('/');
  return (await reg?.pushManager.getSubscription()) ? 'subscribed' : 'not_subscribed';
}

/**
 * Asks for permission (call it from a click), subscribes with the server's VAPID key (again when
 * the key changed, e.g. a new install) and registers the subscription for the signed-in person.
 */
export async function enablePush(token: string): Promise<ApiResult<{ state: PushState }>> {
  if (!supported()) return { ok: true, state: 'unsupported' };
  if ((await Notification.requestPermission()) !== 'granted') return { ok: true, state: 'denied' };
  const key = await call<{ publicKey: string }>(token, '/api/push/vapid-public-key');
  if (!key.ok) return key;
  const applicationServerKey = base64UrlToBytes(key.publicKey);
  const reg = await registration();
  await navigator.serviceWorker.ready;
  let sub = await reg.pushManager.getSubscription();
  if (sub && !sameKey(sub, applicationServerKey)) {
    await sub.unsubscribe();
    sub = null;
  }
  sub ??= await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey });
  const json = sub.toJSON();
  const saved = await call<{ id: string }>(
    token,
    '/api/push/subscriptions',
    jsonInit({ endpoint: json.endpoint, expirationTime: json.expirationTime ?? null, keys: json.keys }),
  );
  if (!saved.ok) return saved;
  return { ok: true, state: 'subscribed' };
}

/** Stops push on this browser (and tells the server). */
export async function disablePush(token: string): Promise<ApiResult<{ state: PushState }>> {
  if (!supported()) return { ok: true, state: 'unsupported' };
  const sub = await (await navigator.serviceWorker.getRegistration('/'))?.pushManager.getSubscription();
  if (!sub) return { ok: true, state: 'not_subscribed' };
  const endpoint = sub.endpoint;
  await sub.unsubscribe();
  const r = await call<{ ok: true }>(token, '/api/push/subscriptions', jsonInit({ endpoint }, 'DELETE'));
  if (!r.ok && r.error.code !== 'E_NOT_FOUND') return r;
  return { ok: true, state: 'not_subscribed' };
}

/** A page opened from a tapped notification acknowledges it (once), then drops the parameter from the address. */
export async function acknowledgeNotificationFromUrl(token: string): Promise<void> {
  if (typeof location === 'undefined') return;
  const url = new URL(location.href);
  const id = url.searchParams.get(NOTIFICATION_QUERY);
  if (!id) return;
  url.searchParams.delete(NOTIFICATION_QUERY);
  history.replaceState(history.state, '', url.pathname + url.search + url.hash);
  await call(token, `/api/notifications/${encodeURIComponent(id)}/ack`, jsonInit({}));
}

/**
 * Subscribes this browser to Web Push for the signed-in person: at once when notifications are
 * allowed already, else on the first tap on the page (browsers ask only from a gesture); and
 * acknowledges a notification this page was opened from. Never throws.
 */
export function enablePushForSession(): void {
  const token = loadSession()?.token;
  if (!token || typeof window === 'undefined' || !window.isSecureContext || !('Notification' in window)) return;
  void acknowledgeNotificationFromUrl(token).catch(() => undefined);
  const subscribe = () => void enablePush(loadSession()?.token ?? token).catch(() => undefined);
  if (Notification.permission === 'granted') subscribe();
  else if (Notification.permission === 'default') document.addEventListener('pointerup', subscribe, { once: true });
}
