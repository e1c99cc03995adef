/**
 * Run a scripted drill against a RUNNING server:   npm run drill -- rainstorm [--standalone]
 *
 * 1. By default it asks the running simulator (main.ts) to run the drill through its loopback
 *    control port (IOC_MOCK_CONTROL_PORT, default 8099): one source of truth for every device.
 * 2. If no simulator answers (or with --standalone) it runs its own short-lived simulator for
 *    just the drill's devices, read from the server's registry like main.ts does (same service
 *    account and token file). Its seq numbers are time-based like the live simulator's (ts·1000 + 500), so the
 *    server never takes them for duplicates, and once the drill ends the live simulator's later
 *    readings take over again. (If a live simulator without a control port is also running, both
 *    report the same devices during the drill and values may alternate: use the control port.)
 *
 * Prints the alerts that must appear (deviceId, rule, level).
 */
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { DEFAULT_FLEET, generateFleet } from '../scenes/fleet';
import { DEV_DEVICE_SECRET } from '../server/device-token';
import { resolveCliConfig, DEFAULT_CONTROL_PORT } from './cli-config';
import { DRILLS, DRILL_NAMES, isDrillName, type DrillName, type DrillPlan, type ExpectedAlert } from './drills';
import { GatewayClient, type GatewayStats } from './gateway-client';
import { RegistryClient } from './registry-client';
import { RegistryFleetSource, type SimulatedFleet } from './registry-fleet';
import { DRILL_SEQ_SLOT, FleetSimulator } from './simulator';

/** Standalone drills step their simulator this often, ms. */
export const DRILL_TICK_MS = 250;
/** Keep reporting natural values this long after the drill so the server sees it end, ms. */
export const DRILL_TAIL_MS = 5000;
const CONTROL_TIMEOUT_MS = 1500;

export interface RunDrillOptions {
  /** the registry's devices, assets and tokens (the CLI reads them); without it a demo fleet is generated and signed with `deviceSecret` */
  registry?: SimulatedFleet;
  devices?: number;
  seed?: number;
  deviceSecret?: string;
  fetchImpl?: typeof fetch;
  log?: (line: string) => void;
  /**
   * true (default): wall-clock pacing, readings stamped with Date.now().
   * false: simulated time from `startTs` stepped as fast as possible (tests with a fake fetch).
   */
  realTime?: boolean;
  /** epoch ms at which the drill starts (default Date.now()) */
  startTs?: number;
  signal?: AbortSignal;
}

export interface RunDrillResult {
  plan: DrillPlan;
  expected: ExpectedAlert[];
  stats: GatewayStats;
}

/** Run a drill standalone: a short-lived simulator for just the drill's devices, sending to serverUrl. */
export async function runDrill(serverUrl: string, name: DrillName, opts: RunDrillOptions = {}): Promise<RunDrillResult> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const seed = opts.seed ?? DEFAULT_FLEET.seed;
  const fleet = opts.registry?.fleet ?? generateFleet({ count: opts.devices ?? DEFAULT_FLEET.count, seed });
  const plan = opts.registry ? DRILLS[name].plan(fleet, opts.registry.assets) : DRILLS[name].plan(fleet);
  const ids = new Set(plan.deviceIds);
  const subset = fleet.filter((d) => ids.has(d.id));
  const sim = new FleetSimulator({ fleet: subset, seed, seqSlot: DRILL_SEQ_SLOT, assets: opts.registry?.assets });
  const client = new GatewayClient({
    serverUrl,
    deviceSecret: opts.registry ? undefined : (opts.deviceSecret ?? DEV_DEVICE_SECRET),
    fetchImpl: opts.fetchImpl,
    log,
    statusIntervalMs: 0,
  });
  if (opts.registry) client.setTokens(opts.registry.tokens);
  const realTime = opts.realTime ?? true;
  const startTs = opts.startTs ?? Date.now();
  sim.startDrill(name, startTs, plan);
  const endTs = startTs + plan.durationMs + DRILL_TAIL_MS;
  log(`[drill] ${name}: ${DRILLS[name].titleEn}, ${plan.durationMs / 1000} s on ${subset.length} devices (standalone)`);

  if (realTime) {
    client.start();
    while (!opts.signal?.aborted) {
      const now = Date.now();
      client.enqueue(sim.step(Math.min(now, endTs)));
      if (now >= endTs) break;
      await new Promise((r) => setTimeout(r, DRILL_TICK_MS));
    }
    await client.stop(5000);
  } else {
    for (let t = startTs; t <= endTs && !opts.signal?.aborted; t += DRILL_TICK_MS) client.enqueue(sim.step(t));
    await client.flush();
  }
  return { plan, expected: plan.expected, stats: client.stats() };
}

/** Ask a running main.ts to run the drill. undefined = no simulator listening. */
export async function requestDrillFromSimulator(
  controlPort: number,
  name: DrillName,
  fetchImpl: typeof fetch = fetch,
): Promise<{ expected: ExpectedAlert[]; endTs: number } | undefined> {
  try {
    const res = await fetchImpl(`http://127.0.0.1:${controlPort}/drill/${name}`, { method: 'POST', signal: AbortSignal.timeout(CONTROL_TIMEOUT_MS) });
    if (!res.ok) return undefined;
    const body = (await res.json()) as { ok: boolean; expected: ExpectedAlert[]; endTs: number };
    return body.ok ? { expected: body.expected, endTs: body.endTs } : undefined;
  } catch {
    return undefined;
  }
}

function printExpected(expected: readonly ExpectedAlert[]): void {
  console.log('expected alerts (level = worst level reached):');
  for (const e of expected) console.log(`  ${e.level.padEnd(6)} ${e.deviceId.padEnd(28)} ${e.ruleIdPrefix ?? ''}`);
}

async function main(): Promise<void> {
  const usage = `usage: npm run drill -- <${DRILL_NAMES.join('|')}> [--server URL] [--devices N] [--seed N] [--control-port P] [--standalone] [--json]`;
  const { values, positionals } = parseArgs({
    options: {
      server: { type: 'string' },
      devices: { type: 'string' },
      seed: { type: 'string' },
      'control-port': { type: 'string' },
      standalone: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  const name = positionals[0];
  if (values.help || !name || !isDrillName(name)) {
    console.error(usage);
    process.exitCode = values.help ? 0 : 2;
    return;
  }
  const resolved = resolveCliConfig(values);
  if (!resolved.ok) {
    console.error(`${resolved.error.code}: ${resolved.error.message}\n${usage}`);
    process.exitCode = 2;
    return;
  }
  const cfg = resolved.config;
  if (!values.standalone && cfg.controlPort !== 0) {
    const viaSim = await requestDrillFromSimulator(cfg.controlPort || DEFAULT_CONTROL_PORT, name);
    if (viaSim) {
      if (values.json) console.log(JSON.stringify(viaSim.expected));
      else {
        console.log(`[drill] ${name} started in the running simulator; ends at ${new Date(viaSim.endTs).toISOString()}`);
        printExpected(viaSim.expected);
      }
      return;
    }
  }
  const abort = new AbortController();
  process.once('SIGINT', () => abort.abort());
  process.once('SIGTERM', () => abort.abort());
  // standalone: the drill's devices from the registry, as the live simulator reads them
  const registry = await new RegistryFleetSource(new RegistryClient({ serverUrl: cfg.serverUrl, username: cfg.simUser, password: cfg.simPassword }), {
    tokensFile: cfg.tokensFile,
  }).load();
  const result = await runDrill(cfg.serverUrl, name, { registry, seed: cfg.seed, signal: abort.signal });
  if (values.json) console.log(JSON.stringify(result.expected));
  else {
    printExpected(result.expected);
    const s = result.stats;
    console.log(`[drill] sent ${s.sent}, accepted ${s.accepted}, rejected ${s.rejected}, dropped ${s.dropped}`);
  }
  if (result.stats.rejected > 0 || result.stats.sent === 0) process.exitCode = 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
