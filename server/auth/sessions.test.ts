/**
 * The session service with an injected clock: refresh rotation and theft detection, idle timeout,
 * absolute lifetime, kiosk tokens, revocation events, and the audit (fail closed where credentials
 * are handed out). The backends' shared contract is in session-store.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { CollectingAudit } from '../audit/audit';
import { IocFailure } from '../guard';
import type { IocError } from '../../scenes/protocol';
import { MemorySessionBackend } from './session-store';
import { SessionService, type Revocation, type SessionSettings } from './sessions';
import { TokenService, type SessionClaims } from './tokens';

const T0 = Date.now();
const MIN = 60_000;
const SETTINGS: SessionSettings = {
  idleTimeoutMs: 30 * MIN,
  sessionMaxMs: 12 * 60 * MIN,
  screenTokenMs: 365 * 24 * 60 * MIN,
  touchIntervalMs: MIN,
  usedRefreshHashesKept: 4,
};
const OFFICER = { username: 'officer1', role: 'officer' as const, displayName: '值班员' };

function setup() {
  let now = T0;
  const clock = { now: () => now, advance: (ms: number) => (now += ms) };
  const audit = new CollectingAudit();
  const tokens = new TokenService('k'.repeat(40), 900);
  const sessions = new SessionService({ backend: new MemorySessionBackend(clock.now), tokens, audit, settings: SETTINGS, now: clock.now });
  const revocations: Revocation[] = [];
  sessions.onRevoked((r) => revocations.push(r));
  // the account check of every request: here the account always stands, with its current role
  let role: SessionClaims['role'] = 'officer';
  const account = { setRole: (r: SessionClaims['role']) => (role = r) };
  const check = async (token: string): Promise<IocError | null> => {
    const claims = await tokens.verify(token, now);
    if (!claims) return { code: 'E_UNAUTHORIZED', message: 'bad token' };
    return sessions.check(claims, claims.username.startsWith('kiosk:') ? null : { username: claims.username, role }, { touch: true });
  };
  const accountOk = () => Promise.resolve(null);
  return { clock, audit, tokens, sessions, revocations, account, check, accountOk };
}

describe('console sessions', () => {
  it('open a record with a short access token and a refresh token; the token stands while the record does', async () => {
    const { sessions, check, audit } = setup();
    const s = await sessions.open(OFFICER, {}, { source: '10.0.0.7', userAgent: 'test' });
    expect(s.refreshToken).toBeTruthy();
    expect(s.expiresAt).toBeLessThanOrEqual(T0 + 900_000 + 1000);
    expect(s.refreshExpiresAt).toBe(T0 + SETTINGS.sessionMaxMs);
    expect(await check(s.token)).toBeNull();
    const [own] = await sessions.listOwn({ ...OFFICER, sid: s.sessionId });
    expect(own).toMatchObject({ sessionId: s.sessionId, current: true, source: '10.0.0.7', userAgent: 'test', kind: 'console' });
    await sessions.logout({ ...OFFICER, sid: s.sessionId }, {});
    expect((await check(s.token))?.code).toBe('E_UNAUTHORIZED');
    expect(audit.entries.map((e) => e.action)).toContain('auth.logout');
  });

  it('give a restricted (password-change-only) session no refresh token', async () => {
    const { sessions } = setup();
    const s = await sessions.open(OFFICER, { passwordChangeOnly: true });
    expect(s.refreshToken).toBeUndefined();
  });

  it('rotate the refresh token, and a spent one presented again revokes the whole session (theft)', async () => {
    const { sessions, check, accountOk, audit, revocations, clock } = setup();
    const s = await sessions.open(OFFICER, {});
    clock.advance(5 * MIN);
    const r1 = await sessions.refresh(s.refreshToken!, {}, accountOk);
    if (!r1.ok) throw new Error(r1.error.message);
    expect(r1.session.refreshToken).not.toBe(s.refreshToken);
    expect(r1.session.expiresAt).toBe(Math.floor((T0 + 5 * MIN) / 1000) * 1000 + 900_000);
    const r2 = await sessions.refresh(r1.session.refreshToken!, {}, accountOk);
    expect(r2.ok).toBe(true);
    const reuse = await sessions.refresh(s.refreshToken!, { source: '203.0.113.9' }, accountOk);
    expect(reuse.ok).toBe(false);
    if (!reuse.ok) expect(reuse.error.details).toMatchObject({ reason: 'reuse' });
    expect(revocations.at(-1)).toMatchObject({ sids: [s.sessionId], why: 'refresh_reuse' });
    if (r2.ok) expect((await check(r2.session.token))?.code).toBe('E_UNAUTHORIZED');
    expect(audit.entries.filter((e) => e.action === 'auth.refresh').map((e) => e.outcome)).toEqual(['success', 'success', 'failure']);
    expect(audit.entries.some((e) => e.action === 'auth.session_revoked' && e.reason === 'refresh_reuse')).toBe(true);
  });

  it('refuse a refresh after longer idleness than the timeout, with reason idle', async () => {
    const { sessions, clock, accountOk } = setup();
    const s = await sessions.open(OFFICER, {});
    clock.advance(SETTINGS.idleTimeoutMs - MIN);
    const ok = await sessions.refresh(s.refreshToken!, {}, accountOk);
    if (!ok.ok) throw new Error(ok.error.message);
    clock.advance(SETTINGS.idleTimeoutMs + 1);
    const idle = await sessions.refresh(ok.session.refreshToken!, {}, accountOk);
    expect(idle.ok).toBe(false);
    if (!idle.ok) expect(idle.error).toMatchObject({ code: 'E_UNAUTHORIZED', details: { reason: 'idle' } });
  });

  it('count authenticated requests as use: a session in use is not idle', async () => {
    const { sessions, clock, check, tokens, accountOk } = setup();
    const s = await sessions.open(OFFICER, {});
    for (let i = 0; i < 4; i++) {
      clock.advance(10 * MIN);
      // a fresh access token every 10 min would be the client's refresh; here requests alone keep it alive
      const { token } = await tokens.issue({ ...OFFICER, sid: s.sessionId }, clock.now());
      expect(await check(token)).toBeNull();
    }
    expect((await sessions.refresh(s.refreshToken!, {}, accountOk)).ok).toBe(true);
  });

  it('end at their absolute lifetime however busy', async () => {
    const { sessions, clock, accountOk } = setup();
    const s = await sessions.open(OFFICER, {});
    let refresh = s.refreshToken!;
    while (clock.now() < T0 + SETTINGS.sessionMaxMs - 20 * MIN) {
      clock.advance(20 * MIN);
      const r = await sessions.refresh(refresh, {}, accountOk);
      if (!r.ok) throw new Error(r.error.message);
      // the access token never outlives the session
      expect(r.session.expiresAt).toBeLessThanOrEqual(T0 + SETTINGS.sessionMaxMs);
      refresh = r.session.refreshToken!;
    }
    clock.advance(20 * MIN);
    expect((await sessions.refresh(refresh, {}, accountOk)).ok).toBe(false);
  });

  it('end when the account now has another role than the session was issued for', async () => {
    const { sessions, check, account, revocations } = setup();
    const s = await sessions.open(OFFICER, {});
    account.setRole('leader');
    expect((await check(s.token))?.details).toMatchObject({ reason: 'role_change' });
    expect(revocations.at(-1)?.why).toBe('role_change');
    account.setRole('officer');
    expect((await check(s.token))?.code).toBe('E_UNAUTHORIZED');
  });

  it('refuse a refresh the account check refuses, and revoke the session', async () => {
    const { sessions, check } = setup();
    const s = await sessions.open(OFFICER, {});
    const r = await sessions.refresh(s.refreshToken!, {}, () => Promise.resolve({ code: 'E_UNAUTHORIZED', message: 'account disabled or removed' }));
    expect(r.ok).toBe(false);
    expect((await check(s.token))?.code).toBe('E_UNAUTHORIZED');
  });

  it('hand out no token when the audit of a refresh cannot be written, and keep the presented token usable', async () => {
    const { sessions, audit, accountOk } = setup();
    const s = await sessions.open(OFFICER, {});
    audit.failNext = true;
    const failed = await sessions.refresh(s.refreshToken!, {}, accountOk).then(
      () => null,
      (e: unknown) => e,
    );
    expect(failed).toBeInstanceOf(IocFailure);
    expect((failed as IocFailure).error.code).toBe('E_UNAVAILABLE');
    // not counted as reuse: the rotation was rolled back
    const retry = await sessions.refresh(s.refreshToken!, {}, accountOk);
    expect(retry.ok).toBe(true);
  });

  it('revoke every session of a user but the one spared, and say so once', async () => {
    const { sessions, check, revocations, audit } = setup();
    const a = await sessions.open(OFFICER, {});
    const b = await sessions.open(OFFICER, {});
    const c = await sessions.open(OFFICER, {});
    expect(await sessions.revokeUser('officer1', 'password_change', { username: 'officer1' }, c.sessionId)).toBe(2);
    expect((await check(a.token))?.code).toBe('E_UNAUTHORIZED');
    expect((await check(b.token))?.code).toBe('E_UNAUTHORIZED');
    expect(await check(c.token)).toBeNull();
    expect(revocations.at(-1)).toMatchObject({ why: 'password_change', usernames: [] });
    expect(revocations.at(-1)?.sids.sort()).toEqual([a.sessionId, b.sessionId].sort());
    const revoked = audit.entries.filter((e) => e.action === 'auth.session_revoked');
    expect(revoked).toHaveLength(1);
    expect(revoked[0]).toMatchObject({ target: 'user:officer1', reason: 'password_change', details: { sessions: 2 } });
  });
});

describe('kiosk screen tokens', () => {
  it('are long-lived, never idle, not refreshable, listed without the token, and revocable', async () => {
    const { sessions, clock, check, audit, revocations } = setup();
    const admin = { username: 'admin', role: 'admin' };
    const made = await sessions.createScreenToken({ name: '大厅主屏', scenes: ['overview'] }, admin);
    expect(made.expiresAt).toBeGreaterThan(T0 + 364 * 24 * 60 * MIN);
    clock.advance(3 * 24 * 60 * MIN);
    expect(await check(made.token)).toBeNull();
    const [listed] = await sessions.listScreenTokens();
    expect(listed).toMatchObject({ sessionId: made.screenToken.sessionId, name: '大厅主屏', scenes: ['overview'], createdBy: 'admin' });
    expect(JSON.stringify(listed)).not.toContain(made.token);
    expect(await sessions.revokeScreenToken(made.screenToken.sessionId, admin)).toBe(true);
    expect(revocations.at(-1)).toMatchObject({ sids: [made.screenToken.sessionId], why: 'screen_token_revoke' });
    expect((await check(made.token))?.code).toBe('E_UNAUTHORIZED');
    expect(await sessions.revokeScreenToken(made.screenToken.sessionId, admin)).toBe(false);
    expect(audit.entries.map((e) => e.action)).toEqual(['screen_token.create', 'screen_token.revoke']);
  });

  it('are not created when the audit cannot be written', async () => {
    const { sessions, audit } = setup();
    audit.failNext = true;
    await expect(sessions.createScreenToken({ name: 'x' }, { username: 'admin' })).rejects.toBeInstanceOf(IocFailure);
    expect(await sessions.listScreenTokens()).toEqual([]);
  });
});
