/**
 * Peer of the ingest ceiling: the raw ioredis `pipeline()` XADD ceiling of the same Redis, in its
 * own process. Same stream layout and MAXLEN as RedisStore.appendReadings (fields d, t, s, m),
 * `pipelinesInFlight` pipelines of `batchSize` XADDs kept in flight for `durationMs`.
 * Mode `store` runs RedisStore.appendReadings itself (one Lua call per batch) the same way: the
 * ceiling of City IOC's own write path with nothing else around it, reported for transparency.
 */
import { Redis } from 'ioredis';
import { DEFAULT_STORE_OPTIONS } from '../server/store/store';
import { RedisStore } from '../server/store/redis-store';
import type { Reading } from '../scenes/domain';
import { generateFleet } from '../scenes/fleet';
import { safeMetrics } from './bench-readings';
import { childOptions, serveRpc } from './child-rpc';

export interface XaddProcessOptions {
  redisUrl: string;
  key: string;
  fleetCount: number;
  fleetSeed: number;
}

export interface XaddRunParams {
  durationMs: number;
  batchSize: number;
  pipelinesInFlight: number;
  mode?: 'pipeline' | 'store';
}

const opts = childOptions<XaddProcessOptions>();
const fleet = generateFleet({ count: opts.fleetCount, seed: opts.fleetSeed });
const metricObjects = fleet.map((d) => safeMetrics(d.kind));
const metrics = metricObjects.map((m) => JSON.stringify(m));
const redis = new Redis(opts.redisUrl, { maxRetriesPerRequest: 1, enableAutoPipelining: false });
const maxLen = String(DEFAULT_STORE_OPTIONS.readingsStreamMaxLen);
const storePrefix = `${opts.key}:store`;
const store = new RedisStore(opts.redisUrl, { prefix: storePrefix });
let cursor = 0;
let seq = 0;

async function runPipelines(p: XaddRunParams): Promise<{ readings: number; elapsedMs: number; readingsPerS: number }> {
  const t0 = performance.now();
  let readings = 0;
  const worker = async () => {
    while (performance.now() - t0 < p.durationMs) {
      if (p.mode === 'store') {
        const ts = Date.now();
        const batch: Reading[] = [];
        for (let i = 0; i < p.batchSize; i++) {
          const k = cursor;
          cursor = (cursor + 1) % fleet.length;
          batch.push({ deviceId: fleet[k].id, ts, seq: ++seq, metrics: metricObjects[k] });
        }
        await store.appendReadings(batch);
        readings += p.batchSize;
        continue;
      }
      const pl = redis.pipeline();
      const ts = String(Date.now());
      for (let i = 0; i < p.batchSize; i++) {
        const k = cursor;
        cursor = (cursor + 1) % fleet.length;
        pl.xadd(opts.key, 'MAXLEN', '~', maxLen, '*', 'd', fleet[k].id, 't', ts, 's', String(++seq), 'm', metrics[k]);
      }
      const res = await pl.exec();
      for (const [err] of res ?? []) if (err) throw err;
      readings += p.batchSize;
    }
  };
  await Promise.all(Array.from({ length: p.pipelinesInFlight }, worker));
  const elapsedMs = performance.now() - t0;
  return { readings, elapsedMs, readingsPerS: (readings / elapsedMs) * 1000 };
}

const rpc = serveRpc({ run: (p: XaddRunParams) => runPipelines(p) }, async () => {
  await redis.del(opts.key, `${storePrefix}:readings`).catch(() => 0);
  redis.disconnect();
  await store.close();
});
await redis.ping();
rpc.ready({ pid: process.pid });
