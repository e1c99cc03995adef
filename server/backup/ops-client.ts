/**
 * The Redis client of the operator commands (backup, restore): the `ioc-ops` user's URL from
 * `--redis-url`, IOC_REDIS_OPS_URL or REDIS_URL; no offline queue (a dead Redis fails at once), a
 * long command deadline (DUMP/RESTORE of a large stream takes a while).
 */
import { Redis } from 'ioredis';
import { DEFAULT_REDIS_URL } from '../store/open-store';

/** Deadline of one operator command, ms. */
const OPS_COMMAND_TIMEOUT_MS = 120_000;
/** How long the first connection may take, ms. */
const OPS_CONNECT_TIMEOUT_MS = 5_000;

export function opsRedisUrl(explicit: string | undefined, env: NodeJS.ProcessEnv): string {
  return explicit ?? env.IOC_REDIS_OPS_URL ?? env.REDIS_URL ?? DEFAULT_REDIS_URL;
}

/** Connected (or rejected) client; the caller quits it. */
export async function connectOpsRedis(url: string): Promise<Redis> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: OPS_CONNECT_TIMEOUT_MS,
    commandTimeout: OPS_COMMAND_TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  // errors surface through the rejected command; without a listener ioredis prints them
  redis.on('error', () => {});
  try {
    await redis.connect();
  } catch (err) {
    redis.disconnect();
    throw err;
  }
  return redis;
}

/** IOC_REDIS_PREFIX rule of server/config.ts. */
export function checkedPrefix(prefix: string): string {
  if (!/^[a-zA-Z0-9:_-]+$/.test(prefix)) throw new Error(`prefix '${prefix}' is not valid (letters, digits, : _ -)`);
  return prefix;
}
