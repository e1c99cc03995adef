/**
 * Signing in (issue 12): the password step, the TOTP step, and the owner's password change (which
 * answers a fresh session). Password guesses are throttled per source address and per (username,
 * address) before the password is evaluated (login-throttle.ts); every outcome is audited, and
 * without the audit log nothing is handed out (fail closed).
 */
import { RateLimiterRes } from 'rate-limiter-flexible';
import type { IocError, LoginResponse, MfaChallengeResponse } from '../../scenes/protocol';
import { iocError } from '../errors';
import type { StoredUser } from '../store/store';
import { DEFAULT_LOGIN_HARDENING } from './login-policy';
import { keyOf } from './login-throttle';
import { isPasswordExpired, passwordHistoryOf, passwordPolicyError, withPasswordSet } from './password-rules';
import { dummyPasswordHash, hashPassword, matchesAnyPassword, passwordPolicyRefusal, verifyPassword } from './passwords';
import { checkSecondFactor, mfaChallengeKey, openMfaChallenge, spendSecondFactor, type MfaProof } from './second-factor';
import { auditCtx, sessionCtx, type LoginContext, type AccountCore } from './account-core';

/** A login step's answer: a session, a TOTP challenge (password right, code needed), or an error. */
export type LoginResult = { ok: true; session: LoginResponse } | { ok: true; mfa: MfaChallengeResponse } | { ok: false; error: IocError };

/** One answer for an unknown username, a wrong password and a disabled account (no enumeration). */
const INVALID_LOGIN = iocError('E_UNAUTHORIZED', 'wrong username or password');

export class LoginFlow {
  constructor(private readonly core: AccountCore) {}

  /**
   * The password step (issue 12): throttled per source address and per (username, address)
   * BEFORE the password is evaluated; an unknown username costs the same scrypt as a known one;
   * unknown, wrong password and disabled answer the same E_UNAUTHORIZED, and a throttled attempt
   * answers the same E_RATE_LIMIT whether the account exists or not. With TOTP enabled the answer
   * is a challenge (`mfa`) for `loginMfa`, not a session. Every outcome is audited; when the audit
   * cannot be written the login fails closed (E_UNAVAILABLE, no session).
   */
  async login(username: string, password: string, ctx: LoginContext = {}): Promise<LoginResult> {
    const core = this.core;
    const source = ctx.source ?? 'unknown';
    const verdict = await core.guards().throttle.attempt(username, source);
    if (!verdict.ok) return core.throttled(username, ctx, verdict);
    if (verdict.delayMs > 0) await new Promise((r) => setTimeout(r, verdict.delayMs));
    const user = await core.store.getUser(username);
    // the same work for an unknown username: a dummy hash with the real parameters
    const passwordOk = await verifyPassword(password, user?.passwordHash ?? (await dummyPasswordHash()));
    const why = !user ? 'unknown_user' : !passwordOk ? 'wrong_password' : user.disabled ? 'disabled' : null;
    if (why !== null || !user) {
      const unaudited = await core.audited({
        ...auditCtx(username, ctx),
        action: 'auth.login_failed',
        target: `user:${username}`,
        outcome: 'failure',
        reason: why ?? 'unknown_user',
      });
      return { ok: false, error: unaudited ?? INVALID_LOGIN };
    }
    if (user.demo === true && core.policy.refuseDemoAccounts === true) {
      const unaudited = await core.audited({
        ...auditCtx(username, ctx, user.role),
        action: 'auth.login_failed',
        target: `user:${username}`,
        outcome: 'denied',
        reason: 'demo_account',
      });
      return {
        ok: false,
        error: unaudited ?? iocError('E_FORBIDDEN', 'demo accounts are disabled in production; ask an administrator for an account'),
      };
    }
    await verdict.succeeded();
    if (user.mfa?.enabled === true && user.mfa.secret !== undefined) return { ok: true, mfa: await openMfaChallenge(core, user) };
    return this.finishLogin(user, ctx, 'password');
  }

  /**
   * The TOTP step: the challenge from `login` and a 6-digit code (a step not used before) or one
   * unused recovery code. At most `mfaChallengeMaxAttempts` codes per challenge, and the same
   * per-address throttle as passwords; a challenge yields one session.
   */
  async loginMfa(mfaToken: string, proof: MfaProof, ctx: LoginContext = {}): Promise<LoginResult> {
    const core = this.core;
    const h = core.guards();
    const challengeKey = mfaChallengeKey(mfaToken);
    const raw = await h.keys.get(challengeKey);
    // `problem` tells the client to go back to the password step
    const expired = iocError('E_UNAUTHORIZED', 'the sign-in step expired or was used; sign in again', { problem: 'mfa_challenge_over' });
    if (raw === null) return { ok: false, error: expired };
    const challenge = JSON.parse(raw) as { username: string };
    const username = challenge.username;
    try {
      await h.challengeAttempts.consume(keyOf(mfaToken));
    } catch (e) {
      if (!(e instanceof RateLimiterRes)) throw e;
      await h.keys.take(challengeKey);
      const unaudited = await core.audited({
        ...auditCtx(username, ctx),
        action: 'auth.mfa_failed',
        target: `user:${username}`,
        outcome: 'denied',
        reason: 'too_many_codes',
      });
      return { ok: false, error: unaudited ?? iocError('E_UNAUTHORIZED', 'too many wrong codes; sign in again', { problem: 'mfa_challenge_over' }) };
    }
    const verdict = await h.mfaThrottle.attempt(username, ctx.source ?? 'unknown');
    if (!verdict.ok) return core.throttled(username, ctx, verdict);
    if (verdict.delayMs > 0) await new Promise((r) => setTimeout(r, verdict.delayMs));
    const user = await core.store.getUser(username);
    const checked = user && !user.disabled ? await checkSecondFactor(core, user, proof) : null;
    if (!user || user.disabled || !checked) {
      const unaudited = await core.audited({
        ...auditCtx(username, ctx, user?.role),
        action: 'auth.mfa_failed',
        target: `user:${username}`,
        outcome: 'failure',
        reason: !user ? 'unknown_user' : user.disabled ? 'disabled' : proof.recoveryCode !== undefined ? 'wrong_recovery_code' : 'wrong_code',
      });
      return { ok: false, error: unaudited ?? iocError('E_UNAUTHORIZED', 'wrong code') };
    }
    // one session per challenge, even for two right codes at once
    if ((await h.keys.take(challengeKey)) === null) return { ok: false, error: expired };
    await verdict.succeeded();
    const updated = await spendSecondFactor(core, user, checked);
    return this.finishLogin(updated, ctx, checked.kind === 'totp' ? 'totp' : 'recovery_code');
  }

  /**
   * The owner changes their password: the current one must match (a wrong one counts as a failed
   * login), the new one must pass the policy and differ from the current one. Answers a fresh full
   * session; the account no longer needs a change.
   */
  async changePassword(
    username: string,
    currentPassword: string,
    newPassword: string,
    ctx: LoginContext = {},
  ): Promise<{ ok: true; session: LoginResponse } | { ok: false; error: IocError }> {
    const core = this.core;
    const user = await core.store.getUser(username);
    if (!user || user.disabled) return { ok: false, error: iocError('E_UNAUTHORIZED', 'account disabled or removed') };
    const now = core.now();
    // the current password is guessed like a login: the same throttle, no account-wide lock
    const verdict = await core.guards().throttle.attempt(username, ctx.source ?? 'unknown');
    if (!verdict.ok) return core.throttled(username, ctx, verdict);
    if (verdict.delayMs > 0) await new Promise((r) => setTimeout(r, verdict.delayMs));
    const target = `user:${username}`;
    if (!(await verifyPassword(currentPassword, user.passwordHash))) {
      const unaudited = await core.audited({
        ...auditCtx(username, ctx, user.role),
        action: 'auth.password_change',
        target,
        outcome: 'failure',
        reason: 'wrong_current_password',
      });
      return { ok: false, error: unaudited ?? iocError('E_FORBIDDEN', 'the current password is wrong', { problem: 'wrong_current_password' }) };
    }
    await verdict.succeeded();
    const refusal = passwordPolicyRefusal(newPassword, user.username);
    if (refusal) return { ok: false, error: passwordPolicyError(refusal) };
    if (newPassword === currentPassword)
      return { ok: false, error: passwordPolicyError({ problem: 'same_as_current', message: 'the new password must differ from the current one' }) };
    const historyCount = core.policy.passwordHistoryCount ?? DEFAULT_LOGIN_HARDENING.passwordHistoryCount;
    const history = passwordHistoryOf(user);
    if (await matchesAnyPassword(newPassword, history.slice(0, historyCount)))
      return {
        ok: false,
        error: passwordPolicyError({ problem: 'recently_used', message: `the new password must differ from your last ${historyCount} passwords` }),
      };
    const passwordHash = await hashPassword(newPassword);
    const next: StoredUser = {
      ...withPasswordSet(user, passwordHash, now, historyCount),
      mustChangePassword: false,
      failedLogins: 0,
      lockedUntil: 0,
    };
    const unaudited = await core.audited({ ...auditCtx(username, ctx, user.role), action: 'auth.password_change', target, outcome: 'success' });
    if (unaudited) return { ok: false, error: unaudited };
    await core.store.putUser(next);
    return { ok: true, session: await core.openSession(next, sessionCtx(ctx)) };
  }

  /** The password is older than the maximum age (demo accounts never expire: the demo must open). */
  passwordExpired(user: StoredUser, now: number = this.core.now()): boolean {
    return isPasswordExpired(user, now, this.core.policy.passwordMaxAgeMs ?? 0);
  }

  /**
   * A login that passed every factor: audited (fail closed), then a session — restricted to the
   * password change when the password must change (set by someone else, or expired), or to
   * enrolment when the role requires a second factor the account has not set up (openSession).
   */
  private async finishLogin(user: StoredUser, ctx: LoginContext, method: 'password' | 'totp' | 'recovery_code'): Promise<LoginResult> {
    const core = this.core;
    const now = core.now();
    const expired = user.mustChangePassword !== true && this.passwordExpired(user, now);
    if (expired) {
      const unaudited = await core.audited({
        ...auditCtx(user.username, ctx, user.role),
        action: 'auth.password_expired',
        target: `user:${user.username}`,
        outcome: 'denied',
        reason: 'password older than the maximum age',
        details: { passwordChangedTs: user.passwordChangedTs ?? user.createdTs },
      });
      if (unaudited) return { ok: false, error: unaudited };
    }
    const unaudited = await core.audited({
      ...auditCtx(user.username, ctx, user.role),
      action: 'auth.login',
      target: `user:${user.username}`,
      outcome: 'success',
      details: { method, ...(expired ? { restricted: 'password_expired' } : {}) },
    });
    if (unaudited) return { ok: false, error: unaudited };
    // an expired password restricts this session like one set by someone else (nothing is stored:
    // the expiry is recomputed at every login and ends with the change)
    const session = await core.openSession(expired ? { ...user, mustChangePassword: true } : user, sessionCtx(ctx));
    if (session.mustChangePassword) session.passwordChangeReason = expired ? 'expired' : 'set_by_other';
    return { ok: true, session };
  }
}
