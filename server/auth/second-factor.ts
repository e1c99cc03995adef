/**
 * Proving the second factor (TOTP, totp.ts) at sign-in and when turning it off: the challenge a
 * right password opens, checking a code or recovery code (each usable once, also against two
 * submissions at the same moment), and recording a used one on the account.
 */
import { randomBytes } from 'node:crypto';
import type { MfaChallengeResponse } from '../../scenes/protocol';
import type { StoredUser } from '../store/store';
import { DEFAULT_LOGIN_HARDENING } from './login-policy';
import { keyOf } from './login-throttle';
import type { AccountCore } from './account-core';
import { matchRecoveryCode, openTotpSecret, TOTP_PERIOD_S, TOTP_WINDOW_STEPS, totpStepOf } from './totp';

/** A second-factor proof: a 6-digit code or a recovery code. */
export interface MfaProof {
  code?: string;
  recoveryCode?: string;
}

/** A checked proof, claimed and not yet recorded on the account (spendSecondFactor). */
export type SecondFactorUse = { kind: 'totp'; step: number } | { kind: 'recovery'; hash: string };

/** bytes of a TOTP challenge token */
const MFA_TOKEN_BYTES = 32;
/** a claimed TOTP step is remembered while any code of it could still be valid, ms */
const STEP_CLAIM_TTL_MS = (2 * TOTP_WINDOW_STEPS + 2) * TOTP_PERIOD_S * 1000;
/** a recovery code being spent is claimed this long (it is removed from the user at once anyway), ms */
const RECOVERY_CLAIM_TTL_MS = 24 * 3600_000;

/** The single-use key a challenge token is kept under (only its hash is stored). */
export function mfaChallengeKey(mfaToken: string): string {
  return `mfa-challenge:${keyOf(mfaToken)}`;
}

/** A TOTP challenge for a user whose password was right. */
export async function openMfaChallenge(core: AccountCore, user: StoredUser): Promise<MfaChallengeResponse> {
  const mfaToken = randomBytes(MFA_TOKEN_BYTES).toString('base64url');
  const ttlMs = core.policy.mfaChallengeTtlMs ?? DEFAULT_LOGIN_HARDENING.mfaChallengeTtlMs;
  await core.guards().keys.putIfAbsent(mfaChallengeKey(mfaToken), JSON.stringify({ username: user.username }), ttlMs);
  return { mfaRequired: true, mfaToken, expiresAt: core.now() + ttlMs };
}

/**
 * A valid proof of `user`'s second factor that was not used before, or null. A TOTP step is
 * claimed atomically (single-use key) and must be later than the last accepted one.
 */
export async function checkSecondFactor(core: AccountCore, user: StoredUser, proof: MfaProof): Promise<SecondFactorUse | null> {
  const mfa = user.mfa;
  if (!mfa?.enabled || mfa.secret === undefined) return null;
  const keys = core.guards().keys;
  if (proof.recoveryCode !== undefined) {
    const hash = matchRecoveryCode(proof.recoveryCode, mfa.recoveryCodeHashes ?? []);
    if (hash === null) return null;
    const claimed = await keys.putIfAbsent(`mfa-recovery:${hash}`, '1', RECOVERY_CLAIM_TTL_MS);
    return claimed ? { kind: 'recovery', hash } : null;
  }
  if (proof.code === undefined) return null;
  // a secret that does not open (another key, edited in the store) takes no code
  const secret = openTotpSecret(core.totpKey(), mfa.secret);
  if (secret === null) return null;
  const step = totpStepOf(secret, proof.code, core.now());
  if (step === null || step <= (mfa.lastStep ?? -1)) return null;
  const claimed = await keys.putIfAbsent(`mfa-step:${keyOf(user.username)}:${step}`, '1', STEP_CLAIM_TTL_MS);
  return claimed ? { kind: 'totp', step } : null;
}

/** Records a used proof on the user: the step as the last one, a recovery code removed. */
export async function spendSecondFactor(core: AccountCore, user: StoredUser, use: SecondFactorUse): Promise<StoredUser> {
  const fresh = (await core.store.getUser(user.username)) ?? user;
  const mfa = fresh.mfa;
  if (!mfa) return fresh;
  const next: StoredUser =
    use.kind === 'totp'
      ? { ...fresh, mfa: { ...mfa, lastStep: Math.max(mfa.lastStep ?? -1, use.step) } }
      : { ...fresh, mfa: { ...mfa, recoveryCodeHashes: (mfa.recoveryCodeHashes ?? []).filter((h) => h !== use.hash) } };
  await core.store.putUser(next);
  return next;
}
