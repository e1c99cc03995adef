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
  /** the server's session id (GET /api/auth/sessions marks it `current`) */
  sessionId?: string;
  /** opaque, single use: renews the short-lived access token (absent: kiosk tokens, which never need it) */
  refreshToken?: string;
  /** epoch ms: no renewal after it (the session's absolute end) */
  refreshExpiresAt?: number;
  /** ms without use after which the server refuses the renewal */
  idleTimeoutMs?: number;
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
    // an expired access token is still a session while it may be renewed
    const renewable = typeof parsed.refreshToken === 'string' && (parsed.refreshExpiresAt ?? 0) > nowTs;
    if (typeof parsed.expiresAt === 'number' && parsed.expiresAt <= nowTs && !renewable) return null;
    const session: Session = {
      token: parsed.token,
      role: parsed.role ?? null,
      username: parsed.username ?? null,
      displayName: parsed.displayName ?? null,
      expiresAt: typeof parsed.expiresAt === 'number' ? parsed.expiresAt : null,
    };
    if (typeof parsed.sessionId === 'string') session.sessionId = parsed.sessionId;
    if (renewable) {
      session.refreshToken = parsed.refreshToken;
      session.refreshExpiresAt = parsed.refreshExpiresAt;
      if (typeof parsed.idleTimeoutMs === 'number') session.idleTimeoutMs = parsed.idleTimeoutMs;
    }
    return session;
  } catch {
    return null;
  }
}

export function saveSession(session: Session): void {
  storage()?.setItem(SESSION_STORAGE_KEY, JSON.stringify(session));
}

/**
 * Forgets this tab's session, and ends it on the server too (POST /api/auth/logout, best effort):
 * a session the browser no longer holds should not stay usable by anyone else.
 */
export function clearSession(): void {
  const raw = storage()?.getItem(SESSION_STORAGE_KEY);
  storage()?.removeItem(SESSION_STORAGE_KEY);
  let held: Partial<Session> = {};
  try {
    held = raw ? (JSON.parse(raw) as Partial<Session>) : {};
  } catch {
    held = {};
  }
  if (typeof held.token === 'string' && held.token.length > 0 && typeof fetch === 'function') {
    // keepalive: the request outlives a navigation to the login page; the refresh token ends the
    // session even when the access token has ended already
    void fetch('/api/auth/logout', {
      method: 'POST',
      keepalive: true,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${held.token}` },
      body: JSON.stringify(typeof held.refreshToken === 'string' ? { refreshToken: held.refreshToken } : {}),
    }).catch(() => undefined);
  }
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

/** A refused or failed POST; `retryAfterS`: the server's Retry-After (a throttled login), seconds. */
export type LoginFailure = { ok: false; error: IocError | { code: 'E_NETWORK'; message: string }; retryAfterS?: number };

/**
 * A login's answer. `passwordChange`: the account must change its password first; the session
 * (kept in memory only, never stored) may do nothing else — call `changePassword` with it.
 */
export type LoginOutcome = { ok: true; session: Session } | { ok: true; passwordChange: { token: string; username: string } } | LoginFailure;

/** POSTs a JSON body; a typed error for any non-2xx answer or a network failure. */
export async function postJson(path: string, body: unknown, token?: string): Promise<{ ok: true; body: unknown } | LoginFailure> {
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
    const retryAfter = Number(res.headers.get('retry-after'));
    const failure: LoginFailure = {
      ok: false,
      error: error && typeof error.code === 'string' ? error : { code: 'E_INTERNAL', message: `HTTP ${res.status}` },
    };
    if (Number.isFinite(retryAfter) && retryAfter > 0) failure.retryAfterS = retryAfter;
    return failure;
  }
  return { ok: true, body: answer };
}

/** A full session from a login-shaped answer, stored; or the password change it requires. */
function sessionOutcome(answer: unknown): LoginOutcome {
  const r = answer as LoginResponse | null;
  if (!r || typeof r.token !== 'string') return { ok: false, error: { code: 'E_PROTOCOL', message: 'malformed login response' } };
  if (r.mustChangePassword === true) return { ok: true, passwordChange: { token: r.token, username: r.username } };
  const session = sessionOfResponse(r);
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

/** The session a login-shaped answer (login, TOTP step, password change, refresh) describes. */
export function sessionOfResponse(r: LoginResponse): Session {
  const session: Session = { token: r.token, role: r.role, username: r.username, displayName: r.displayName, expiresAt: r.expiresAt };
  if (r.sessionId) session.sessionId = r.sessionId;
  if (r.refreshToken) {
    session.refreshToken = r.refreshToken;
    session.refreshExpiresAt = r.refreshExpiresAt;
    session.idleTimeoutMs = r.idleTimeoutMs;
  }
  return session;
}

// --- keeping the access token fresh (issue 12) ------------------------------------------------

/** renew this long before the access token ends, ms */
export const REFRESH_MARGIN_MS = 60_000;
/** how often the keeper looks at the token, ms */
const KEEPER_INTERVAL_MS = 15_000;

export type RefreshOutcome = { ok: true; session: Session } | { ok: false; final: boolean; error: IocError | { code: 'E_NETWORK'; message: string } };

let refreshing: Promise<RefreshOutcome> | null = null;

/**
 * POST /api/auth/refresh with the stored refresh token (one at a time: concurrent callers share
 * the answer — the refresh token is single use, and presenting it twice ends the session). A
 * refusal (`final`) forgets the session; a network failure keeps it for the next try.
 */
export function refreshSession(): Promise<RefreshOutcome> {
  if (refreshing) return refreshing;
  refreshing = (async (): Promise<RefreshOutcome> => {
    const current = loadSession();
    if (!current?.refreshToken) return { ok: false, final: true, error: { code: 'E_UNAUTHORIZED', message: 'no renewable session' } };
    const r = await postJson('/api/auth/refresh', { refreshToken: current.refreshToken });
    if (!r.ok) {
      const final = r.error.code !== 'E_NETWORK' && r.error.code !== 'E_UNAVAILABLE' && r.error.code !== 'E_RATE_LIMIT';
      if (final) {
        storage()?.removeItem(SESSION_STORAGE_KEY);
        noteSessionEnded();
      }
      return { ok: false, final, error: r.error };
    }
    const renewed = sessionOfResponse(r.body as LoginResponse);
    saveSession(renewed);
    return { ok: true, session: renewed };
  })().finally(() => {
    refreshing = null;
  });
  return refreshing;
}

/**
 * The stored session's access token, renewed first when it ends within `marginMs`; null when
 * there is no session (or it could not be renewed and has ended).
 */
export async function freshToken(marginMs = REFRESH_MARGIN_MS, nowTs = Date.now()): Promise<string | null> {
  const s = loadSession(nowTs);
  if (!s) return null;
  if (!s.refreshToken || s.expiresAt === null || s.expiresAt - nowTs > marginMs) return s.token;
  const r = await refreshSession();
  if (r.ok) return r.session.token;
  return r.final ? null : s.expiresAt > nowTs ? s.token : null;
}

let lastActivityTs = Date.now();
let keeper: ReturnType<typeof setInterval> | null = null;

/** The person used the page (input); the keeper renews only for someone who is there. */
export function noteActivity(nowTs = Date.now()): void {
  lastActivityTs = nowTs;
}

/**
 * Whether the keeper should renew now: a renewable session whose token ends soon, used within
 * its idle timeout (an unattended console is left to end: the server refuses the refresh then too).
 */
export function shouldRenew(s: Session | null, nowTs: number, lastActivity: number, marginMs = REFRESH_MARGIN_MS): boolean {
  if (!s?.refreshToken || s.expiresAt === null) return false;
  if (s.expiresAt - nowTs > marginMs) return false;
  return s.idleTimeoutMs === undefined || nowTs - lastActivity < s.idleTimeoutMs;
}

/**
 * Keeps the access token of a signed-in console fresh (idempotent; kiosk tokens need nothing).
 * Input events count as activity.
 */
export function startSessionKeeper(): void {
  if (keeper || typeof window === 'undefined') return;
  for (const e of ['pointerdown', 'keydown', 'touchstart', 'wheel']) window.addEventListener(e, () => noteActivity(), { passive: true });
  keeper = setInterval(() => {
    if (shouldRenew(loadSession(), Date.now(), lastActivityTs)) void refreshSession();
  }, KEEPER_INTERVAL_MS);
}

const SESSION_ENDED_KEY = 'ioc.sessionEnded';

/** Remembers that the session ended under the user (revoked, expired): the login page says so once. */
export function noteSessionEnded(): void {
  storage()?.setItem(SESSION_ENDED_KEY, '1');
}

/** True once after the session ended under the user (会话已失效，请重新登录). */
export function takeSessionEndedNotice(): boolean {
  const s = storage();
  if (s?.getItem(SESSION_ENDED_KEY) !== '1') return false;
  s.removeItem(SESSION_ENDED_KEY);
  return true;
}

/** `sid` of an access token (the session it belongs to), read for bookkeeping only; null if unreadable. */
export function sessionIdOfToken(token: string): string | null {
  const payload = token.split('.')[1];
  if (!payload) return null;
  try {
    const json = JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/'))) as { sid?: unknown };
    return typeof json.sid === 'string' ? json.sid : null;
  } catch {
    return null;
  }
}

/** POST /api/auth/logout-all ("sign out everywhere"), then forgets the session here. */
export async function logoutEverywhere(): Promise<{ ok: true } | LoginFailure> {
  const token = await freshToken();
  if (!token) return { ok: false, error: { code: 'E_UNAUTHORIZED', message: 'not signed in' } };
  const r = await postJson('/api/auth/logout-all', {}, token);
  if (!r.ok) return r;
  storage()?.removeItem(SESSION_STORAGE_KEY);
  return { ok: true };
}
