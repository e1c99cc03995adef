/**
 * A throwaway Redis with the install's ACL users (deploy/redis): the aclfile `npm run redis:acl`
 * prints, random passwords, the default user passworded. For tests that run the server as
 * `ioc-app` and the operator commands as `ioc-ops`.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { runRedisAclCli } from '../../scripts/redis-acl';
import { APP_USER, OPS_USER } from '../../server/backup/redis-acl';
import { loadConfig, type ServerConfig } from '../../server/config';
import { findRedisServerBinary, startRedisServer, type TestRedisServer } from './redis-server';

export const TEST_PREFIX = 'ioc';
export interface AclRedis {
  server: TestRedisServer;
  appUrl: string;
  opsUrl: string;
  adminUrl: string;
  stop(): Promise<void>;
}

/** `major.minor` of the local redis-server. */
export function localRedisVersion(): string | undefined {
  const binary = findRedisServerBinary();
  if (binary === null) return undefined;
  return /v=(\d+\.\d+)/.exec(execFileSync(binary, ['--version'], { encoding: 'utf8' }))?.[1];
}

/** A throwaway Redis whose users come from the aclfile scripts/redis-acl.ts prints; null without redis-server. */
export async function startAclRedis(prefix = TEST_PREFIX): Promise<AclRedis | null> {
  if (findRedisServerBinary() === null) return startRedisServer() as Promise<null>;
  const passwords = {
    IOC_REDIS_APP_PASSWORD: randomBytes(18).toString('base64url'),
    IOC_REDIS_OPS_PASSWORD: randomBytes(18).toString('base64url'),
    IOC_REDIS_ADMIN_PASSWORD: randomBytes(18).toString('base64url'),
  };
  const lines: string[] = [];
  const notes: string[] = [];
  const version = localRedisVersion();
  const code = runRedisAclCli(
    ['--prefix', prefix, ...(version ? ['--redis-version', version] : [])],
    passwords,
    (l) => lines.push(l),
    (l) => notes.push(l),
  );
  if (code !== 0) throw new Error(`redis:acl failed: ${notes.join('\n')}`);
  const aclDir = mkdtempSync(join(tmpdir(), 'ioc-test-acl-'));
  const aclFile = join(aclDir, 'users.acl');
  writeFileSync(aclFile, `${lines.join('\n')}\n`, { mode: 0o600 });
  const server = await startRedisServer({ aclFile });
  if (server === null) return null;
  const base = `127.0.0.1:${server.port}`;
  return {
    server,
    appUrl: `redis://${APP_USER}:${passwords.IOC_REDIS_APP_PASSWORD}@${base}`,
    opsUrl: `redis://${OPS_USER}:${passwords.IOC_REDIS_OPS_PASSWORD}@${base}`,
    adminUrl: `redis://default:${passwords.IOC_REDIS_ADMIN_PASSWORD}@${base}`,
    async stop() {
      await server.stop();
      rmSync(aclDir, { recursive: true, force: true });
    },
  };
}

export function serverConfigOn(redisUrl: string, prefix = TEST_PREFIX): ServerConfig {
  return loadConfig(
    { NODE_ENV: 'test', IOC_STORE: 'redis', REDIS_URL: redisUrl, IOC_REDIS_PREFIX: prefix, IOC_DEMO_DEVICES: '300', IOC_LOG_LEVEL: 'silent' },
    { port: 0, host: '127.0.0.1', coalesceIntervalMs: 100 },
  );
}

/** ACL LOG entries (denials) as `reason context object username`. */
export async function aclDenials(admin: Redis): Promise<string[]> {
  const entries = (await admin.call('ACL', 'LOG', '128')) as unknown[][];
  return entries.map((flat) => {
    const e = new Map<string, unknown>();
    for (let i = 0; i + 1 < flat.length; i += 2) e.set(String(flat[i]), flat[i + 1]);
    return `${String(e.get('reason'))} ${String(e.get('context'))} ${String(e.get('object'))} ${String(e.get('username'))}`;
  });
}
