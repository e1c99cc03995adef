/**
 * The three Stores a side-store contract test runs against (plans, history, API keys): memory,
 * Redis on a throwaway redis-server, and Redis through the app's restricted ACL user — each
 * Redis one under a prefix of its own. Closes what it opened, and the server, after the file.
 */
import { randomUUID } from 'node:crypto';
import { afterAll } from 'vitest';
import { Redis } from 'ioredis';
import { startRedisServer } from './redis-server';
import { localRedisVersion } from './acl-redis';
import { aclSetUserArgs, appUserRules } from '../../server/backup/redis-acl';
import { MemoryStore } from '../../server/store/memory-store';
import { RedisStore, redisClientOptions } from '../../server/store/redis-store';
import type { Store } from '../../server/store/store';

export interface StoreImplementation {
  name: string;
  /** false: Redis is not there (a loud skip outside CI, see startRedisServer) */
  available: boolean;
  make: () => Store;
}

/** `tag` names the file's keys and ACL users (`<tag>-<random>-<n>`, `ioc-app-<tag>-<n>`). */
export async function storeImplementations(tag: string): Promise<StoreImplementation[]> {
  const redis = await startRedisServer();
  const filePrefix = `${tag}-${randomUUID().slice(0, 8)}`;
  let counter = 0;
  const opened: Store[] = [];
  const aclAdmin = redis === null ? null : new Redis(redis.url);
  afterAll(async () => {
    for (const s of opened) await s.close().catch(() => undefined);
    aclAdmin?.disconnect();
    await redis?.stop();
  });

  const redisStore = (): Store => {
    const s = new RedisStore(redis!.url, { prefix: `${filePrefix}-${++counter}` });
    opened.push(s);
    return s;
  };

  const aclStore = (): Store => {
    const prefix = `${filePrefix}-${++counter}`;
    const username = `ioc-app-${tag}-${counter}`;
    const password = randomUUID();
    const client = new Redis(redis!.url.replace('redis://', `redis://${username}:${password}@`), { ...redisClientOptions(), lazyConnect: true });
    const rules = appUserRules({ prefix, password, redisVersion: localRedisVersion() });
    void aclAdmin!
      .call('ACL', ...aclSetUserArgs(username, rules))
      .then(() => (client.status === 'wait' ? client.connect() : undefined))
      .catch(() => {});
    const s = new RedisStore(client, { prefix });
    opened.push(s);
    return s;
  };

  return [
    { name: 'memory', available: true, make: (): Store => new MemoryStore() },
    { name: 'redis', available: redis !== null, make: redisStore },
    { name: 'redis as ioc-app (ACL)', available: redis !== null, make: aclStore },
  ];
}
