/**
 * Login throttling and the login's short-lived keys (issue 12, "Brute force and enumeration").
 *
 * Two rate-limiter-flexible counters guard every password (and TOTP) attempt:
 * - per source address, failures over all usernames: spraying many usernames from one address is
 *   refused after `sourceMaxFailures` within the window, for `sourceBlockMs`;
 * - per (username, source address), consecutive failures: `pairMaxFailures` then E_RATE_LIMIT for
 *   `pairBlockMs`. There is deliberately NO account-wide lock: a stranger guessing from their
 *   address cannot lock the owner out of theirs (a botnet spread over many addresses is slowed
 *   by the per-address limits and stopped by the second factor).
 *
 * A point is CONSUMED BEFORE the password is evaluated (one atomic INCR script in Redis) and
 * given back on success, so N concurrent guesses for one account from one address evaluate at most
 * `pairMaxFailures` passwords. After `delayAfterFailures` failures of a pair every attempt first
 * waits (doubling up to `delayMaxMs`): guessing gets slower before it is refused.
 *
 * Backends: Redis (`(store as RedisStore).redisClient`, keys `${keyPrefix}:rl:<family>:…`,
 * with an in-memory insurance limiter while Redis does not answer) or memory for the memory store.
 * Keys hash the username and address: the store does not collect the usernames people mistype.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { iocError } from '../errors';
import { IocFailure } from '../guard';
import type { Store } from '../store/store';
import type { RedisStore } from '../store/redis-store';

export interface LoginThrottleLimits {
  /** failures per source address over all usernames within sourceWindowMs… */
  sourceMaxFailures: number;
  sourceWindowMs: number;
  /** …then refused this long, ms */
  sourceBlockMs: number;
  /** consecutive failures per (username, source) within pairWindowMs… */
  pairMaxFailures: number;
  pairWindowMs: number;
  /** …then refused this long, ms */
  pairBlockMs: number;
  /** from this many failures of a pair on, an attempt waits delayBaseMs, doubling per failure, at most delayMaxMs */
  delayAfterFailures: number;
  delayBaseMs: number;
  delayMaxMs: number;
}

/** Where a redis-backed part keeps its keys: the store's client and prefix, or null for memory. */
export function redisOf(store: Store): { client: Redis; keyPrefix: string } | null {
  if (store.kind !== 'redis') return null;
  const r = store as RedisStore;
  return { client: r.redisClient, keyPrefix: r.keyPrefix };
}

const secondsOf = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

/**
 * One counter family: `points` per `durationMs`, and when exceeded refused for `blockMs` (0: until
 * the window ends). Redis-backed with a memory insurance limiter, or memory only.
 */
export function makeLimiter(store: Store, family: string, points: number, durationMs: number, blockMs = 0): RateLimiterAbstract {
  const opts = { points, duration: secondsOf(durationMs), blockDuration: blockMs > 0 ? secondsOf(blockMs) : 0 };
  const redis = redisOf(store);
  if (!redis) return new RateLimiterMemory({ ...opts, keyPrefix: `rl:${family}` });
  return new RateLimiterRedis({
    ...opts,
    storeClient: redis.client,
    keyPrefix: `${redis.keyPrefix}:rl:${family}`,
    // while Redis does not answer, this process still throttles on its own
    insuranceLimiter: new RateLimiterMemory({ ...opts, keyPrefix: `rl:${family}:insurance` }),
  });
}

/** A short hash of the parts of a counter's key (no raw usernames or addresses in Redis keys). */
export function keyOf(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\n')).digest('base64url').slice(0, 32);
}

export type ThrottleVerdict =
  | {
      ok: true;
      /** wait this long before evaluating the attempt, ms (0 before delayAfterFailures failures) */
      delayMs: number;
      /** the attempt succeeded: the pair's failures are forgotten and the source's point given back */
      succeeded(): Promise<void>;
    }
  | {
      ok: false;
      /** when to try again, ms */
      retryAfterMs: number;
      /** which limit refused: a whole source address, or one username from one address */
      scope: 'source' | 'pair';
      /** this attempt is the one that crossed the limit (audit the lockout once, not every refusal) */
      justLocked: boolean;
    };

/** A refusal from a limiter (RateLimiterRes), as opposed to a store failure (Error). */
function isLimited(x: unknown): x is RateLimiterRes {
  return x instanceof RateLimiterRes;
}

export class LoginThrottle {
  private readonly source: RateLimiterAbstract;
  private readonly pair: RateLimiterAbstract;

  /** `family` keeps the password and TOTP steps' counters apart (`login`, `mfa`). */
  constructor(
    store: Store,
    private readonly limits: LoginThrottleLimits,
    family = 'login',
  ) {
    this.source = makeLimiter(store, `${family}-src`, limits.sourceMaxFailures, limits.sourceWindowMs, limits.sourceBlockMs);
    this.pair = makeLimiter(store, `${family}-pair`, limits.pairMaxFailures, limits.pairWindowMs, limits.pairBlockMs);
  }

  /**
   * Takes one point from the (username, source) pair, then one from the source, before the attempt
   * is evaluated: attempts the pair refuses do not count against the address's other usernames.
   */
  async attempt(username: string, source: string): Promise<ThrottleVerdict> {
    const sourceKey = keyOf(source);
    const pairKey = keyOf(username.toLowerCase(), source);
    let pairRes: RateLimiterRes;
    try {
      pairRes = await this.pair.consume(pairKey);
    } catch (e) {
      if (!isLimited(e)) throw e;
      return { ok: false, scope: 'pair', retryAfterMs: e.msBeforeNext, justLocked: e.consumedPoints === this.limits.pairMaxFailures + 1 };
    }
    try {
      await this.source.consume(sourceKey);
    } catch (e) {
      // refused before any evaluation: not a failure of this username
      await this.pair.reward(pairKey, 1);
      if (!isLimited(e)) throw e;
      return { ok: false, scope: 'source', retryAfterMs: e.msBeforeNext, justLocked: e.consumedPoints === this.limits.sourceMaxFailures + 1 };
    }
    const failuresBefore = pairRes.consumedPoints - 1;
    const l = this.limits;
    const delayMs = failuresBefore < l.delayAfterFailures ? 0 : Math.min(l.delayMaxMs, l.delayBaseMs * 2 ** (failuresBefore - l.delayAfterFailures));
    return {
      ok: true,
      delayMs,
      succeeded: async () => {
        await Promise.all([this.pair.delete(pairKey), this.source.reward(sourceKey, 1)]);
      },
    };
  }
}

/**
 * Short-lived single-use keys of the login (TOTP challenges, used time steps): Redis
 * (`${keyPrefix}:auth:…`, SET NX PX / GETDEL) or memory. `take` is atomic: of two concurrent
 * callers only one gets the value, so a challenge yields one session and a code one login.
 */
export interface OneTimeKeys {
  /** stores `value` for `ttlMs` unless `key` exists; true when stored */
  putIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  get(key: string): Promise<string | null>;
  /** reads and deletes */
  take(key: string): Promise<string | null>;
}

/** Expired entries are swept when the map grows past this many keys. */
const MEMORY_KEYS_SWEEP_AT = 10_000;

export class MemoryOneTimeKeys implements OneTimeKeys {
  private readonly entries = new Map<string, { value: string; expiresTs: number }>();
  constructor(private readonly now: () => number = Date.now) {}
  private live(key: string): string | null {
    const e = this.entries.get(key);
    if (!e) return null;
    if (e.expiresTs <= this.now()) {
      this.entries.delete(key);
      return null;
    }
    return e.value;
  }
  putIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    if (this.live(key) !== null) return Promise.resolve(false);
    if (this.entries.size >= MEMORY_KEYS_SWEEP_AT) {
      const now = this.now();
      for (const [k, e] of this.entries) if (e.expiresTs <= now) this.entries.delete(k);
    }
    this.entries.set(key, { value, expiresTs: this.now() + ttlMs });
    return Promise.resolve(true);
  }
  get(key: string): Promise<string | null> {
    return Promise.resolve(this.live(key));
  }
  take(key: string): Promise<string | null> {
    const value = this.live(key);
    this.entries.delete(key);
    return Promise.resolve(value);
  }
}

export class RedisOneTimeKeys implements OneTimeKeys {
  constructor(
    private readonly client: Redis,
    private readonly prefix: string,
  ) {}
  /** A Redis failure is a typed E_UNAVAILABLE (the sign-in step is refused, never waved through). */
  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch {
      throw new IocFailure(iocError('E_UNAVAILABLE', `the sign-in store did not answer (${what}); try again shortly`));
    }
  }
  putIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    return this.call(
      'put',
      async () => (await this.client.set(`${this.prefix}:auth:${key}`, value, 'PX', Math.max(1, Math.round(ttlMs)), 'NX')) === 'OK',
    );
  }
  get(key: string): Promise<string | null> {
    return this.call('get', () => this.client.get(`${this.prefix}:auth:${key}`));
  }
  take(key: string): Promise<string | null> {
    return this.call('take', () => this.client.getdel(`${this.prefix}:auth:${key}`));
  }
}

export function oneTimeKeysFor(store: Store, now: () => number = Date.now): OneTimeKeys {
  const redis = redisOf(store);
  return redis ? new RedisOneTimeKeys(redis.client, redis.keyPrefix) : new MemoryOneTimeKeys(now);
}
