/**
 * The rules on a stored password beyond its strength (passwords.ts): its history (a new one may
 * not repeat the last few), its age (it expires), and a policy refusal as a typed error. Pure.
 */
import type { IocError } from '../../scenes/protocol';
import { iocError } from '../errors';
import type { StoredUser } from '../store/store';
import { DEFAULT_LOGIN_HARDENING } from './login-policy';
import type { PasswordRefusal } from './passwords';

/** A policy refusal as a typed error: E_VALIDATION with `details.problem` naming the rule. */
export function passwordPolicyError(refusal: PasswordRefusal): IocError {
  return iocError('E_VALIDATION', refusal.message, { problem: refusal.problem });
}

/** The hashes a new password may not match, newest first (the current one at least). */
export function passwordHistoryOf(user: Pick<StoredUser, 'passwordHash' | 'passwordHistory'>): string[] {
  const history = [...(user.passwordHistory ?? [])];
  if (!history.includes(user.passwordHash)) history.unshift(user.passwordHash);
  return history;
}

/**
 * `user` with a new password hash: its age starts now and it enters the history (the last
 * `historyCount` kept). Used by the owner's change, an admin's reset and the CLI.
 */
export function withPasswordSet(user: StoredUser, passwordHash: string, nowTs: number, historyCount: number): StoredUser {
  return { ...user, ...passwordFieldsOf(user, passwordHash, nowTs, historyCount) };
}

/** The password fields of `user` after `passwordHash` is set (see withPasswordSet). */
export function passwordFieldsOf(
  user: Pick<StoredUser, 'passwordHash' | 'passwordHistory'>,
  passwordHash: string,
  nowTs: number,
  historyCount: number = DEFAULT_LOGIN_HARDENING.passwordHistoryCount,
): Pick<StoredUser, 'passwordHash' | 'passwordChangedTs' | 'passwordHistory'> {
  return {
    passwordHash,
    passwordChangedTs: nowTs,
    passwordHistory: [passwordHash, ...passwordHistoryOf(user)].slice(0, Math.max(1, historyCount)),
  };
}

/**
 * The password is older than `maxAgeMs` (0 or less: passwords never expire). Demo accounts never
 * expire: the development demo must keep opening with the printed password.
 */
export function isPasswordExpired(user: Pick<StoredUser, 'demo' | 'passwordChangedTs' | 'createdTs'>, nowTs: number, maxAgeMs: number): boolean {
  if (maxAgeMs <= 0 || user.demo === true) return false;
  return nowTs - (user.passwordChangedTs ?? user.createdTs) > maxAgeMs;
}
