/**
 * What the account services (login-flow.ts, mfa-service.ts, second-factor.ts, account-update.ts,
 * session-gate.ts) share: the store, the login policy and the clock; the audit log, written before an action takes effect (fail closed);
 * the session service, the only issuer of sessions; the throttles and single-use keys; and the key
 * TOTP secrets are sealed with. The audit log and the session service are wired after
 * construction (server/app.ts), so parts read them through this object at call time.
 */
import type { IocError, LoginResponse } from '../../scenes/protocol';
import { DISCARD_AUDIT, type AuditEntry, type AuditRecorder } from '../audit/audit';
import { iocError } from '../errors';
import type { Store, StoredUser } from '../store/store';
import { DEFAULT_LOGIN_HARDENING, type LoginPolicy } from './login-policy';
import { LoginThrottle, makeLimiter, oneTimeKeysFor, type OneTimeKeys, type ThrottleVerdict } from './login-throttle';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import type { SessionContext, SessionService } from './sessions';
import type { SessionClaims } from './tokens';
import { totpSealKey } from './totp';

/** Where a login or account action came from (audit, and the session record). */
export interface LoginContext {
  source?: string;
  userAgent?: string;
}

/** The throttles and single-use keys of sign-in, on the store's Redis or in memory. */
export interface SignInGuards {
  /** password guesses: login, the current password of a change, turning TOTP off */
  throttle: LoginThrottle;
  /** code guesses at the TOTP login step */
  mfaThrottle: LoginThrottle;
  /** codes per TOTP challenge */
  challengeAttempts: RateLimiterAbstract;
  keys: OneTimeKeys;
}

/** seals TOTP secrets when no server secret is configured (unit tests; the server passes its audit key) */
const DEV_TOTP_SEAL_SECRET = 'city-ioc-development-totp-seal-not-for-production';

export function auditCtx(actor: string, ctx: LoginContext, role?: string): Pick<AuditEntry, 'actor' | 'role' | 'source' | 'userAgent'> {
  const e: Pick<AuditEntry, 'actor' | 'role' | 'source' | 'userAgent'> = { actor };
  if (role !== undefined) e.role = role;
  if (ctx.source !== undefined) e.source = ctx.source;
  if (ctx.userAgent !== undefined) e.userAgent = ctx.userAgent;
  return e;
}

export function sessionCtx(ctx: LoginContext): SessionContext {
  return { source: ctx.source, userAgent: ctx.userAgent };
}

export class AccountCore {
  constructor(
    readonly store: Store,
    readonly policy: LoginPolicy,
    readonly now: () => number,
  ) {}

  /** The audit log (server/audit/); every login outcome is recorded, and a login fails closed without it. */
  audit: AuditRecorder = DISCARD_AUDIT;
  /** Session records and revocation (server/auth/sessions.ts); wired once at start (server/app.ts). */
  sessions: SessionService | null = null;

  private guardsState: SignInGuards | null = null;
  private totpKeyCache: Buffer | null = null;

  /** The throttles and single-use keys (made at first use). */
  guards(): SignInGuards {
    if (!this.guardsState) {
      const limits = this.policy.throttle ?? DEFAULT_LOGIN_HARDENING.throttle;
      const ttlMs = this.policy.mfaChallengeTtlMs ?? DEFAULT_LOGIN_HARDENING.mfaChallengeTtlMs;
      this.guardsState = {
        throttle: new LoginThrottle(this.store, limits, 'login'),
        mfaThrottle: new LoginThrottle(this.store, limits, 'mfa'),
        challengeAttempts: makeLimiter(
          this.store,
          'mfa-challenge',
          this.policy.mfaChallengeMaxAttempts ?? DEFAULT_LOGIN_HARDENING.mfaChallengeMaxAttempts,
          ttlMs,
        ),
        keys: oneTimeKeysFor(this.store, this.now),
      };
    }
    return this.guardsState;
  }

  /** The key TOTP secrets are sealed with in the store (server/auth/totp.ts). */
  totpKey(): Buffer {
    this.totpKeyCache ??= totpSealKey(this.policy.totpSealSecret ?? DEV_TOTP_SEAL_SECRET);
    return this.totpKeyCache;
  }

  sessionService(): SessionService {
    if (!this.sessions) throw new Error('UserService has no SessionService: call useSessions() at start');
    return this.sessions;
  }

  /** Records an audit entry; an error (E_UNAVAILABLE) when it could not be written — the caller fails closed. */
  async audited(entry: AuditEntry): Promise<IocError | null> {
    try {
      await this.audit.record(entry);
      return null;
    } catch {
      return iocError('E_UNAVAILABLE', 'the audit log could not be written; the action was not carried out — try again shortly');
    }
  }

  /** A throttled attempt: one answer whether the account exists or not; the lockout audited once. */
  async throttled(username: string, ctx: LoginContext, verdict: Extract<ThrottleVerdict, { ok: false }>): Promise<{ ok: false; error: IocError }> {
    if (verdict.justLocked) {
      const unaudited = await this.audited({
        ...auditCtx(username, ctx),
        action: 'auth.lockout',
        target: `user:${username}`,
        outcome: 'denied',
        reason: verdict.scope === 'source' ? 'too_many_failures_from_source' : 'too_many_failures_for_user_from_source',
        details: { retryAfterMs: verdict.retryAfterMs },
      });
      if (unaudited) return { ok: false, error: unaudited };
    }
    return {
      ok: false,
      error: iocError('E_RATE_LIMIT', 'too many failed sign-in attempts from this address; wait and try again', {
        retryAfterMs: verdict.retryAfterMs,
      }),
    };
  }

  /** The account's role must sign in with TOTP and it has none yet: its sessions may only enrol. */
  mfaEnrolmentRequired(user: StoredUser): boolean {
    return (this.policy.mfaRequiredRoles ?? []).includes(user.role) && user.mfa?.enabled !== true;
  }

  /**
   * Opens a session (record + access token, and a refresh token unless it is restricted) — the
   * only way a session is issued. `ctx`: where the login came from (recorded on the session).
   */
  async openSession(user: StoredUser, ctx: SessionContext = {}): Promise<LoginResponse> {
    const mustChangePassword = user.mustChangePassword === true;
    const restrictions: Pick<SessionClaims, 'passwordChangeOnly' | 'mfaEnrolOnly'> = {};
    if (mustChangePassword) restrictions.passwordChangeOnly = true;
    // the role requires a second factor the account has not set up: the session may only enrol (issue 12)
    const mustEnrol = this.mfaEnrolmentRequired(user);
    if (mustEnrol) restrictions.mfaEnrolOnly = true;
    const issued = await this.sessionService().open(user, restrictions, ctx);
    const session: LoginResponse = { role: user.role, username: user.username, displayName: user.displayName, ...issued };
    if (mustChangePassword) session.mustChangePassword = true;
    if (mustEnrol) session.mfaEnrolRequired = true;
    return session;
  }
}
