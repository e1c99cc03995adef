/**
 * Readings roll-ups (issue 16): Redis bytes per device-metric-day and the accumulator's cost per
 * reading.
 *
 *   npx tsx bench/rollup-memory.ts [--devices 1000] [--metrics 4] [--readings 2000000] [--layouts 60,120]
 *
 * Memory: a throwaway redis-server (tests/helpers); one simulated day of roll-ups for
 * `devices × metrics` series written through RedisRollupStore as the flusher would (one flush per
 * minute of the whole fleet: its minutes and its partial hours), then `used_memory` after minus
 * before, divided by the series; and the Redis time of the merge script per entry (INFO
 * commandstats). Repeated per hash layout (`--layouts`: minutes per hash) to choose one.
 * Accumulator: `add` over `readings` readings of the same fleet (10 s apart per device), drained
 * every 5 s of simulated time like the flusher; ns per reading (min of 5 rounds).
 */
import { Redis } from 'ioredis';
import type { Reading } from '../scenes/domain';
import { HOUR_MS, MINUTE_MS } from '../scenes/rollups/rollup-aggregate';
import { RedisRollupStore } from '../server/store/redis-rollups';
import type { RollupEntry } from '../server/store/rollup-store';
import { RollupAccumulator } from '../server/rollups/rollup-accumulator';
import { startRedisServer } from '../tests/helpers/redis-server';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

const DEVICES = arg('devices', 1_000);
const METRICS = arg('metrics', 4);
const READINGS = arg('readings', 2_000_000);
const LAYOUTS = (process.argv.includes('--layouts') ? process.argv[process.argv.indexOf('--layouts') + 1]! : '60').split(',').map(Number);
const DAY_MS = 24 * HOUR_MS;
/** readings per device per minute in the simulated day (a 10 s reporting interval) */
const READINGS_PER_MINUTE = 6;
/** the accumulator is drained this often in simulated time, ms (the default flush interval) */
const DRAIN_EVERY_MS = 5_000;
const ACCUMULATOR_ROUNDS = 5;
/** a whole UTC day, well inside the retention when the store's clock is its end */
const DAY0 = Date.UTC(2026, 10, 29);
const METRIC_NAMES = ['waterLevel', 'flow', 'pressure', 'temperature', 'rainfall', 'strain', 'tilt', 'battery'].slice(0, METRICS);

/** Plausible, non-round sensor values (two decimals, like the simulator's). */
function valueOf(device: number, metric: number, t: number): number {
  return Math.round((10 + device * 0.01 + metric + Math.sin(t / 600_000 + device) * 3) * 100) / 100;
}

function minuteEntries(minuteTs: number): RollupEntry[] {
  const entries: RollupEntry[] = [];
  for (let d = 0; d < DEVICES; d++) {
    for (let m = 0; m < METRICS; m++) {
      let min = Infinity;
      let max = -Infinity;
      let sum = 0;
      for (let k = 0; k < READINGS_PER_MINUTE; k++) {
        const v = valueOf(d, m, minuteTs + k * 10_000);
        min = Math.min(min, v);
        max = Math.max(max, v);
        sum += v;
      }
      const aggregate = { min, max, sum, count: READINGS_PER_MINUTE };
      entries.push({ deviceId: `dev-${d}`, metric: METRIC_NAMES[m]!, resolution: 'minute', bucketTs: minuteTs, aggregate });
      entries.push({ deviceId: `dev-${d}`, metric: METRIC_NAMES[m]!, resolution: 'hour', bucketTs: minuteTs - (minuteTs % HOUR_MS), aggregate });
    }
  }
  return entries;
}

async function usedMemory(admin: Redis): Promise<number> {
  const info = await admin.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)![1]);
}

async function measureLayout(url: string, admin: Redis, minuteSpanMin: number): Promise<Record<string, number | string>> {
  await admin.flushall();
  await admin.config('RESETSTAT');
  const before = await usedMemory(admin);
  const client = new Redis(url);
  const store = new RedisRollupStore(client, `rb${minuteSpanMin}`, {}, () => DAY0 + DAY_MS, {
    keySpanMs: { minute: minuteSpanMin * MINUTE_MS, hour: 96 * HOUR_MS },
  });
  const started = performance.now();
  for (let t = DAY0; t < DAY0 + DAY_MS; t += MINUTE_MS) await store.mergeRollups({ flushId: `f-${t}`, entries: minuteEntries(t) });
  const writeMs = performance.now() - started;
  const evalStats = /cmdstat_evalsha:calls=(\d+),usec=(\d+)/.exec(await admin.info('commandstats'));
  // the flush markers are bounded by their TTL, not by the data: left out of the per-series figure
  let markers = 0;
  let cursor = '0';
  do {
    const [next, keys] = await admin.scan(cursor, 'MATCH', `rb${minuteSpanMin}:rollup-flush:*`, 'COUNT', 10_000);
    if (keys.length > 0) await admin.del(...keys);
    markers += keys.length;
    cursor = next;
  } while (cursor !== '0');
  const after = await usedMemory(admin);
  const sample = `rb${minuteSpanMin}:rollup:m:${METRIC_NAMES[0]}:${Math.floor(DAY0 / (minuteSpanMin * MINUTE_MS))}:dev-0`;
  const encoding = String(await admin.call('OBJECT', 'ENCODING', sample));
  const series = DEVICES * METRICS;
  const read0 = performance.now();
  const day = await store.readRollups('dev-7', METRIC_NAMES[0]!, 'minute', DAY0, DAY0 + DAY_MS);
  const readMs = performance.now() - read0;
  client.disconnect();
  if (day.length !== 24 * 60) throw new Error(`read back ${day.length} minutes, expected 1440`);
  return {
    minutes_per_hash: minuteSpanMin,
    minute_hash_encoding: encoding,
    bytes_per_device_metric_day: Math.round((after - before) / series),
    total_mib: Math.round(((after - before) / 2 ** 20) * 10) / 10,
    write_s: Math.round(writeMs / 100) / 10,
    redis_us_per_entry: evalStats ? Math.round((Number(evalStats[2]) / (series * 2 * 1440)) * 10) / 10 : 'n/a',
    flush_markers_deleted: markers,
    read_24h_minutes_ms: Math.round(readMs * 10) / 10,
  };
}

function measureAccumulator(): Record<string, number> {
  const readings: Reading[] = [];
  // the same fleet reporting every 10 s: READINGS readings over READINGS / DEVICES × 10 s
  for (let i = 0; i < READINGS; i++) {
    const d = i % DEVICES;
    const t = DAY0 + Math.floor(i / DEVICES) * 10_000;
    const metrics: Record<string, number> = {};
    for (let m = 0; m < METRICS; m++) metrics[METRIC_NAMES[m]!] = valueOf(d, m, t);
    readings.push({ deviceId: `dev-${d}`, ts: t, seq: i, metrics });
  }
  const perDrain = Math.max(1, Math.round((DEVICES * DRAIN_EVERY_MS) / 10_000));
  let best = Infinity;
  let bestAdd = Infinity;
  for (let round = 0; round < ACCUMULATOR_ROUNDS; round++) {
    const acc = new RollupAccumulator();
    let addNs = 0;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < readings.length; i += perDrain) {
      const a0 = process.hrtime.bigint();
      acc.add(readings.slice(i, i + perDrain));
      addNs += Number(process.hrtime.bigint() - a0);
      acc.drain();
    }
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / readings.length);
    bestAdd = Math.min(bestAdd, addNs / readings.length);
  }
  return {
    readings: READINGS,
    metrics_per_reading: METRICS,
    add_ns_per_reading: Math.round(bestAdd),
    add_and_drain_ns_per_reading: Math.round(best),
  };
}

const redis = await startRedisServer();
if (!redis) throw new Error('redis-server is needed (Debian package redis-server)');
const admin = new Redis(redis.url);
try {
  console.log(
    `roll-ups of ${DEVICES} devices × ${METRICS} metrics × 1 day (minutes + hours), Redis ${/redis_version:(\S+)/.exec(await admin.info('server'))![1]}`,
  );
  const rows = [];
  for (const span of LAYOUTS) rows.push(await measureLayout(redis.url, admin, span));
  console.table(rows);
  console.log('accumulator (this process):');
  console.table([measureAccumulator()]);
} finally {
  admin.disconnect();
  await redis.stop();
}
