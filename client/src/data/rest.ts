/**
 * REST calls of the client's data modules: the session token as Bearer, JSON answers, and every
 * failure as a typed `{ok: false, error, network}` (network = the request did not get through).
 */
import type { IocError } from '@scenes/protocol';

export type ApiResult<T> = ({ ok: true } & T) | { ok: false; error: IocError; network: boolean };

export async function call<T>(token: string, path: string, init: RequestInit = {}): Promise<ApiResult<T>> {
  let res: Response;
  try {
    res = await fetch(path, {
      ...init,
      headers: { ...(init.headers as Record<string, string> | undefined), authorization: `Bearer ${token}` },
    });
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
