/**
 * Restart-to-serving after a crash (issue 10, #11): `kill -9` the server, start it again, time
 * spawn → first `GET /healthz` 200 (the server listens only once its state is loaded).
 *
 *   npx tsx bench/restart.ts [--devices 20000] [--cycles 20] [--alerts 3000] [--incidents 2000] [--cpu-prof DIR]
 *
 * A throwaway redis-server holds the state of the fleet (a device state per device, open alerts,
 * open incidents with a few transitions each). Each cycle starts the production bundle
 * (`node --enable-source-maps dist-server/main.mjs`) and, as the peer in the same run, the old way
 * (`tsx server/main.ts`, transpiling at every start), interleaved so machine noise hits both.
 * Prints p50 / p95 / max per contender and one JSON line. Target: bundle p50 < 2 s at 20k devices.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Alert, DeviceState, Incident } from '../scenes/domain';
import { DEFAULT_FLEET, generateFleet } from '../scenes/fleet';
import { createIncidentFromAlert } from '../scenes/incident-machine';
import { categoryForRule } from '../scenes/catalogue';
import { FleetSimulator } from '../mock-devices/simulator';
import { Fusion } from '../server/fusion';
import { RedisStore } from '../server/store/redis-store';
import { buildServerIfStale, serverBundle } from '../scripts/build-server-if-stale.mjs';
import { SERVER_NODE_FLAGS } from '../scripts/server-node-flags.mjs';
import { freePort } from '../tests/helpers/free-port';
import { startRedisServer } from '../tests/helpers/redis-server';
import { percentile } from './stats';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PREFIX = 'bench-restart';
/** /healthz poll while waiting for readiness, ms (the resolution of the measurement). */
const READY_POLL_MS = 10;
/** A start slower than this is a failure, not a measurement, ms. */
const READY_TIMEOUT_MS = 120_000;
/** Device states per store call while seeding. */
const SEED_CHUNK = 2_000;
/** Simulated span over which every device reports at least once while seeding, ms. */
const SEED_SPAN_MS = 15 * 60_000;
const SEED_STEP_MS = 60_000;

export interface RestartBenchOptions {
  /** fleet size (IOC_DEMO_DEVICES and the seeded device states) */
  devices: number;
  /** measured kill -9 + restart cycles per contender */
  cycles: number;
  /** open alerts seeded */
  alerts: number;
  /** open incidents seeded (one per alert, at most `alerts`) */
  incidents: number;
  /** also time the old `tsx server/main.ts` start (the peer) */
  peer: boolean;
  /** write a V8 CPU profile of the first measured bundle start here */
  cpuProfDir?: string;
  log?: (line: string) => void;
}

export interface RestartFigures {
  /** ms */
  p50_ms: number;
  /** ms */
  p95_ms: number;
  /** ms */
  max_ms: number;
  n: number;
}

export interface RestartBenchResult {
  devices: number;
  alerts: number;
  incidents: number;
  bundle: RestartFigures;
  /** the old tsx start, when measured */
  tsx_peer: RestartFigures | null;
}

async function seed(redisUrl: string, o: RestartBenchOptions): Promise<void> {
  const { devices: devicesN, alerts: alertsN } = o;
  const incidentsN = Math.min(o.incidents, alertsN);
  const t0 = performance.now();
  const fleet = generateFleet({ count: devicesN, seed: DEFAULT_FLEET.seed });
  const fusion = new Fusion(fleet);
  const sim = new FleetSimulator({ fleet, seed: DEFAULT_FLEET.seed });
  const nowTs = Date.now();
  const startTs = nowTs - SEED_SPAN_MS;
  for (let ts = startTs; ts <= nowTs; ts += SEED_STEP_MS) {
    for (const r of sim.step(ts)) fusion.applyReading(r, []);
  }
  const states: DeviceState[] = fusion.takeChangedStates();
  const store = new RedisStore(redisUrl, { prefix: PREFIX });
  for (let i = 0; i < states.length; i += SEED_CHUNK) await store.saveDeviceStates(states.slice(i, i + SEED_CHUNK));

  const alerts: Alert[] = [];
  for (const d of fleet) {
    if (alerts.length >= alertsN) break;
    const rule = fusion.rulesFor(d.kind).find((r) => r.type === 'threshold');
    if (!rule) continue;
    alerts.push({
      id: `${d.id}|${rule.id}|${startTs}`,
      deviceId: d.id,
      deviceKind: d.kind,
      ruleId: rule.id,
      scene: d.scene,
      district: d.district,
      location: d.location,
      level: 'yellow',
      peakLevel: 'yellow',
      cleared: false,
      acknowledged: false,
      firstTs: startTs,
      lastTs: nowTs,
      count: 3,
      title: rule.title,
      titleEn: rule.titleEn,
    });
  }
  let incidents = 0;
  await Promise.all(
    alerts.map(async (alert, i) => {
      if (i < incidentsN) {
        const rule = fusion.ruleById(alert.ruleId)!;
        const incident: Incident = createIncidentFromAlert(alert, {
          id: `INC-BENCH-${i}`,
          commandId: `bench-auto-${i}`,
          nowTs: startTs,
          category: categoryForRule(rule),
        });
        await store.createIncident(incident, `bench-auto-${i}`);
        alert.incidentId = incident.id;
        incidents++;
      }
      await store.saveAlert(alert);
    }),
  );
  await store.close();
  (o.log ?? console.log)(
    `seeded ${states.length} device states, ${alerts.length} open alerts, ${incidents} open incidents in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
}

interface Contender {
  name: string;
  command: string;
  args: (profDir?: string) => string[];
}

const contenders: Contender[] = [
  {
    name: 'bundle',
    command: process.execPath,
    args: (profDir) => [...(profDir ? ['--cpu-prof', '--cpu-prof-dir', profDir] : []), ...SERVER_NODE_FLAGS, '--enable-source-maps', serverBundle],
  },
  { name: 'tsx (peer: before #11)', command: path.join(ROOT, 'node_modules', '.bin', 'tsx'), args: () => ['server/main.ts'] },
];

/** One start: spawn → /healthz 200, then kill -9 the whole process group (tsx runs a child node). */
async function startOnce(c: Contender, env: NodeJS.ProcessEnv, port: number, profDir?: string): Promise<{ ms: number; health: unknown }> {
  const t0 = performance.now();
  const child = spawn(c.command, c.args(profDir), { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let err = '';
  child.stderr.on('data', (b: Buffer) => (err = (err + b.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    for (;;) {
      if (performance.now() - t0 > READY_TIMEOUT_MS || child.exitCode !== null) throw new Error(`${c.name} did not become ready:\n${err}`);
      try {
        const r = await fetch(`http://127.0.0.1:${port}/healthz`);
        if (r.status === 200) return { ms: performance.now() - t0, health: await r.json() };
        await r.body?.cancel();
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, READY_POLL_MS));
    }
  } finally {
    if (profDir) {
      // a profile is written only on a clean exit
      process.kill(-child.pid!, 'SIGTERM');
    } else {
      process.kill(-child.pid!, 'SIGKILL');
    }
    await exited;
  }
}

function figures(samplesMs: readonly number[]): RestartFigures {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  return {
    p50_ms: Math.round(percentile(sorted, 50)!),
    p95_ms: Math.round(percentile(sorted, 95)!),
    max_ms: Math.round(sorted[sorted.length - 1]),
    n: sorted.length,
  };
}

/** Seed a throwaway Redis, then time `cycles` kill -9 + restart cycles of each contender. */
export async function measureRestart(o: RestartBenchOptions): Promise<RestartBenchResult> {
  const log = o.log ?? ((line: string) => console.log(line));
  buildServerIfStale({ quiet: true });
  const redis = await startRedisServer();
  if (!redis) throw new Error('redis-server is needed for the restart benchmark');
  try {
    await seed(redis.url, o);
    const port = await freePort();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NODE_ENV: 'test',
      PORT: String(port),
      HOST: '127.0.0.1',
      REDIS_URL: redis.url,
      IOC_STORE: 'redis',
      IOC_REDIS_PREFIX: PREFIX,
      IOC_DEMO_DEVICES: String(o.devices),
      IOC_LOG_LEVEL: 'warn',
    };
    const active = o.peer ? contenders : contenders.slice(0, 1);
    const times = new Map<string, number[]>(active.map((c) => [c.name, []]));
    // one unmeasured start each: the OS file cache, and a check that what was seeded is loaded
    for (const c of active) {
      const first = await startOnce(c, env, port);
      log(`${c.name}: warm-up start ${(first.ms / 1000).toFixed(2)} s, /healthz ${JSON.stringify(first.health)}`);
    }
    for (let i = 0; i < o.cycles; i++) {
      for (const c of active) {
        const profDir = o.cpuProfDir && c.name === 'bundle' && i === 0 ? o.cpuProfDir : undefined;
        times.get(c.name)!.push((await startOnce(c, env, port, profDir)).ms);
      }
    }
    const peerTimes = o.peer ? times.get(contenders[1].name)! : null;
    return {
      devices: o.devices,
      alerts: o.alerts,
      incidents: Math.min(o.incidents, o.alerts),
      bundle: figures(times.get('bundle')!),
      tsx_peer: peerTimes ? figures(peerTimes) : null,
    };
  } finally {
    await redis.stop();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      devices: { type: 'string', default: '20000' },
      cycles: { type: 'string', default: '20' },
      alerts: { type: 'string', default: '3000' },
      incidents: { type: 'string', default: '2000' },
      'cpu-prof': { type: 'string' },
      'no-peer': { type: 'boolean', default: false },
    },
  });
  const r = await measureRestart({
    devices: Number(values.devices),
    cycles: Number(values.cycles),
    alerts: Number(values.alerts),
    incidents: Number(values.incidents),
    peer: !values['no-peer'],
    cpuProfDir: values['cpu-prof'],
  });
  for (const [name, f] of [
    ['bundle', r.bundle],
    ['tsx (peer: before #11)', r.tsx_peer],
  ] as const) {
    if (f) console.log(`${name.padEnd(24)} restart→/healthz 200  p50 ${f.p50_ms} ms  p95 ${f.p95_ms} ms  max ${f.max_ms} ms  (n=${f.n})`);
  }
  console.log(JSON.stringify({ restart: r }));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
