/**
 * People: demo seeding, the first administrator (bootstrap), login (throttled per source address
 * and per username+address, constant-time, audited; server/auth/login-throttle.ts), the second
 * factor (TOTP, server/auth/totp.ts), forced password change, password expiry and history, and
 * admin user management.
 *
 * An account whose password someone else set (bootstrap, `npm run admin -- create`, an admin's
 * create or reset) carries `mustChangePassword`: its login yields a session that may only change
 * the password. Demo accounts (seeded outside production) carry `demo` and are refused in production.
 */
import { z } from 'zod';
import { DISTRICT_CODES, DistrictCodeSchema, RoleSchema, type Role } from '../../scenes/domain';
import type { IocError, LoginResponse, MfaChallengeResponse, MfaConfirmResponse, MfaSetupResponse, MfaStatus } from '../../scenes/protocol';
import { DEMO_HANDLERS } from '../../scenes/city/qingdao';
import type { Store, StoredUser } from '../store/store';
import { iocError } from '../errors';
import { dummyPasswordHash, hashPassword, matchesAnyPassword, passwordPolicyRefusal, verifyPassword, type PasswordRefusal } from './passwords';
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { randomBytes } from 'node:crypto';
import { DISCARD_AUDIT, type AuditEntry, type AuditRecorder } from '../audit/audit';
import type { ServerConfig } from '../config';
import {
  keyOf,
  LoginThrottle,
  makeLimiter,
  oneTimeKeysFor,
  type LoginThrottleLimits,
  type OneTimeKeys,
  type ThrottleVerdict,
} from './login-throttle';
import {
  matchRecoveryCode,
  MFA_PENDING_TTL_MS,
  newRecoveryCodes,
  newTotpSecret,
  openTotpSecret,
  otpauthUri,
  qrSvg,
  sealTotpSecret,
  TOTP_PERIOD_S,
  TOTP_WINDOW_STEPS,
  totpSealKey,
  totpStepOf,
} from './totp';
import type { SessionClaims, TokenService } from './tokens';
import { isKioskSubject, type Actor, type RevocationReason, type SessionContext, type SessionService } from './sessions';

export interface DemoAccount {
  username: string;
  displayName: string;
  role: Role;
  team?: string;
  skills?: string[];
}

export function demoAccounts(): DemoAccount[] {
  return [
    { username: 'admin', displayName: '系统管理员', role: 'admin' },
    { username: 'officer1', displayName: '值班员 王磊', role: 'officer' },
    { username: 'officer2', displayName: '值班员 李娜', role: 'officer' },
    ...DEMO_HANDLERS.map((h) => ({ username: h.id, displayName: h.name, role: 'handler' as const, team: h.team, skills: h.skills })),
    { username: 'screen1', displayName: '指挥大屏 1', role: 'screen' },
    { username: 'leader1', displayName: '分管领导 张伟', role: 'leader' },
  ];
}

export const CreateUserSchema = z.object({
  username: z.string().regex(/^[a-z][a-z0-9_.-]{2,31}$/, 'username: 3–32 lower-case letters, digits, . _ -'),
  displayName: z.string().min(1).max(64),
  role: RoleSchema,
  password: z.string().max(256),
  team: z.string().max(64).optional(),
  skills: z.array(z.string().min(1).max(40)).max(20).optional(),
  /** officers and leaders: limited to these districts (empty = the whole city); ignored for other roles */
  districts: z.array(DistrictCodeSchema).max(DISTRICT_CODES.length).optional(),
});
export const UpdateUserSchema = z.object({
  displayName: z.string().min(1).max(64).optional(),
  disabled: z.boolean().optional(),
  password: z.string().max(256).optional(),
  role: RoleSchema.optional(),
  team: z.string().max(64).optional(),
  skills: z.array(z.string().min(1).max(40)).max(20).optional(),
  /** officers and leaders: limited to these districts (empty = the whole city); ignored for other roles */
  districts: z.array(DistrictCodeSchema).max(DISTRICT_CODES.length).optional(),
});

/** What an admin sees of a user: never the hash. */
export type PublicUser = Omit<StoredUser, 'passwordHash'>;
export function publicUser(u: StoredUser): PublicUser {
  const { passwordHash: _hidden, ...rest } = u;
  return rest;
}

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

/** A policy refusal as a typed error: E_VALIDATION with `details.problem` naming the rule. */
export function passwordPolicyError(refusal: PasswordRefusal): IocError {
  return iocError('E_VALIDATION', refusal.message, { problem: refusal.problem });
}

export type CreateUserInput = z.infer<typeof CreateUserSchema>;

/**
 * Creates an account whose password someone else chose, so its owner must change it at first
 * login. Shared by the admin API and `scripts/admin.ts`.
 */
export async function createAccount(
  store: Store,
  input: CreateUserInput,
  nowTs: number,
): Promise<{ ok: true; user: PublicUser } | { ok: false; error: IocError }> {
  const refusal = passwordPolicyRefusal(input.password, input.username);
  if (refusal) return { ok: false, error: passwordPolicyError(refusal) };
  if (await store.getUser(input.username)) return { ok: false, error: iocError('E_CONFLICT', `user ${input.username} exists`) };
  const passwordHash = await hashPassword(input.password);
  const user: StoredUser = {
    username: input.username,
    displayName: input.displayName,
    role: input.role,
    passwordHash,
    passwordChangedTs: nowTs,
    passwordHistory: [passwordHash],
    disabled: false,
    failedLogins: 0,
    lockedUntil: 0,
    team: input.team,
    skills: input.skills,
    districts: input.districts,
    createdTs: nowTs,
    mustChangePassword: true,
  };
  await store.putUser(user);
  return { ok: true, user: publicUser(user) };
}

/** An administrator who can log in and act: enabled, and not a demo account. */
export function isUsableAdmin(u: StoredUser): boolean {
  return u.role === 'admin' && !u.disabled && u.demo !== true;
}

export type BootstrapOutcome =
  { status: 'created'; username: string } | { status: 'skipped'; reason: string } | { status: 'refused'; error: IocError };

/** Where a login or account action came from (audit, and the session record). */
export interface LoginContext {
  source?: string;
  userAgent?: string;
}

/** A login step's answer: a session, a TOTP challenge (password right, code needed), or an error. */
export type LoginResult = { ok: true; session: LoginResponse } | { ok: true; mfa: MfaChallengeResponse } | { ok: false; error: IocError };

/** A second-factor proof: a 6-digit code or a recovery code. */
export interface MfaProof {
  code?: string;
  recoveryCode?: string;
}

type SecondFactorUse = { kind: 'totp'; step: number } | { kind: 'recovery'; hash: string };

/** One answer for an unknown username, a wrong password and a disabled account (no enumeration). */
const INVALID_LOGIN = iocError('E_UNAUTHORIZED', 'wrong username or password');
/** seals TOTP secrets when no server secret is configured (unit tests; the server passes its audit key) */
const DEV_TOTP_SEAL_SECRET = 'city-ioc-development-totp-seal-not-for-production';
/** bytes of a TOTP challenge token */
const MFA_TOKEN_BYTES = 32;
/** a claimed TOTP step is remembered while any code of it could still be valid, ms */
const STEP_CLAIM_TTL_MS = (2 * TOTP_WINDOW_STEPS + 2) * TOTP_PERIOD_S * 1000;
/** a recovery code being spent is claimed this long (it is removed from the user at once anyway), ms */
const RECOVERY_CLAIM_TTL_MS = 24 * 3600_000;

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

function auditCtx(actor: string, ctx: LoginContext, role?: string): Pick<AuditEntry, 'actor' | 'role' | 'source' | 'userAgent'> {
  const e: Pick<AuditEntry, 'actor' | 'role' | 'source' | 'userAgent'> = { actor };
  if (role !== undefined) e.role = role;
  if (ctx.source !== undefined) e.source = ctx.source;
  if (ctx.userAgent !== undefined) e.userAgent = ctx.userAgent;
  return e;
}

function sessionCtx(ctx: LoginContext): SessionContext {
  return { source: ctx.source, userAgent: ctx.userAgent };
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

export class UserService {
  constructor(
    private readonly store: Store,
    private readonly tokens: TokenService,
    private readonly policy: LoginPolicy,
    private readonly now: () => number = Date.now,
  ) {}

  /** The audit log (server/audit/); every login outcome is recorded, and a login fails closed without it. */
  private audit: AuditRecorder = DISCARD_AUDIT;
  useAudit(audit: AuditRecorder): this {
    this.audit = audit;
    return this;
  }

  private hardeningState: {
    throttle: LoginThrottle;
    mfaThrottle: LoginThrottle;
    challengeAttempts: RateLimiterAbstract;
    keys: OneTimeKeys;
  } | null = null;
  private totpKeyCache: Buffer | null = null;
  /** The key TOTP secrets are sealed with in the store (server/auth/totp.ts). */
  private totpKey(): Buffer {
    this.totpKeyCache ??= totpSealKey(this.policy.totpSealSecret ?? DEV_TOTP_SEAL_SECRET);
    return this.totpKeyCache;
  }

  /** The throttles and single-use keys, on the store's Redis or in memory (made at first use). */
  private hardening() {
    if (!this.hardeningState) {
      const limits = this.policy.throttle ?? DEFAULT_LOGIN_HARDENING.throttle;
      const ttlMs = this.policy.mfaChallengeTtlMs ?? DEFAULT_LOGIN_HARDENING.mfaChallengeTtlMs;
      this.hardeningState = {
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
    return this.hardeningState;
  }

  /** Creates the demo accounts that do not exist yet (outside production only). */
  async seedDemo(password: string): Promise<DemoAccount[]> {
    const accounts = demoAccounts();
    const hash = await hashPassword(password);
    for (const a of accounts) {
      const existing = await this.store.getUser(a.username);
      if (existing) continue;
      await this.store.putUser({
        username: a.username,
        displayName: a.displayName,
        role: a.role,
        passwordHash: hash,
        passwordChangedTs: this.now(),
        passwordHistory: [hash],
        disabled: false,
        failedLogins: 0,
        lockedUntil: 0,
        team: a.team,
        skills: a.skills,
        createdTs: this.now(),
        // demo accounts share a known password: recognisable, so production refuses them
        demo: true,
        mustChangePassword: false,
      });
    }
    return accounts;
  }

  /**
   * The first administrator from the environment (`IOC_BOOTSTRAP_ADMIN` / `IOC_BOOTSTRAP_PASSWORD`),
   * honoured only while no usable administrator exists; the account must change its password at
   * first login. A demo account of the same name is taken over; any other existing account is not.
   */
  async bootstrapAdmin(username: string, password: string): Promise<BootstrapOutcome> {
    const users = await this.store.listUsers();
    if (users.some(isUsableAdmin)) return { status: 'skipped', reason: 'an administrator exists' };
    const existing = users.find((u) => u.username === username);
    if (existing && existing.demo !== true)
      return {
        status: 'refused',
        error: iocError('E_CONFLICT', `user ${username} exists and is not an administrator; choose another IOC_BOOTSTRAP_ADMIN`),
      };
    const refusal = passwordPolicyRefusal(password, username);
    if (refusal) return { status: 'refused', error: passwordPolicyError(refusal) };
    const passwordHash = await hashPassword(password);
    await this.store.putUser({
      username,
      displayName: username,
      role: 'admin',
      passwordHash,
      passwordChangedTs: this.now(),
      passwordHistory: [passwordHash],
      disabled: false,
      failedLogins: 0,
      lockedUntil: 0,
      createdTs: this.now(),
      mustChangePassword: true,
    });
    return { status: 'created', username };
  }

  /**
   * The password step (issue 12): throttled per source address and per (username, address)
   * BEFORE the password is evaluated; an unknown username costs the same scrypt as a known one;
   * unknown, wrong password and disabled answer the same E_UNAUTHORIZED, and a throttled attempt
   * answers the same E_RATE_LIMIT whether the account exists or not. With TOTP enabled the answer
   * is a challenge (`mfa`) for `loginMfa`, not a session. Every outcome is audited; when the audit
   * cannot be written the login fails closed (E_UNAVAILABLE, no session).
   */
  async login(username: string, password: string, ctx: LoginContext = {}): Promise<LoginResult> {
    const source = ctx.source ?? 'unknown';
    const verdict = await this.hardening().throttle.attempt(username, source);
    if (!verdict.ok) return this.throttled(username, ctx, verdict);
    if (verdict.delayMs > 0) await new Promise((r) => setTimeout(r, verdict.delayMs));
    const user = await this.store.getUser(username);
    // the same work for an unknown username: a dummy hash with the real parameters
    const passwordOk = await verifyPassword(password, user?.passwordHash ?? (await dummyPasswordHash()));
    const why = !user ? 'unknown_user' : !passwordOk ? 'wrong_password' : user.disabled ? 'disabled' : null;
    if (why !== null || !user) {
      const unaudited = await this.audited({
        ...auditCtx(username, ctx),
        action: 'auth.login_failed',
        target: `user:${username}`,
        outcome: 'failure',
        reason: why ?? 'unknown_user',
      });
      return { ok: false, error: unaudited ?? INVALID_LOGIN };
    }
    if (user.demo === true && this.policy.refuseDemoAccounts === true) {
      const unaudited = await this.audited({
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
    if (user.mfa?.enabled === true && user.mfa.secret !== undefined) return this.mfaChallenge(user);
    return this.finishLogin(user, ctx, 'password');
  }

  /**
   * The TOTP step: the challenge from `login` and a 6-digit code (a step not used before) or one
   * unused recovery code. At most `mfaChallengeMaxAttempts` codes per challenge, and the same
   * per-address throttle as passwords; a challenge yields one session.
   */
  async loginMfa(mfaToken: string, proof: MfaProof, ctx: LoginContext = {}): Promise<LoginResult> {
    const h = this.hardening();
    const challengeKey = `mfa-challenge:${keyOf(mfaToken)}`;
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
      const unaudited = await this.audited({
        ...auditCtx(username, ctx),
        action: 'auth.mfa_failed',
        target: `user:${username}`,
        outcome: 'denied',
        reason: 'too_many_codes',
      });
      return { ok: false, error: unaudited ?? iocError('E_UNAUTHORIZED', 'too many wrong codes; sign in again', { problem: 'mfa_challenge_over' }) };
    }
    const verdict = await h.mfaThrottle.attempt(username, ctx.source ?? 'unknown');
    if (!verdict.ok) return this.throttled(username, ctx, verdict);
    if (verdict.delayMs > 0) await new Promise((r) => setTimeout(r, verdict.delayMs));
    const user = await this.store.getUser(username);
    const checked = user && !user.disabled ? await this.checkSecondFactor(user, proof) : null;
    if (!user || user.disabled || !checked) {
      const unaudited = await this.audited({
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
    const updated = await this.spendSecondFactor(user, checked);
    return this.finishLogin(updated, ctx, checked.kind === 'totp' ? 'totp' : 'recovery_code');
  }

  /** A throttled attempt: one answer whether the account exists or not; the lockout audited once. */
  private async throttled(
    username: string,
    ctx: LoginContext,
    verdict: Extract<ThrottleVerdict, { ok: false }>,
  ): Promise<{ ok: false; error: IocError }> {
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

  /** A TOTP challenge for a user whose password was right. */
  private async mfaChallenge(user: StoredUser): Promise<LoginResult> {
    const h = this.hardening();
    const mfaToken = randomBytes(MFA_TOKEN_BYTES).toString('base64url');
    const ttlMs = this.policy.mfaChallengeTtlMs ?? DEFAULT_LOGIN_HARDENING.mfaChallengeTtlMs;
    await h.keys.putIfAbsent(`mfa-challenge:${keyOf(mfaToken)}`, JSON.stringify({ username: user.username }), ttlMs);
    return { ok: true, mfa: { mfaRequired: true, mfaToken, expiresAt: this.now() + ttlMs } };
  }

  /**
   * A valid proof of `user`'s second factor that was not used before, or null. A TOTP step is
   * claimed atomically (single-use key) and must be later than the last accepted one.
   */
  private async checkSecondFactor(user: StoredUser, proof: MfaProof): Promise<SecondFactorUse | null> {
    const mfa = user.mfa;
    if (!mfa?.enabled || mfa.secret === undefined) return null;
    const keys = this.hardening().keys;
    if (proof.recoveryCode !== undefined) {
      const hash = matchRecoveryCode(proof.recoveryCode, mfa.recoveryCodeHashes ?? []);
      if (hash === null) return null;
      const claimed = await keys.putIfAbsent(`mfa-recovery:${hash}`, '1', RECOVERY_CLAIM_TTL_MS);
      return claimed ? { kind: 'recovery', hash } : null;
    }
    if (proof.code === undefined) return null;
    // a secret that does not open (another key, edited in the store) takes no code
    const secret = openTotpSecret(this.totpKey(), mfa.secret);
    if (secret === null) return null;
    const step = totpStepOf(secret, proof.code, this.now());
    if (step === null || step <= (mfa.lastStep ?? -1)) return null;
    const claimed = await keys.putIfAbsent(`mfa-step:${keyOf(user.username)}:${step}`, '1', STEP_CLAIM_TTL_MS);
    return claimed ? { kind: 'totp', step } : null;
  }

  /** Records a used proof on the user: the step as the last one, a recovery code removed. */
  private async spendSecondFactor(user: StoredUser, use: SecondFactorUse): Promise<StoredUser> {
    const fresh = (await this.store.getUser(user.username)) ?? user;
    const mfa = fresh.mfa;
    if (!mfa) return fresh;
    const next: StoredUser =
      use.kind === 'totp'
        ? { ...fresh, mfa: { ...mfa, lastStep: Math.max(mfa.lastStep ?? -1, use.step) } }
        : { ...fresh, mfa: { ...mfa, recoveryCodeHashes: (mfa.recoveryCodeHashes ?? []).filter((h) => h !== use.hash) } };
    await this.store.putUser(next);
    return next;
  }

  /**
   * A login that passed every factor: audited (fail closed), then a session — restricted to the
   * password change when the password must change (set by someone else, or expired), or to
   * enrolment when the role requires a second factor the account has not set up (sessionFor).
   */
  private async finishLogin(user: StoredUser, ctx: LoginContext, method: 'password' | 'totp' | 'recovery_code'): Promise<LoginResult> {
    const now = this.now();
    const expired = user.mustChangePassword !== true && this.passwordExpired(user, now);
    if (expired) {
      const unaudited = await this.audited({
        ...auditCtx(user.username, ctx, user.role),
        action: 'auth.password_expired',
        target: `user:${user.username}`,
        outcome: 'denied',
        reason: 'password older than the maximum age',
        details: { passwordChangedTs: user.passwordChangedTs ?? user.createdTs },
      });
      if (unaudited) return { ok: false, error: unaudited };
    }
    const unaudited = await this.audited({
      ...auditCtx(user.username, ctx, user.role),
      action: 'auth.login',
      target: `user:${user.username}`,
      outcome: 'success',
      details: { method, ...(expired ? { restricted: 'password_expired' } : {}) },
    });
    if (unaudited) return { ok: false, error: unaudited };
    // an expired password restricts this session like one set by someone else (nothing is stored:
    // the expiry is recomputed at every login and ends with the change)
    const session = await this.sessionFor(expired ? { ...user, mustChangePassword: true } : user, now, sessionCtx(ctx));
    if (session.mustChangePassword) session.passwordChangeReason = expired ? 'expired' : 'set_by_other';
    return { ok: true, session };
  }

  /** The password is older than the maximum age (demo accounts never expire: the demo must open). */
  passwordExpired(user: StoredUser, now: number = this.now()): boolean {
    const maxAgeMs = this.policy.passwordMaxAgeMs ?? 0;
    if (maxAgeMs <= 0 || user.demo === true) return false;
    return now - (user.passwordChangedTs ?? user.createdTs) > maxAgeMs;
  }

  /** The account's role must sign in with TOTP and it has none yet: its sessions may only enrol. */
  mfaEnrolmentRequired(user: StoredUser): boolean {
    return (this.policy.mfaRequiredRoles ?? []).includes(user.role) && user.mfa?.enabled !== true;
  }

  /** Records an audit entry; an error (E_UNAVAILABLE) when it could not be written — the caller fails closed. */
  private async audited(entry: AuditEntry): Promise<IocError | null> {
    try {
      await this.audit.record(entry);
      return null;
    } catch {
      return iocError('E_UNAVAILABLE', 'the audit log could not be written; the action was not carried out — try again shortly');
    }
  }

  /** Session records and revocation (server/auth/sessions.ts); wired once at start (server/app.ts). */
  private sessions: SessionService | null = null;
  useSessions(sessions: SessionService): this {
    this.sessions = sessions;
    return this;
  }
  private sessionService(): SessionService {
    if (!this.sessions) throw new Error('UserService has no SessionService: call useSessions() at start');
    return this.sessions;
  }

  /**
   * Opens a session (record + access token, and a refresh token unless it is restricted) — the
   * only way a session is issued. `ctx`: where the login came from (recorded on the session).
   */
  private async sessionFor(user: StoredUser, _now: number, ctx: SessionContext = {}): Promise<LoginResponse> {
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
    const user = await this.store.getUser(username);
    if (!user || user.disabled) return { ok: false, error: iocError('E_UNAUTHORIZED', 'account disabled or removed') };
    const now = this.now();
    // the current password is guessed like a login: the same throttle, no account-wide lock
    const verdict = await this.hardening().throttle.attempt(username, ctx.source ?? 'unknown');
    if (!verdict.ok) return this.throttled(username, ctx, verdict);
    if (verdict.delayMs > 0) await new Promise((r) => setTimeout(r, verdict.delayMs));
    const target = `user:${username}`;
    if (!(await verifyPassword(currentPassword, user.passwordHash))) {
      const unaudited = await this.audited({
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
    const historyCount = this.policy.passwordHistoryCount ?? DEFAULT_LOGIN_HARDENING.passwordHistoryCount;
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
    const unaudited = await this.audited({ ...auditCtx(username, ctx, user.role), action: 'auth.password_change', target, outcome: 'success' });
    if (unaudited) return { ok: false, error: unaudited };
    await this.store.putUser(next);
    return { ok: true, session: await this.sessionFor(next, now, sessionCtx(ctx)) };
  }

  // --- second factor (TOTP) management --------------------------------------------------------

  /** Whether the account has TOTP, an enrolment pending, must have it, and how many recovery codes are left. */
  async mfaStatus(username: string): Promise<MfaStatus | null> {
    const user = await this.store.getUser(username);
    if (!user) return null;
    const mfa = user.mfa;
    return {
      enabled: mfa?.enabled === true,
      pending: mfa?.pendingSecret !== undefined && this.now() - (mfa.pendingTs ?? 0) < MFA_PENDING_TTL_MS,
      required: (this.policy.mfaRequiredRoles ?? []).includes(user.role),
      recoveryCodesLeft: mfa?.enabled === true ? (mfa.recoveryCodeHashes?.length ?? 0) : 0,
    };
  }

  /** Starts an enrolment: a new secret, pending until its first code is confirmed (an enabled factor is disabled first). */
  async mfaSetup(username: string): Promise<{ ok: true; setup: MfaSetupResponse } | { ok: false; error: IocError }> {
    const user = await this.store.getUser(username);
    if (!user || user.disabled) return { ok: false, error: iocError('E_UNAUTHORIZED', 'account disabled or removed') };
    if (user.mfa?.enabled === true)
      return { ok: false, error: iocError('E_CONFLICT', 'two-factor sign-in is already on; turn it off first (password and a code)') };
    const secret = newTotpSecret();
    await this.store.putUser({
      ...user,
      mfa: { ...(user.mfa ?? {}), enabled: false, pendingSecret: sealTotpSecret(this.totpKey(), secret), pendingTs: this.now() },
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
    const user = await this.store.getUser(username);
    if (!user || user.disabled) return { ok: false, error: iocError('E_UNAUTHORIZED', 'account disabled or removed') };
    const sealedPending = user.mfa?.pendingSecret;
    const pending = sealedPending === undefined ? undefined : (openTotpSecret(this.totpKey(), sealedPending) ?? undefined);
    const now = this.now();
    if (user.mfa?.enabled === true) return { ok: false, error: iocError('E_CONFLICT', 'two-factor sign-in is already on') };
    if (pending === undefined || now - (user.mfa?.pendingTs ?? 0) >= MFA_PENDING_TTL_MS)
      return {
        ok: false,
        error: iocError('E_CONFLICT', 'no enrolment is waiting (or it expired); start again', { problem: 'no_pending_enrolment' }),
      };
    const step = totpStepOf(pending, code, now);
    if (step === null) {
      const unaudited = await this.audited({
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
      mfa: { secret: sealTotpSecret(this.totpKey(), pending), enabled: true, enabledTs: now, lastStep: step, recoveryCodeHashes: recovery.hashes },
    };
    const unaudited = await this.audited({
      ...auditCtx(username, ctx, user.role),
      action: 'auth.mfa_enrol',
      target: `user:${username}`,
      outcome: 'success',
    });
    if (unaudited) return { ok: false, error: unaudited };
    await this.store.putUser(next);
    return { ok: true, result: { recoveryCodes: recovery.codes, session: await this.sessionFor(next, now, sessionCtx(ctx)) } };
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
    const user = await this.store.getUser(username);
    if (!user || user.disabled) return { ok: false, error: iocError('E_UNAUTHORIZED', 'account disabled or removed') };
    if (user.mfa?.enabled !== true) return { ok: false, error: iocError('E_CONFLICT', 'two-factor sign-in is not on') };
    const target = `user:${username}`;
    if ((this.policy.mfaRequiredRoles ?? []).includes(user.role)) {
      const unaudited = await this.audited({
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
    const verdict = await this.hardening().throttle.attempt(username, ctx.source ?? 'unknown');
    if (!verdict.ok) return this.throttled(username, ctx, verdict);
    if (verdict.delayMs > 0) await new Promise((r) => setTimeout(r, verdict.delayMs));
    const passwordOk = await verifyPassword(password, user.passwordHash);
    const use = passwordOk ? await this.checkSecondFactor(user, proof) : null;
    if (!use) {
      const reason = passwordOk ? 'wrong_code' : 'wrong_password';
      const unaudited = await this.audited({ ...auditCtx(username, ctx, user.role), action: 'auth.mfa_disable', target, outcome: 'failure', reason });
      return { ok: false, error: unaudited ?? iocError('E_FORBIDDEN', 'the password or the code is wrong', { problem: reason }) };
    }
    await verdict.succeeded();
    const unaudited = await this.audited({ ...auditCtx(username, ctx, user.role), action: 'auth.mfa_disable', target, outcome: 'success' });
    if (unaudited) return { ok: false, error: unaudited };
    const { mfa: _off, ...rest } = user;
    await this.store.putUser(rest);
    return { ok: true };
  }

  /** An administrator clears a user's factor (a lost phone): the next login enrols again where required. */
  async mfaReset(
    actor: LoginContext & { username: string; role?: string },
    username: string,
  ): Promise<{ ok: true } | { ok: false; error: IocError }> {
    const user = await this.store.getUser(username);
    if (!user) return { ok: false, error: iocError('E_NOT_FOUND', `no user ${username}`) };
    const unaudited = await this.audited({
      ...auditCtx(actor.username, actor, actor.role),
      action: 'auth.mfa_disable',
      target: `user:${username}`,
      outcome: 'success',
      details: { by: 'admin_reset' },
    });
    if (unaudited) return { ok: false, error: unaudited };
    const { mfa: _off, ...rest } = user;
    await this.store.putUser(rest);
    return { ok: true };
  }

  /** An admin creates an account; its owner must change the password at first login. */
  async createUser(input: CreateUserInput): Promise<{ ok: true; user: PublicUser } | { ok: false; error: IocError }> {
    return createAccount(this.store, input, this.now());
  }

  async updateUser(
    username: string,
    patch: z.infer<typeof UpdateUserSchema>,
    actor: Actor = { username: 'system' },
  ): Promise<{ ok: true; user: PublicUser } | { ok: false; error: IocError }> {
    const user = await this.store.getUser(username);
    if (!user) return { ok: false, error: iocError('E_NOT_FOUND', `no user ${username}`) };
    let passwordHash = user.passwordHash;
    if (patch.password !== undefined) {
      const refusal = passwordPolicyRefusal(patch.password, user.username);
      if (refusal) return { ok: false, error: passwordPolicyError(refusal) };
      passwordHash = await hashPassword(patch.password);
    }
    const next: StoredUser = {
      ...user,
      displayName: patch.displayName ?? user.displayName,
      disabled: patch.disabled ?? user.disabled,
      role: patch.role ?? user.role,
      team: patch.team ?? user.team,
      skills: patch.skills ?? user.skills,
      districts: patch.districts ?? user.districts,
      passwordHash,
      // an admin's reset starts the password's age and enters the history (issue 12)
      ...(patch.password !== undefined ? passwordFieldsOf(user, passwordHash, this.now(), this.policy.passwordHistoryCount) : {}),
      // a reset password or re-enabled account starts with a clean slate
      failedLogins: patch.password !== undefined ? 0 : user.failedLogins,
      lockedUntil: patch.password !== undefined ? 0 : user.lockedUntil,
      // an admin's reset is someone else's choice: the owner must change it at next login
      mustChangePassword: patch.password !== undefined ? true : user.mustChangePassword,
    };
    await this.store.putUser(next);
    // what the account may do changed: its sessions end now (open sockets are cut, server/realtime.ts)
    const why = revocationReasonOf(user, next, patch.password !== undefined);
    if (why) await this.sessionService().revokeUser(username, why, actor);
    return { ok: true, user: publicUser(next) };
  }

  /**
   * A session stays valid only while its account exists and is enabled, and (given `sid`) while
   * its session record stands.
   */
  async isActive(username: string, sid?: string): Promise<boolean> {
    const u = await this.store.getUser(username);
    if (!u || u.disabled) return false;
    if (sid === undefined) return true;
    return (await this.sessionService().check({ username, role: u.role, displayName: u.displayName, sid }, u)) === null;
  }

  /**
   * Why a verified session may not use a route other than the password change, or null when it
   * may: E_UNAUTHORIZED when the account is gone or disabled, E_PASSWORD_CHANGE_REQUIRED when the
   * session is password-change-only or the account must change its password (e.g. an admin reset
   * it while the session was open). Demo accounts in production are refused like disabled ones.
   */
  async sessionRefusal(claims: SessionClaims, opts: { touch?: boolean } = { touch: true }): Promise<IocError | null> {
    // a kiosk screen token has no account: its session record is the whole credential
    if (isKioskSubject(claims.username)) return this.sessionService().check(claims, null, opts);
    const u = await this.store.getUser(claims.username);
    if (!u || u.disabled) return iocError('E_UNAUTHORIZED', 'account disabled or removed');
    if (u.demo === true && this.policy.refuseDemoAccounts === true) return iocError('E_UNAUTHORIZED', 'demo accounts are disabled in production');
    // revoked, expired, idle, or issued for another role than the account has now
    const session = await this.sessionService().check(claims, u, opts);
    if (session) return session;
    if (claims.passwordChangeOnly === true || u.mustChangePassword === true)
      return iocError('E_PASSWORD_CHANGE_REQUIRED', 'change your password first (POST /api/auth/password)');
    // issue 12: an enrol-only session, or an account whose role now requires a factor it lacks
    if (claims.mfaEnrolOnly === true || this.mfaEnrolmentRequired(u))
      return iocError('E_MFA_REQUIRED', 'set up two-factor sign-in first (/account/security)');
    return null;
  }
}

/**
 * Why an admin's change of `before` into `after` ends the account's sessions, or null: disabling,
 * a role or data-scope change, a password reset.
 */
export function revocationReasonOf(before: StoredUser, after: StoredUser, passwordReset: boolean): RevocationReason | null {
  if (after.disabled && !before.disabled) return 'disabled';
  if (after.role !== before.role) return 'role_change';
  if (scopeKey(after) !== scopeKey(before)) return 'scope_change';
  if (passwordReset) return 'password_reset';
  return null;
}

/** absent and empty both mean "the whole city" */
function scopeKey(u: StoredUser): string {
  return [...(u.districts ?? [])].sort().join(',');
}
