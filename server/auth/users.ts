/**
 * People: demo seeding, login with per-account lockout, and admin user management.
 */
import { z } from 'zod';
import { RoleSchema, type Role } from '../../scenes/domain';
import type { IocError, LoginResponse } from '../../scenes/protocol';
import { DEMO_HANDLERS } from '../../scenes/city/qingdao';
import type { Store, StoredUser } from '../store/store';
import { iocError } from '../errors';
import { hashPassword, passwordWeakness, verifyPassword } from './passwords';
import type { TokenService } from './tokens';

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
}

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
      });
    }
    return accounts;
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
    if (!(await verifyPassword(password, user.passwordHash))) {
      const failures = user.failedLogins + 1;
      const locked = failures >= this.policy.maxFailures;
      await this.store.putUser({ ...user, failedLogins: locked ? 0 : failures, lockedUntil: locked ? now + this.policy.lockMs : user.lockedUntil });
      return { ok: false, error: invalid };
    }
    if (user.failedLogins !== 0) await this.store.putUser({ ...user, failedLogins: 0 });
    const { token, expiresAt } = await this.tokens.issue({ username: user.username, role: user.role, displayName: user.displayName }, now);
    return { ok: true, session: { token, role: user.role, username: user.username, displayName: user.displayName, expiresAt } };
  }

  async createUser(input: z.infer<typeof CreateUserSchema>): Promise<{ ok: true; user: PublicUser } | { ok: false; error: IocError }> {
    const weak = passwordWeakness(input.password);
    if (weak) return { ok: false, error: iocError('E_VALIDATION', weak) };
    if (await this.store.getUser(input.username)) return { ok: false, error: iocError('E_CONFLICT', `user ${input.username} exists`) };
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
      createdTs: this.now(),
    };
    await this.store.putUser(user);
    return { ok: true, user: publicUser(user) };
  }

  async updateUser(
    username: string,
    patch: z.infer<typeof UpdateUserSchema>,
  ): Promise<{ ok: true; user: PublicUser } | { ok: false; error: IocError }> {
    const user = await this.store.getUser(username);
    if (!user) return { ok: false, error: iocError('E_NOT_FOUND', `no user ${username}`) };
    let passwordHash = user.passwordHash;
    if (patch.password !== undefined) {
      const weak = passwordWeakness(patch.password);
      if (weak) return { ok: false, error: iocError('E_VALIDATION', weak) };
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
    };
    await this.store.putUser(next);
    return { ok: true, user: publicUser(next) };
  }

  /** A session stays valid only while its account exists and is enabled. */
  async isActive(username: string): Promise<boolean> {
    const u = await this.store.getUser(username);
    return !!u && !u.disabled;
  }
}
