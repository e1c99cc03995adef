/**
 * Which browser origins may talk to this server (issue 12, transport and surface).
 *
 * A browser names the page that makes a request in `Origin`; a page of another site must neither
 * open a Socket.IO connection (the handshake is not covered by CORS) nor make a state-changing
 * REST call (CSRF). The rule:
 * - no `Origin` at all: not a browser page (gateways, the simulator, curl) — passes; these callers
 *   authenticate on their own (device tokens, bearer tokens);
 * - same origin: the Origin's host:port equals the request's `Host` (or `X-Forwarded-Host` when the
 *   request comes from a reverse proxy on loopback, the same trust rule as `sourceOf` in guard.ts);
 * - an origin on the allowlist (IOC_ALLOWED_ORIGINS, plus the vite dev server outside production);
 * - anything else (another site, `Origin: null` of a sandboxed page or a file) is refused.
 *
 * No I/O here: app.ts applies it to the engine's `allowRequest`, rest-origin.ts to REST.
 */
import type { IncomingHttpHeaders } from 'node:http';

export type OriginVerdict = 'absent' | 'same-origin' | 'allowed' | 'refused';

/**
 * The vite dev server (`npm run dev`, vite.config.ts) proxies `/api` with `changeOrigin`: the
 * server sees `Host: 127.0.0.1:8080` but the browser's `Origin: http://localhost:5173`. Allowed
 * outside production unless IOC_ALLOWED_ORIGINS is set (then that list is the whole allowlist).
 */
export const DEV_CLIENT_ORIGINS: readonly string[] = ['http://localhost:5173', 'http://127.0.0.1:5173'];

const LOOPBACK = /^(127\.|::1$|::ffff:127\.)/;

/** `scheme://host[:port]` of an http(s) origin, lower-cased with the default port dropped; null if it is not one. */
export function normaliseOrigin(raw: string): string | null {
  const s = raw.trim();
  if (!/^https?:\/\/[^/?#]+\/?$/i.test(s)) return null;
  try {
    const u = new URL(s);
    return u.origin === 'null' ? null : u.origin;
  } catch {
    return null;
  }
}

/** A comma-separated list of origins; the first entry that is not one is named. */
export function parseOriginList(raw: string): { ok: true; origins: string[] } | { ok: false; message: string } {
  const origins: string[] = [];
  for (const part of raw.split(',')) {
    if (part.trim() === '') continue;
    const o = normaliseOrigin(part);
    if (!o) return { ok: false, message: `'${part.trim()}' is not an origin (scheme://host[:port], e.g. https://ioc.example.cn)` };
    origins.push(o);
  }
  return { ok: true, origins };
}

/** `host[:port]` as a URL of `protocol` spells it (default port dropped, lower case); null if malformed. */
function hostOf(protocol: string, host: string): string | null {
  try {
    const u = new URL(`${protocol}//${host}`);
    return u.pathname === '/' && !u.username && !u.password ? u.host : null;
  } catch {
    return null;
  }
}

function firstHeader(v: string | string[] | undefined): string | undefined {
  const s = Array.isArray(v) ? v[0] : v;
  if (s === undefined) return undefined;
  return s.split(',')[0]!.trim() || undefined;
}

export class OriginPolicy {
  private readonly allowed: ReadonlySet<string>;

  constructor(allowedOrigins: readonly string[]) {
    const set = new Set<string>();
    for (const o of allowedOrigins) {
      const n = normaliseOrigin(o);
      if (n) set.add(n);
    }
    this.allowed = set;
  }

  /** The allowlist (normalised), for the CORS answers of Socket.IO. */
  allowedOrigins(): string[] {
    return [...this.allowed];
  }

  /** Whether an Origin value is on the allowlist (not: same-origin). */
  isAllowed(origin: string): boolean {
    const n = normaliseOrigin(origin);
    return n !== null && this.allowed.has(n);
  }

  judge(headers: IncomingHttpHeaders, remoteAddress: string | undefined): OriginVerdict {
    const raw = headers.origin;
    if (raw === undefined || raw === '') return 'absent';
    const origin = normaliseOrigin(raw);
    if (!origin) return 'refused';
    const protocol = new URL(origin).protocol;
    const own = origin.slice(protocol.length + 2);
    const host = firstHeader(headers.host);
    if (host !== undefined && hostOf(protocol, host) === own) return 'same-origin';
    if (remoteAddress !== undefined && LOOPBACK.test(remoteAddress)) {
      const forwarded = firstHeader(headers['x-forwarded-host']);
      if (forwarded !== undefined && hostOf(protocol, forwarded) === own) return 'same-origin';
    }
    return this.allowed.has(origin) ? 'allowed' : 'refused';
  }
}
