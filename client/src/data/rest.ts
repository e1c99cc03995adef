/**
 * REST calls of the client's data modules: the session token as Bearer, JSON answers, and every
 * failure as a typed `{ok: false, error, network}` (network = the request did not get through).
 *
 * The token is the stored session's current one, renewed shortly before it ends (access tokens
 * are short-lived); a 401 renews once and retries, and a session that cannot be renewed sends the
 * person to the login page ("会话已失效，请重新登录").
 */
import type { IocError } from '@scenes/protocol';
import { freshToken, loadSession, noteSessionEnded, refreshSession } from '../auth/session';

export type ApiResult<T> = ({ ok: true } & T) | { ok: false; error: IocError; network: boolean };

/** Where the person goes when the session has ended (a full navigation: every page state is dropped). */
export function goToLogin(): void {
  if (typeof location === 'undefined' || location.pathname === '/login') return;
  noteSessionEnded();
  location.assign(`/login?redirect=${encodeURIComponent(location.pathname + location.search)}`);
}

/**
 * `token`: the caller's session token; the stored session's current one is used instead when
 * there is one (it may have been renewed since the caller read it).
 */
export async function call<T>(token: string, path: string, init: RequestInit = {}): Promise<ApiResult<T>> {
  const send = async (bearer: string): Promise<Response> =>
    fetch(path, {
      ...init,
      headers: { ...(init.headers as Record<string, string> | undefined), authorization: `Bearer ${bearer}` },
    });
  let res: Response;
  try {
    res = await send((await freshToken()) ?? token);
    // the access token ended or the session was renewed elsewhere: renew once and try again
    if (res.status === 401 && loadSession()?.refreshToken) {
      const renewed = await refreshSession();
      if (renewed.ok) res = await send(renewed.session.token);
      else if (renewed.final) goToLogin();
    }
  } catch (e) {
    return { ok: false, network: true, error: { code: 'E_INTERNAL', message: e instanceof Error ? e.message : String(e) } };
  }
  let body: unknown = null;
  try {
    body = await res.json();
  } catch {
    body = null;
  }
  if (!res.ok) {
    const error = (body as { error?: IocError } | null)?.error;
    // a 5xx from a proxy without our error shape counts as "did not get through"
    const network = !error && res.status >= 500;
    return { ok: false, network, error: error ?? { code: 'E_INTERNAL', message: `HTTP ${res.status}` } };
  }
  return { ok: true, ...(body as T) };
}

export const jsonInit = (body: unknown, method = 'POST'): RequestInit => ({
  method,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});
