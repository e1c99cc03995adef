/**
 * People: demo seeding, the first administrator (bootstrap), login with per-account lockout,
 * forced password change, and admin user management.
 *
 * An account whose password someone else set (bootstrap, `npm run admin -- create`, an admin's
 * create or reset) carries `mustChangePassword`: its login yields a session that may only change
 * the password. Demo accounts (seeded outside production) carry `demo` and are refused in production.
 */
import { z } from 'zod';
import { RoleSchema, type Role } from '../../scenes/domain';
import type { IocError, LoginResponse } from '../../scenes/protocol';
import { DEMO_HANDLERS } from '../../scenes/city/qingdao';
import type { Store, StoredUser } from '../store/store';
import { iocError } from '../errors';
import { hashPassword, passwordPolicyRefusal, verifyPassword, type PasswordRefusal } from './passwords';
import type { SessionClaims, TokenService } from './tokens';

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
});
export const UpdateUserSchema = z.object({
  displayName: z.string().min(1).max(64).optional(),
  disabled: z.boolean().optional(),
  password: z.string().max(256).optional(),
  role: RoleSchema.optional(),
  team: z.string().max(64).optional(),
  skills: z.array(z.string().min(1).max(40)).max(20).optional(),
});

/** What an admin sees of a user: never the hash. */
export type PublicUser = Omit<StoredUser, 'passwordHash'>;
export function publicUser(u: StoredUser): PublicUser {
  const { passwordHash: _hidden, ...rest } = u;
  return rest;
}

export interface LoginPolicy {
  maxFailures: number;
  lockMs: number;
  /** refuse demo accounts (`demo: true`) at login: true in production, where a development run may have left them */
  refuseDemoAccounts?: boolean;
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
  const user: StoredUser = {
    username: input.username,
    displayName: input.displayName,
    role: input.role,
    passwordHash: await hashPassword(input.password),
    disabled: false,
    failedLogins: 0,
    lockedUntil: 0,
    team: input.team,
    skills: input.skills,
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

export class UserService {
  constructor(
    private readonly store: Store,
    private readonly tokens: TokenService,
    private readonly policy: LoginPolicy,
    private readonly now: () => number = Date.now,
  ) {}

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
    await this.store.putUser({
      username,
      displayName: username,
      role: 'admin',
      passwordHash: await hashPassword(password),
      disabled: false,
      failedLogins: 0,
      lockedUntil: 0,
      createdTs: this.now(),
      mustChangePassword: true,
    });
    return { status: 'created', username };
  }

  async login(username: string, password: string): Promise<{ ok: true; session: LoginResponse } | { ok: false; error: IocError }> {
    const user = await this.store.getUser(username);
    const invalid = iocError('E_UNAUTHORIZED', 'wrong username or password');
    if (!user) return { ok: false, error: invalid };
    const now = this.now();
    if (user.lockedUntil > now) {
      return {
        ok: false,
        error: iocError(
          'E_LOCKED',
          `account locked after ${this.policy.maxFailures} failed logins; try again after ${new Date(user.lockedUntil).toISOString()}`,
          {
            lockedUntil: user.lockedUntil,
          },
        ),
      };
    }
    if (user.disabled) return { ok: false, error: iocError('E_FORBIDDEN', 'account disabled') };
    if (user.demo === true && this.policy.refuseDemoAccounts === true)
      return { ok: false, error: iocError('E_FORBIDDEN', 'demo accounts are disabled in production; ask an administrator for an account') };
    if (!(await verifyPassword(password, user.passwordHash))) {
      const failures = user.failedLogins + 1;
      const locked = failures >= this.policy.maxFailures;
      await this.store.putUser({ ...user, failedLogins: locked ? 0 : failures, lockedUntil: locked ? now + this.policy.lockMs : user.lockedUntil });
      return { ok: false, error: invalid };
    }
    if (user.failedLogins !== 0) await this.store.putUser({ ...user, failedLogins: 0 });
    return { ok: true, session: await this.sessionFor(user, now) };
  }

  private async sessionFor(user: StoredUser, now: number): Promise<LoginResponse> {
    const mustChangePassword = user.mustChangePassword === true;
    const claims: SessionClaims = { username: user.username, role: user.role, displayName: user.displayName };
    if (mustChangePassword) claims.passwordChangeOnly = true;
    const { token, expiresAt } = await this.tokens.issue(claims, now);
    const session: LoginResponse = { token, role: user.role, username: user.username, displayName: user.displayName, expiresAt };
    if (mustChangePassword) session.mustChangePassword = true;
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
  ): Promise<{ ok: true; session: LoginResponse } | { ok: false; error: IocError }> {
    const user = await this.store.getUser(username);
    if (!user || user.disabled) return { ok: false, error: iocError('E_UNAUTHORIZED', 'account disabled or removed') };
    const now = this.now();
    if (user.lockedUntil > now)
      return {
        ok: false,
        error: iocError('E_LOCKED', `account locked; try again after ${new Date(user.lockedUntil).toISOString()}`, { lockedUntil: user.lockedUntil }),
      };
    if (!(await verifyPassword(currentPassword, user.passwordHash))) {
      const failures = user.failedLogins + 1;
      const locked = failures >= this.policy.maxFailures;
      await this.store.putUser({ ...user, failedLogins: locked ? 0 : failures, lockedUntil: locked ? now + this.policy.lockMs : user.lockedUntil });
      return { ok: false, error: iocError('E_FORBIDDEN', 'the current password is wrong', { problem: 'wrong_current_password' }) };
    }
    const refusal = passwordPolicyRefusal(newPassword, user.username);
    if (refusal) return { ok: false, error: passwordPolicyError(refusal) };
    if (newPassword === currentPassword)
      return { ok: false, error: passwordPolicyError({ problem: 'same_as_current', message: 'the new password must differ from the current one' }) };
    const next: StoredUser = { ...user, passwordHash: await hashPassword(newPassword), mustChangePassword: false, failedLogins: 0, lockedUntil: 0 };
    await this.store.putUser(next);
    return { ok: true, session: await this.sessionFor(next, now) };
  }

  /** An admin creates an account; its owner must change the password at first login. */
  async createUser(input: CreateUserInput): Promise<{ ok: true; user: PublicUser } | { ok: false; error: IocError }> {
    return createAccount(this.store, input, this.now());
  }

  async updateUser(
    username: string,
    patch: z.infer<typeof UpdateUserSchema>,
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
      passwordHash,
      // a reset password or re-enabled account starts with a clean slate
      failedLogins: patch.password !== undefined ? 0 : user.failedLogins,
      lockedUntil: patch.password !== undefined ? 0 : user.lockedUntil,
      // an admin's reset is someone else's choice: the owner must change it at next login
      mustChangePassword: patch.password !== undefined ? true : user.mustChangePassword,
    };
    await this.store.putUser(next);
    return { ok: true, user: publicUser(next) };
  }

  /** A session stays valid only while its account exists and is enabled. */
  async isActive(username: string): Promise<boolean> {
    const u = await this.store.getUser(username);
    return !!u && !u.disabled;
  }

  /**
   * Why a verified session may not use a route other than the password change, or null when it
   * may: E_UNAUTHORIZED when the account is gone or disabled, E_PASSWORD_CHANGE_REQUIRED when the
   * session is password-change-only or the account must change its password (e.g. an admin reset
   * it while the session was open). Demo accounts in production are refused like disabled ones.
   */
  async sessionRefusal(claims: SessionClaims): Promise<IocError | null> {
    const u = await this.store.getUser(claims.username);
    if (!u || u.disabled) return iocError('E_UNAUTHORIZED', 'account disabled or removed');
    if (u.demo === true && this.policy.refuseDemoAccounts === true) return iocError('E_UNAUTHORIZED', 'demo accounts are disabled in production');
    if (claims.passwordChangeOnly === true || u.mustChangePassword === true)
      return iocError('E_PASSWORD_CHANGE_REQUIRED', 'change your password first (POST /api/auth/password)');
    return null;
  }
}
