/**
 * Benchmark profiles: every duration, rate and size the run uses, with units in the names.
 * `full` stays under 10 minutes on 2 cores, `quick` under 2 minutes.
 */
import { DEFAULT_FUSION_OPTIONS } from '../server/fusion';
import { SERVER_NODE_FLAGS } from '../scripts/server-node-flags.mjs';

export interface BenchProfile {
  name: 'quick' | 'full';
  fleetSeed: number;
  xadd: { durationMs: number; batchSize: number; pipelinesInFlight: number };
  ingest: {
    /** fleet of the ingest/alarm/fan-out server */
    fleetCount: number;
    /** tail devices kept out of the load for probes */
    reservedDevices: number;
    screenClients: number;
    coalesceIntervalMs: number;
    batchSize: number;
    maxInFlight: number;
    saturateMs: number;
    /** open-loop steps as fractions of the closed-loop saturation rate (those above 1.0 stop at the first failure) */
    stepFractions: number[];
    stepMs: number;
    probesPerS: number;
    /** a step passes when device→client p99 stays under this, ms */
    latencyBudgetMs: number;
    /** … and at least this share of the offered readings is accepted */
    minAcceptedFraction: number;
    /** the in-memory store peer runs the same steps */
    memoryPeer: boolean;
  };
  alarm: { durationMs: number; alarmsPerS: number; pingsPerS: number; loadFractionOfCeiling: number };
  fanout: { durationMs: number; windowFrames: number; fallbackFrameBytes: number; drainTimeoutMs: number; rounds: number };
  bytes: { fleetCount: number; deviceRateFractions: number[]; windowMs: number; coalesceIntervalMs: number };
  concurrency: {
    clients: number;
    fleetCount: number;
    reservedDevices: number;
    connectConcurrency: number;
    readingsPerS: number;
    windowMs: number;
    probesPerS: number;
    dispatchIterations: number;
    dispatchPauseMs: number;
  };
  render: {
    pointCounts: number[];
    sampleMs: number;
    updatesPerS: number;
    updateFraction: number;
    /** the wall with 4 cameras playing (render-cameras.ts): its points (live updates as above) and each CPU window, ms */
    cameras: { points: number; windowMs: number };
  };
  /** one device floods while the fleet reports at catalogue rate (server with production rate limits) */
  flood: {
    fleetCount: number;
    /** connections the fleet reports through */
    gateways: number;
    /** a fleet gateway / the rated flooder posts this often, ms */
    tickMs: number;
    /** each window (without flood, flood at the rated multiple, closed-loop flood), ms */
    windowMs: number;
    /** the three windows are repeated this many times, interleaved; latencies pooled per kind */
    rounds: number;
    /** the rated flood: this many times the flood device's catalogue rate */
    rateMultiple: number;
    /** closed-loop flood: readings per post and posts in flight */
    batchSize: number;
    maxInFlight: number;
  };
  /** registry (issue 11): CSV import through the REST API, and the ingest ceiling with a large registry */
  registry: {
    /** devices per import CSV, one fresh import each */
    importSizes: number[];
    /** the ingest ceiling with this many registered devices … */
    baseRegistered: number;
    /** … against this many (the same load devices, probes and screens; the rest registered and silent) */
    largeRegistered: number;
    /** each open-loop step is offered this many times to each registry (a rate passes when any round passed) */
    rounds: number;
  };
  /** pause after a load window so the last frames arrive before counting, ms */
  settleMs: number;
  soak: {
    sampleEveryMs: number;
    warmupFraction: number;
    /** the server's rolling chart windows fill for DEFAULT_FUSION_OPTIONS.seriesBuckets × seriesBucketMs (10 min): warm-up lasts at least that long (capped at half the run) */
    minWarmupMs: number;
    readingsPerS: number;
    screenClients: number;
    fleetCount: number;
  };
}

const SEED = 20261121;

export const FULL_PROFILE: BenchProfile = {
  name: 'full',
  fleetSeed: SEED,
  xadd: { durationMs: 5_000, batchSize: 1000, pipelinesInFlight: 4 },
  ingest: {
    fleetCount: 20_000,
    reservedDevices: 3_000,
    screenClients: 100,
    coalesceIntervalMs: 100,
    batchSize: 1000,
    maxInFlight: 8,
    saturateMs: 5_000,
    // the closed loop stops short of the server's limit when batches wait on Redis round trips:
    // steps above 1.0 find the real ceiling (the run stops at the first failing one of those)
    stepFractions: [0.25, 0.5, 0.7, 0.85, 1.0, 1.2, 1.4],
    stepMs: 6_000,
    probesPerS: 10,
    latencyBudgetMs: 250,
    minAcceptedFraction: 0.95,
    memoryPeer: true,
  },
  alarm: { durationMs: 10_000, alarmsPerS: 5, pingsPerS: 5, loadFractionOfCeiling: 0.8 },
  fanout: { durationMs: 4_000, windowFrames: 32, fallbackFrameBytes: 2_000, drainTimeoutMs: 10_000, rounds: 3 },
  bytes: { fleetCount: 100_000, deviceRateFractions: [0.1, 0.2, 0.05, 0.025], windowMs: 10_000, coalesceIntervalMs: 250 },
  concurrency: {
    clients: 2000,
    fleetCount: 2000,
    reservedDevices: 500,
    connectConcurrency: 50,
    readingsPerS: 1000,
    windowMs: 20_000,
    probesPerS: 10,
    dispatchIterations: 100,
    dispatchPauseMs: 100,
  },
  render: {
    pointCounts: [10_000, 50_000, 100_000],
    sampleMs: 5_000,
    updatesPerS: 4,
    updateFraction: 0.01,
    cameras: { points: 10_000, windowMs: 10_000 },
  },
  flood: { fleetCount: 20_000, gateways: 4, tickMs: 100, windowMs: 8_000, rounds: 4, rateMultiple: 100, batchSize: 1000, maxInFlight: 4 },
  registry: { importSizes: [10_000, 100_000], baseRegistered: 20_000, largeRegistered: 100_000, rounds: 2 },
  settleMs: 600,
  soak: {
    sampleEveryMs: 15_000,
    warmupFraction: 0.2,
    minWarmupMs: DEFAULT_FUSION_OPTIONS.seriesBuckets * DEFAULT_FUSION_OPTIONS.seriesBucketMs + 60_000,
    readingsPerS: 5_000,
    screenClients: 100,
    fleetCount: 20_000,
  },
};

export const QUICK_PROFILE: BenchProfile = {
  ...FULL_PROFILE,
  name: 'quick',
  xadd: { ...FULL_PROFILE.xadd, durationMs: 2_000 },
  ingest: {
    ...FULL_PROFILE.ingest,
    fleetCount: 10_000,
    reservedDevices: 1_500,
    saturateMs: 2_000,
    stepFractions: [0.35, 0.7, 1.0],
    stepMs: 2_500,
    memoryPeer: true,
  },
  alarm: { ...FULL_PROFILE.alarm, durationMs: 3_000 },
  fanout: { ...FULL_PROFILE.fanout, durationMs: 1_500, rounds: 2 },
  // quick: a 20k fleet (the full run uses the 100k); the JSON records bytes_fleet_count
  bytes: { ...FULL_PROFILE.bytes, fleetCount: 20_000, deviceRateFractions: [0.1, 0.05, 0.025], windowMs: 2_500 },
  concurrency: { ...FULL_PROFILE.concurrency, clients: 500, connectConcurrency: 100, windowMs: 5_000, dispatchIterations: 20 },
  render: { ...FULL_PROFILE.render, pointCounts: [10_000], sampleMs: 2_000, cameras: { points: 2_000, windowMs: 5_000 } },
  flood: { ...FULL_PROFILE.flood, fleetCount: 10_000, windowMs: 4_000, rounds: 2 },
  // quick: the 10k import only; the ceiling at the quick ingest fleet (10k) against 100k registered
  registry: { importSizes: [10_000], baseRegistered: 10_000, largeRegistered: 100_000, rounds: 1 },
};

/**
 * Node flags of the bench's server processes: the shipped ones (scripts/server-node-flags.mjs, so
 * the bench measures the server as `npm start` runs it), `--expose-gc` for the heap figures and a
 * high old-space cap. Development only: IOC_BENCH_SERVER_NODE_FLAGS (space-separated) is appended,
 * and a later flag wins, e.g. `--max-semi-space-size=16` measures V8's default young generation.
 */
export function serverNodeFlags(): string[] {
  const extra = process.env.IOC_BENCH_SERVER_NODE_FLAGS?.split(' ').filter(Boolean) ?? [];
  return [...SERVER_NODE_FLAGS, '--expose-gc', '--max-old-space-size=4096', ...extra];
}
