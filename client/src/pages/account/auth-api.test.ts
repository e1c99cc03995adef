import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadSession } from '../../auth/session';
import { mustEnrol, storeSession, svgDataUrl } from './auth-api';

const b64url = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
const jwt = (payload: unknown) => `${b64url({ alg: 'HS256' })}.${b64url(payload)}.sig`;

describe('account auth helpers', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('reads the enrol-only claim of a session token (routing only; the server decides)', () => {
    expect(mustEnrol(jwt({ sub: 'boss', mfe: true }))).toBe(true);
    expect(mustEnrol(jwt({ sub: 'boss' }))).toBe(false);
    expect(mustEnrol('not-a-token')).toBe(false);
  });

  it('turns an SVG document into a data: URL an <img> shows (no markup injected into the page)', () => {
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"><title>二维码</title></svg>';
    const url = svgDataUrl(svg);
    expect(url.startsWith('data:image/svg+xml;base64,')).toBe(true);
    expect(Buffer.from(url.split(',')[1]!, 'base64').toString('utf8')).toBe(svg);
  });

  it('stores a login answer as the session module reads it back, and nothing else of the answer', () => {
    const stored = new Map<string, string>();
    vi.stubGlobal('sessionStorage', {
      getItem: (k: string) => stored.get(k) ?? null,
      setItem: (k: string, v: string) => void stored.set(k, v),
      removeItem: (k: string) => void stored.delete(k),
    });
    const now = Date.now();
    const answer = {
      token: 'access-1',
      role: 'admin' as const,
      username: 'boss',
      displayName: '管理员',
      expiresAt: now + 15 * 60_000,
      sessionId: 'sid-1',
      refreshToken: 'sid-1.refresh-1',
      refreshExpiresAt: now + 12 * 3_600_000,
      idleTimeoutMs: 30 * 60_000,
      mfaEnrolRequired: false,
    };
    const session = storeSession(answer);
    expect(loadSession(now)).toEqual(session);
    expect(session).toEqual({
      token: 'access-1',
      role: 'admin',
      username: 'boss',
      displayName: '管理员',
      expiresAt: answer.expiresAt,
      sessionId: 'sid-1',
      refreshToken: 'sid-1.refresh-1',
      refreshExpiresAt: answer.refreshExpiresAt,
      idleTimeoutMs: answer.idleTimeoutMs,
    });
  });
});
