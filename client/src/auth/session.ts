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

export type LoginFailure = { ok: false; error: IocError | { code: 'E_NETWORK'; message: string } };

/**
 * A login's answer. `passwordChange`: the account must change its password first; the session
 * (kept in memory only, never stored) may do nothing else — call `changePassword` with it.
 */
export type LoginOutcome = { ok: true; session: Session } | { ok: true; passwordChange: { token: string; username: string } } | LoginFailure;

/** POSTs a JSON body; a typed error for any non-2xx answer or a network failure. */
async function postJson(path: string, body: unknown, token?: string): Promise<{ ok: true; body: unknown } | LoginFailure> {
  let res: Response;
  try {
    res = await fetch(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
  } catch (e) {
    return { ok: false, error: { code: 'E_NETWORK', message: e instanceof Error ? e.message : String(e) } };
  }
  let answer: unknown = null;
  try {
    answer = await res.json();
  } catch {
    answer = null;
  }
  if (!res.ok) {
    const error = (answer as { error?: IocError } | null)?.error;
    return {
      ok: false,
      error: error && typeof error.code === 'string' ? error : { code: 'E_INTERNAL', message: `HTTP ${res.status}` },
    };
  }
  return { ok: true, body: answer };
}

/** A full session from a login-shaped answer, stored; or the password change it requires. */
function sessionOutcome(answer: unknown): LoginOutcome {
  const r = answer as LoginResponse | null;
  if (!r || typeof r.token !== 'string') return { ok: false, error: { code: 'E_PROTOCOL', message: 'malformed login response' } };
  if (r.mustChangePassword === true) return { ok: true, passwordChange: { token: r.token, username: r.username } };
  const session: Session = { token: r.token, role: r.role, username: r.username, displayName: r.displayName, expiresAt: r.expiresAt };
  saveSession(session);
  return { ok: true, session };
}

/** `POST /api/auth/login`; stores the session on success (not a password-change-only one). */
export async function login(username: string, password: string): Promise<LoginOutcome> {
  const r = await postJson('/api/auth/login', { username, password });
  return r.ok ? sessionOutcome(r.body) : r;
}

/**
 * `POST /api/auth/password` with the session `token` (a password-change-only one, or a full one);
 * stores the fresh full session the server answers.
 */
export async function changePassword(token: string, currentPassword: string, newPassword: string): Promise<LoginOutcome> {
  const r = await postJson('/api/auth/password', { currentPassword, newPassword }, token);
  return r.ok ? sessionOutcome(r.body) : r;
}
