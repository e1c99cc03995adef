/**
 * Cluster leases on a real (throwaway) redis-server: two keepers with different node ids on two
 * connections compete for one lease, as two server nodes do. Short timings; every wait is for a
 * condition, and "never both held" is sampled all along.
 */
import { randomUUID } from 'node:crypto';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { localRedisVersion } from '../../tests/helpers/acl-redis';
import { startRedisServer } from '../../tests/helpers/redis-server';
import { aclSetUserArgs, appUserRules } from '../backup/redis-acl';
import { redisClientOptions } from '../store/redis-store';
import { RedisLeaseKeeper, STALE_FENCE_ERROR, fenceGuardLua, type LeaseOptions } from '../cluster/lease';

const redis = await startRedisServer();
const RUN = randomUUID().slice(0, 8);
let counter = 0;

/** Test timings: renewals must fit within ttl - margin (checked by the keeper). */
const FAST: LeaseOptions = { ttlMs: 600, renewEveryMs: 100, safetyMarginMs: 150, commandTimeoutMs: 200 };
/** A condition must come true within this; generous for a loaded 2-core machine. */
const WAIT_MS = 10_000;

const clients: Redis[] = [];
const keepers: RedisLeaseKeeper[] = [];
const proxies: FreezableProxy[] = [];
afterEach(async () => {
  await Promise.all(keepers.splice(0).map((k) => k.stop()));
  for (const p of proxies.splice(0)) p.close();
});
afterAll(async () => {
  for (const c of clients) c.disconnect();
  await redis?.stop();
});

function client(url = redis!.url): Redis {
  const c = new Redis(url, { ...redisClientOptions(), lazyConnect: false });
  c.on('error', () => {}); // cut connections are part of the tests
  clients.push(c);
  return c;
}

async function ready(c: Redis): Promise<Redis> {
  if (c.status !== 'ready') await new Promise((resolve) => c.once('ready', resolve));
  return c;
}

function keeper(c: Redis, nodeId: string, name: string, options: Partial<LeaseOptions> = FAST, keyPrefix = `lease-${RUN}:`): RedisLeaseKeeper {
  const k = new RedisLeaseKeeper({ redis: c, keyPrefix, name, nodeId, options });
  keepers.push(k);
  return k;
}

async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = WAIT_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * Samples both keepers' belief every few ms until stopped; records any instant both hold. Both
 * are read in one synchronous step, so the sample is one instant of this process.
 */
function watchOverlap(a: RedisLeaseKeeper, b: RedisLeaseKeeper): { stop(): { samples: number; overlaps: number } } {
  let samples = 0;
  let overlaps = 0;
  const timer = setInterval(() => {
    samples++;
    if (a.fencingToken() !== null && b.fencingToken() !== null) overlaps++;
  }, 2);
  return {
    stop() {
      clearInterval(timer);
      return { samples, overlaps };
    },
  };
}

/** A TCP relay to Redis that can be frozen: bytes stop flowing both ways, the connection stays open (a partition). */
interface FreezableProxy {
  url: string;
  freeze(): void;
  close(): void;
}

async function freezableProxy(targetPort: number): Promise<FreezableProxy> {
  const sockets: Socket[] = [];
  let frozen = false;
  const server: Server = createServer((downstream) => {
    const upstream = connect({ host: '127.0.0.1', port: targetPort });
    sockets.push(downstream, upstream);
    const relay = (from: Socket, to: Socket) =>
      from.on('data', (chunk) => {
        if (!frozen) to.write(chunk); // frozen: dropped on the floor, like a partition
      });
    relay(downstream, upstream);
    relay(upstream, downstream);
    const end = () => {
      downstream.destroy();
      upstream.destroy();
    };
    downstream.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no TCP address');
  return {
    url: `redis://127.0.0.1:${address.port}`,
    freeze: () => {
      frozen = true;
    },
    close: () => {
      server.close();
      for (const s of sockets) s.destroy();
    },
  };
}

describe.skipIf(redis === null)('RedisLeaseKeeper on a real Redis (two nodes)', () => {
  it('lets exactly one of two nodes hold a lease, and reports the holder', async () => {
    const name = `one-${++counter}`;
    // a ttl long enough that a stall of this loaded machine does not end the first holding
    const stable: LeaseOptions = { ttlMs: 5_000, renewEveryMs: 100, safetyMarginMs: 1_000, commandTimeoutMs: 1_000 };
    const a = keeper(await ready(client()), 'node-a', name, stable);
    const b = keeper(await ready(client()), 'node-b', name, stable);
    const overlap = watchOverlap(a, b);
    a.start();
    b.start();
    const holderKeeper = await waitFor('a holder', () => (a.fencingToken() !== null ? a : b.fencingToken() !== null ? b : undefined));
    // ten renewal rounds with both competing
    const rounds = Date.now() + stable.renewEveryMs * 10;
    await waitFor('ten rounds of competition', () => (Date.now() > rounds ? true : undefined));
    const { samples, overlaps } = overlap.stop();
    expect(samples).toBeGreaterThan(0);
    expect(overlaps).toBe(0);
    const holder = await a.holder();
    expect(holder).not.toBeNull();
    const holding = holder!.nodeId === 'node-a' ? a : b;
    // still the first holding: renewals kept it, nobody took over
    expect(holding).toBe(holderKeeper);
    expect(holding.fencingToken()).toBe(holder!.token);
    expect((holding === a ? b : a).fencingToken()).toBeNull();
  });

  it('hands the lease to the other node within a renewal period when the holder stops, with a greater token', async () => {
    const name = `handover-${++counter}`;
    // a long ttl: a takeover well before it proves the release, not the expiry, made room
    const slowExpiry: LeaseOptions = { ttlMs: 30_000, renewEveryMs: 100, safetyMarginMs: 1_000, commandTimeoutMs: 500 };
    const a = keeper(await ready(client()), 'node-a', name, slowExpiry);
    a.start();
    const tokenA = await waitFor('a holds', () => a.fencingToken() ?? undefined);
    const b = keeper(await ready(client()), 'node-b', name, slowExpiry);
    b.start();
    await a.stop();
    expect(await a.isHeld()).toBe(false);
    const stoppedAt = Date.now();
    const tokenB = await waitFor('b takes over', () => b.fencingToken() ?? undefined);
    expect(Date.now() - stoppedAt).toBeLessThan(slowExpiry.ttlMs / 2);
    expect(tokenB).toBeGreaterThan(tokenA);
    expect(await b.holder()).toEqual({ nodeId: 'node-b', token: tokenB });
  });

  it('stops the holder within a ttl when it loses its connection, and the other takes over with a greater token, never both holding', async () => {
    const name = `cut-${++counter}`;
    const clientA = await ready(client());
    const a = keeper(clientA, 'node-a', name);
    a.start();
    const tokenA = await waitFor('a holds', () => a.fencingToken() ?? undefined);
    const b = keeper(await ready(client()), 'node-b', name);
    const overlap = watchOverlap(a, b);
    b.start();
    clientA.disconnect();
    const cutAt = Date.now();
    // whatever the scheduling delays, once a ttl has passed a's belief has lapsed (it is clock-based)
    await waitFor('a ttl after the cut', () => (Date.now() >= cutAt + FAST.ttlMs ? true : undefined));
    expect(await a.isHeld()).toBe(false);
    const tokenB = await waitFor('b takes over', () => b.fencingToken() ?? undefined);
    const { overlaps } = overlap.stop();
    expect(overlaps).toBe(0);
    expect(tokenB).toBeGreaterThan(tokenA);
    expect(await b.checkFence(tokenA)).toBe(false);
    expect(await b.checkFence(tokenB)).toBe(true);
  });

  it('stops a holder cut off by a partition (its commands hang) before the other node can take over, never both acting', async () => {
    const name = `partition-${++counter}`;
    const proxy = await freezableProxy(redis!.port);
    proxies.push(proxy);
    // no client deadline of its own: only the keeper's deadline bounds the hanging commands
    const clientA = new Redis(proxy.url, { maxRetriesPerRequest: null });
    clientA.on('error', () => {});
    clients.push(clientA);
    await ready(clientA);
    const a = keeper(clientA, 'node-a', name);
    a.start();
    const tokenA = await waitFor('a holds', () => a.fencingToken() ?? undefined);
    const clientB = await ready(client());
    const b = keeper(clientB, 'node-b', name);
    const overlap = watchOverlap(a, b);
    b.start();
    proxy.freeze();
    const frozenAt = Date.now();
    // whatever the scheduling delays, once a ttl has passed a's belief has lapsed (it is clock-based)
    await waitFor('a ttl after the freeze', () => (Date.now() >= frozenAt + FAST.ttlMs ? true : undefined));
    expect(await a.isHeld()).toBe(false);
    const tokenB = await waitFor('b takes over', () => b.fencingToken() ?? undefined);
    const { samples, overlaps } = overlap.stop();
    expect(samples).toBeGreaterThan(0);
    expect(overlaps).toBe(0);
    expect(tokenB).toBeGreaterThan(tokenA);

    // the fence: a late write carrying a's token is refused atomically, b's goes through
    const dataKey = `lease-${RUN}:data:${name}`;
    const write = (token: number, value: string) =>
      clientB.eval(`${fenceGuardLua(2, 2)}return redis.call('SET', KEYS[1], ARGV[1])`, 2, dataKey, b.fenceKey, value, token);
    await expect(write(tokenA, 'stale')).rejects.toThrow(STALE_FENCE_ERROR);
    expect(await write(tokenB, 'fresh')).toBe('OK');
    expect(await clientB.get(dataKey)).toBe('fresh');
    expect(await b.checkFence(tokenA)).toBe(false);
  });

  it('tells its listener each change of holding with the token', async () => {
    const name = `listen-${++counter}`;
    const changes: [boolean, number | null][] = [];
    const k = new RedisLeaseKeeper({
      redis: await ready(client()),
      keyPrefix: `lease-${RUN}:`,
      name,
      nodeId: 'node-a',
      options: FAST,
      onChange: (held, token) => changes.push([held, token]),
    });
    k.start();
    const token = await waitFor('held', () => k.fencingToken() ?? undefined);
    await k.stop();
    expect(changes).toEqual([
      [true, token],
      [false, null],
    ]);
    expect(await k.holder()).toBeNull();
  });

  it('works as the least-privilege ioc-app ACL user (every command it sends is granted)', async () => {
    const admin = await ready(client());
    const prefix = `lacl${RUN}`;
    const username = `ioc-app-l${RUN}`;
    const password = randomUUID();
    await admin.call('ACL', ...aclSetUserArgs(username, appUserRules({ prefix, password, redisVersion: localRedisVersion() })));
    const app = await ready(client(redis!.url.replace('redis://', `redis://${username}:${password}@`)));
    const k = keeper(app, 'node-a', 'acl', FAST, `${prefix}:`);
    k.start();
    const token = await waitFor('held', () => k.fencingToken() ?? undefined);
    const renewedUntil = Date.now() + FAST.ttlMs * 2;
    await waitFor('renewals', () => (Date.now() > renewedUntil ? true : undefined));
    expect(k.fencingToken()).toBe(token);
    expect(await k.checkFence(token)).toBe(true);
    expect(await k.holder()).toEqual({ nodeId: 'node-a', token });
    await k.stop();
    expect(await admin.get(k.leaseKey)).toBeNull();
  });
});

if (redis === null) {
  describe('RedisLeaseKeeper on a real Redis', () => {
    it.skip('Redis is not installed', () => {});
  });
}
