/**
 * Makes /mobile installable: adds the manifest link and theme colour to the document (index.html
 * is shared with the wall screens, which must not register a worker) and registers the service
 * worker that caches the app shell (client/public/sw.js).
 *
 * Web Push (issue 14): the handler's phone is subscribed for the signed-in handler — at once when
 * notifications are already allowed, else the first tap on the page asks (browsers ask only from a
 * gesture) — and a page opened from a tapped notification acknowledges it (client/src/data/push.ts).
 */
import { enablePushForSession } from '../../data/push';
const MANIFEST_HREF = '/manifest.webmanifest';
const SERVICE_WORKER_URL = '/sw.js';
const THEME_COLOUR = '#061a33';

export function enablePwa(): void {
  if (typeof document === 'undefined') return;
  if (!document.querySelector(`link[rel="manifest"]`)) {
    const link = document.createElement('link');
    link.rel = 'manifest';
    link.href = MANIFEST_HREF;
    document.head.appendChild(link);
  }
  if (!document.querySelector('meta[name="theme-color"]')) {
    const meta = document.createElement('meta');
    meta.name = 'theme-color';
    meta.content = THEME_COLOUR;
    document.head.appendChild(meta);
  }
  if ('serviceWorker' in navigator && window.isSecureContext) {
    navigator.serviceWorker.register(SERVICE_WORKER_URL, { scope: '/' }).catch(() => {
      // no worker (private mode, blocked): the page still works online
    });
  }
  enablePushForSession();
}
