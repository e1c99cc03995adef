/**
 * Sessions (issue 12) over the real server, on the memory store and on a real Redis: revocation
 * on disable, demotion, password reset and change, logout and "sign out everywhere" — including
 * cutting open `/live` sockets within a second; strict token claims; refresh rotation and reuse
 * detection; kiosk screen tokens.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { SignJWT } from 'jose';
import { io, type Socket } from 'socket.io-client';
import type { IocServer } from '../app';
import { DEV_JWT_SECRET } from '../config';
import { MemoryStore } from '../store/memory-store';
import { MemorySessionBackend } from '../auth/session-store';
import { RedisStore } from '../store/redis-store';
import { startRedisServer, type TestRedisServer } from '../../tests/helpers/redis-server';
import { PROTOCOL_VERSION, type IocError, type LoginResponse } from '../../scenes/protocol';
import { emitAck, liveSocket, startTestServer, DEMO_PASSWORD } from './helpers';

/** the bound: an open socket of a revoked session is cut within this, ms */
const CUT_WITHIN_MS = 1000;
/** the periodic sweep stays out of the way here: the tests that need it run it themselves */
const TEST_SWEEP_MS = 600_000;

let redis: TestRedisServer | null = null;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis?.stop();
});

interface Api {
  server: IocServer;
  call(path: string, body?: unknown, token?: string, method?: string): Promise<{ status: number; body: any }>;
  login(username: string, password?: string): Promise<LoginResponse>;
}

function apiOf(server: IocServer): Api {
  const call = async (path: string, body?: unknown, token?: string, method = 'POST') => {
    const r = await fetch(`${server.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: method === 'GET' || method === 'DELETE' ? undefined : JSON.stringify(body ?? {}),
    });
    const text = await r.text();
    return { status: r.status, body: text ? JSON.parse(text) : null };
  };
  return {
    server,
    call,
    async login(username, password = DEMO_PASSWORD) {
      const r = await call('/api/auth/login', { username, password });
      if (r.status !== 200) throw new Error(`login ${username}: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body as LoginResponse;
    },
  };
}

/** Resolves with what the server said before it cut the socket, and how long after `since` the cut came. */
function cutOf(socket: Socket, since: () => number): Promise<{ error: IocError | null; reason: string; afterMs: number }> {
  let error: IocError | null = null;
  socket.on('server:error', (e: IocError) => (error = e));
  return new Promise((resolve) => {
    socket.once('disconnect', (reason) => resolve({ error, reason, afterMs: Date.now() - since() }));
  });
}

/** The typed error a `/live` handshake is refused with. */
function liveRefusal(server: IocServer, token: string): Promise<IocError> {
  const s = io(`${server.url}/live`, { auth: { token, protocol: PROTOCOL_VERSION }, transports: ['websocket'], reconnection: false, forceNew: true });
  return new Promise((resolve, reject) => {
    s.once('connect', () => {
      s.close();
      reject(new Error('the handshake was accepted'));
    });
    s.once('connect_error', (e: Error & { data?: IocError }) => {
      s.close();
      resolve(e.data ?? { code: 'E_INTERNAL', message: e.message });
    });
  });
}

const incidentCreate = (n: number) => ({
  commandId: `cmd-sess-${n}-${Date.now()}`,
  type: 'incident.create',
  title: '道路积水',
  category: 'waterlogging',
  scene: 'water',
  location: [120.38, 36.07],
  priority: 'P2',
});

let prefixSeq = 0;

describe.each(['memory', 'redis'] as const)('sessions on the %s store', (kind) => {
  let api: Api;
  let server: IocServer;

  beforeAll(async () => {
    if (kind === 'redis' && !redis) return;
    const store = kind === 'redis' ? new RedisStore(redis!.url, { prefix: `sess${process.pid}-${prefixSeq++}` }) : new MemoryStore();
    server = await startTestServer({ sessionSweepIntervalMs: TEST_SWEEP_MS }, { store });
    api = apiOf(server);
  });
  afterAll(async () => {
    await server?.close();
  });

  const skip = () => kind === 'redis' && !redis;

  it('runs on the store it names', () => {
    if (skip()) return;
    expect(server.store.kind).toBe(kind);
  });

  it("cuts a disabled user's open socket within a second, telling it why, and refuses its token everywhere", async () => {
    if (skip()) return;
    const admin = await api.login('admin');
    const officer = await api.login('officer2');
    const socket = await liveSocket(server, officer.token);
    let disabledAt = 0;
    const cut = cutOf(socket, () => disabledAt);
    disabledAt = Date.now();
    const r = await api.call('/api/users/officer2', { disabled: true }, admin.token, 'PATCH');
    expect(r.status).toBe(200);
    const c = await cut;
    expect(c.afterMs).toBeLessThan(CUT_WITHIN_MS);
    expect(c.error?.code).toBe('E_UNAUTHORIZED');
    expect(c.reason).toBe('io server disconnect');
    expect((await api.call('/api/me', undefined, officer.token, 'GET')).status).toBe(401);
    expect((await api.call('/api/commands', incidentCreate(1), officer.token)).status).toBe(401);
    expect((await liveRefusal(server, officer.token)).code).toBe('E_UNAUTHORIZED');
    expect((await api.call('/api/auth/refresh', { refreshToken: officer.refreshToken })).status).toBe(401);
    await api.call('/api/users/officer2', { disabled: false }, admin.token, 'PATCH');
  });

  it('refuses a command on a socket whose account was disabled behind its back, and the sweep cuts that socket', async () => {
    if (skip()) return;
    const officer = await api.login('officer1');
    const socket = await liveSocket(server, officer.token);
    const cut = cutOf(socket, () => 0);
    // another node (or `npm run admin`) disables the account: no revocation event reaches this node
    const u = (await server.store.getUser('officer1'))!;
    await server.store.putUser({ ...u, disabled: true });
    try {
      const answer = await emitAck<{ ok: boolean; error?: IocError }>(socket, 'command', incidentCreate(2));
      expect(answer.ok).toBe(false);
      expect(answer.error?.code).toBe('E_UNAUTHORIZED');
      const c = await cut;
      expect(c.error?.code).toBe('E_UNAUTHORIZED');
      expect([...server.fusion.incidents.values()].some((i) => i.reportedBy === 'officer1' && i.title === '道路积水')).toBe(false);
    } finally {
      await server.store.putUser({ ...u, disabled: false });
    }
  });

  it('the sweep cuts a socket whose session record another node deleted', async () => {
    if (kind !== 'redis' || !redis) return;
    const officer = await api.login('officer1');
    const socket = await liveSocket(server, officer.token);
    // another node's revoke, as seen from here: the record is gone and no event came
    const gone = Date.now();
    const cut = cutOf(socket, () => gone);
    const store = server.store as RedisStore;
    expect(await store.redisClient.del(`${store.keyPrefix}:session:${officer.sessionId!}`)).toBe(1);
    await server.realtime.sweepSessions();
    const c = await cut;
    expect(c.error?.code).toBe('E_UNAUTHORIZED');
  });

  it("ends a demoted user's sessions (the old role is refused) and an admin-reset user's sessions", async () => {
    if (skip()) return;
    const admin = await api.login('admin');
    const leader = await api.login('leader1');
    const socket = await liveSocket(server, leader.token);
    const cut = cutOf(socket, () => 0);
    expect((await api.call('/api/users/leader1', { role: 'officer' }, admin.token, 'PATCH')).status).toBe(200);
    expect((await cut).error?.code).toBe('E_UNAUTHORIZED');
    expect((await api.call('/api/me', undefined, leader.token, 'GET')).status).toBe(401);
    const relogged = await api.login('leader1');
    expect(relogged.role).toBe('officer');
    await api.call('/api/users/leader1', { role: 'leader' }, admin.token, 'PATCH');
    expect((await api.call('/api/me', undefined, relogged.token, 'GET')).status).toBe(401);

    const handler = await api.login('handler2');
    const hs = await liveSocket(server, handler.token);
    const hcut = cutOf(hs, () => 0);
    expect((await api.call('/api/users/handler2', { password: 'Reset-By-Admin-2026' }, admin.token, 'PATCH')).status).toBe(200);
    expect((await hcut).error?.code).toBe('E_UNAUTHORIZED');
    expect((await api.call('/api/me', undefined, handler.token, 'GET')).status).toBe(401);
    expect((await api.call('/api/auth/refresh', { refreshToken: handler.refreshToken })).status).toBe(401);
  });

  it('a data-scope change ends the sessions too', async () => {
    if (skip()) return;
    const admin = await api.login('admin');
    const officer = await api.login('officer1');
    const r = await api.call('/api/users/officer1', { districts: ['370202'] }, admin.token, 'PATCH');
    if (r.status !== 200) return; // the districts field belongs to the scope slice; nothing to check without it
    expect((await api.call('/api/me', undefined, officer.token, 'GET')).status).toBe(401);
    await api.call('/api/users/officer1', { districts: [] }, admin.token, 'PATCH');
  });

  it('logout ends its own session only; sign out everywhere ends them all and cuts their sockets', async () => {
    if (skip()) return;
    const a = await api.login('officer1');
    const b = await api.login('officer1');
    const sessions = await api.call('/api/auth/sessions', undefined, a.token, 'GET');
    expect(sessions.status).toBe(200);
    const mine = sessions.body.sessions as { sessionId: string; current: boolean }[];
    expect(mine.find((s) => s.sessionId === a.sessionId)?.current).toBe(true);
    expect(mine.some((s) => s.sessionId === b.sessionId && !s.current)).toBe(true);
    expect(JSON.stringify(sessions.body)).not.toContain(a.refreshToken!);

    expect((await api.call('/api/auth/logout', {}, a.token)).status).toBe(200);
    expect((await api.call('/api/me', undefined, a.token, 'GET')).status).toBe(401);
    expect((await api.call('/api/auth/refresh', { refreshToken: a.refreshToken })).status).toBe(401);
    expect((await api.call('/api/me', undefined, b.token, 'GET')).status).toBe(200);

    // a client whose access token has ended logs out with its refresh token
    const d = await api.login('officer1');
    expect((await api.call('/api/auth/logout', { refreshToken: 'x'.repeat(40) })).status).toBe(401);
    expect((await api.call('/api/auth/logout', { refreshToken: d.refreshToken })).status).toBe(200);
    expect((await api.call('/api/me', undefined, d.token, 'GET')).status).toBe(401);

    const c = await api.login('officer1');
    const socketB = await liveSocket(server, b.token);
    const cut = cutOf(socketB, () => 0);
    const all = await api.call('/api/auth/logout-all', {}, c.token);
    expect(all.status).toBe(200);
    expect(all.body.revoked).toBeGreaterThanOrEqual(2);
    expect((await cut).error?.code).toBe('E_UNAUTHORIZED');
    for (const t of [b.token, c.token]) expect((await api.call('/api/me', undefined, t, 'GET')).status).toBe(401);
  });

  it("the owner's password change ends their other sessions, not the new one", async () => {
    if (skip()) return;
    const other = await api.login('handler3');
    const mine = await api.login('handler3');
    const r = await api.call('/api/auth/password', { currentPassword: DEMO_PASSWORD, newPassword: 'Tide-Gauge-Watch-88' }, mine.token);
    expect(r.status).toBe(200);
    const fresh = r.body as LoginResponse;
    expect((await api.call('/api/me', undefined, other.token, 'GET')).status).toBe(401);
    expect((await api.call('/api/me', undefined, mine.token, 'GET')).status).toBe(401);
    expect((await api.call('/api/me', undefined, fresh.token, 'GET')).status).toBe(200);
  });

  it('an admin revokes all sessions of a user', async () => {
    if (skip()) return;
    const admin = await api.login('admin');
    const officer = await api.login('officer1');
    const forbidden = await api.call('/api/users/admin/revoke-sessions', {}, officer.token);
    expect(forbidden.status).toBe(403);
    const r = await api.call('/api/users/officer1/revoke-sessions', {}, admin.token);
    expect(r.status).toBe(200);
    expect(r.body.revoked).toBeGreaterThanOrEqual(1);
    expect((await api.call('/api/me', undefined, officer.token, 'GET')).status).toBe(401);
    expect((await api.call('/api/users/nobody-here/revoke-sessions', {}, admin.token)).status).toBe(404);
  });

  it('rotates the refresh token on every refresh and revokes the session when a spent one comes back', async () => {
    if (skip()) return;
    const first = await api.login('leader1');
    expect(first.refreshToken).toBeTruthy();
    expect(first.expiresAt - Date.now()).toBeLessThanOrEqual(900_000 + 5_000);
    const r1 = await api.call('/api/auth/refresh', { refreshToken: first.refreshToken });
    expect(r1.status).toBe(200);
    expect(r1.body.refreshToken).not.toBe(first.refreshToken);
    expect(r1.body.sessionId).toBe(first.sessionId);
    expect((await api.call('/api/me', undefined, r1.body.token, 'GET')).status).toBe(200);
    // the spent token again: theft — the whole session ends, the legitimate new tokens included
    const reuse = await api.call('/api/auth/refresh', { refreshToken: first.refreshToken });
    expect(reuse.status).toBe(401);
    expect(reuse.body.error.details?.reason).toBe('reuse');
    expect((await api.call('/api/me', undefined, r1.body.token, 'GET')).status).toBe(401);
    expect((await api.call('/api/auth/refresh', { refreshToken: r1.body.refreshToken })).status).toBe(401);
  });

  it('issues kiosk screen tokens that need no refresh, are listed without the token and cut the wall when revoked', async () => {
    if (skip()) return;
    const admin = await api.login('admin');
    const officer = await api.login('officer1');
    expect((await api.call('/api/screen-tokens', { name: 'x' }, officer.token)).status).toBe(403);
    const made = await api.call('/api/screen-tokens', { name: '指挥大厅主屏', scenes: ['overview'] }, admin.token);
    expect(made.status).toBe(201);
    const { token, screenToken } = made.body as { token: string; expiresAt: number; screenToken: { sessionId: string } };
    expect(made.body.expiresAt - Date.now()).toBeGreaterThan(300 * 86_400_000);
    const list = await api.call('/api/screen-tokens', undefined, admin.token, 'GET');
    expect(
      list.body.screenTokens.some((t: { sessionId: string; name: string }) => t.sessionId === screenToken.sessionId && t.name === '指挥大厅主屏'),
    ).toBe(true);
    expect(JSON.stringify(list.body)).not.toContain(token);

    const wall = await liveSocket(server, token);
    const join = await emitAck<{ ok: boolean }>(wall, 'scene:join', { scene: 'overview' });
    expect(join.ok).toBe(true);
    expect((await api.call('/api/scenes/overview', undefined, token, 'GET')).status).toBe(200);
    // a kiosk cannot renew or act beyond its role
    expect((await api.call('/api/users', undefined, token, 'GET')).status).toBe(403);

    let revokedAt = 0;
    const cut = cutOf(wall, () => revokedAt);
    revokedAt = Date.now();
    expect((await api.call(`/api/screen-tokens/${screenToken.sessionId}`, undefined, admin.token, 'DELETE')).status).toBe(200);
    const c = await cut;
    expect(c.afterMs).toBeLessThan(CUT_WITHIN_MS);
    expect(c.error?.code).toBe('E_UNAUTHORIZED');
    expect((await liveRefusal(server, token)).code).toBe('E_UNAUTHORIZED');
    expect((await api.call('/api/scenes/overview', undefined, token, 'GET')).status).toBe(401);
    expect((await api.call(`/api/screen-tokens/${screenToken.sessionId}`, undefined, admin.token, 'DELETE')).status).toBe(404);
  });
});

describe('token claims and the periodic sweep', () => {
  let server: IocServer;
  let api: Api;
  beforeAll(async () => {
    server = await startTestServer({ sessionSweepIntervalMs: 200 });
    api = apiOf(server);
  });
  afterAll(async () => {
    await server?.close();
  });

  /** A token signed with the right secret, for a real session, with the claims given. */
  async function forge(sid: string, shape: { exp?: boolean; aud?: string; iss?: string; sid?: boolean }): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const jwt = new SignJWT({ role: 'officer', name: 'x', ...(shape.sid === false ? {} : { sid }) })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('officer1')
      .setIssuer(shape.iss ?? 'city-ioc')
      .setAudience(shape.aud ?? 'city-ioc')
      .setIssuedAt(now);
    if (shape.exp !== false) jwt.setExpirationTime(now + 600);
    return jwt.sign(new TextEncoder().encode(DEV_JWT_SECRET));
  }

  it('accepts a well-formed token of a live session, and refuses one without exp, with a wrong aud or iss, or without sid', async () => {
    const s = await api.login('officer1');
    const me = (t: string) => api.call('/api/me', undefined, t, 'GET');
    expect((await me(await forge(s.sessionId!, {}))).status).toBe(200);
    expect((await me(await forge(s.sessionId!, { exp: false }))).status).toBe(401);
    expect((await me(await forge(s.sessionId!, { aud: 'another-system' }))).status).toBe(401);
    expect((await me(await forge(s.sessionId!, { iss: 'someone-else' }))).status).toBe(401);
    expect((await me(await forge(s.sessionId!, { sid: false }))).status).toBe(401);
    expect((await me(await forge('no-such-session-id', {}))).status).toBe(401);
    expect((await liveRefusal(server, await forge(s.sessionId!, { exp: false }))).code).toBe('E_UNAUTHORIZED');
  });

  it('re-checks every open socket periodically: one whose account was disabled elsewhere is cut within a few periods', async () => {
    const s = await api.login('officer2');
    const socket = await liveSocket(server, s.token);
    let since = 0;
    const cut = cutOf(socket, () => since);
    const u = (await server.store.getUser('officer2'))!;
    since = Date.now();
    await server.store.putUser({ ...u, disabled: true });
    const c = await cut;
    expect(c.error?.code).toBe('E_UNAUTHORIZED');
    expect(c.afterMs).toBeLessThan(200 * 3 + CUT_WITHIN_MS);
  });
});

describe('the sweep reads each session once', () => {
  it('checks a session with several open sockets once per sweep, and cuts all of them when it ends', async () => {
    const backend = new MemorySessionBackend();
    const server = await startTestServer({ sessionSweepIntervalMs: 600_000 }, { sessionBackend: backend });
    try {
      const api = apiOf(server);
      const officer = await api.login('officer1');
      const other = await api.login('officer2');
      // a wall of three screens on one session, and another user's tab
      const sockets = await Promise.all([1, 2, 3].map(() => liveSocket(server, officer.token)));
      const otherSocket = await liveSocket(server, other.token);
      const reads = vi.spyOn(backend, 'get');
      await server.realtime.sweepSessions();
      const sids = reads.mock.calls.map((c) => c[0]);
      expect(sids.filter((sid) => sid === officer.sessionId)).toHaveLength(1);
      expect(sids.filter((sid) => sid === other.sessionId)).toHaveLength(1);

      // the session ends behind the node's back (another node deleted the record): one sweep cuts all three
      const cuts = sockets.map((socket) => cutOf(socket, () => 0));
      await backend.remove([officer.sessionId!]);
      await server.realtime.sweepSessions();
      for (const c of await Promise.all(cuts)) expect(c.error?.code).toBe('E_UNAUTHORIZED');
      expect(otherSocket.connected).toBe(true);
      otherSocket.close();
    } finally {
      await server.close();
    }
  });
});
