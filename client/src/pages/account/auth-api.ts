/**
 * The login's steps and the second factor over REST (issue 12): the password step (which may
 * answer a TOTP challenge instead of a session), the TOTP step, and enrolment of the signed-in
 * user. A full session is stored in the tab like auth/session.ts does; a password-change-only
 * one is kept in memory by the login page.
 */
import type { LoginResponse, MfaChallengeResponse, MfaConfirmResponse, MfaSetupResponse, MfaStatus } from '@scenes/protocol';
import { postJson, saveSession, sessionOfResponse, type LoginFailure, type Session } from '../../auth/session';
import { call, jsonInit, type ApiResult } from '../../data/rest';

export type StepFailure = LoginFailure;

/** What a login step answered. */
export type LoginStep =
  | { ok: true; kind: 'session'; session: Session; mustEnrol: boolean }
  | { ok: true; kind: 'password-change'; token: string; username: string; expired: boolean }
  | { ok: true; kind: 'mfa'; mfaToken: string; expiresAt: number }
  | StepFailure;

/** A claim of a JWT's payload, read for routing only (the server checks every token). */
function tokenClaim(token: string, claim: string): unknown {
  try {
    const payload = token.split('.')[1] ?? '';
    const json = new TextDecoder().decode(Uint8Array.from(atob(payload.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0)));
    return (JSON.parse(json) as Record<string, unknown>)[claim];
  } catch {
    return undefined;
  }
}

/** The session may only enrol a second factor (its role requires one): the security page is next. */
export function mustEnrol(token: string): boolean {
  return tokenClaim(token, 'mfe') === true;
}

/** Stores a full session from a login-shaped answer, the way auth/session.ts stores its own. */
export function storeSession(r: LoginResponse): Session {
  const session = sessionOfResponse(r);
  saveSession(session);
  return session;
}

function stepOf(answer: unknown): LoginStep {
  const challenge = answer as Partial<MfaChallengeResponse> | null;
  if (challenge?.mfaRequired === true && typeof challenge.mfaToken === 'string')
    return { ok: true, kind: 'mfa', mfaToken: challenge.mfaToken, expiresAt: challenge.expiresAt ?? 0 };
  const r = answer as LoginResponse | null;
  if (!r || typeof r.token !== 'string') return { ok: false, error: { code: 'E_PROTOCOL', message: 'malformed login response' } };
  if (r.mustChangePassword === true)
    return { ok: true, kind: 'password-change', token: r.token, username: r.username, expired: r.passwordChangeReason === 'expired' };
  return { ok: true, kind: 'session', session: storeSession(r), mustEnrol: r.mfaEnrolRequired === true || mustEnrol(r.token) };
}

/** `POST /api/auth/login`. */
export async function passwordStep(username: string, password: string): Promise<LoginStep> {
  const r = await postJson('/api/auth/login', { username, password });
  return r.ok ? stepOf(r.body) : r;
}

/** `POST /api/auth/login/mfa` with a 6-digit code or a recovery code. */
export async function totpStep(mfaToken: string, proof: { code: string } | { recoveryCode: string }): Promise<LoginStep> {
  const r = await postJson('/api/auth/login/mfa', { mfaToken, ...proof });
  return r.ok ? stepOf(r.body) : r;
}

// --- the signed-in user's second factor ---------------------------------------------------------

export const fetchMfaStatus = (token: string): Promise<ApiResult<MfaStatus>> => call<MfaStatus>(token, '/api/auth/mfa');
export const startMfaSetup = (token: string): Promise<ApiResult<MfaSetupResponse>> =>
  call<MfaSetupResponse>(token, '/api/auth/mfa/setup', jsonInit({}));
export const confirmMfa = (token: string, code: string): Promise<ApiResult<MfaConfirmResponse>> =>
  call<MfaConfirmResponse>(token, '/api/auth/mfa/confirm', jsonInit({ code }));
export const disableMfa = (token: string, password: string, code: string): Promise<ApiResult<{ ok: true }>> =>
  call<{ ok: true }>(token, '/api/auth/mfa/disable', jsonInit({ password, code }));

/** An SVG document as an <img> source (the CSP allows data: images; no inline markup is injected). */
export function svgDataUrl(svg: string): string {
  let binary = '';
  for (const b of new TextEncoder().encode(svg)) binary += String.fromCharCode(b);
  return `data:image/svg+xml;base64,${btoa(binary)}`;
}
