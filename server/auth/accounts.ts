/**
 * Accounts as records: the admin API's schemas, what an admin sees of an account (`publicUser`),
 * creating one whose password someone else chose, the demo accounts, and the first administrator.
 *
 * An account whose password someone else set (bootstrap, `npm run admin -- create`, an admin's
 * create or reset) carries `mustChangePassword`: its login yields a session that may only change
 * the password. Demo accounts (seeded outside production) carry `demo` and are refused in production.
 */
import { z } from 'zod';
import { DISTRICT_CODES, DistrictCodeSchema, RoleSchema, type Role } from '../../scenes/domain';
import type { IocError, PublicUser } from '../../scenes/protocol';
import { DEMO_HANDLERS } from '../../scenes/city/qingdao';
import { INCIDENT_CATEGORIES } from '../../scenes/catalogue';
import { iocError } from '../errors';
import type { Store, StoredUser } from '../store/store';
import { passwordPolicyError } from './password-rules';
import { hashPassword, passwordPolicyRefusal } from './passwords';

/** The wire shape of a user for admins lives in scenes/protocol.ts (the client reads the same type). */
export type { PublicUser };

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
    { username: 'leader1', displayName: '分管领导 陈刚', role: 'leader' },
  ];
}

/** A handler's skills: incident categories (dispatch suggestions match them against an incident's category). */
const SkillsSchema = z.array(z.enum(INCIDENT_CATEGORIES)).max(INCIDENT_CATEGORIES.length);

export const CreateUserSchema = z.object({
  username: z.string().regex(/^[a-z][a-z0-9_.-]{2,31}$/, 'username: 3–32 lower-case letters, digits, . _ -'),
  displayName: z.string().min(1).max(64),
  role: RoleSchema,
  password: z.string().max(256),
  team: z.string().max(64).optional(),
  skills: SkillsSchema.optional(),
  /** officers and leaders: limited to these districts (empty = the whole city); ignored for other roles */
  districts: z.array(DistrictCodeSchema).max(DISTRICT_CODES.length).optional(),
});
export const UpdateUserSchema = z.object({
  displayName: z.string().min(1).max(64).optional(),
  disabled: z.boolean().optional(),
  password: z.string().max(256).optional(),
  role: RoleSchema.optional(),
  team: z.string().max(64).optional(),
  skills: SkillsSchema.optional(),
  /** officers and leaders: limited to these districts (empty = the whole city); ignored for other roles */
  districts: z.array(DistrictCodeSchema).max(DISTRICT_CODES.length).optional(),
});

export type CreateUserInput = z.infer<typeof CreateUserSchema>;
export type UpdateUserInput = z.infer<typeof UpdateUserSchema>;

/**
 * An allowlist, not "everything but the hash": a credential field added to StoredUser later stays
 * private until someone names it here.
 */
export function publicUser(u: StoredUser): PublicUser {
  const p: PublicUser = {
    username: u.username,
    displayName: u.displayName,
    role: u.role,
    disabled: u.disabled,
    failedLogins: u.failedLogins,
    lockedUntil: u.lockedUntil,
    createdTs: u.createdTs,
    mfaEnabled: u.mfa?.enabled === true,
  };
  if (u.team !== undefined) p.team = u.team;
  if (u.skills !== undefined) p.skills = u.skills;
  if (u.districts !== undefined) p.districts = u.districts;
  if (u.passwordChangedTs !== undefined) p.passwordChangedTs = u.passwordChangedTs;
  if (u.mustChangePassword !== undefined) p.mustChangePassword = u.mustChangePassword;
  if (u.demo !== undefined) p.demo = u.demo;
  return p;
}

/**
 * Creates an account whose password someone else chose, so its owner must change it at first
 * login. Shared by the admin API and `scripts/admin.ts`.
 */
export async function createAccount(
  store: Store,
  input: CreateUserInput,
  nowTs: number,
  /** called with the new account right before it is written; an error stops the creation (the audit, failing closed) */
  beforeWrite?: (user: StoredUser) => Promise<IocError | null>,
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
  const stopped = beforeWrite ? await beforeWrite(user) : null;
  if (stopped) return { ok: false, error: stopped };
  await store.putUser(user);
  return { ok: true, user: publicUser(user) };
}

/** An administrator who can log in and act: enabled, and not a demo account. */
export function isUsableAdmin(u: StoredUser): boolean {
  return u.role === 'admin' && !u.disabled && u.demo !== true;
}

/** Creates the demo accounts that do not exist yet (outside production only). */
export async function seedDemoAccounts(store: Store, password: string, now: () => number): Promise<DemoAccount[]> {
  const accounts = demoAccounts();
  const hash = await hashPassword(password);
  for (const a of accounts) {
    const existing = await store.getUser(a.username);
    if (existing) continue;
    await store.putUser({
      username: a.username,
      displayName: a.displayName,
      role: a.role,
      passwordHash: hash,
      passwordChangedTs: now(),
      passwordHistory: [hash],
      disabled: false,
      failedLogins: 0,
      lockedUntil: 0,
      team: a.team,
      skills: a.skills,
      createdTs: now(),
      // demo accounts share a known password: recognisable, so production refuses them
      demo: true,
      mustChangePassword: false,
    });
  }
  return accounts;
}

export type BootstrapOutcome =
  { status: 'created'; username: string } | { status: 'skipped'; reason: string } | { status: 'refused'; error: IocError };

/**
 * The first administrator from the environment (`IOC_BOOTSTRAP_ADMIN` / `IOC_BOOTSTRAP_PASSWORD`),
 * honoured only while no usable administrator exists; the account must change its password at
 * first login. A demo account of the same name is taken over; any other existing account is not.
 */
export async function bootstrapAdmin(store: Store, username: string, password: string, now: () => number): Promise<BootstrapOutcome> {
  const users = await store.listUsers();
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
  await store.putUser({
    username,
    displayName: username,
    role: 'admin',
    passwordHash,
    passwordChangedTs: now(),
    passwordHistory: [passwordHash],
    disabled: false,
    failedLogins: 0,
    lockedUntil: 0,
    createdTs: now(),
    mustChangePassword: true,
  });
  return { status: 'created', username };
}
