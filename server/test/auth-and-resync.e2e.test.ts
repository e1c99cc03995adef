/**
 * Accounts and sessions (lockout, roles, admin management, production refusal) and the realtime
 * resume protocol (missed deltas on re-join, snapshot when the history no longer covers the gap),
 * against a real server on a real Redis started for this file.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config';
import type { IocServer } from '../app';
import { RedisStore } from '../store/redis-store';
import { startRedisServer, type TestRedisServer } from '../../tests/helpers/redis-server';
import type { SceneDeltaMessage, SceneJoinResult } from '../../scenes/protocol';
import { emitAck, ingest, liveSocket, login, sign, startTestServer } from './helpers';

let redis: TestRedisServer | null;
let server: IocServer;

beforeAll(async () => {
  redis = await startRedisServer();
  server = await startTestServer({}, redis ? { store: new RedisStore(redis.url, { prefix: `t${process.pid}` }) } : {});
});

afterAll(async () => {
  await server?.close();
  await redis?.stop();
});

async function post(path: string, body: unknown, token?: string, method = 'POST') {
  const r = await fetch(`${server.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  return { status: r.status, body: (await r.json()) as any };
}

describe('accounts and sessions', () => {
  it('runs on the Redis store when one is given (not silently on memory)', () => {
    if (!redis) return; // startRedisServer already warned loudly (and throws in CI)
    expect(server.store.kind).toBe('redis');
  });

  it('refuses an account from an address after 5 failed logins there, even for the right password, with 429 E_RATE_LIMIT', async () => {
    // issue 12: the lock is per (username, source address), not account-wide (server/test/login-hardening.e2e.test.ts)
    for (let i = 0; i < 5; i++) {
      const r = await post('/api/auth/login', { username: 'handler7', password: `wrong-${i}` });
      expect(r.body.error.code).toBe('E_UNAUTHORIZED');
    }
    const locked = await post('/api/auth/login', { username: 'handler7', password: 'ioc-demo-2026' });
    expect(locked.status).toBe(429);
    expect(locked.body.error.code).toBe('E_RATE_LIMIT');
  });

  it('returns role and expiry on login and pins the JWT algorithm', async () => {
    const r = await post('/api/auth/login', { username: 'leader1', password: 'ioc-demo-2026' });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ role: 'leader', username: 'leader1' });
    expect(r.body.expiresAt).toBeGreaterThan(Date.now());
    // alg "none" with the same claims must be refused
    const [, payload] = (r.body.token as string).split('.');
    const forged = `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${payload}.`;
    const me = await fetch(`${server.url}/api/me`, { headers: { authorization: `Bearer ${forged}` } });
    expect(me.status).toBe(401);
  });

  it('lets only an admin create, disable and reset users, enforcing password strength', async () => {
    const admin = await login(server, 'admin');
    const officer = await login(server, 'officer1');
    const forbidden = await post('/api/users', { username: 'newbie', displayName: 'N', role: 'handler', password: 'Str0ng-pass!' }, officer);
    expect(forbidden.body.error.code).toBe('E_FORBIDDEN');
    const weak = await post('/api/users', { username: 'newbie', displayName: 'N', role: 'handler', password: 'short' }, admin);
    expect(weak.body.error.code).toBe('E_VALIDATION');
    const made = await post('/api/users', { username: 'newbie', displayName: '新人', role: 'handler', password: 'Str0ng-pass!' }, admin);
    expect(made.status).toBe(201);
    expect(made.body.user.passwordHash).toBeUndefined();
    const token = await login(server, 'newbie', 'Str0ng-pass!');
    await post('/api/users/newbie', { disabled: true }, admin, 'PATCH');
    const after = await fetch(`${server.url}/api/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(after.status).toBe(401);
    // a disabled account answers like a wrong password (issue 12: no enumeration)
    const relogin = await post('/api/auth/login', { username: 'newbie', password: 'Str0ng-pass!' });
    expect(relogin.body.error.code).toBe('E_UNAUTHORIZED');
  });

  it('refuses to start in production without secrets, and seeds no demo accounts there', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(ConfigError);
    const cfg = loadConfig({
      NODE_ENV: 'production',
      IOC_JWT_SECRET: 'x'.repeat(40),
      IOC_DEVICE_SECRET: 'y'.repeat(20),
      IOC_AUDIT_KEY: 'z'.repeat(40),
    });
    expect(cfg.seedDemoUsers).toBe(false);
  });
});

describe('realtime resume', () => {
  it('answers a re-join with the missed deltas in order, and with a snapshot when the gap is unknown', async () => {
    const token = await login(server, 'screen1');
    const a = await liveSocket(server, token);
    const join = await emitAck<SceneJoinResult>(a, 'scene:join', { scene: 'water' });
    if (!join.ok || join.mode !== 'snapshot') throw new Error('expected snapshot');
    const rev0 = join.snapshot.rev;
    const seen: SceneDeltaMessage[] = [];
    a.on('scene:delta', (d: SceneDeltaMessage) => seen.push(d));

    // client "b" stays joined so the water channel keeps its history while "a" is away
    const b = await liveSocket(server, token);
    await emitAck(b, 'scene:join', { scene: 'water' });
    a.close();

    const gauges = [...server.fusion.devices.values()].filter((d) => d.kind === 'rain-gauge').slice(0, 3);
    for (let i = 0; i < 3; i++) {
      await ingest(server, sign(gauges.map((g) => ({ deviceId: g.id, ts: Date.now(), seq: i + 1, metrics: { rainfall: 1 + i } }))));
      await new Promise((r) => setTimeout(r, 150));
    }
    const c = await liveSocket(server, token);
    const resumed = await emitAck<SceneJoinResult>(c, 'scene:join', { scene: 'water', sinceRev: rev0 });
    expect(resumed.ok).toBe(true);
    if (!resumed.ok) return;
    expect(resumed.mode).toBe('deltas');
    if (resumed.mode !== 'deltas') return;
    expect(resumed.deltas.length).toBeGreaterThan(0);
    expect(resumed.deltas[0]!.prevRev).toBe(rev0);
    for (let i = 1; i < resumed.deltas.length; i++) expect(resumed.deltas[i]!.prevRev).toBe(resumed.deltas[i - 1]!.rev);

    const unknown = await emitAck<SceneJoinResult>(c, 'scene:join', { scene: 'water', sinceRev: 1 });
    expect(unknown.ok && unknown.mode).toBe('snapshot');
    b.close();
    c.close();
  });
});
