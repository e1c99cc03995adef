/**
 * Production refuses to start (issue 12) with the public development secrets, with demo accounts
 * left in the store by a development run, or with a Redis that answers without a password — each
 * a ConfigError (server/main.ts exits 2, and the supervisor does not restart it).
 * `npm run admin -- purge-demo` removes the demo accounts so that the same store then starts.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAdminCli } from '../../scripts/admin';
import { generateFleet } from '../../scenes/fleet';
import { startRedisServer, type TestRedisServer } from '../../tests/helpers/redis-server';
import { startIocServer } from '../app';
import { hashPassword } from '../auth/passwords';
import { demoAccounts } from '../auth/accounts';
import { ConfigError, DEV_AUDIT_KEY, DEV_JWT_SECRET, loadConfig, type ServerConfig } from '../config';
import { DEV_DEVICE_SECRET } from '../device-token';
import { createLogger } from '../logger';
import { probeRedisWithoutPassword } from '../security/redis-probe';
import { StartupRefusal } from '../security/startup-checks';
import { MemoryStore } from '../store/memory-store';
import { RedisStore } from '../store/redis-store';
import type { Store, StoredUser } from '../store/store';

const secret = () => randomBytes(48).toString('base64url');
const PROD_ENV = () => ({
  NODE_ENV: 'production',
  IOC_JWT_SECRET: secret(),
  IOC_DEVICE_SECRET: secret(),
  IOC_AUDIT_KEY: secret(),
  IOC_LOG_LEVEL: 'silent' as const,
});
const FLEET = generateFleet({ count: 20, seed: 7 });

function prodConfig(overrides: Partial<ServerConfig> = {}, env: Record<string, string> = {}): ServerConfig {
  return loadConfig({ ...PROD_ENV(), IOC_STORE: 'memory', ...env }, { port: 0, host: '127.0.0.1', spoolDir: null, ...overrides });
}

/** What a development start leaves: every demo account, flagged, with the demo password (server/auth/users.ts seedDemo). */
async function seedDemo(store: Store): Promise<void> {
  const passwordHash = await hashPassword('ioc-demo-2026');
  for (const a of demoAccounts()) {
    await store.putUser({ ...a, passwordHash, disabled: false, failedLogins: 0, lockedUntil: 0, createdTs: Date.now(), demo: true });
  }
}

async function realUser(username: string): Promise<StoredUser> {
  return {
    username,
    displayName: username,
    role: 'officer',
    passwordHash: await hashPassword('a-real-Passw0rd!'),
    disabled: false,
    failedLogins: 0,
    lockedUntil: 0,
    createdTs: Date.now(),
  };
}

async function refusalOf(p: Promise<unknown>): Promise<Error> {
  try {
    const server = (await p) as { close(): Promise<void> };
    await server.close();
  } catch (err) {
    return err as Error;
  }
  throw new Error('the server started');
}

describe('production: development secrets', () => {
  for (const [name, dev] of [
    ['IOC_JWT_SECRET', DEV_JWT_SECRET],
    ['IOC_DEVICE_SECRET', DEV_DEVICE_SECRET],
    ['IOC_AUDIT_KEY', DEV_AUDIT_KEY],
  ] as const) {
    it(`refuses the public development ${name} given explicitly`, () => {
      expect(() => loadConfig({ ...PROD_ENV(), [name]: dev })).toThrow(ConfigError);
      expect(() => loadConfig({ ...PROD_ENV(), [name]: dev })).toThrow(new RegExp(`${name}.*refusing to start`));
    });
  }

  it('accepts random secrets, and keeps the development constants outside production', () => {
    expect(loadConfig(PROD_ENV()).production).toBe(true);
    const dev = loadConfig({ NODE_ENV: 'test', IOC_JWT_SECRET: DEV_JWT_SECRET, IOC_DEVICE_SECRET: DEV_DEVICE_SECRET });
    expect(dev.jwtSecret).toBe(DEV_JWT_SECRET);
    expect(loadConfig({ NODE_ENV: 'test' }).deviceSecret).toBe(DEV_DEVICE_SECRET);
  });
});

describe('production: demo accounts', () => {
  it('refuses to start while demo accounts are in the store, naming each, with a ConfigError', async () => {
    const store = new MemoryStore();
    await seedDemo(store);
    await store.putUser(await realUser('zhangsan'));
    const err = await refusalOf(startIocServer(prodConfig(), { store, devices: FLEET, logger: createLogger('silent') }));
    expect(err).toBeInstanceOf(StartupRefusal);
    expect(err).toBeInstanceOf(ConfigError);
    for (const named of ['admin (admin)', 'officer1 (officer)', 'leader1 (leader)', 'screen1 (screen)', 'purge-demo'])
      expect(err.message).toContain(named);
    expect(err.message).not.toContain('zhangsan');
  });

  it('recognises a demo account seeded before the demo flag by its name and the demo password', async () => {
    const store = new MemoryStore();
    const legacy = { ...(await realUser('officer1')), passwordHash: await hashPassword('ioc-demo-2026') };
    await store.putUser(legacy);
    // same name, a password of its own: a real account someone called officer1
    await store.putUser({ ...(await realUser('officer2')) });
    const err = await refusalOf(startIocServer(prodConfig(), { store, devices: FLEET, logger: createLogger('silent') }));
    expect(err.message).toContain('officer1 (officer)');
    expect(err.message).not.toContain('officer2');
  });

  it('starts once the demo accounts are gone', async () => {
    const store = new MemoryStore();
    await seedDemo(store);
    for (const u of await store.listUsers()) if (u.demo) await store.deleteUser(u.username);
    const server = await startIocServer(prodConfig(), { store, devices: FLEET, logger: createLogger('silent') });
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    await server.close();
  });
});

describe('production: Redis without a password', () => {
  let open: TestRedisServer | null = null;
  let locked: TestRedisServer | null = null;
  const PASSWORD = `pw-${secret()}`;
  let lockedUrl = '';

  beforeAll(async () => {
    open = await startRedisServer();
    locked = await startRedisServer();
    if (!locked) return;
    // the throwaway server then asks every new connection for the password
    const admin = new Redis(locked.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await admin.connect();
    await admin.config('SET', 'requirepass', PASSWORD);
    admin.disconnect();
    lockedUrl = `redis://:${encodeURIComponent(PASSWORD)}@127.0.0.1:${locked.port}`;
  });
  afterAll(async () => {
    await open?.stop();
    await locked?.stop();
  });

  it('probes without credentials: PONG is open, NOAUTH is protected, nothing listening is unreachable', async () => {
    if (!open || !locked) return; // startRedisServer warned loudly (and throws in CI)
    expect(await probeRedisWithoutPassword(open.url)).toEqual({ kind: 'open' });
    // the password in the URL is not used by the probe: it asks as a stranger would
    const p = await probeRedisWithoutPassword(lockedUrl);
    expect(p.kind).toBe('protected');
    expect(p.kind === 'protected' && p.reply).toMatch(/NOAUTH/);
    expect((await probeRedisWithoutPassword('redis://127.0.0.1:1')).kind).toBe('unreachable');
  });

  it('refuses to start on a Redis that answers PING without a password', async () => {
    if (!open) return;
    const config = prodConfig({ storeMode: 'redis', redisUrl: open.url, redisPrefix: 'prodopen' });
    const err = await refusalOf(startIocServer(config, { devices: FLEET, logger: createLogger('silent') }));
    expect(err).toBeInstanceOf(StartupRefusal);
    expect(err.message).toContain('answers without a password');
  });

  it('starts on a Redis that requires a password, once `npm run admin -- purge-demo` removed the demo accounts', async () => {
    if (!locked) return;
    const prefix = 'prodlocked';
    const store = new RedisStore(lockedUrl, { prefix });
    try {
      await seedDemo(store);
      await store.putUser(await realUser('zhangsan'));
    } finally {
      await store.close();
    }
    const config = prodConfig({ storeMode: 'redis', redisUrl: lockedUrl, redisPrefix: prefix });
    const refused = await refusalOf(startIocServer(config, { devices: FLEET, logger: createLogger('silent') }));
    expect(refused.message).toContain('demo accounts');
    expect(refused.message).not.toContain('without a password');

    const out: string[] = [];
    const code = await runAdminCli(['purge-demo'], { REDIS_URL: lockedUrl, IOC_REDIS_PREFIX: prefix }, (l) => out.push(l));
    expect(code, out.join('\n')).toBe(0);
    expect(out.join('\n')).toMatch(/deleted \d+ demo account\(s\): .*admin \(admin\)/);

    const server = await startIocServer(config, { devices: FLEET, logger: createLogger('silent') });
    try {
      expect(server.store.kind).toBe('redis');
      expect((await server.store.listUsers()).map((u) => u.username)).toEqual(['zhangsan']);
    } finally {
      await server.close();
    }
    // nothing left to purge
    const again: string[] = [];
    expect(await runAdminCli(['purge-demo'], { REDIS_URL: lockedUrl, IOC_REDIS_PREFIX: prefix }, (l) => again.push(l))).toBe(0);
    expect(again.join('\n')).toContain('no demo accounts found');
  });
});
