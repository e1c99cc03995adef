/**
 * The signed-in session of this browser tab: kept in sessionStorage (a wall PC's tab keeps it
 * across reloads; closing the tab signs out). Kiosk setups may pass `?token=` once; it is stored
 * and stripped from the URL by the router.
 */
import type { LoginResponse, IocError } from '@scenes/protocol';
import type { Role } from '@scenes/domain';

const SESSION_STORAGE_KEY = 'ioc.session';

export interface Session {
  token: string;
  role: Role | null;
  username: string | null;
  displayName: string | null;
  /** epoch ms; null when unknown (token handed over by URL) */
  expiresAt: number | null;
}

function storage(): Storage | null {
  try {
    return globalThis.sessionStorage ?? null;
  } catch {
    return null;
  }
}

export function loadSession(nowTs: number = Date.now()): Session | null {
  const raw = storage()?.getItem(SESSION_STORAGE_KEY);
  if (!raw) return null;
  try {
    const parsed = JSON.parse(raw) as Partial<Session>;
    if (typeof parsed.token !== 'string' || parsed.token.length === 0) return null;
    if (typeof parsed.expiresAt === 'number' && parsed.expiresAt <= nowTs) return null;
    return {
      token: parsed.token,
      role: parsed.role ?? null,
      username: parsed.username ?? null,
      displayName: parsed.displayName ?? null,
      expiresAt: typeof parsed.expiresAt === 'number' ? parsed.expiresAt : null,
    };
  } catch {
    return null;
  }
}

export function saveSession(session: Session): void {
  storage()?.setItem(SESSION_STORAGE_KEY, JSON.stringify(session));
}

export function clearSession(): void {
  storage()?.removeItem(SESSION_STORAGE_KEY);
}

const ROLES: readonly Role[] = ['screen', 'officer', 'handler', 'leader', 'admin'];

/**
 * A session from a bare token (kiosk `?token=`). Role, user and expiry are read from the JWT's
 * payload for routing and display only — the server verifies the token on every request and
 * socket handshake, so a forged payload gains nothing.
 */
export function sessionFromToken(token: string): Session {
  const session: Session = { token, role: null, username: null, displayName: null, expiresAt: null };
  const payload = token.split('.')[1];
  if (!payload) return session;
  try {
    const json = JSON.parse(
      new TextDecoder().decode(Uint8Array.from(atob(payload.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0))),
    ) as {
      role?: unknown;
      sub?: unknown;
      name?: unknown;
      exp?: unknown;
    };
    return {
      token,
      role: ROLES.includes(json.role as Role) ? (json.role as Role) : null,
      username: typeof json.sub === 'string' ? json.sub : null,
      displayName: typeof json.name === 'string' ? json.name : null,
      expiresAt: typeof json.exp === 'number' ? json.exp * 1000 : null,
    };
  } catch {
    return session;
  }
}

export type LoginOutcome = { ok: true; session: Session } | { ok: false; error: IocError | { code: 'E_NETWORK'; message: string } };

/** `POST /api/auth/login`; stores the session on success. */
export async function login(username: string, password: string): Promise<LoginOutcome> {
  let res: Response;
  try {
    res = await fetch('/api/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
  } catch (e) {
    return { ok: false, error: { code: 'E_NETWORK', message: e instanceof Error ? e.message : String(e) } };
  }
  let body: unknown = null;
  try {
    body = await res.json();
  } catch {
    body = null;
  }
  if (!res.ok) {
    const error = (body as { error?: IocError } | null)?.error;
    return {
      ok: false,
      error: error && typeof error.code === 'string' ? error : { code: 'E_INTERNAL', message: `HTTP ${res.status}` },
    };
  }
  const r = body as LoginResponse;
  if (!r || typeof r.token !== 'string') return { ok: false, error: { code: 'E_PROTOCOL', message: 'malformed login response' } };
  const session: Session = { token: r.token, role: r.role, username: r.username, displayName: r.displayName, expiresAt: r.expiresAt };
  saveSession(session);
  return { ok: true, session };
}
