/**
 * What a login must satisfy: the throttles, the TOTP step, which roles need a second factor,
 * password expiry and history. The server takes it from its configuration (`loginPolicyOf`);
 * unit tests leave the hardening settings out and get DEFAULT_LOGIN_HARDENING.
 */
import type { Role } from '../../scenes/domain';
import type { ServerConfig } from '../config';
import type { LoginThrottleLimits } from './login-throttle';

export interface LoginPolicy {
  /**
   * The former account-wide lock (StoredUser.failedLogins / lockedUntil): no longer used by login,
   * which throttles per (username, source address) instead so strangers cannot lock a user out.
   */
  maxFailures: number;
  lockMs: number;
  /** refuse demo accounts (`demo: true`) at login: true in production, where a development run may have left them */
  refuseDemoAccounts?: boolean;
  /** per-address and per-(username, address) throttles (server/auth/login-throttle.ts); default DEFAULT_LOGIN_HARDENING */
  throttle?: LoginThrottleLimits;
  /** the TOTP step's token lifetime, ms, and how many codes it takes */
  mfaChallengeTtlMs?: number;
  mfaChallengeMaxAttempts?: number;
  /** roles that must sign in with TOTP (none when absent) */
  mfaRequiredRoles?: Role[];
  /** a password expires this long after it was set, ms (0 or absent: never) */
  passwordMaxAgeMs?: number;
  /** a new password may not equal any of the last this many */
  passwordHistoryCount?: number;
  /**
   * the server secret TOTP secrets are sealed with at rest (HKDF-derived; the audit key, which
   * never rotates without re-chaining); absent: a development constant
   */
  totpSealSecret?: string;
}

/**
 * The hardening settings a LoginPolicy may leave out (unit tests): the defaults of server/config.ts,
 * which is where the server takes them from (`loginPolicyOf`).
 */
export const DEFAULT_LOGIN_HARDENING = {
  throttle: {
    sourceMaxFailures: 20,
    sourceWindowMs: 15 * 60_000,
    sourceBlockMs: 15 * 60_000,
    pairMaxFailures: 5,
    pairWindowMs: 15 * 60_000,
    pairBlockMs: 15 * 60_000,
    delayAfterFailures: 3,
    delayBaseMs: 250,
    delayMaxMs: 4_000,
  } satisfies LoginThrottleLimits,
  mfaChallengeTtlMs: 5 * 60_000,
  mfaChallengeMaxAttempts: 5,
  passwordHistoryCount: 5,
};

/** The login policy from the server configuration. */
export function loginPolicyOf(c: ServerConfig): LoginPolicy {
  return {
    maxFailures: c.loginMaxFailures,
    lockMs: c.loginLockMs,
    refuseDemoAccounts: c.refuseDemoAccounts,
    throttle: {
      sourceMaxFailures: c.loginSourceMaxFailures,
      sourceWindowMs: c.loginSourceWindowMs,
      sourceBlockMs: c.loginSourceBlockMs,
      pairMaxFailures: c.loginPairMaxFailures,
      pairWindowMs: c.loginPairWindowMs,
      pairBlockMs: c.loginPairBlockMs,
      delayAfterFailures: c.loginDelayAfterFailures,
      delayBaseMs: c.loginDelayBaseMs,
      delayMaxMs: c.loginDelayMaxMs,
    },
    mfaChallengeTtlMs: c.mfaChallengeTtlMs,
    mfaChallengeMaxAttempts: c.mfaChallengeMaxAttempts,
    mfaRequiredRoles: c.mfaRequiredRoles,
    passwordMaxAgeMs: c.passwordMaxAgeMs,
    passwordHistoryCount: c.passwordHistoryCount,
    totpSealSecret: c.auditKey,
  };
}
