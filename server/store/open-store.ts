/**
 * Pick the Store at startup: Redis when it answers quickly, otherwise the in-memory store with a
 * human reason (the server keeps running and says why data will not survive a restart).
 *
 * The probe uses a throwaway client with no retries and no offline queue, so a dead URL costs at
 * most `connectTimeoutMs`; on success a fresh long-lived client (REDIS_CLIENT_OPTIONS: normal
 * reconnects, no offline queue, a `commandTimeoutMs` deadline on every command) backs the
 * RedisStore, whose calls wait for that client's first connection at most one deadline.
 */
import { Redis } from 'ioredis';
import { MemoryStore } from './memory-store';
import { DEFAULT_COMMAND_TIMEOUT_MS, RedisStore, redisClientOptions } from './redis-store';
import type { Store, StoreKind, StoreOptions } from './store';

/** Default Redis location when neither the caller nor REDIS_URL says otherwise. */
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
/** How long the startup probe waits for Redis to connect and answer PING. */
export const STORE_PROBE_TIMEOUT_MS = 1_500;

export interface OpenStoreLogger {
  info(o: object | string, m?: string): void;
  warn(o: object | string, m?: string): void;
}

export interface OpenStoreResult {
  store: Store;
  kind: StoreKind;
  /** why the in-memory store was chosen; absent when Redis is used */
  reason?: string;
}

/** Hide credentials (`redis://user:secret@host`) before a URL goes into a log line. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable Redis URL)';
  }
}

function describeError(err: unknown): string {
  if (err && typeof err === 'object') {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    const message = (err as { message?: unknown }).message;
    if (typeof message === 'string') return message;
  }
  return String(err);
}

/** Resolves with null when Redis answered PING, else with a short cause. */
async function probeRedis(url: string, timeoutMs: number): Promise<string | null> {
  const probe = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  let lastError: unknown = null;
  probe.on('error', (err) => {
    lastError = err;
  });
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`no answer within ${timeoutMs} ms`), timeoutMs);
  });
  const answered = (async (): Promise<string | null> => {
    try {
      await probe.connect();
      const pong = await probe.ping();
      return pong === 'PONG' ? null : `unexpected PING reply ${pong}`;
    } catch (err) {
      return describeError(lastError ?? err);
    }
  })();
  try {
    return await Promise.race([answered, timedOut]);
  } finally {
    clearTimeout(timer);
    probe.disconnect();
  }
}

export async function openStore(opts: {
  redisUrl?: string;
  options?: Partial<StoreOptions>;
  connectTimeoutMs?: number;
  /** deadline of every Redis command (default DEFAULT_COMMAND_TIMEOUT_MS) */
  commandTimeoutMs?: number;
  logger?: OpenStoreLogger;
}): Promise<OpenStoreResult> {
  const url = opts.redisUrl ?? process.env.REDIS_URL ?? DEFAULT_REDIS_URL;
  const shownUrl = redactRedisUrl(url);
  const cause = await probeRedis(url, opts.connectTimeoutMs ?? STORE_PROBE_TIMEOUT_MS);
  if (cause === null) {
    const commandTimeoutMs = opts.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
    const store = new RedisStore(new Redis(url, redisClientOptions(commandTimeoutMs)), opts.options, { logger: opts.logger, commandTimeoutMs });
    opts.logger?.info({ store: 'redis', url: shownUrl }, 'store: using Redis');
    return { store, kind: 'redis' };
  }
  const reason = `Redis at ${shownUrl} did not answer (${cause}) — running on the in-memory store; data is lost on restart`;
  opts.logger?.warn({ store: 'memory', url: shownUrl, cause }, reason);
  return { store: new MemoryStore(opts.options), kind: 'memory', reason };
}
