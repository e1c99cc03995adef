import { afterEach, describe, expect, it, vi } from 'vitest';
import { changePassword, loadSession, login, sessionFromToken } from './session';

const b64url = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');

describe('session from a kiosk token', () => {
  it('reads role, user, display name and expiry from the JWT payload (UTF-8 names included)', () => {
    const token = `${b64url({ alg: 'HS256' })}.${b64url({ sub: 'officer1', role: 'officer', name: '值班员 王磊', exp: 2_000_000_000 })}.sig`;
    expect(sessionFromToken(token)).toEqual({
      token,
      role: 'officer',
      username: 'officer1',
      displayName: '值班员 王磊',
      expiresAt: 2_000_000_000_000,
    });
  });

  it('keeps an unreadable or unknown-role token without inventing a role', () => {
    expect(sessionFromToken('garbage').role).toBeNull();
    const odd = `${b64url({})}.${b64url({ role: 'superuser' })}.x`;
    expect(sessionFromToken(odd).role).toBeNull();
  });
});

describe('login that must change the password first', () => {
  const stored = new Map<string, string>();
  const fakeStorage = {
    getItem: (k: string) => stored.get(k) ?? null,
    setItem: (k: string, v: string) => void stored.set(k, v),
    removeItem: (k: string) => void stored.delete(k),
  };
  const answer = (status: number, body: unknown) => Promise.resolve(new Response(JSON.stringify(body), { status }));
  const later = Date.now() + 3600_000;

  afterEach(() => {
    stored.clear();
    vi.unstubAllGlobals();
  });

  it('keeps a password-change-only session out of storage and asks for the change', async () => {
    vi.stubGlobal('sessionStorage', fakeStorage);
    vi.stubGlobal('fetch', () =>
      answer(200, { token: 'pco', role: 'admin', username: 'chief', displayName: 'chief', expiresAt: later, mustChangePassword: true }),
    );
    expect(await login('chief', 'First-Light-2026')).toEqual({ ok: true, passwordChange: { token: 'pco', username: 'chief' } });
    expect(loadSession()).toBeNull();
  });

  it('stores the full session the password change answers', async () => {
    vi.stubGlobal('sessionStorage', fakeStorage);
    const calls: RequestInit[] = [];
    vi.stubGlobal('fetch', (_url: string, init: RequestInit) => {
      calls.push(init);
      return answer(200, { token: 'full', role: 'admin', username: 'chief', displayName: 'chief', expiresAt: later });
    });
    const r = await changePassword('pco', 'First-Light-2026', 'Harbour-Watch-77');
    expect(r.ok && 'session' in r && r.session.token).toBe('full');
    expect(loadSession()?.token).toBe('full');
    expect(new Headers(calls[0]!.headers).get('authorization')).toBe('Bearer pco');
  });

  it('answers the typed error of a refused change', async () => {
    vi.stubGlobal('sessionStorage', fakeStorage);
    vi.stubGlobal('fetch', () => answer(400, { error: { code: 'E_VALIDATION', message: 'too short', details: { problem: 'too_short' } } }));
    const r = await changePassword('pco', 'First-Light-2026', 'x');
    expect(r.ok === false && r.error.code).toBe('E_VALIDATION');
    expect(loadSession()).toBeNull();
  });
});
