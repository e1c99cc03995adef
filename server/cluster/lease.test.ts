/**
 * Lease rules that need no Redis: the always-held local lease, option checks, the holder parser,
 * the fence guard fragment, and a keeper whose Redis never answers (it must not count as holding).
 * The two-node behaviour on a real Redis is in server/test/cluster-lease.test.ts.
 */
import type { Redis } from 'ioredis';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { TickLease } from '../notify/escalation-ticker';
import { ConfigError } from '../config';
import { DEFAULT_LEASE_OPTIONS, LOCAL_LEASE, RedisLeaseKeeper, STALE_FENCE_ERROR, fenceGuardLua, parseHolder, type ClusterLease } from './lease';

/** A Redis whose EVAL answers with `reply` (a never-settling promise = Redis cut off). */
function fakeRedis(reply: () => Promise<unknown>): { redis: Redis; calls: unknown[][] } {
  const calls: unknown[][] = [];
  const redis = {
    eval: (...args: unknown[]) => {
      calls.push(args);
      return reply();
    },
    get: () => reply(),
  } as unknown as Redis;
  return { redis, calls };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('LOCAL_LEASE', () => {
  it('is always held with fencing token 1 and serves as a TickLease', async () => {
    const lease: ClusterLease = LOCAL_LEASE('escalation');
    const tick: TickLease = lease;
    expect(lease.name).toBe('escalation');
    expect(await tick.isHeld()).toBe(true);
    expect(lease.fencingToken()).toBe(1);
  });
});

describe('RedisLeaseKeeper options', () => {
  const base = { redis: fakeRedis(() => new Promise(() => {})).redis, keyPrefix: 'ioc:', name: 'l', nodeId: 'n1' };

  it('accepts the defaults', () => {
    expect(() => new RedisLeaseKeeper(base)).not.toThrow();
    expect(DEFAULT_LEASE_OPTIONS).toMatchObject({ ttlMs: 5_000, renewEveryMs: 1_000, safetyMarginMs: 1_000 });
  });

  it('refuses timings where a renewal cannot finish before the holding lapses', () => {
    expect(
      () => new RedisLeaseKeeper({ ...base, options: { ttlMs: 2_000, renewEveryMs: 1_000, safetyMarginMs: 500, commandTimeoutMs: 500 } }),
    ).toThrow(ConfigError);
  });

  it('refuses a non-positive duration', () => {
    expect(() => new RedisLeaseKeeper({ ...base, options: { safetyMarginMs: 0 } })).toThrow(ConfigError);
  });

  it('names its keys after the prefix and the lease', () => {
    const k = new RedisLeaseKeeper({ ...base, name: 'offline-check' });
    expect(k.leaseKey).toBe('ioc:lease:offline-check');
    expect(k.fenceKey).toBe('ioc:lease-fence:offline-check');
  });
});

describe('RedisLeaseKeeper without an answering Redis', () => {
  it('is not held while its acquire hangs, and isHeld answers at once', async () => {
    vi.useFakeTimers();
    const { redis, calls } = fakeRedis(() => new Promise(() => {}));
    const keeper = new RedisLeaseKeeper({ redis, keyPrefix: 'ioc:', name: 'l', nodeId: 'n1', monotonicNow: () => Date.now() });
    keeper.start();
    await vi.advanceTimersByTimeAsync(DEFAULT_LEASE_OPTIONS.ttlMs * 3);
    expect(calls.length).toBeGreaterThan(1); // it kept trying after each deadline
    expect(await keeper.isHeld()).toBe(false);
    expect(keeper.fencingToken()).toBeNull();
    const stopped = keeper.stop();
    await vi.advanceTimersByTimeAsync(DEFAULT_LEASE_OPTIONS.commandTimeoutMs);
    await stopped;
  });

  it('stops holding at once when a renewal fails, and holds the same token again when the key is still its own', async () => {
    vi.useFakeTimers();
    let failing = false;
    let acquires = 0;
    const redis = {
      eval: (lua: string) => {
        if (failing) return Promise.reject(new Error('ECONNRESET'));
        if (lua.includes('INCRBY')) return Promise.resolve(7 + acquires++);
        return Promise.resolve(1); // compare-and-PEXPIRE: still ours
      },
    } as unknown as Redis;
    const changes: [boolean, number | null][] = [];
    const keeper = new RedisLeaseKeeper({
      redis,
      keyPrefix: 'ioc:',
      name: 'l',
      nodeId: 'n1',
      monotonicNow: () => Date.now(),
      onChange: (held, token) => changes.push([held, token]),
    });
    keeper.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(await keeper.isHeld()).toBe(true);
    expect(keeper.fencingToken()).toBe(7);
    failing = true;
    await vi.advanceTimersByTimeAsync(DEFAULT_LEASE_OPTIONS.renewEveryMs);
    expect(await keeper.isHeld()).toBe(false);
    expect(keeper.fencingToken()).toBeNull();
    failing = false;
    await vi.advanceTimersByTimeAsync(DEFAULT_LEASE_OPTIONS.renewEveryMs);
    expect(await keeper.isHeld()).toBe(true);
    expect(keeper.fencingToken()).toBe(7);
    expect(acquires).toBe(1);
    expect(changes).toEqual([
      [true, 7],
      [false, null],
      [true, 7],
    ]);
    void keeper.stop();
  });

  it('lets its holding lapse when renewals stop answering, before the Redis key could expire', async () => {
    vi.useFakeTimers();
    let answering = true;
    const { redis } = fakeRedis(() => (answering ? Promise.resolve(1) : new Promise(() => {})));
    const keeper = new RedisLeaseKeeper({ redis, keyPrefix: 'ioc:', name: 'l', nodeId: 'n1', monotonicNow: () => Date.now() });
    keeper.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(await keeper.isHeld()).toBe(true);
    const lastSentMs = Date.now();
    answering = false;
    const { ttlMs, safetyMarginMs } = DEFAULT_LEASE_OPTIONS;
    await vi.advanceTimersByTimeAsync(ttlMs - safetyMarginMs);
    expect(Date.now() - lastSentMs).toBeLessThan(ttlMs);
    expect(await keeper.isHeld()).toBe(false);
    void keeper.stop();
  });
});

describe('parseHolder', () => {
  it('reads the node id and token of a lease value', () => {
    expect(parseHolder('node-a:42')).toEqual({ nodeId: 'node-a', token: 42 });
    expect(parseHolder('host:with:colons:3')).toEqual({ nodeId: 'host:with:colons', token: 3 });
  });
  it('refuses a value without a positive integer token', () => {
    expect(parseHolder('node-a')).toBeNull();
    expect(parseHolder('node-a:x')).toBeNull();
    expect(parseHolder(':5')).toBeNull();
    expect(parseHolder('node-a:0')).toBeNull();
  });
});

describe('fenceGuardLua', () => {
  it('compares the given key and argument and answers the stale-token error', () => {
    const lua = fenceGuardLua(2, 3);
    expect(lua).toContain("redis.call('GET', KEYS[2])");
    expect(lua).toContain('tonumber(ARGV[3])');
    expect(lua).toContain(STALE_FENCE_ERROR);
    expect(STALE_FENCE_ERROR.startsWith('E_CONFLICT')).toBe(true);
  });
  it('refuses indexes that are not 1-based integers', () => {
    expect(() => fenceGuardLua(0, 1)).toThrow(RangeError);
    expect(() => fenceGuardLua(1, 1.5)).toThrow(RangeError);
  });
});
