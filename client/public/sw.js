/*
 * City IOC service worker: caches the app shell only, so the handler's phone opens /mobile without
 * a network. It never touches /api/ or /socket.io/ (live data and commands must not be served
 * from a cache; offline commands are queued in IndexedDB by the page, not here).
 *
 * - navigations: network first, the cached shell when offline;
 * - /assets/* (content-hashed by Vite, immutable): cache first;
 * - icons and the manifest: stale-while-revalidate.
 *
 * Web Push (issue 14, server/notify/): a `push` shows the notification the server sent (task,
 * reminder, 督办, overdue, plan started); a tap opens its page (`/mobile?incident=…` for handlers,
 * `/console?incident=…` for officers) in an open window of this app or a new one, with
 * `&notification=<id>` so the signed-in page acknowledges it (client/src/data/push.ts).
 */
const SHELL_CACHE = 'ioc-shell-v1';
const SHELL_URLS = ['/mobile', '/manifest.webmanifest', '/icons/handler-192.png', '/icons/handler-512.png', '/icons/handler-icon.svg'];

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(SHELL_CACHE)
      .then((cache) => cache.addAll(SHELL_URLS))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== SHELL_CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

function neverCached(url) {
  return (
    url.origin !== self.location.origin ||
    url.pathname.startsWith('/api/') ||
    url.pathname.startsWith('/socket.io/') ||
    url.pathname === '/healthz' ||
    url.pathname === '/metrics'
  );
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (neverCached(url)) return;

  if (request.mode === 'navigate') {
    event.respondWith(
      fetch(request)
        .then((response) => {
          if (response.ok && url.pathname === '/mobile') {
            const copy = response.clone();
            void caches.open(SHELL_CACHE).then((cache) => cache.put('/mobile', copy));
          }
          return response;
        })
        .catch(() => caches.match('/mobile').then((cached) => cached || Response.error())),
    );
    return;
  }

  if (url.pathname.startsWith('/assets/')) {
    event.respondWith(
      caches.match(request).then(
        (cached) =>
          cached ||
          fetch(request).then((response) => {
            if (response.ok) {
              const copy = response.clone();
              void caches.open(SHELL_CACHE).then((cache) => cache.put(request, copy));
            }
            return response;
          }),
      ),
    );
    return;
  }

  if (SHELL_URLS.includes(url.pathname)) {
    event.respondWith(
      caches.match(request).then((cached) => {
        const fresh = fetch(request)
          .then((response) => {
            if (response.ok) {
              const copy = response.clone();
              void caches.open(SHELL_CACHE).then((cache) => cache.put(request, copy));
            }
            return response;
          })
          .catch(() => cached || Response.error());
        return cached || fresh;
      }),
    );
  }
});

/** Notices that stay on screen until the person acts on them. */
const STICKY_TYPES = ['incident.dispatched', 'incident.overdue', 'incident.escalated_to_leader', 'alert.red', 'plan.started'];

self.addEventListener('push', (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch {
    data = { title: '城市运行管理中心', body: event.data ? event.data.text() : '' };
  }
  const english = String(self.navigator.language || '')
    .toLowerCase()
    .startsWith('en');
  const title = (english && data.titleEn) || data.title || '城市运行管理中心';
  const body = (english && data.bodyEn) || data.body || '';
  event.waitUntil(
    self.registration.showNotification(title, {
      body,
      tag: data.tag || data.id,
      renotify: true,
      requireInteraction: STICKY_TYPES.includes(data.type),
      icon: '/icons/handler-192.png',
      badge: '/icons/handler-192.png',
      lang: english ? 'en' : 'zh-CN',
      data: { url: data.url, id: data.id },
    }),
  );
});

/** Only a path of this app is opened (never another origin, whatever the payload says). */
function targetOf(data) {
  let url;
  try {
    url = new URL(typeof data.url === 'string' ? data.url : '/', self.location.origin);
  } catch {
    url = new URL('/', self.location.origin);
  }
  if (url.origin !== self.location.origin) url = new URL('/', self.location.origin);
  if (typeof data.id === 'string') url.searchParams.set('notification', data.id);
  return url.href;
}

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const target = targetOf(event.notification.data || {});
  event.waitUntil(
    self.clients.matchAll({ type: 'window', includeUncontrolled: true }).then((windows) => {
      const open = windows.find((w) => new URL(w.url).origin === self.location.origin && 'navigate' in w);
      // navigate() works on windows this worker controls only: otherwise a new window
      if (open)
        return open.navigate(target).then(
          (w) => (w || open).focus(),
          () => self.clients.openWindow(target),
        );
      return self.clients.openWindow(target);
    }),
  );
});
