/**
 * The City IOC server under test, alone in its own process so its CPU is measured apart from the
 * load generators. Started by bench/run.ts with JSON options; prints `BENCH_SERVER_PORT=<port>` on
 * stdout and reports `ready` over IPC.
 *
 * Bench-only extras (no server code changed):
 * - `GET /__bench/ping?id=X` emits `bench:ping {id}` to every `/live` socket: the alarm-latency
 *   peer, a bare Socket.IO emit triggered over HTTP through the same event loop and the same load.
 * - RPC `blast`: broadcasts a pre-built scene delta to a scene room as fast as the slowest
 *   reporting client acknowledges (window of frames in flight) — the fan-out measurement.
 */
// first, as in server/main.ts: the MQTT codec's debug loggers are no-ops (server/mqtt/quiet-debug.ts)
import '../server/mqtt/quiet-debug';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { writeFileSync } from 'node:fs';
import { Session as InspectorSession } from 'node:inspector/promises';
import { writeHeapSnapshot } from 'node:v8';
import { constants, monitorEventLoopDelay, performance as perf, PerformanceObserver } from 'node:perf_hooks';
import { loadConfig, type ServerConfig } from '../server/config';
import { startIocServer, type IocServer } from '../server/app';
import { createLogger } from '../server/logger';
import { MemoryStore } from '../server/store/memory-store';
import { RedisStore } from '../server/store/redis-store';
import { resolveNodeId } from '../server/cluster/node-identity';
import { sceneRoom } from '../server/scene-hub';
import type { ScreenSceneId } from '../scenes/domain';
import { childOptions, sampleProcess, serveRpc } from './child-rpc';
import { runBlast, type BlastParams, type BlastResult } from './blast';

export interface ServerProcessOptions {
  store: 'memory' | 'redis';
  redisUrl?: string;
  /** key prefix in Redis, unique per run so runs never share state */
  redisPrefix?: string;
  /** fleet size */
  devices: number;
  coalesceIntervalMs: number;
  /** built client to serve (render benchmark) */
  clientDist?: string;
  /**
   * 'default': the server's ingest rate limits as configured for production (flood benchmark);
   * 'raised' (default): limits far above any load the other parts offer — their closed-loop load
   * spreads tens of thousands of readings/s over the fleet, many times each device's catalogue rate
   */
  ingestLimits?: 'default' | 'raised';
  /** extra environment for loadConfig (MQTT benchmark: IOC_MQTT_URL, …) */
  env?: Record<string, string>;
  /** extra config overrides (MQTT benchmark: `{ mqttPort: 0, mqttPortExplicit: true }`, raised connect limits) */
  config?: Partial<ServerConfig>;
}

/** Rate-limit settings of a 'raised' bench server (the limiter still runs, at no practical limit). */
const RAISED_INGEST_LIMITS = { ingestBurstFactor: 1e6, ingestSourceReadingsPerS: 1e9 };

/** Resolution of the event-loop delay histogram, ms. */
const EVENT_LOOP_RESOLUTION_MS = 10;

const opts = childOptions<ServerProcessOptions>();
let unhandledRejections = 0;
let uncaughtExceptions = 0;
process.on('unhandledRejection', (err) => {
  unhandledRejections++;
  console.error('unhandledRejection in server under test:', err);
});
process.on('uncaughtException', (err) => {
  uncaughtExceptions++;
  console.error('uncaughtException in server under test:', err);
});

const loopDelay = monitorEventLoopDelay({ resolution: EVENT_LOOP_RESOLUTION_MS });
loopDelay.enable();

/** GC pauses since the last resetLoopDelay: count, total and longest, ms */
const gcPauses = { count: 0, totalMs: 0, maxMs: 0, majorMaxMs: 0 };
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    gcPauses.count++;
    gcPauses.totalMs += e.duration;
    gcPauses.maxMs = Math.max(gcPauses.maxMs, e.duration);
    if ((e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR)
      gcPauses.majorMaxMs = Math.max(gcPauses.majorMaxMs, e.duration);
  }
}).observe({ entryTypes: ['gc'] });

const config = loadConfig(
  { NODE_ENV: 'test', IOC_LOG_LEVEL: 'silent', ...opts.env },
  {
    port: 0,
    host: '127.0.0.1',
    demoDevices: opts.devices,
    coalesceIntervalMs: opts.coalesceIntervalMs,
    clientDist: opts.clientDist ?? null,
    redisPrefix: opts.redisPrefix ?? 'bench',
    ...(opts.ingestLimits === 'default' ? {} : RAISED_INGEST_LIMITS),
    ...opts.config,
  },
);
// the node id production derives (host-port-random): what this store appends is tagged with it and
// the server's log follower skips exactly those entries (before 2026-12-03 the store kept the default
// 'local' while the server followed as a derived id, so every reading was read back and applied twice)
const nodeId = resolveNodeId(process.env, 0);
const store =
  opts.store === 'redis'
    ? new RedisStore(opts.redisUrl!, { prefix: opts.redisPrefix ?? 'bench', nodeId })
    : new MemoryStore({ prefix: 'bench', nodeId });
const server: IocServer = await startIocServer(config, { store, logger: createLogger('silent') });

// route /__bench/* before Socket.IO and Express see the request
const listeners = server.http.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
server.http.removeAllListeners('request');
server.http.on('request', (req: IncomingMessage, res: ServerResponse) => {
  if (req.url?.startsWith('/__bench/ping')) {
    const id = new URL(req.url, 'http://x').searchParams.get('id') ?? '';
    server.realtime.live.emit('bench:ping', { id });
    res.writeHead(204).end();
    return;
  }
  for (const l of listeners) l(req, res);
});

// fan-out acknowledgements from the reporting clients
const acked = new Map<string, number>();
server.realtime.live.on('connection', (socket) => {
  socket.on('bench:ack', (n: unknown) => {
    if (typeof n === 'number') acked.set(socket.id, n);
  });
  socket.on('disconnect', () => acked.delete(socket.id));
});

/** the CPU profiler of cpuProfileStart/cpuProfileStop, while one runs */
let profiler: InspectorSession | null = null;
/** the sampling heap profiler of allocationSampleStart/allocationSampleStop, while one runs */
let sampler: InspectorSession | null = null;

const rpc = serveRpc(
  {
    stats: () => {
      const hub = server.realtime.hub.stats;
      return {
        ...sampleProcess(),
        clients: server.realtime.connectedClients(),
        hubFrames: hub.frames,
        hubBuilds: hub.builds,
        hubBuildMsTotal: hub.buildMsTotal,
        /** the telemetry frame interval in force (server/frame-pacing.ts), ms */
        frameIntervalMs: hub.frameIntervalMs,
        ingestTotals: server.ingest.totals,
        /** cumulative event-loop idle/active time (performance.eventLoopUtilization), ms */
        loop: perf.eventLoopUtilization(),
        loopDelayP50Ms: loopDelay.percentile(50) / 1e6,
        loopDelayP99Ms: loopDelay.percentile(99) / 1e6,
        loopDelayMaxMs: loopDelay.max / 1e6,
        gcPauses: { ...gcPauses },
        unhandledRejections,
        uncaughtExceptions,
      };
    },
    resetLoopDelay: () => {
      loopDelay.reset();
      Object.assign(gcPauses, { count: 0, totalMs: 0, maxMs: 0, majorMaxMs: 0 });
      return true;
    },
    /** writes a V8 heap snapshot (blocks the server for seconds: only on request), returns its path */
    heapSnapshot: (file: string) => writeHeapSnapshot(file),
    /** starts a CPU profile of this process (a measurement window's own, unlike --cpu-prof's whole life) */
    cpuProfileStart: async () => {
      profiler ??= new InspectorSession();
      profiler.connect();
      await profiler.post('Profiler.enable');
      await profiler.post('Profiler.start');
      return true;
    },
    /** stops it and writes it to `file` (a .cpuprofile for bench/profile-summary.ts) */
    cpuProfileStop: async (file: string) => {
      if (!profiler) return null;
      const { profile } = await profiler.post('Profiler.stop');
      writeFileSync(file, JSON.stringify(profile));
      profiler.disconnect();
      profiler = null;
      return file;
    },
    /**
     * Development: starts V8's sampling heap profiler counting every allocation, also the objects a
     * scavenge or a full GC already collected (`--heap-prof` keeps only the survivors): where the
     * young generation's garbage comes from.
     */
    allocationSampleStart: async (samplingIntervalBytes = 16_384) => {
      sampler ??= new InspectorSession();
      sampler.connect();
      await sampler.post('HeapProfiler.enable');
      await sampler.post('HeapProfiler.startSampling', {
        samplingInterval: samplingIntervalBytes,
        includeObjectsCollectedByMajorGC: true,
        includeObjectsCollectedByMinorGC: true,
      } as never);
      return true;
    },
    /** stops it and writes it to `file` (a .heapprofile: Chromium DevTools, or bench/alloc-summary.ts) */
    allocationSampleStop: async (file: string) => {
      if (!sampler) return null;
      const { profile } = await sampler.post('HeapProfiler.stopSampling');
      writeFileSync(file, JSON.stringify(profile));
      sampler.disconnect();
      sampler = null;
      return file;
    },
    /** heap after a full GC (needs --expose-gc), bytes */
    gcHeap: () => {
      const gc = (globalThis as { gc?: () => void }).gc;
      if (!gc) return null;
      gc();
      gc();
      return process.memoryUsage().heapUsed;
    },
    blast: (p: BlastParams & { scene: ScreenSceneId }): Promise<BlastResult> => {
      acked.clear();
      const room = server.realtime.live.to(sceneRoom(p.scene));
      return runBlast(
        p,
        (msg) => room.emit('scene:delta', msg as never),
        () => [...acked.values()],
      );
    },
  },
  () => server.close(),
);

process.stdout.write(`BENCH_SERVER_PORT=${server.port}\n`);
rpc.ready({ port: server.port, url: server.url, store: server.store.kind, mqttPort: server.mqttPort });
