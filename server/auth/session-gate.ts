/**
 * Whether a verified access token may still be used, as far as its account goes: the account
 * exists and is enabled, the session record stands (sessions.ts), and the session is not limited
 * to the password change or to enrolling a second factor. Asked by every REST route and socket
 * (server/http.ts, server/realtime.ts) through UserService.
 */
import type { IocError } from '../../scenes/protocol';
import { iocError } from '../errors';
import type { AccountCore } from './account-core';
import { isKioskSubject } from './sessions';
import type { SessionClaims } from './tokens';

/**
 * A session stays valid only while its account exists and is enabled, and (given `sid`) while
 * its session record stands.
 */
export async function isAccountActive(core: AccountCore, username: string, sid?: string): Promise<boolean> {
  const u = await core.store.getUser(username);
  if (!u || u.disabled) return false;
  if (sid === undefined) return true;
  return (await core.sessionService().check({ username, role: u.role, displayName: u.displayName, sid }, u)) === null;
}

/**
 * Why a verified session may not use a route other than the password change, or null when it
 * may: E_UNAUTHORIZED when the account is gone or disabled, E_PASSWORD_CHANGE_REQUIRED when the
 * session is password-change-only or the account must change its password (e.g. an admin reset
 * it while the session was open). Demo accounts in production are refused like disabled ones.
 */
export async function sessionRefusalOf(core: AccountCore, claims: SessionClaims, opts: { touch?: boolean }): Promise<IocError | null> {
  // a kiosk screen token has no account: its session record is the whole credential
  if (isKioskSubject(claims.username)) return core.sessionService().check(claims, null, opts);
  const u = await core.store.getUser(claims.username);
  if (!u || u.disabled) return iocError('E_UNAUTHORIZED', 'account disabled or removed');
  if (u.demo === true && core.policy.refuseDemoAccounts === true) return iocError('E_UNAUTHORIZED', 'demo accounts are disabled in production');
  // revoked, expired, idle, or issued for another role than the account has now
  const session = await core.sessionService().check(claims, u, opts);
  if (session) return session;
  if (claims.passwordChangeOnly === true || u.mustChangePassword === true)
    return iocError('E_PASSWORD_CHANGE_REQUIRED', 'change your password first (POST /api/auth/password)');
  // issue 12: an enrol-only session, or an account whose role now requires a factor it lacks
  if (claims.mfaEnrolOnly === true || core.mfaEnrolmentRequired(u))
    return iocError('E_MFA_REQUIRED', 'set up two-factor sign-in first (/account/security)');
  return null;
}
