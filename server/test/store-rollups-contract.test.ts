/**
 * Roll-up store contract (rollup-store.ts): the same requirements against the memory roll-up store
 * and the Redis one (a throwaway redis-server from tests/helpers, also through the app's ACL user).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { startRedisServer } from '../../tests/helpers/redis-server';
import { localRedisVersion } from '../../tests/helpers/acl-redis';
import { aclSetUserArgs, appUserRules } from '../backup/redis-acl';
import { RedisStore, redisClientOptions } from '../store/redis-store';
import { MemoryRollupStore, type RollupEntry, type RollupStore, type RollupStoreOptions } from '../store/rollup-store';
import { RedisRollupStore } from '../store/redis-rollups';
import { HOUR_MS, MINUTE_MS, aggregateOf, bucketStart, coarsenBuckets, type RollupAggregate } from '../../scenes/rollups/rollup-aggregate';

const redis = await startRedisServer();
const FILE_PREFIX = `rollups-${randomUUID().slice(0, 8)}`;
let counter = 0;
const opened: RedisStore[] = [];
const aclAdmin = redis === null ? null : new Redis(redis.url);
afterAll(async () => {
  for (const s of opened) await s.close().catch(() => undefined);
  aclAdmin?.disconnect();
  await redis?.stop();
});

const DAY_MS = 24 * HOUR_MS;
/** a whole day after a UTC midnight: every clock below is relative to it */
const T0 = Date.UTC(2026, 10, 30);

interface Clock {
  now: number;
}

type Make = (clock: Clock, options?: Partial<RollupStoreOptions>, prefix?: string) => RollupStore;

function redisRollups(clock: Clock, options: Partial<RollupStoreOptions> = {}, prefix = `${FILE_PREFIX}-${++counter}`): RollupStore {
  const s = new RedisStore(redis!.url, { prefix });
  opened.push(s);
  // small chunks: a flush spans several scripts in these tests
  return new RedisRollupStore(s.redisClient, s.keyPrefix, options, () => clock.now, { maxEntriesPerScript: 7 });
}

function aclRollups(clock: Clock, options: Partial<RollupStoreOptions> = {}): RollupStore {
  const prefix = `${FILE_PREFIX}-${++counter}`;
  const username = `ioc-app-rollups-${counter}`;
  const password = randomUUID();
  const client = new Redis(redis!.url.replace('redis://', `redis://${username}:${password}@`), { ...redisClientOptions(), lazyConnect: true });
  const rules = appUserRules({ prefix, password, redisVersion: localRedisVersion() });
  void aclAdmin!
    .call('ACL', ...aclSetUserArgs(username, rules))
    .then(() => (client.status === 'wait' ? client.connect() : undefined))
    .catch(() => {});
  const s = new RedisStore(client, { prefix });
  opened.push(s);
  return new RedisRollupStore(s.redisClient, s.keyPrefix, options, () => clock.now);
}

const implementations: { name: string; available: boolean; make: Make }[] = [
  { name: 'memory', available: true, make: (clock, options) => new MemoryRollupStore(options, () => clock.now) },
  { name: 'redis', available: redis !== null, make: redisRollups },
  { name: 'redis as ioc-app (ACL)', available: redis !== null, make: aclRollups },
];

function entry(
  deviceId: string,
  metric: string,
  bucketTs: number,
  aggregate: RollupAggregate,
  resolution: 'minute' | 'hour' = 'minute',
): RollupEntry {
  return { deviceId, metric, resolution, bucketTs, aggregate };
}

describe.each(implementations)('$name roll-up store', ({ available, make }) => {
  describe.skipIf(!available)('contract', () => {
    it('merges flushes of the same bucket from several nodes into one min/max/sum/count', async () => {
      const clock = { now: T0 + DAY_MS };
      const rollups = make(clock);
      const ts = T0 + 10 * HOUR_MS + 5 * MINUTE_MS;
      expect(
        await rollups.mergeRollups({ flushId: 'node-a-1', entries: [entry('wl-1', 'waterLevel', ts, { min: 1.5, max: 3.25, sum: 9, count: 4 })] }),
      ).toEqual({ status: 'applied' });
      expect(
        await rollups.mergeRollups({ flushId: 'node-b-1', entries: [entry('wl-1', 'waterLevel', ts, { min: 0.125, max: 2, sum: 3.5, count: 3 })] }),
      ).toEqual({ status: 'applied' });
      expect(await rollups.readRollups('wl-1', 'waterLevel', 'minute', T0, T0 + DAY_MS)).toEqual([
        { ts, aggregate: { min: 0.125, max: 3.25, sum: 12.5, count: 7 } },
      ]);
      // other metrics, devices and resolutions are separate series
      expect(await rollups.readRollups('wl-1', 'flow', 'minute', T0, T0 + DAY_MS)).toEqual([]);
      expect(await rollups.readRollups('wl-2', 'waterLevel', 'minute', T0, T0 + DAY_MS)).toEqual([]);
      expect(await rollups.readRollups('wl-1', 'waterLevel', 'hour', T0, T0 + DAY_MS)).toEqual([]);
    });

    it('merges entries of one bucket that arrive in the same flush, side by side or apart', async () => {
      const clock = { now: T0 + DAY_MS };
      const rollups = make(clock);
      const ts = T0 + 3 * HOUR_MS;
      const entries = [
        entry('dup', 'v', ts, { min: 2, max: 5, sum: 7, count: 2 }),
        entry('dup', 'v', ts, { min: 1, max: 4, sum: 5, count: 2 }),
        entry('dup', 'v', ts + MINUTE_MS, aggregateOf(9)),
        entry('dup', 'v', ts, { min: 3, max: 8, sum: 11, count: 2 }),
      ];
      await rollups.mergeRollups({ flushId: 'd-1', entries });
      expect(await rollups.readRollups('dup', 'v', 'minute', T0, T0 + DAY_MS)).toEqual([
        { ts, aggregate: { min: 1, max: 8, sum: 23, count: 6 } },
        { ts: ts + MINUTE_MS, aggregate: aggregateOf(9) },
      ]);
    });

    it('applies a retried flush once (same flush id: duplicate, nothing changes)', async () => {
      const clock = { now: T0 + DAY_MS };
      const rollups = make(clock);
      // more entries than one script takes: every chunk must be idempotent
      const entries = Array.from({ length: 20 }, (_, k) => entry(`dev:${k % 3}`, 'rain', T0 + k * MINUTE_MS, aggregateOf(k)));
      expect(await rollups.mergeRollups({ flushId: 'f-1', entries })).toEqual({ status: 'applied' });
      expect(await rollups.mergeRollups({ flushId: 'f-1', entries })).toEqual({ status: 'duplicate' });
      const read = await rollups.readRollups('dev:1', 'rain', 'minute', T0, T0 + HOUR_MS);
      expect(read.map((b) => [b.ts, b.aggregate.count, b.aggregate.sum])).toEqual([1, 4, 7, 10, 13, 16, 19].map((k) => [T0 + k * MINUTE_MS, 1, k]));
    });

    it('keeps every double exactly, negative zero and the extremes included', async () => {
      const clock = { now: T0 + DAY_MS };
      const rollups = make(clock);
      const aggregate = { min: -0, max: Number.MAX_VALUE, sum: 0.1 + 0.2, count: 3 };
      await rollups.mergeRollups({
        flushId: 'x-1',
        entries: [
          entry('x', 'v', T0, aggregate),
          entry('x', 'v', T0 + MINUTE_MS, { min: 5e-324, max: 1e-300, sum: -1.7976931348623157e308, count: 1 }),
        ],
      });
      const read = await rollups.readRollups('x', 'v', 'minute', T0, T0 + HOUR_MS);
      expect(read.map((b) => b.aggregate)).toEqual([aggregate, { min: 5e-324, max: 1e-300, sum: -1.7976931348623157e308, count: 1 }]);
      expect(Object.is(read[0]!.aggregate.min, -0)).toBe(true);
    });

    it('reads only the asked range, oldest first, across hash spans', async () => {
      const clock = { now: T0 + 6 * DAY_MS };
      const rollups = make(clock);
      const hours = Array.from({ length: 5 * 24 }, (_, k) => entry('p-1', 'pressure', T0 + k * HOUR_MS, aggregateOf(k), 'hour'));
      await rollups.mergeRollups({ flushId: 'h-1', entries: [...hours].reverse() });
      const read = await rollups.readRollups('p-1', 'pressure', 'hour', T0 + 20 * HOUR_MS, T0 + 110 * HOUR_MS);
      expect(read.map((b) => b.aggregate.sum)).toEqual(Array.from({ length: 90 }, (_, k) => k + 20));
    });

    it('keeps minutes and hours for their own retention and no longer', async () => {
      const clock = { now: T0 + 2 * DAY_MS };
      const rollups = make(clock, { minuteRetentionMs: DAY_MS, hourRetentionMs: 3 * DAY_MS });
      await rollups.mergeRollups({
        flushId: 'r-1',
        entries: [
          entry('d', 'm', T0 + DAY_MS + HOUR_MS, aggregateOf(1)),
          entry('d', 'm', T0 + DAY_MS + HOUR_MS, aggregateOf(1), 'hour'),
          // already past the minute retention: never written
          entry('d', 'm', T0 + HOUR_MS, aggregateOf(5)),
        ],
      });
      expect(await rollups.readRollups('d', 'm', 'minute', 0, T0 + 3 * DAY_MS)).toHaveLength(1);
      clock.now = T0 + 3 * DAY_MS + 2 * HOUR_MS;
      expect(await rollups.readRollups('d', 'm', 'minute', 0, T0 + 9 * DAY_MS)).toEqual([]);
      expect(await rollups.readRollups('d', 'm', 'hour', 0, T0 + 9 * DAY_MS)).toHaveLength(1);
      clock.now = T0 + 5 * DAY_MS;
      expect(await rollups.readRollups('d', 'm', 'hour', 0, T0 + 9 * DAY_MS)).toEqual([]);
    });

    it('equals the raw readings rolled up directly, however they were split into flushes (property)', async () => {
      const clock = { now: T0 + DAY_MS };
      const rollups = make(clock);
      let run = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.array(
            fc.tuple(fc.integer({ min: 0, max: 3 * HOUR_MS - 1 }), fc.double({ min: -1e4, max: 1e4, noNaN: true }), fc.integer({ min: 0, max: 3 })),
            {
              minLength: 1,
              maxLength: 60,
            },
          ),
          async (raw) => {
            const deviceId = `prop-${++run}`;
            // each reading's flush (0..3) plays a node or a flush interval; each flush holds minute partials
            for (let f = 0; f <= 3; f++) {
              const mine = raw.filter(([, , flush]) => flush === f).map(([ts, v]) => ({ ts: T0 + ts, aggregate: aggregateOf(v) }));
              const minutes = coarsenBuckets(mine, MINUTE_MS);
              await rollups.mergeRollups({ flushId: `${deviceId}-${f}`, entries: minutes.map((b) => entry(deviceId, 'v', b.ts, b.aggregate)) });
            }
            const stored = await rollups.readRollups(deviceId, 'v', 'minute', T0, T0 + DAY_MS);
            const direct = coarsenBuckets(
              raw.map(([ts, v]) => ({ ts: T0 + ts, aggregate: aggregateOf(v) })),
              MINUTE_MS,
            );
            expect(stored.map((b) => b.ts)).toEqual(direct.map((b) => b.ts));
            stored.forEach((b, k) => {
              const d = direct[k]!.aggregate;
              expect([b.aggregate.min, b.aggregate.max, b.aggregate.count]).toEqual([d.min, d.max, d.count]);
              // sums differ only by floating-point rounding of a different addition order
              expect(b.aggregate.sum).toBeCloseTo(d.sum, 6);
              expect(bucketStart(b.ts, MINUTE_MS)).toBe(b.ts);
            });
          },
        ),
        { numRuns: 25 },
      );
    });
  });
});
