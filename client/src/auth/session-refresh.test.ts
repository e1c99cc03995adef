import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { freshToken, loadSession, refreshSession, saveSession, sessionIdOfToken, shouldRenew, takeSessionEndedNotice, type Session } from './session';
import { call } from '../data/rest';

const stored = new Map<string, string>();
const fakeStorage = {
  getItem: (k: string) => stored.get(k) ?? null,
  setItem: (k: string, v: string) => void stored.set(k, v),
  removeItem: (k: string) => void stored.delete(k),
};
const answer = (status: number, body: unknown) => Promise.resolve(new Response(JSON.stringify(body), { status }));
const MIN = 60_000;

function consoleSession(overrides: Partial<Session> = {}): Session {
  const now = Date.now();
  return {
    token: 'access-1',
    role: 'officer',
    username: 'officer1',
    displayName: '值班员',
    expiresAt: now + 15 * MIN,
    sessionId: 'sid-1',
    refreshToken: 'sid-1.refresh-1',
    refreshExpiresAt: now + 12 * 60 * MIN,
    idleTimeoutMs: 30 * MIN,
    ...overrides,
  };
}

const renewed = (n: number) => ({
  token: `access-${n}`,
  refreshToken: `sid-1.refresh-${n}`,
  expiresAt: Date.now() + 15 * MIN,
  refreshExpiresAt: Date.now() + 12 * 60 * MIN,
  idleTimeoutMs: 30 * MIN,
  sessionId: 'sid-1',
  role: 'officer',
  username: 'officer1',
  displayName: '值班员',
});

beforeEach(() => vi.stubGlobal('sessionStorage', fakeStorage));
afterEach(() => {
  stored.clear();
  vi.unstubAllGlobals();
});

describe('a renewable session', () => {
  it('stays a session after its access token ended, while it may be renewed', () => {
    saveSession(consoleSession({ expiresAt: Date.now() - 1000 }));
    expect(loadSession()?.refreshToken).toBe('sid-1.refresh-1');
    saveSession(consoleSession({ expiresAt: Date.now() - 1000, refreshExpiresAt: Date.now() - 1 }));
    expect(loadSession()).toBeNull();
  });

  it('is renewed once for concurrent callers, and the rotated refresh token is stored', async () => {
    saveSession(consoleSession({ expiresAt: Date.now() + 10_000 }));
    const bodies: unknown[] = [];
    vi.stubGlobal('fetch', (_url: string, init: RequestInit) => {
      bodies.push(JSON.parse(String(init.body)));
      return answer(200, renewed(2));
    });
    const [a, b] = await Promise.all([freshToken(), freshToken()]);
    expect(a).toBe('access-2');
    expect(b).toBe('access-2');
    expect(bodies).toEqual([{ refreshToken: 'sid-1.refresh-1' }]);
    expect(loadSession()?.refreshToken).toBe('sid-1.refresh-2');
  });

  it('is not renewed while its token has time left', async () => {
    saveSession(consoleSession());
    vi.stubGlobal('fetch', () => {
      throw new Error('no request expected');
    });
    expect(await freshToken()).toBe('access-1');
  });

  it('is forgotten when the server refuses the renewal, and the login page is told once', async () => {
    saveSession(consoleSession({ expiresAt: Date.now() + 10_000 }));
    vi.stubGlobal('fetch', () => answer(401, { error: { code: 'E_UNAUTHORIZED', message: 'session ended (idle)', details: { reason: 'idle' } } }));
    const r = await refreshSession();
    expect(r.ok === false && r.final).toBe(true);
    expect(loadSession()).toBeNull();
    expect(takeSessionEndedNotice()).toBe(true);
    expect(takeSessionEndedNotice()).toBe(false);
  });

  it('is kept when the renewal did not get through (network), for the next try', async () => {
    saveSession(consoleSession({ expiresAt: Date.now() + 10_000 }));
    vi.stubGlobal('fetch', () => Promise.reject(new Error('offline')));
    const r = await refreshSession();
    expect(r.ok === false && r.final).toBe(false);
    expect(loadSession()?.refreshToken).toBe('sid-1.refresh-1');
  });
});

describe('the keeper renews only for someone who is there', () => {
  const now = 1_800_000_000_000;
  const s = consoleSession({ expiresAt: now + 30_000, idleTimeoutMs: 30 * MIN });
  it('renews a token ending soon after recent input', () => expect(shouldRenew(s, now, now - 5 * MIN)).toBe(true));
  it('lets an unattended console end', () => expect(shouldRenew(s, now, now - 31 * MIN)).toBe(false));
  it('leaves a token with time left alone', () => expect(shouldRenew({ ...s, expiresAt: now + 10 * MIN }, now, now)).toBe(false));
  it('never renews a kiosk token (it has no refresh token)', () => {
    const kiosk: Session = { token: 'k', role: 'screen', username: 'kiosk:x', displayName: '大屏', expiresAt: now + 1000 };
    expect(shouldRenew(kiosk, now, now)).toBe(false);
  });
});

describe('REST calls', () => {
  it('renew once on a 401 and retry with the new token', async () => {
    saveSession(consoleSession());
    const seen: string[] = [];
    vi.stubGlobal('fetch', (url: string, init: RequestInit) => {
      if (url === '/api/auth/refresh') return answer(200, renewed(3));
      const auth = new Headers(init.headers).get('authorization') ?? '';
      seen.push(auth);
      return auth === 'Bearer access-3' ? answer(200, { incidents: [] }) : answer(401, { error: { code: 'E_UNAUTHORIZED', message: 'expired' } });
    });
    const r = await call<{ incidents: unknown[] }>('access-1', '/api/incidents');
    expect(r.ok).toBe(true);
    expect(seen).toEqual(['Bearer access-1', 'Bearer access-3']);
  });

  it('use the stored session token rather than a stale one the caller kept', async () => {
    saveSession(consoleSession({ token: 'access-9' }));
    const seen: string[] = [];
    vi.stubGlobal('fetch', (_url: string, init: RequestInit) => {
      seen.push(new Headers(init.headers).get('authorization') ?? '');
      return answer(200, {});
    });
    await call('access-1', '/api/me');
    expect(seen).toEqual(['Bearer access-9']);
  });
});

it('reads the session id of an access token', () => {
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  expect(sessionIdOfToken(`${b64({ alg: 'HS256' })}.${b64({ sid: 'abc123', sub: 'x' })}.sig`)).toBe('abc123');
  expect(sessionIdOfToken('garbage')).toBeNull();
});
