/*
 * City IOC service worker: caches the app shell only, so the handler's phone opens /mobile without
 * a network. It never touches /api/ or /socket.io/ (live data and commands must not be served
 * from a cache; offline commands are queued in IndexedDB by the page, not here).
 *
 * - navigations: network first, the cached shell when offline;
 * - /assets/* (content-hashed by Vite, immutable): cache first;
 * - icons and the manifest: stale-while-revalidate.
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
