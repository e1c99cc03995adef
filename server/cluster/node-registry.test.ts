/**
 * The node registry: on a throwaway redis-server, two registries (two nodes) see each other; a
 * node that stops leaves the list at once, one that dies (heartbeats stop without stop()) once its
 * heartbeat is stale. The single-node registry lists just itself.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { localRedisVersion } from '../../tests/helpers/acl-redis';
import { startRedisServer } from '../../tests/helpers/redis-server';
import { aclSetUserArgs, appUserRules } from '../backup/redis-acl';
import { redisClientOptions } from '../store/redis-store';
import { MemoryNodeRegistry, RedisNodeRegistry, type NodeRegistryOptions, type NodeSelfInfo } from './node-registry';
import { ConfigError } from '../config';

const redis = await startRedisServer();
const RUN = randomUUID().slice(0, 8);
let counter = 0;
const clients: Redis[] = [];
const registries: RedisNodeRegistry[] = [];
afterAll(async () => {
  await Promise.all(registries.map((r) => r.stop()));
  for (const c of clients) c.disconnect();
  await redis?.stop();
});

/** heartbeats fast; stale after several missed ones, so a loaded machine does not drop a live node */
const FAST: Partial<NodeRegistryOptions> = { heartbeatMs: 100, staleAfterMs: 1_500, commandTimeoutMs: 1_000 };
const WAIT_MS = 10_000;

async function client(): Promise<Redis> {
  const c = new Redis(redis!.url, redisClientOptions());
  c.on('error', () => {}); // a killed node's connection is cut on purpose
  clients.push(c);
  if (c.status !== 'ready') await new Promise((resolve) => c.once('ready', resolve));
  return c;
}

function self(nodeId: string, o: Partial<NodeSelfInfo> = {}): () => NodeSelfInfo {
  return () => ({
    nodeId,
    url: `http://127.0.0.1/${nodeId}`,
    pid: 1,
    startedTs: 1_000,
    version: '0.0.0-test',
    ready: true,
    clients: 0,
    leases: [],
    ...o,
  });
}

async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = WAIT_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const ids = async (r: RedisNodeRegistry) => (await r.list()).map((n) => n.nodeId).sort();

describe.skipIf(redis === null)('RedisNodeRegistry (two nodes on one Redis)', () => {
  async function pair(options: Partial<NodeRegistryOptions> = FAST) {
    const prefix = `nodes-${RUN}-${++counter}:`;
    const clientA = await client();
    const a = new RedisNodeRegistry(clientA, prefix, self('node-a', { leases: ['escalation'], clients: 3 }), options);
    const b = new RedisNodeRegistry(await client(), prefix, self('node-b'), options);
    registries.push(a, b);
    a.start();
    b.start();
    await waitFor('both nodes listed', async () => ((await ids(a)).length === 2 && (await ids(b)).length === 2 ? true : undefined));
    return { a, b, clientA, prefix };
  }

  it('lists every live node, each with the info it published and a recent heartbeat', async () => {
    const { a, b } = await pair();
    expect(await ids(a)).toEqual(['node-a', 'node-b']);
    const fromB = (await b.list()).find((n) => n.nodeId === 'node-a')!;
    expect(fromB).toMatchObject({ url: 'http://127.0.0.1/node-a', leases: ['escalation'], clients: 3, ready: true, version: '0.0.0-test' });
    expect(Date.now() - fromB.heartbeatTs).toBeLessThan(FAST.staleAfterMs!);
  });

  it('drops a node that stops from the list at once', async () => {
    const { a, b } = await pair();
    await a.stop();
    expect(await ids(b)).toEqual(['node-b']);
  });

  it('drops a node that dies (heartbeats end without stop) once its last heartbeat is staleAfterMs old', async () => {
    const { b, clientA } = await pair();
    const lastHeartbeatTs = (await b.list()).find((n) => n.nodeId === 'node-a')!.heartbeatTs;
    clientA.disconnect(); // node a's heartbeats fail from now on
    await waitFor('node a gone', async () => ((await ids(b)).includes('node-a') ? undefined : true));
    expect(Date.now() - lastHeartbeatTs).toBeGreaterThanOrEqual(FAST.staleAfterMs!);
    expect(await ids(b)).toEqual(['node-b']);
  });

  it('deletes the entries of a node silent for forgetAfterMs', async () => {
    const { b, clientA, prefix } = await pair();
    clientA.disconnect();
    const admin = await client();
    expect(await admin.hexists(`${prefix}nodes`, 'node-a')).toBe(1);
    // a reader whose clock is past node a's forget horizon
    const later = new RedisNodeRegistry(admin, prefix, self('node-c'), FAST, { now: () => Date.now() + 20 * FAST.staleAfterMs! });
    await later.list();
    await waitFor('node a forgotten', async () => ((await admin.hexists(`${prefix}nodes`, 'node-a')) === 0 ? true : undefined));
    expect(await admin.zscore(`${prefix}nodes:seen`, 'node-a')).toBeNull();
    // that reader's clock made live node b look dead too: its next heartbeat brings it back
    await waitFor('node b listed again', async () => ((await ids(b)).join() === 'node-b' ? true : undefined));
  });

  it('works as the least-privilege ioc-app ACL user (every command it sends is granted)', async () => {
    const admin = await client();
    const prefix = `nacl${RUN}`;
    const username = `ioc-app-r${RUN}`;
    const password = randomUUID();
    await admin.call('ACL', ...aclSetUserArgs(username, appUserRules({ prefix, password, redisVersion: localRedisVersion() })));
    const app = new Redis(redis!.url.replace('redis://', `redis://${username}:${password}@`), redisClientOptions());
    clients.push(app);
    if (app.status !== 'ready') await new Promise((resolve) => app.once('ready', resolve));
    const r = new RedisNodeRegistry(app, `${prefix}:`, self('node-acl'), FAST, { now: () => Date.now() });
    r.start();
    await waitFor('listed', async () => ((await ids(r)).join() === 'node-acl' ? true : undefined));
    // the forget path (ZRANGEBYSCORE, HDEL, ZREM in MULTI) as that user too
    await admin.multi().hset(`${prefix}:nodes`, 'old', '{}').zadd(`${prefix}:nodes:seen`, 1, 'old').exec();
    await r.list();
    expect(await admin.hexists(`${prefix}:nodes`, 'old')).toBe(0);
    await r.stop();
    expect(await admin.hexists(`${prefix}:nodes`, 'node-acl')).toBe(0);
  });

  it('skips an entry that is not a NodeInfo instead of failing the list', async () => {
    const { b, prefix } = await pair();
    const admin = await client();
    await admin.multi().hset(`${prefix}nodes`, 'junk', '{"nodeId":1}').zadd(`${prefix}nodes:seen`, Date.now(), 'junk').exec();
    expect(await ids(b)).toEqual(['node-a', 'node-b']);
  });
});

if (redis === null) {
  describe('RedisNodeRegistry', () => {
    it.skip('Redis is not installed', () => {});
  });
}

describe('RedisNodeRegistry options', () => {
  const fake = {} as Redis;
  it('refuses staleAfterMs not above heartbeatMs, and a forget horizon before staleness', () => {
    expect(() => new RedisNodeRegistry(fake, 'p:', self('n'), { heartbeatMs: 2_000, staleAfterMs: 2_000 })).toThrow(ConfigError);
    expect(() => new RedisNodeRegistry(fake, 'p:', self('n'), { staleAfterMs: 6_000, forgetAfterMs: 1_000 })).toThrow(ConfigError);
  });
  it('scales the forget horizon with staleAfterMs when not given', () => {
    expect(() => new RedisNodeRegistry(fake, 'p:', self('n'), { heartbeatMs: 20_000, staleAfterMs: 120_000 })).not.toThrow();
  });
});

describe('MemoryNodeRegistry', () => {
  it('lists just this node, its heartbeat now', async () => {
    const r = new MemoryNodeRegistry(self('local', { leases: ['escalation'] }), () => 42);
    r.start();
    expect(await r.list()).toEqual([{ ...self('local', { leases: ['escalation'] })(), heartbeatTs: 42 }]);
    await r.stop();
  });
});
