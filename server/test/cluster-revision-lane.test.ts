/**
 * Revision lanes on a real (throwaway) redis-server (issue 15): live nodes hold distinct lanes, a
 * stopped node frees its lane for the next, and a node whose lane was lost moves to a free one and
 * says so (its scene hub then restarts every channel at a fresh revision).
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startRedisServer } from '../../tests/helpers/redis-server';
import { redisClientOptions } from '../store/redis-store';
import { RevisionLaneKeeper } from '../cluster/revision-lane';

const redis = await startRedisServer();
const inCI = process.env.CI === 'true';
if (!redis && inCI) throw new Error('redis-server is required in CI (apt-get install redis-server)');
if (!redis) console.warn('SKIPPED revision lane tests: install the Debian package redis-server');

const FAST = { lanes: 4, ttlMs: 600, renewEveryMs: 100, commandTimeoutMs: 200 };
const WAIT_MS = 10_000;
const silentLog = { warn: () => undefined, error: () => undefined };

const clients: Redis[] = [];
const keepers: RevisionLaneKeeper[] = [];
afterEach(async () => {
  await Promise.all(keepers.splice(0).map((k) => k.stop()));
});
afterAll(async () => {
  for (const c of clients) c.disconnect();
  await redis?.stop();
});

function keeper(prefix: string, nodeId: string, onLaneChanged: (lane: number) => void = () => undefined): RevisionLaneKeeper {
  const c = new Redis(redis!.url, { ...redisClientOptions(), lazyConnect: false });
  clients.push(c);
  const k = new RevisionLaneKeeper({ redis: c, keyPrefix: prefix, nodeId, options: FAST, onLaneChanged, log: silentLog });
  keepers.push(k);
  return k;
}

async function waitFor(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.skipIf(!redis)('revision lanes', () => {
  it('gives each live node its own lane, and refuses a node when every lane is held', async () => {
    const prefix = `lane-${randomUUID().slice(0, 8)}:`;
    const lanes = await Promise.all(['a', 'b', 'c', 'd'].map((n) => keeper(prefix, n).take()));
    expect(new Set(lanes).size).toBe(4);
    await expect(keeper(prefix, 'e').take(300)).rejects.toThrow(/every one of the 4 revision lanes is held/);
  });

  it('frees a stopped node’s lane for the next node at once', async () => {
    const prefix = `lane-${randomUUID().slice(0, 8)}:`;
    const a = keeper(prefix, 'a');
    const laneA = await a.take();
    await a.stop();
    expect(await keeper(prefix, 'b').take()).toBe(laneA);
  });

  it('moves a node whose lane was lost to a free lane and tells it', async () => {
    const prefix = `lane-${randomUUID().slice(0, 8)}:`;
    const moves: number[] = [];
    const a = keeper(prefix, 'a', (lane) => moves.push(lane));
    const laneA = await a.take();
    // another node took the lane while this one could not renew (here: the key replaced under it)
    const admin = new Redis(redis!.url, { lazyConnect: false });
    clients.push(admin);
    await admin.set(`${prefix}rev-lane:${laneA}`, 'someone-else', 'PX', 60_000);
    await waitFor(() => moves.length > 0, 'the lane change');
    expect(moves[0]).not.toBe(laneA);
    expect(a.lane).toBe(moves[0]);
    expect(await admin.get(`${prefix}rev-lane:${laneA}`)).toBe('someone-else');
  });
});
