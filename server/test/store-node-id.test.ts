/**
 * A server handed a store (tests, the benchmark's server process) follows the shared log as the
 * node that store tags its entries with. When the two ids differed, the node read back every
 * reading it had just written, decoded it and applied it to fusion again as another node's: the
 * benchmarks' Redis servers did exactly that (their store kept the default 'local' id).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IocServer } from '../app';
import { RedisStore } from '../store/redis-store';
import { MemoryStore } from '../store/memory-store';
import { EMPTY_READINGS_CURSOR } from '../store/store';
import { startRedisServer, type TestRedisServer } from '../../tests/helpers/redis-server';
import { ingest, sign, startTestServer } from './helpers';

let redis: TestRedisServer | null;
let server: IocServer | undefined;
let store: RedisStore | undefined;

beforeAll(async () => {
  redis = await startRedisServer();
  if (!redis) return; // startRedisServer already warned loudly (and throws in CI)
  // the store's default node id, as the benchmark's server process creates it
  store = new RedisStore(redis.url, { prefix: `nodeid${process.pid}` });
  server = await startTestServer({}, { store });
});

afterAll(async () => {
  await server?.close();
  await redis?.stop();
});

describe('the node id of a given store', () => {
  it('is the node id the server follows the log as: its own readings are not read back', async () => {
    if (!server || !store) return;
    expect(server.cluster.nodeId).toBe(store.nodeId);
    const device = [...server.fusion.devices.values()].find((d) => d.kind === 'rain-gauge')!;
    const r = await ingest(server, sign([{ deviceId: device.id, ts: Date.now(), seq: 1_000_000_000, metrics: { rainfall: 1 } }]));
    expect(r.body.accepted).toBe(1);
    // what the node's log follower asks the store for: the entries other nodes appended
    const start = { readings: EMPTY_READINGS_CURSOR, events: EMPTY_READINGS_CURSOR };
    let tail = await store.tailLog(start, 0, 1_000, server.cluster.nodeId);
    for (let i = 0; i < 100 && (tail.readingsScanned ?? 0) === 0; i++) {
      await new Promise((res) => setTimeout(res, 50));
      tail = await store.tailLog(start, 0, 1_000, server.cluster.nodeId);
    }
    expect(tail.readingsScanned).toBeGreaterThan(0);
    expect(tail.readings).toEqual([]);
  });

  it('refuses a node id that differs from the given store', async () => {
    await expect(startTestServer({}, { store: new MemoryStore({ nodeId: 'node-a' }), nodeId: 'node-b' })).rejects.toThrow(
      /differs from the given store/,
    );
  });
});
