import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../store/memory-store';
import type { StoredUser } from '../store/store';
import { generateOneTimePassword, hashPassword, passwordPolicyRefusal, type PasswordProblem } from './passwords';
import { TokenService } from './tokens';
import { SessionService } from './sessions';
import { MemorySessionBackend } from './session-store';
import { DISCARD_AUDIT } from '../audit/audit';
import type { LoginPolicy } from './login-policy';
import { UserService } from './users';

const T0 = 1_700_000_000_000;
const STRONG = 'Harbour-Lights-42';

function service(policy: Partial<LoginPolicy> = {}) {
  const store = new MemoryStore();
  const tokens = new TokenService('t'.repeat(40), 3600);
  // real time: session tokens are verified against the wall clock
  const sessions = new SessionService({
    backend: new MemorySessionBackend(),
    tokens,
    audit: DISCARD_AUDIT,
    settings: {
      idleTimeoutMs: 30 * 60_000,
      sessionMaxMs: 12 * 3600_000,
      screenTokenMs: 365 * 86_400_000,
      touchIntervalMs: 60_000,
      usedRefreshHashesKept: 16,
    },
  });
  const users = new UserService(store, tokens, { maxFailures: 5, lockMs: 60_000, ...policy }).useSessions(sessions);
  return { store, tokens, users, sessions };
}

async function putUser(store: MemoryStore, overrides: Partial<StoredUser> & { username: string }, password = STRONG): Promise<void> {
  await store.putUser({
    displayName: overrides.username,
    role: 'officer',
    passwordHash: await hashPassword(password),
    disabled: false,
    failedLogins: 0,
    lockedUntil: 0,
    createdTs: T0,
    ...overrides,
  });
}

describe('password policy', () => {
  const table: [password: string, username: string, problem: PasswordProblem | null][] = [
    ['Ab1-short', 'alice', 'too_short'],
    ['alllowercase', 'alice', 'too_few_classes'],
    ['lowerUPPERonly', 'alice', 'too_few_classes'],
    ['lower-and-symbols!', 'alice', 'too_few_classes'],
    ['lowerUPPER123', 'alice', null],
    ['lower-UPPER-sym', 'alice', null],
    ['lower123-sym', 'alice', null],
    ['Alice-2026-xyz', 'alice', 'contains_username'],
    ['xxALICExx-9', 'alice', 'contains_username'],
  ];
  it.each(table)('%s for user %s → %s', (password, username, problem) => {
    expect(passwordPolicyRefusal(password, username)?.problem ?? null).toBe(problem);
  });

  it('generates one-time passwords that pass the policy', () => {
    for (let i = 0; i < 200; i++) expect(passwordPolicyRefusal(generateOneTimePassword(), 'admin')).toBeNull();
  });
});

describe('bootstrap administrator', () => {
  it('creates the administrator while none exists, flagged to change its password', async () => {
    const { users, store } = service();
    expect(await users.bootstrapAdmin('chief', STRONG)).toEqual({ status: 'created', username: 'chief' });
    const chief = await store.getUser('chief');
    expect(chief?.role).toBe('admin');
    expect(chief?.mustChangePassword).toBe(true);
  });

  it('is ignored once an administrator exists', async () => {
    const { users, store } = service();
    await putUser(store, { username: 'boss', role: 'admin' });
    expect((await users.bootstrapAdmin('chief', STRONG)).status).toBe('skipped');
    expect(await store.getUser('chief')).toBeNull();
  });

  it('does not count a disabled or a demo administrator as existing, and takes over a demo account of its name', async () => {
    const { users, store } = service();
    await putUser(store, { username: 'old', role: 'admin', disabled: true });
    await putUser(store, { username: 'admin', role: 'admin', demo: true });
    expect((await users.bootstrapAdmin('admin', STRONG)).status).toBe('created');
    const admin = await store.getUser('admin');
    expect(admin?.demo).toBeUndefined();
    expect(admin?.mustChangePassword).toBe(true);
  });

  it('never takes over a real account of another role', async () => {
    const { users, store } = service();
    await putUser(store, { username: 'chief', role: 'officer' });
    const r = await users.bootstrapAdmin('chief', STRONG);
    expect(r.status === 'refused' && r.error.code).toBe('E_CONFLICT');
    expect((await store.getUser('chief'))?.role).toBe('officer');
  });

  it('refuses a password that fails the policy', async () => {
    const { users } = service();
    const r = await users.bootstrapAdmin('chief', 'weak');
    expect(r.status === 'refused' && r.error.code).toBe('E_VALIDATION');
  });
});

describe('forced password change', () => {
  it('a login of an account that must change its password yields a password-change-only session', async () => {
    const { users, store, tokens } = service();
    await putUser(store, { username: 'chief', role: 'admin', mustChangePassword: true });
    const r = await users.login('chief', STRONG);
    if (!r.ok) throw new Error(r.error.message);
    if (!('session' in r)) throw new Error('expected a session, not a TOTP challenge');
    expect(r.session.mustChangePassword).toBe(true);
    const claims = await tokens.verify(r.session.token);
    expect(claims?.passwordChangeOnly).toBe(true);
    expect((await users.sessionRefusal(claims!))?.code).toBe('E_PASSWORD_CHANGE_REQUIRED');
  });

  it('after the change the account logs in normally and its new session is accepted', async () => {
    const { users, store, tokens } = service();
    await putUser(store, { username: 'chief', role: 'admin', mustChangePassword: true });
    const changed = await users.changePassword('chief', STRONG, 'New-Harbour-77');
    if (!changed.ok) throw new Error(changed.error.message);
    expect(changed.session.mustChangePassword).toBeUndefined();
    expect(await users.sessionRefusal((await tokens.verify(changed.session.token))!)).toBeNull();
    const again = await users.login('chief', 'New-Harbour-77');
    expect(again.ok && 'session' in again && again.session.mustChangePassword).toBeUndefined();
    expect((await users.login('chief', STRONG)).ok).toBe(false);
  });

  const refusals: [what: string, current: string, next: string, code: string, problem: string][] = [
    ['a wrong current password', 'Wrong-pass-123', 'New-Harbour-77', 'E_FORBIDDEN', 'wrong_current_password'],
    ['a new password that is too short', STRONG, 'Sh0rt!', 'E_VALIDATION', 'too_short'],
    ['a new password with too few character classes', STRONG, 'onlylowercaseletters', 'E_VALIDATION', 'too_few_classes'],
    ['a new password containing the username', STRONG, 'Chief-of-2026', 'E_VALIDATION', 'contains_username'],
    ['a new password equal to the current one', STRONG, STRONG, 'E_VALIDATION', 'same_as_current'],
  ];
  it.each(refusals)('refuses %s', async (_what, current, next, code, problem) => {
    const { users, store } = service();
    await putUser(store, { username: 'chief', role: 'admin', mustChangePassword: true });
    const r = await users.changePassword('chief', current, next);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe(code);
    expect(r.error.details).toEqual({ problem });
    expect((await store.getUser('chief'))?.mustChangePassword).toBe(true);
  });

  it('accounts an admin creates or resets must change their password; seeded demo accounts need not', async () => {
    const { users, store } = service();
    const made = await users.createUser({ username: 'newbie', displayName: 'N', role: 'handler', password: STRONG });
    expect(made.ok && made.user.mustChangePassword).toBe(true);
    await users.seedDemo('ioc-demo-2026');
    const demo = await store.getUser('officer1');
    expect(demo?.demo).toBe(true);
    expect(demo?.mustChangePassword).toBe(false);
    await users.updateUser('officer1', { password: 'Reset-By-Admin-1' });
    expect((await store.getUser('officer1'))?.mustChangePassword).toBe(true);
    await users.updateUser('newbie', { displayName: 'Renamed' });
    expect((await store.getUser('newbie'))?.mustChangePassword).toBe(true);
  });
});

describe('demo accounts in production', () => {
  it('are refused at login and their sessions are refused', async () => {
    const { users, tokens, sessions } = service({ refuseDemoAccounts: true });
    await users.seedDemo('ioc-demo-2026');
    const r = await users.login('admin', 'ioc-demo-2026');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe('E_FORBIDDEN');
    // a session opened before the restart into production (its record still stands)
    const { token } = await sessions.open({ username: 'admin', role: 'admin', displayName: 'x' }, {});
    expect((await users.sessionRefusal((await tokens.verify(token))!))?.code).toBe('E_UNAUTHORIZED');
  });

  it('are accepted outside production', async () => {
    const { users } = service();
    await users.seedDemo('ioc-demo-2026');
    expect((await users.login('admin', 'ioc-demo-2026')).ok).toBe(true);
  });
});
