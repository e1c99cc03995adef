/**
 * The second factor of an account (issue 12): its status, enrolment (setup → confirm with a first
 * code; recovery codes answered once, only their hashes kept), the owner turning it off, and an
 * administrator's reset of a lost one. Secrets are sealed at rest (totp.ts); every change is
 * audited before it is stored (fail closed).
 */
import type { IocError, MfaConfirmResponse, MfaSetupResponse, MfaStatus } from '../../scenes/protocol';
import { iocError } from '../errors';
import type { StoredUser } from '../store/store';
import { verifyPassword } from './passwords';
import { checkSecondFactor, type MfaProof } from './second-factor';
import { auditCtx, sessionCtx, type LoginContext, type AccountCore } from './account-core';
import { MFA_PENDING_TTL_MS, newRecoveryCodes, newTotpSecret, openTotpSecret, otpauthUri, qrSvg, sealTotpSecret, totpStepOf } from './totp';

export class MfaService {
  constructor(private readonly core: AccountCore) {}

  /** Whether the account has TOTP, an enrolment pending, must have it, and how many recovery codes are left. */
  async mfaStatus(username: string): Promise<MfaStatus | null> {
    const core = this.core;
    const user = await core.store.getUser(username);
    if (!user) return null;
    const mfa = user.mfa;
    return {
      enabled: mfa?.enabled === true,
      pending: mfa?.pendingSecret !== undefined && core.now() - (mfa.pendingTs ?? 0) < MFA_PENDING_TTL_MS,
      required: (core.policy.mfaRequiredRoles ?? []).includes(user.role),
      recoveryCodesLeft: mfa?.enabled === true ? (mfa.recoveryCodeHashes?.length ?? 0) : 0,
    };
  }

  /** Starts an enrolment: a new secret, pending until its first code is confirmed (an enabled factor is disabled first). */
  async mfaSetup(username: string): Promise<{ ok: true; setup: MfaSetupResponse } | { ok: false; error: IocError }> {
    const core = this.core;
    const user = await core.store.getUser(username);
    if (!user || user.disabled) return { ok: false, error: iocError('E_UNAUTHORIZED', 'account disabled or removed') };
    if (user.mfa?.enabled === true)
      return { ok: false, error: iocError('E_CONFLICT', 'two-factor sign-in is already on; turn it off first (password and a code)') };
    const secret = newTotpSecret();
    await core.store.putUser({
      ...user,
      mfa: { ...(user.mfa ?? {}), enabled: false, pendingSecret: sealTotpSecret(core.totpKey(), secret), pendingTs: core.now() },
    });
    const uri = otpauthUri(secret, user.username);
    return { ok: true, setup: { secret, otpauthUri: uri, qrSvg: await qrSvg(uri) } };
  }

  /**
   * Confirms the pending enrolment with a code of its secret: the factor is on, ten recovery codes
   * are answered once (only their hashes are kept) with a fresh session (no longer enrol-only).
   */
  async mfaConfirm(
    username: string,
    code: string,
    ctx: LoginContext = {},
  ): Promise<{ ok: true; result: MfaConfirmResponse } | { ok: false; error: IocError }> {
    const core = this.core;
    const user = await core.store.getUser(username);
    if (!user || user.disabled) return { ok: false, error: iocError('E_UNAUTHORIZED', 'account disabled or removed') };
    const sealedPending = user.mfa?.pendingSecret;
    const pending = sealedPending === undefined ? undefined : (openTotpSecret(core.totpKey(), sealedPending) ?? undefined);
    const now = core.now();
    if (user.mfa?.enabled === true) return { ok: false, error: iocError('E_CONFLICT', 'two-factor sign-in is already on') };
    if (pending === undefined || now - (user.mfa?.pendingTs ?? 0) >= MFA_PENDING_TTL_MS)
      return {
        ok: false,
        error: iocError('E_CONFLICT', 'no enrolment is waiting (or it expired); start again', { problem: 'no_pending_enrolment' }),
      };
    const step = totpStepOf(pending, code, now);
    if (step === null) {
      const unaudited = await core.audited({
        ...auditCtx(username, ctx, user.role),
        action: 'auth.mfa_enrol',
        target: `user:${username}`,
        outcome: 'failure',
        reason: 'wrong_code',
      });
      return {
        ok: false,
        error:
          unaudited ?? iocError('E_VALIDATION', 'the code does not match; check the phone clock and try the next code', { problem: 'wrong_code' }),
      };
    }
    const recovery = newRecoveryCodes();
    const next: StoredUser = {
      ...user,
      mfa: { secret: sealTotpSecret(core.totpKey(), pending), enabled: true, enabledTs: now, lastStep: step, recoveryCodeHashes: recovery.hashes },
    };
    const unaudited = await core.audited({
      ...auditCtx(username, ctx, user.role),
      action: 'auth.mfa_enrol',
      target: `user:${username}`,
      outcome: 'success',
    });
    if (unaudited) return { ok: false, error: unaudited };
    await core.store.putUser(next);
    return { ok: true, result: { recoveryCodes: recovery.codes, session: await core.openSession(next, sessionCtx(ctx)) } };
  }

  /**
   * The owner turns TOTP off with the password and a current code (or a recovery code). Refused
   * while the role requires it (an administrator resets a lost factor: `mfaReset`).
   */
  async mfaDisable(
    username: string,
    password: string,
    proof: MfaProof,
    ctx: LoginContext = {},
  ): Promise<{ ok: true } | { ok: false; error: IocError }> {
    const core = this.core;
    const user = await core.store.getUser(username);
    if (!user || user.disabled) return { ok: false, error: iocError('E_UNAUTHORIZED', 'account disabled or removed') };
    if (user.mfa?.enabled !== true) return { ok: false, error: iocError('E_CONFLICT', 'two-factor sign-in is not on') };
    const target = `user:${username}`;
    if ((core.policy.mfaRequiredRoles ?? []).includes(user.role)) {
      const unaudited = await core.audited({
        ...auditCtx(username, ctx, user.role),
        action: 'auth.mfa_disable',
        target,
        outcome: 'denied',
        reason: 'required_for_role',
      });
      return {
        ok: false,
        error: unaudited ?? iocError('E_FORBIDDEN', `role ${user.role} must sign in with a second factor`, { problem: 'mfa_required_for_role' }),
      };
    }
    // the password is guessed like a login: the same throttle
    const verdict = await core.guards().throttle.attempt(username, ctx.source ?? 'unknown');
    if (!verdict.ok) return core.throttled(username, ctx, verdict);
    if (verdict.delayMs > 0) await new Promise((r) => setTimeout(r, verdict.delayMs));
    const passwordOk = await verifyPassword(password, user.passwordHash);
    const use = passwordOk ? await checkSecondFactor(core, user, proof) : null;
    if (!use) {
      const reason = passwordOk ? 'wrong_code' : 'wrong_password';
      const unaudited = await core.audited({ ...auditCtx(username, ctx, user.role), action: 'auth.mfa_disable', target, outcome: 'failure', reason });
      return { ok: false, error: unaudited ?? iocError('E_FORBIDDEN', 'the password or the code is wrong', { problem: reason }) };
    }
    await verdict.succeeded();
    const unaudited = await core.audited({ ...auditCtx(username, ctx, user.role), action: 'auth.mfa_disable', target, outcome: 'success' });
    if (unaudited) return { ok: false, error: unaudited };
    const { mfa: _off, ...rest } = user;
    await core.store.putUser(rest);
    return { ok: true };
  }

  /** An administrator clears a user's factor (a lost phone): the next login enrols again where required. */
  async mfaReset(
    actor: LoginContext & { username: string; role?: string },
    username: string,
  ): Promise<{ ok: true } | { ok: false; error: IocError }> {
    const core = this.core;
    const user = await core.store.getUser(username);
    if (!user) return { ok: false, error: iocError('E_NOT_FOUND', `no user ${username}`) };
    const unaudited = await core.audited({
      ...auditCtx(actor.username, actor, actor.role),
      action: 'auth.mfa_disable',
      target: `user:${username}`,
      outcome: 'success',
      details: { by: 'admin_reset' },
    });
    if (unaudited) return { ok: false, error: unaudited };
    const { mfa: _off, ...rest } = user;
    await core.store.putUser(rest);
    // a reset second factor usually means a lost or stolen phone: the account's sessions end too
    await core.sessionService().revokeUser(username, 'mfa_reset', actor);
    return { ok: true };
  }
}
