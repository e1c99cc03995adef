/**
 * `npm run admin -- create <username>` as an operator runs it: a separate process writing to the
 * server's Redis (a throwaway redis-server here), printing a one-time password that works once and
 * must be changed. The in-memory store is refused with a clear message.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyPassword } from '../server/auth/passwords';
import { RedisStore } from '../server/store/redis-store';
import { startRedisServer, type TestRedisServer } from './helpers/redis-server';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TSX = path.join(root, 'node_modules', '.bin', 'tsx');
const PREFIX = `admincli${process.pid}`;

let redis: TestRedisServer | null;
let store: RedisStore | null = null;

function runAdmin(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(TSX, [path.join(root, 'scripts', 'admin.ts'), ...args], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', IOC_REDIS_PREFIX: PREFIX, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

beforeAll(async () => {
  redis = await startRedisServer();
  if (redis) store = new RedisStore(redis.url, { prefix: PREFIX });
});

afterAll(async () => {
  await store?.close();
  await redis?.stop();
});

// each case spawns tsx (a couple of seconds, more on a loaded machine)
describe('npm run admin', { timeout: 60_000 }, () => {
  it('creates an administrator in the configured Redis and prints a one-time password that must be changed', async () => {
    if (!redis || !store) return; // startRedisServer already warned loudly (and throws in CI)
    const r = await runAdmin(['create', 'opschief'], { REDIS_URL: redis.url });
    expect(r.code, r.stderr).toBe(0);
    const password = /one-time password: (\S+)/.exec(r.stdout)?.[1];
    expect(password).toBeDefined();
    const user = await store.getUser('opschief');
    expect(user?.role).toBe('admin');
    expect(user?.mustChangePassword).toBe(true);
    expect(await verifyPassword(password!, user!.passwordHash)).toBe(true);
  });

  it('refuses to create an account that exists, and leaves it as it was', async () => {
    if (!redis || !store) return;
    const before = await store.getUser('opschief');
    const r = await runAdmin(['create', 'opschief', '--role', 'officer'], { REDIS_URL: redis.url });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('E_CONFLICT');
    expect(await store.getUser('opschief')).toEqual(before);
  });

  it('clears the second factor of a user who lost it (mfa-reset), and a reset password enters the history', async () => {
    if (!redis || !store) return;
    const before = await store.getUser('opschief');
    await store.putUser({ ...before!, mfa: { enabled: true, secret: 'JBSWY3DPEHPK3PXP', recoveryCodeHashes: [] } });
    const r = await runAdmin(['mfa-reset', 'opschief'], { REDIS_URL: redis.url });
    expect(r.code, r.stderr).toBe(0);
    expect((await store.getUser('opschief'))?.mfa).toBeUndefined();
    const reset = await runAdmin(['reset-password', 'opschief'], { REDIS_URL: redis.url });
    expect(reset.code, reset.stderr).toBe(0);
    const after = await store.getUser('opschief');
    expect(after?.passwordHistory?.[0]).toBe(after?.passwordHash);
    expect(after?.passwordHistory).toContain(before!.passwordHash);
    expect((await runAdmin(['mfa-reset', 'nobody-here'], { REDIS_URL: redis.url })).code).toBe(1);
  });

  it('refuses the in-memory store with a message saying why and what to do instead', async () => {
    const r = await runAdmin(['create', 'opschief'], { IOC_STORE: 'memory' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('in-memory store');
    expect(r.stderr).toContain('IOC_BOOTSTRAP_ADMIN');
  });
});
