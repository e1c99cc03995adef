/**
 * Login hardening in the user service (issue 12): one answer for unknown / wrong / disabled /
 * throttled, the audit of every outcome (fail closed), the TOTP step with recovery codes and no
 * reuse of a time step, enrol-only sessions for roles that require a factor, password expiry and
 * history. Memory store; the Redis throttle is in login-throttle.test.ts and the HTTP answers in
 * server/test/login-hardening.e2e.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { CollectingAudit } from '../audit/audit';
import { ConfigError, loadConfig } from '../config';
import { MemoryStore } from '../store/memory-store';
import type { StoredUser } from '../store/store';
import type { LoginResponse } from '../../scenes/protocol';
import { hashPassword } from './passwords';
import { MemorySessionBackend } from './session-store';
import { SessionService } from './sessions';
import { TokenService } from './tokens';
import { openTotpSecret, totpCode, TOTP_PERIOD_S, totpSealKey } from './totp';
import type { LoginResult } from './login-flow';
import type { LoginPolicy } from './login-policy';
import { UserService } from './users';

const STRONG = 'Harbour-Lights-42';
const DAY_MS = 24 * 3600_000;
const ctx = (source = '10.0.0.1') => ({ source, userAgent: 'vitest' });

function service(policy: Partial<LoginPolicy> = {}) {
  const store = new MemoryStore();
  const tokens = new TokenService('t'.repeat(40), 3600);
  const audit = new CollectingAudit();
  const sessions = new SessionService({
    backend: new MemorySessionBackend(),
    tokens,
    audit,
    settings: {
      idleTimeoutMs: 30 * 60_000,
      sessionMaxMs: 12 * 3600_000,
      screenTokenMs: 365 * DAY_MS,
      touchIntervalMs: 60_000,
      usedRefreshHashesKept: 16,
    },
  });
  // no progressive delay in these unit tests (the e2e test runs with the real one)
  const users = new UserService(store, tokens, {
    maxFailures: 5,
    lockMs: 60_000,
    throttle: {
      sourceMaxFailures: 20,
      sourceWindowMs: 60_000,
      sourceBlockMs: 60_000,
      pairMaxFailures: 5,
      pairWindowMs: 60_000,
      pairBlockMs: 60_000,
      delayAfterFailures: 100,
      delayBaseMs: 1,
      delayMaxMs: 1,
    },
    passwordMaxAgeMs: 90 * DAY_MS,
    passwordHistoryCount: 5,
    ...policy,
  })
    .useSessions(sessions)
    .useAudit(audit);
  return { store, tokens, users, audit };
}

async function putUser(store: MemoryStore, overrides: Partial<StoredUser> & { username: string }, password = STRONG): Promise<void> {
  await store.putUser({
    displayName: overrides.username,
    role: 'officer',
    passwordHash: await hashPassword(password),
    disabled: false,
    failedLogins: 0,
    lockedUntil: 0,
    createdTs: Date.now(),
    passwordChangedTs: Date.now(),
    ...overrides,
  });
}

function sessionOf(r: LoginResult): LoginResponse {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  if (!('session' in r)) throw new Error('expected a session, got a TOTP challenge');
  return r.session;
}

function challengeOf(r: LoginResult): string {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  if (!('mfa' in r)) throw new Error('expected a TOTP challenge, got a session');
  return r.mfa.mfaToken;
}

/** Enrols TOTP for `username`; answers the secret and the recovery codes. */
async function enrol(users: UserService, username: string): Promise<{ secret: string; recoveryCodes: string[] }> {
  const setup = await users.mfaSetup(username);
  if (!setup.ok) throw new Error(setup.error.message);
  // a code of the previous step: the next login's current code is then a later step
  const confirmed = await users.mfaConfirm(username, totpCode(setup.setup.secret, Date.now() - TOTP_PERIOD_S * 1000), ctx());
  if (!confirmed.ok) throw new Error(confirmed.error.message);
  return { secret: setup.setup.secret, recoveryCodes: confirmed.result.recoveryCodes };
}

describe('one answer for unknown, wrong and disabled', () => {
  it('answers the same error for an unknown user, a wrong password and a disabled account, and audits each failure', async () => {
    const { users, store, audit } = service();
    await putUser(store, { username: 'alice' });
    await putUser(store, { username: 'gone', disabled: true });
    const unknown = await users.login('nobody', STRONG, ctx('10.0.0.1'));
    const wrong = await users.login('alice', 'Wrong-pass-123', ctx('10.0.0.2'));
    const disabled = await users.login('gone', STRONG, ctx('10.0.0.3'));
    expect(unknown.ok).toBe(false);
    if (unknown.ok || wrong.ok || disabled.ok) return;
    expect(wrong.error).toEqual(unknown.error);
    expect(disabled.error).toEqual(unknown.error);
    expect(unknown.error.code).toBe('E_UNAUTHORIZED');
    const failed = audit.entries.filter((e) => e.action === 'auth.login_failed');
    expect(failed.map((e) => [e.actor, e.source, e.userAgent, e.outcome, e.reason])).toEqual([
      ['nobody', '10.0.0.1', 'vitest', 'failure', 'unknown_user'],
      ['alice', '10.0.0.2', 'vitest', 'failure', 'wrong_password'],
      ['gone', '10.0.0.3', 'vitest', 'failure', 'disabled'],
    ]);
  });

  it('records a successful login, and hands out no session when the audit cannot be written', async () => {
    const { users, store, audit } = service();
    await putUser(store, { username: 'alice' });
    sessionOf(await users.login('alice', STRONG, ctx()));
    expect(audit.entries.at(-1)).toMatchObject({ action: 'auth.login', actor: 'alice', role: 'officer', source: '10.0.0.1', outcome: 'success' });
    audit.failNext = true;
    const r = await users.login('alice', STRONG, ctx());
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe('E_UNAVAILABLE');
  });

  it('throttles (username, address) after 5 failures with one answer for known and unknown users, audits the lockout once, and leaves other addresses alone', async () => {
    const { users, store, audit } = service();
    await putUser(store, { username: 'alice' });
    for (let i = 0; i < 5; i++) {
      expect((await users.login('alice', `Wrong-pass-${i}`, ctx('10.9.9.9'))).ok).toBe(false);
      expect((await users.login('ghost', `Wrong-pass-${i}`, ctx('10.9.9.9'))).ok).toBe(false);
    }
    const known = await users.login('alice', STRONG, ctx('10.9.9.9'));
    const unknown = await users.login('ghost', STRONG, ctx('10.9.9.9'));
    if (known.ok || unknown.ok) throw new Error('expected both throttled');
    expect(known.error.code).toBe('E_RATE_LIMIT');
    expect(unknown.error.code).toBe(known.error.code);
    expect(unknown.error.message).toBe(known.error.message);
    expect((known.error.details as { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(0);
    // refused again: the lockout is in the audit once per pair, not once per refusal
    await users.login('alice', STRONG, ctx('10.9.9.9'));
    expect(audit.entries.filter((e) => e.action === 'auth.lockout' && e.actor === 'alice')).toHaveLength(1);
    expect(audit.entries.find((e) => e.action === 'auth.lockout')).toMatchObject({ outcome: 'denied', source: '10.9.9.9' });
    // no account-wide lock: the owner from another address gets in
    sessionOf(await users.login('alice', STRONG, ctx('10.1.1.1')));
  });

  it('forgets the failures of a pair after a success (consecutive failures count)', async () => {
    const { users, store } = service();
    await putUser(store, { username: 'alice' });
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 4; i++) expect((await users.login('alice', `Wrong-pass-${i}`, ctx())).ok).toBe(false);
      sessionOf(await users.login('alice', STRONG, ctx()));
    }
  });
});

describe('TOTP', () => {
  it('enrols with a QR code and recovery codes, then asks for a code at login and answers the session', async () => {
    const { users, store, audit } = service();
    await putUser(store, { username: 'alice' });
    const setup = await users.mfaSetup('alice');
    if (!setup.ok) throw new Error(setup.error.message);
    expect(setup.setup.otpauthUri).toMatch(/^otpauth:\/\/totp\/.*secret=/);
    expect(setup.setup.qrSvg).toMatch(/^<svg/);
    expect((await users.mfaStatus('alice'))?.pending).toBe(true);
    const confirmed = await users.mfaConfirm('alice', totpCode(setup.setup.secret, Date.now() - TOTP_PERIOD_S * 1000), ctx());
    if (!confirmed.ok) throw new Error(confirmed.error.message);
    expect(confirmed.result.recoveryCodes).toHaveLength(10);
    expect(new Set(confirmed.result.recoveryCodes).size).toBe(10);
    // only hashes of the recovery codes are kept, and the secret is sealed (a Redis dump does not give the factor away)
    const stored = await store.getUser('alice');
    expect(JSON.stringify(stored)).not.toContain(confirmed.result.recoveryCodes[0]);
    expect(JSON.stringify(stored)).not.toContain(setup.setup.secret);
    expect(openTotpSecret(totpSealKey('another-server-secret'), stored!.mfa!.secret!)).toBeNull();
    expect(audit.entries.some((e) => e.action === 'auth.mfa_enrol' && e.outcome === 'success')).toBe(true);

    const token = challengeOf(await users.login('alice', STRONG, ctx()));
    const wrong = await users.loginMfa(token, { code: '000000' === totpCode(setup.setup.secret, Date.now()) ? '111111' : '000000' }, ctx());
    expect(wrong.ok).toBe(false);
    expect(audit.entries.at(-1)).toMatchObject({ action: 'auth.mfa_failed', actor: 'alice', outcome: 'failure' });
    const session = sessionOf(await users.loginMfa(token, { code: totpCode(setup.setup.secret, Date.now()) }, ctx()));
    expect(session.username).toBe('alice');
    expect(audit.entries.at(-1)).toMatchObject({ action: 'auth.login', details: { method: 'totp' } });
    // the challenge gave its one session
    const again = await users.loginMfa(token, { code: totpCode(setup.setup.secret, Date.now()) }, ctx());
    expect(again.ok).toBe(false);
  });

  it('refuses a code of a step that was used already', async () => {
    const { users, store } = service();
    await putUser(store, { username: 'alice' });
    const { secret } = await enrol(users, 'alice');
    const code = totpCode(secret, Date.now());
    sessionOf(await users.loginMfa(challengeOf(await users.login('alice', STRONG, ctx())), { code }, ctx()));
    const replay = await users.loginMfa(challengeOf(await users.login('alice', STRONG, ctx())), { code }, ctx());
    expect(replay.ok).toBe(false);
    if (!replay.ok) expect(replay.error.code).toBe('E_UNAUTHORIZED');
    // the next step's code still works (within the ±1 step window)
    sessionOf(
      await users.loginMfa(
        challengeOf(await users.login('alice', STRONG, ctx())),
        { code: totpCode(secret, Date.now() + TOTP_PERIOD_S * 1000) },
        ctx(),
      ),
    );
  });

  it('takes each recovery code once', async () => {
    const { users, store } = service();
    await putUser(store, { username: 'alice' });
    const { recoveryCodes } = await enrol(users, 'alice');
    const code = recoveryCodes[3]!;
    const s = sessionOf(await users.loginMfa(challengeOf(await users.login('alice', STRONG, ctx())), { recoveryCode: code.toUpperCase() }, ctx()));
    expect(s.username).toBe('alice');
    expect((await users.mfaStatus('alice'))?.recoveryCodesLeft).toBe(9);
    const reuse = await users.loginMfa(challengeOf(await users.login('alice', STRONG, ctx())), { recoveryCode: code }, ctx());
    expect(reuse.ok).toBe(false);
  });

  it('ends a challenge after 5 wrong codes', async () => {
    const { users, store } = service();
    await putUser(store, { username: 'alice' });
    const { secret } = await enrol(users, 'alice');
    const token = challengeOf(await users.login('alice', STRONG, ctx()));
    const right = totpCode(secret, Date.now());
    const wrongCode = right === '123456' ? '654321' : '123456';
    for (let i = 0; i < 5; i++) expect((await users.loginMfa(token, { code: wrongCode }, ctx())).ok).toBe(false);
    const late = await users.loginMfa(token, { code: right }, ctx());
    expect(late.ok).toBe(false);
  });

  it('turns off with the password and a code (not for a role that requires it); an admin reset clears it', async () => {
    const { users, store } = service({ mfaRequiredRoles: ['admin'] });
    await putUser(store, { username: 'alice' });
    await putUser(store, { username: 'boss', role: 'admin' });
    const a = await enrol(users, 'alice');
    const wrongPw = await users.mfaDisable('alice', 'Wrong-pass-123', { code: totpCode(a.secret, Date.now()) }, ctx());
    expect(wrongPw.ok).toBe(false);
    expect((await users.mfaDisable('alice', STRONG, { code: totpCode(a.secret, Date.now()) }, ctx())).ok).toBe(true);
    expect((await users.mfaStatus('alice'))?.enabled).toBe(false);
    const b = await enrol(users, 'boss');
    const refused = await users.mfaDisable('boss', STRONG, { code: totpCode(b.secret, Date.now()) }, ctx());
    expect(!refused.ok && refused.error.code).toBe('E_FORBIDDEN');
    expect((await users.mfaReset({ username: 'root', role: 'admin' }, 'boss')).ok).toBe(true);
    expect((await store.getUser('boss'))?.mfa).toBeUndefined();
  });
});

describe('roles that require a second factor', () => {
  it('gives a member without one a session that may only enrol; after enrolment the login asks for a code', async () => {
    const { users, store, tokens } = service({ mfaRequiredRoles: ['admin'] });
    await putUser(store, { username: 'boss', role: 'admin' });
    const first = sessionOf(await users.login('boss', STRONG, ctx()));
    expect(first.mfaEnrolRequired).toBe(true);
    const claims = await tokens.verify(first.token);
    expect(claims?.mfaEnrolOnly).toBe(true);
    expect((await users.sessionRefusal(claims!))?.code).toBe('E_MFA_REQUIRED');
    const setup = await users.mfaSetup('boss');
    if (!setup.ok) throw new Error(setup.error.message);
    const confirmed = await users.mfaConfirm('boss', totpCode(setup.setup.secret, Date.now() - TOTP_PERIOD_S * 1000), ctx());
    if (!confirmed.ok) throw new Error(confirmed.error.message);
    expect(confirmed.result.session.mfaEnrolRequired).toBeUndefined();
    expect(await users.sessionRefusal((await tokens.verify(confirmed.result.session.token))!)).toBeNull();
    challengeOf(await users.login('boss', STRONG, ctx()));
  });

  it('leaves other roles (and every role when none is configured) with password-only login', async () => {
    const { users, store } = service();
    await putUser(store, { username: 'boss', role: 'admin' });
    expect(sessionOf(await users.login('boss', STRONG, ctx())).mfaEnrolRequired).toBeUndefined();
  });
});

describe('password expiry and history', () => {
  it('an expired password yields a password-change-only session (reason expired), audited; after the change the login is normal', async () => {
    const { users, store, audit } = service();
    await putUser(store, { username: 'alice', passwordChangedTs: Date.now() - 91 * DAY_MS });
    const s = sessionOf(await users.login('alice', STRONG, ctx()));
    expect(s.mustChangePassword).toBe(true);
    expect(s.passwordChangeReason).toBe('expired');
    expect(audit.entries.some((e) => e.action === 'auth.password_expired' && e.actor === 'alice')).toBe(true);
    const changed = await users.changePassword('alice', STRONG, 'Fresh-Harbour-88', ctx());
    if (!changed.ok) throw new Error(changed.error.message);
    expect(changed.session.mustChangePassword).toBeUndefined();
    expect(sessionOf(await users.login('alice', 'Fresh-Harbour-88', ctx())).mustChangePassword).toBeUndefined();
    expect(audit.entries.some((e) => e.action === 'auth.password_change' && e.outcome === 'success')).toBe(true);
  });

  it('demo accounts never expire (the development demo keeps opening with the printed password)', async () => {
    const { users, store } = service();
    await putUser(store, { username: 'officer9', demo: true, passwordChangedTs: Date.now() - 400 * DAY_MS });
    expect(sessionOf(await users.login('officer9', STRONG, ctx())).mustChangePassword).toBeUndefined();
  });

  it('refuses any of the last 5 passwords, and an admin reset enters the history', async () => {
    const { users, store } = service();
    await putUser(store, { username: 'alice' });
    const passwords = [STRONG, 'Second-Pass-22', 'Third-Pass-33', 'Fourth-Pass-44', 'Fifth-Pass-55'];
    for (let i = 1; i < passwords.length; i++) {
      const r = await users.changePassword('alice', passwords[i - 1]!, passwords[i]!, ctx());
      if (!r.ok) throw new Error(r.error.message);
    }
    // the first password is one of the last five (with the current one): refused
    const reuse = await users.changePassword('alice', 'Fifth-Pass-55', STRONG, ctx());
    expect(!reuse.ok && reuse.error.details).toEqual({ problem: 'recently_used' });
    expect((await users.changePassword('alice', 'Fifth-Pass-55', 'Sixth-Pass-66', ctx())).ok).toBe(true);
    // now six were used: the first fell out of the history
    expect((await users.changePassword('alice', 'Sixth-Pass-66', STRONG, ctx())).ok).toBe(true);

    await users.updateUser('alice', { password: 'Reset-By-Admin-1' });
    const u = await store.getUser('alice');
    expect(u?.passwordHistory?.length).toBe(5);
    const afterReset = await users.changePassword('alice', 'Reset-By-Admin-1', 'Reset-By-Admin-1x', ctx());
    expect(afterReset.ok).toBe(true);
    const back = await users.changePassword('alice', 'Reset-By-Admin-1x', 'Reset-By-Admin-1', ctx());
    expect(!back.ok && back.error.details).toEqual({ problem: 'recently_used' });
  });
});

describe('configuration', () => {
  const secrets = { IOC_JWT_SECRET: 'j'.repeat(40), IOC_DEVICE_SECRET: 'd'.repeat(20), IOC_AUDIT_KEY: 'a'.repeat(40) };
  it('requires TOTP for administrators in production and for nobody elsewhere, unless IOC_MFA_REQUIRED_ROLES says otherwise', () => {
    expect(loadConfig({ NODE_ENV: 'production', ...secrets }).mfaRequiredRoles).toEqual(['admin']);
    expect(loadConfig({ NODE_ENV: 'development' }).mfaRequiredRoles).toEqual([]);
    expect(loadConfig({ NODE_ENV: 'production', ...secrets, IOC_MFA_REQUIRED_ROLES: 'admin, officer' }).mfaRequiredRoles).toEqual([
      'admin',
      'officer',
    ]);
    expect(loadConfig({ NODE_ENV: 'production', ...secrets, IOC_MFA_REQUIRED_ROLES: '' }).mfaRequiredRoles).toEqual([]);
    expect(() => loadConfig({ IOC_MFA_REQUIRED_ROLES: 'admin,root' })).toThrow(ConfigError);
  });

  it('expires passwords after IOC_PASSWORD_MAX_AGE_DAYS (default 90; 0 = never)', () => {
    expect(loadConfig({}).passwordMaxAgeMs).toBe(90 * DAY_MS);
    expect(loadConfig({ IOC_PASSWORD_MAX_AGE_DAYS: '0' }).passwordMaxAgeMs).toBe(0);
  });
});
