/**
 * The login throttle on both backends (a real throwaway Redis, and memory): a point is taken
 * before an attempt is evaluated, atomically, so concurrent guesses cannot outrun the limit; a
 * success forgets the pair's failures; the progressive delay grows after the 3rd failure.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore } from '../store/memory-store';
import { RedisStore } from '../store/redis-store';
import type { Store } from '../store/store';
import { startRedisServer, type TestRedisServer } from '../../tests/helpers/redis-server';
import { LoginThrottle, oneTimeKeysFor, type LoginThrottleLimits } from './login-throttle';
import { DEFAULT_LOGIN_HARDENING } from './login-policy';

const LIMITS: LoginThrottleLimits = DEFAULT_LOGIN_HARDENING.throttle;

let redis: TestRedisServer | null;
let redisStore: RedisStore | null = null;

beforeAll(async () => {
  redis = await startRedisServer();
  if (redis) {
    redisStore = new RedisStore(redis.url, { prefix: `thr${process.pid}` });
    // the store's client queues nothing before it is connected (the server uses it after start)
    expect(await redisStore.ping()).toBe(true);
  }
});

afterAll(async () => {
  await redisStore?.close();
  await redis?.stop();
});

const backends: [name: string, store: () => Store | null][] = [
  ['redis', () => redisStore],
  ['memory', () => new MemoryStore()],
];

describe.each(backends)('login throttle on %s', (name, storeOf) => {
  it('lets at most 5 of 200 concurrent attempts for one (username, address) through, and reports the lockout once', async () => {
    const store = storeOf();
    if (!store) return; // startRedisServer warned loudly (and throws in CI)
    const throttle = new LoginThrottle(store, LIMITS, `t-${name}-concurrent`);
    const verdicts = await Promise.all(Array.from({ length: 200 }, () => throttle.attempt('alice', '10.0.0.1')));
    expect(verdicts.filter((v) => v.ok)).toHaveLength(5);
    const refused = verdicts.filter((v) => !v.ok);
    expect(refused.filter((v) => v.justLocked)).toHaveLength(1);
    for (const v of refused) {
      expect(v.scope).toBe('pair');
      expect(v.retryAfterMs).toBeGreaterThan(14 * 60_000);
    }
  });

  it('keeps users and addresses apart, and a success forgets the failures of its pair', async () => {
    const store = storeOf();
    if (!store) return;
    const throttle = new LoginThrottle(store, LIMITS, `t-${name}-apart`);
    for (let i = 0; i < 4; i++) expect((await throttle.attempt('alice', '10.0.0.1')).ok).toBe(true);
    const fifth = await throttle.attempt('alice', '10.0.0.1');
    if (!fifth.ok) throw new Error('the fifth attempt should pass');
    expect((await throttle.attempt('alice', '10.0.0.2')).ok).toBe(true);
    expect((await throttle.attempt('bob', '10.0.0.1')).ok).toBe(true);
    expect((await throttle.attempt('alice', '10.0.0.1')).ok).toBe(false);
    // a success (of an attempt taken before the block) clears the pair
    await fifth.succeeded();
    expect((await throttle.attempt('Alice', '10.0.0.1')).ok).toBe(true);
  });

  it('refuses a source address after 20 failures over all usernames (spraying)', async () => {
    const store = storeOf();
    if (!store) return;
    const throttle = new LoginThrottle(store, LIMITS, `t-${name}-spray`);
    const verdicts = [];
    for (let i = 0; i < 25; i++) verdicts.push(await throttle.attempt(`user${i}`, '10.0.0.9'));
    expect(verdicts.findIndex((v) => !v.ok)).toBe(20);
    const v = verdicts[20]!;
    expect(!v.ok && v.scope).toBe('source');
    expect(!v.ok && v.justLocked).toBe(true);
    expect((await throttle.attempt('someone', '10.0.0.10')).ok).toBe(true);
  });

  it('delays attempts after the 3rd failure of a pair, doubling', async () => {
    const store = storeOf();
    if (!store) return;
    const throttle = new LoginThrottle(store, { ...LIMITS, pairMaxFailures: 10 }, `t-${name}-delay`);
    const delays: number[] = [];
    for (let i = 0; i < 9; i++) {
      const v = await throttle.attempt('alice', '10.0.0.1');
      if (!v.ok) throw new Error('unexpected refusal');
      delays.push(v.delayMs);
    }
    expect(delays).toEqual([0, 0, 0, 250, 500, 1000, 2000, 4000, 4000]);
  });

  it('single-use keys: put once, taken once', async () => {
    const store = storeOf();
    if (!store) return;
    const keys = oneTimeKeysFor(store);
    const key = `t-${name}-once`;
    expect(await keys.putIfAbsent(key, 'v', 60_000)).toBe(true);
    expect(await keys.putIfAbsent(key, 'w', 60_000)).toBe(false);
    const taken = await Promise.all([keys.take(key), keys.take(key)]);
    expect(taken.filter((t) => t === 'v')).toHaveLength(1);
    expect(await keys.get(key)).toBeNull();
  });
});

describe('login throttle keys in Redis', () => {
  it("live under the store's prefix and name no username or address", async () => {
    if (!redisStore) return;
    await new LoginThrottle(redisStore, LIMITS, 'keys').attempt('carol-the-user', '10.7.7.7');
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await redisStore.redisClient.scan(cursor, 'MATCH', `thr${process.pid}:rl:keys-*`, 'COUNT', 1000);
      keys.push(...batch);
      cursor = next;
    } while (cursor !== '0');
    expect(keys.length).toBe(2);
    for (const k of keys) expect(k).not.toMatch(/carol|10\.7/);
  });
});
