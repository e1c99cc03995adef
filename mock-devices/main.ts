/**
 * Simulated device fleet CLI.
 *
 *   tsx mock-devices/main.ts --server http://127.0.0.1:8080 --devices 2000 --rate 1 --seed N [--no-handlers] [--drill rainstorm]
 *
 * Env fallbacks: IOC_SERVER_URL, IOC_DEVICE_SECRET (default DEV_DEVICE_SECRET), IOC_DEMO_DEVICES,
 * IOC_DEMO_SEED, IOC_DEVICE_RATE, IOC_DEMO_PASSWORD (default 'ioc-demo-2026'), IOC_MOCK_CONTROL_PORT.
 *
 * Waits for the server's /healthz, then streams readings through the GatewayClient and (unless
 * --no-handlers) moves the demo handlers. It listens on 127.0.0.1:<control port> for
 * `POST /drill/<name>` so `npm run drill` starts drills in THIS simulator (one source of truth
 * for every device's readings). SIGINT/SIGTERM stop it cleanly.
 */
import { createServer, type Server } from 'node:http';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { generateFleet } from '../scenes/fleet';
import { resolveCliConfig, waitForServer, type SimulatorCliConfig } from './cli-config';
import { DRILLS, DRILL_NAMES, isDrillName, type DrillName } from './drills';
import { GatewayClient } from './gateway-client';
import { HandlerSimulator } from './handler-sim';
import { FleetSimulator } from './simulator';

/** How often the simulator is stepped, ms (readings keep their exact due time). */
export const TICK_MS = 250;
/** A --drill given on the command line starts this long after the first readings, so screens have a baseline. */
export const CLI_DRILL_DELAY_MS = 10_000;

const USAGE = `usage: tsx mock-devices/main.ts [--server URL] [--devices N] [--rate X] [--seed N] [--no-handlers] [--drill ${DRILL_NAMES.join('|')}] [--control-port P]`;

/** Loopback control endpoint: POST /drill/<name> starts a drill, GET /status reports counters. */
function startControlServer(port: number, sim: FleetSimulator, client: GatewayClient, log: (l: string) => void): Server | undefined {
  if (port === 0) return undefined;
  const server = createServer((req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const m = /^\/drill\/([a-z-]+)$/.exec(req.url ?? '');
    if (req.method === 'POST' && m) {
      const name = m[1];
      if (!isDrillName(name))
        return send(404, { ok: false, error: { code: 'E_NOT_FOUND', message: `unknown drill '${name}'; one of ${DRILL_NAMES.join(', ')}` } });
      const startTs = Date.now();
      const plan = sim.startDrill(name, startTs);
      log(`[devices] drill '${name}' started via control port (${plan.durationMs / 1000} s, ${plan.expected.length} expected alerts)`);
      return send(200, { ok: true, name, startTs, endTs: startTs + plan.durationMs, expected: plan.expected });
    }
    if (req.method === 'GET' && req.url === '/status') return send(200, { ok: true, stats: client.stats(), drill: sim.activeDrill()?.name ?? null });
    send(404, { ok: false, error: { code: 'E_NOT_FOUND', message: 'POST /drill/<name> or GET /status' } });
  });
  server.on('error', (err) => log(`[devices] control port ${port} unavailable (${err.message}); drills from 'npm run drill' will run standalone`));
  server.listen(port, '127.0.0.1');
  return server;
}

export async function runFleet(
  config: SimulatorCliConfig,
  opts: { handlers: boolean; drill?: DrillName; signal: AbortSignal; log?: (l: string) => void },
): Promise<void> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const fleet = generateFleet({ count: config.devices, seed: config.seed });
  log(`[devices] ${fleet.length} devices (seed ${config.seed}, rate ×${config.rate}) → ${config.serverUrl}`);
  if (!(await waitForServer(config.serverUrl, { signal: opts.signal, log }))) return;
  log('[devices] server is up; streaming readings');

  const sim = new FleetSimulator({ fleet, seed: config.seed, rateScale: config.rate });
  const client = new GatewayClient({ serverUrl: config.serverUrl, deviceSecret: config.deviceSecret, log });
  client.start();
  const control = startControlServer(config.controlPort, sim, client, log);
  const handlers = opts.handlers
    ? new HandlerSimulator({ serverUrl: config.serverUrl, password: config.demoPassword, seed: config.seed, log })
    : undefined;
  handlers?.start();

  const firstTs = Date.now();
  let drillPending = opts.drill;
  const timer = setInterval(() => {
    const now = Date.now();
    if (drillPending && now - firstTs >= CLI_DRILL_DELAY_MS) {
      const plan = sim.startDrill(drillPending, now);
      log(`[devices] drill '${drillPending}' started: ${DRILLS[drillPending].titleEn}, ${plan.durationMs / 1000} s; expected alerts:`);
      for (const e of plan.expected) log(`  ${e.level.padEnd(6)} ${e.deviceId} ${e.ruleIdPrefix ?? ''}`);
      drillPending = undefined;
    }
    client.enqueue(sim.step(now));
  }, TICK_MS);

  await new Promise<void>((resolve) => {
    if (opts.signal.aborted) resolve();
    opts.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  clearInterval(timer);
  handlers?.stop();
  control?.close();
  await client.stop(2000);
  log(`[devices] stopped: ${client.statusLine()}`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      server: { type: 'string' },
      devices: { type: 'string' },
      rate: { type: 'string' },
      seed: { type: 'string' },
      'no-handlers': { type: 'boolean', default: false },
      drill: { type: 'string' },
      'control-port': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const resolved = resolveCliConfig(values);
  if (!resolved.ok) {
    console.error(`${resolved.error.code}: ${resolved.error.message}\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  if (values.drill !== undefined && !isDrillName(values.drill)) {
    console.error(`E_VALIDATION: unknown drill '${values.drill}'\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  const abort = new AbortController();
  const stop = () => abort.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await runFleet(resolved.config, { handlers: !values['no-handlers'], drill: values.drill as DrillName | undefined, signal: abort.signal });
  process.exit(process.exitCode ?? 0);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
