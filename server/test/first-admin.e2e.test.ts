/**
 * The first administrator in production and the forced password change, over the real server:
 * a bootstrapped admin logs in, may do nothing but change its password (REST and `/live`), then
 * works normally and creates the other users, who must change theirs too. Demo accounts left in
 * the store by a development run are refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { io } from 'socket.io-client';
import type { IocServer } from '../app';
import { hashPassword } from '../auth/passwords';
import { ConfigError, loadConfig } from '../config';
import { MemoryStore } from '../store/memory-store';
import { PROTOCOL_VERSION, type IocError, type LoginResponse } from '../../scenes/protocol';
import { liveSocket, startTestServer } from './helpers';

const BOOTSTRAP_PASSWORD = 'First-Light-2026';
const NEW_PASSWORD = 'Harbour-Watch-77';

let server: IocServer;

async function call(path: string, body: unknown, token?: string, method = 'POST'): Promise<{ status: number; body: any }> {
  const r = await fetch(`${server.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: method === 'GET' ? undefined : JSON.stringify(body),
  });
  return { status: r.status, body: await r.json() };
}

const get = (path: string, token: string) => call(path, undefined, token, 'GET');

/** The typed error a `/live` handshake is refused with. */
function liveRefusal(token: string): Promise<IocError> {
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

beforeAll(async () => {
  const store = new MemoryStore();
  // a demo account left behind by an earlier development run
  await store.putUser({
    username: 'officer1',
    displayName: '值班员',
    role: 'officer',
    passwordHash: await hashPassword('ioc-demo-2026'),
    disabled: false,
    failedLogins: 0,
    lockedUntil: 0,
    createdTs: Date.now(),
    demo: true,
  });
  server = await startTestServer(
    { seedDemoUsers: false, refuseDemoAccounts: true, bootstrapAdmin: { username: 'chief', password: BOOTSTRAP_PASSWORD } },
    { store },
  );
});

afterAll(async () => {
  await server?.close();
});

describe('first administrator in production', () => {
  let changeOnly: LoginResponse;
  let session: LoginResponse;

  it('the bootstrap administrator logs in with a session that must change the password', async () => {
    const r = await call('/api/auth/login', { username: 'chief', password: BOOTSTRAP_PASSWORD });
    expect(r.status).toBe(200);
    expect(r.body.role).toBe('admin');
    expect(r.body.mustChangePassword).toBe(true);
    changeOnly = r.body as LoginResponse;
  });

  it('that session is refused by every other route with E_PASSWORD_CHANGE_REQUIRED', async () => {
    for (const path of ['/api/me', '/api/users', '/api/incidents', '/api/devices', '/api/scenes/overview']) {
      const r = await get(path, changeOnly.token);
      expect(r.status, path).toBe(403);
      expect(r.body.error.code, path).toBe('E_PASSWORD_CHANGE_REQUIRED');
    }
    const cmd = await call('/api/commands', { type: 'alert.ack', commandId: 'cmd-first-admin-1', alertId: 'A-1' }, changeOnly.token);
    expect(cmd.body.error.code).toBe('E_PASSWORD_CHANGE_REQUIRED');
  });

  it('that session is refused at the /live handshake with E_PASSWORD_CHANGE_REQUIRED', async () => {
    expect((await liveRefusal(changeOnly.token)).code).toBe('E_PASSWORD_CHANGE_REQUIRED');
  });

  it('a new password that breaks the policy is refused with a typed error naming the rule', async () => {
    const cases: [string, string][] = [
      ['Sh0rt!', 'too_short'],
      ['onlylowercaseletters', 'too_few_classes'],
      ['Chief-Of-The-Day-1', 'contains_username'],
      [BOOTSTRAP_PASSWORD, 'same_as_current'],
    ];
    for (const [newPassword, problem] of cases) {
      const r = await call('/api/auth/password', { currentPassword: BOOTSTRAP_PASSWORD, newPassword }, changeOnly.token);
      expect(r.status, problem).toBe(400);
      expect(r.body.error.code, problem).toBe('E_VALIDATION');
      expect(r.body.error.details, problem).toEqual({ problem });
    }
    const wrong = await call('/api/auth/password', { currentPassword: 'Not-The-One-1', newPassword: NEW_PASSWORD }, changeOnly.token);
    expect(wrong.body.error.code).toBe('E_FORBIDDEN');
    const anonymous = await call('/api/auth/password', { currentPassword: BOOTSTRAP_PASSWORD, newPassword: NEW_PASSWORD });
    expect(anonymous.body.error.code).toBe('E_UNAUTHORIZED');
  });

  it('after changing the password the administrator works normally, on REST and /live', async () => {
    const r = await call('/api/auth/password', { currentPassword: BOOTSTRAP_PASSWORD, newPassword: NEW_PASSWORD }, changeOnly.token);
    expect(r.status).toBe(200);
    expect(r.body.mustChangePassword).toBeUndefined();
    session = r.body as LoginResponse;
    expect((await get('/api/users', session.token)).status).toBe(200);
    const live = await liveSocket(server, session.token);
    live.close();
    // the password-change-only token does not become a full one: its session ended with the change (issue 12)
    expect((await get('/api/users', changeOnly.token)).body.error.code).toBe('E_UNAUTHORIZED');
    // and the bootstrap password is gone
    expect((await call('/api/auth/login', { username: 'chief', password: BOOTSTRAP_PASSWORD })).body.error.code).toBe('E_UNAUTHORIZED');
  });

  it('creates the other users, who must change their password at first login', async () => {
    const made = await call(
      '/api/users',
      { username: 'duty1', displayName: '值班员 1', role: 'officer', password: 'Given-By-Chief-1' },
      session.token,
    );
    expect(made.status).toBe(201);
    expect(made.body.user.mustChangePassword).toBe(true);
    const first = await call('/api/auth/login', { username: 'duty1', password: 'Given-By-Chief-1' });
    expect(first.body.mustChangePassword).toBe(true);
    expect((await get('/api/incidents', first.body.token)).body.error.code).toBe('E_PASSWORD_CHANGE_REQUIRED');
  });

  it('an admin reset ends the sessions already open and forces a change at the next login', async () => {
    const changed = await call('/api/auth/login', { username: 'duty1', password: 'Given-By-Chief-1' });
    const own = await call('/api/auth/password', { currentPassword: 'Given-By-Chief-1', newPassword: 'Duty-Own-Choice-2' }, changed.body.token);
    expect(own.status).toBe(200);
    expect((await get('/api/incidents', own.body.token)).status).toBe(200);
    const reset = await call('/api/users/duty1', { password: 'Reset-By-Chief-3' }, session.token, 'PATCH');
    expect(reset.status).toBe(200);
    // the reset ends the open session (issue 12), and the next login may only change the password
    expect((await get('/api/incidents', own.body.token)).body.error.code).toBe('E_UNAUTHORIZED');
    const next = await call('/api/auth/login', { username: 'duty1', password: 'Reset-By-Chief-3' });
    expect(next.body.mustChangePassword).toBe(true);
    expect((await get('/api/incidents', next.body.token)).body.error.code).toBe('E_PASSWORD_CHANGE_REQUIRED');
  });

  it('refuses demo accounts left in the store by a development run', async () => {
    const r = await call('/api/auth/login', { username: 'officer1', password: 'ioc-demo-2026' });
    expect(r.status).toBe(403);
    expect(r.body.error.code).toBe('E_FORBIDDEN');
  });
});

describe('bootstrap configuration', () => {
  const production = { NODE_ENV: 'production', IOC_JWT_SECRET: 'x'.repeat(40), IOC_DEVICE_SECRET: 'y'.repeat(20), IOC_AUDIT_KEY: 'z'.repeat(40) };

  it('takes the first administrator from IOC_BOOTSTRAP_ADMIN / IOC_BOOTSTRAP_PASSWORD and refuses demo accounts in production', () => {
    const cfg = loadConfig({ ...production, IOC_BOOTSTRAP_ADMIN: 'chief', IOC_BOOTSTRAP_PASSWORD: BOOTSTRAP_PASSWORD });
    expect(cfg.bootstrapAdmin).toEqual({ username: 'chief', password: BOOTSTRAP_PASSWORD });
    expect(cfg.refuseDemoAccounts).toBe(true);
    expect(loadConfig({ NODE_ENV: 'development' }).refuseDemoAccounts).toBe(false);
  });

  it('refuses to start with only one of the two variables, or with a password that fails the policy', () => {
    expect(() => loadConfig({ ...production, IOC_BOOTSTRAP_ADMIN: 'chief' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...production, IOC_BOOTSTRAP_PASSWORD: BOOTSTRAP_PASSWORD })).toThrow(ConfigError);
    expect(() => loadConfig({ ...production, IOC_BOOTSTRAP_ADMIN: 'chief', IOC_BOOTSTRAP_PASSWORD: 'password' })).toThrow(ConfigError);
  });
});
