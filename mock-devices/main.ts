/**
 * Simulated device fleet CLI.
 *
 *   tsx mock-devices/main.ts --server http://127.0.0.1:8080 [--devices N] --rate 1 --seed N [--no-handlers] [--drill rainstorm]
 *   tsx mock-devices/main.ts --adopt <deviceId>
 *
 * Env fallbacks: IOC_SERVER_URL, IOC_DEMO_DEVICES, IOC_DEMO_SEED, IOC_DEVICE_RATE, IOC_DEMO_PASSWORD
 * (default 'ioc-demo-2026'), IOC_MOCK_CONTROL_PORT, IOC_SIM_USER / IOC_SIM_PASSWORD (the service
 * account that reads the registry; default the demo admin), IOC_SIM_TOKENS_FILE (default
 * var/sim-tokens.json), IOC_SIM_REFRESH_MS (registry re-read interval, default 30 s), IOC_SIM_PROTOCOL
 * (`--protocol auto|mqtt|http`, default auto), IOC_MQTT_URL_SIM (`--mqtt-url`, default
 * mqtt://<server host>:<IOC_MQTT_PORT or 1884>), IOC_SIM_MQTT_TOKEN_IN_PAYLOAD=1 (`--mqtt-token-in-payload`).
 *
 * Waits for the server's /healthz, reads the devices from the server's registry (registry-fleet.ts;
 * `--devices N` first registers N demo devices through the import API when the registry has none),
 * then streams readings over MQTT (one connection per device, mqtt-gateway.ts) when the server offers
 * it, else through the HTTP GatewayClient (transport-choice.ts), re-reads the registry periodically, and (unless
 * --no-handlers) moves the demo handlers. It listens on 127.0.0.1:<control port> for
 * `POST /drill/<name>` so `npm run drill` starts drills in THIS simulator (one source of truth
 * for every device's readings). SIGINT/SIGTERM stop it cleanly.
 *
 * Remote control: over MQTT each device obeys the server's commands on its command topic
 * (FleetSimulator.applyCommand: a pump starts or stops, a door releases) and publishes a fresh
 * reading showing the effect before its ack. HTTP batches have no way down: an HTTP fleet gets no
 * commands (said once in the log).
 */
import { createServer, type Server } from 'node:http';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { resolveCliConfig, waitForServer, type SimulatorCliConfig } from './cli-config';
import { stopWithSupervisor } from '../server/supervised';
import { DRILLS, DRILL_NAMES, isDrillName, type DrillName } from './drills';
import { HandlerSimulator } from './handler-sim';
import { adoptDevice, registerDemoDevices, RegistryFleetSource, type SimulatedFleet } from './registry-fleet';
import { RegistryClient } from './registry-client';
import type { ReadingTransport } from './reading-transport';
import { FleetSimulator } from './simulator';
import type { CommandHandler } from './command-inbox';
import { openTransport } from './transport-choice';

/** How often the simulator is stepped, ms (readings keep their exact due time). */
export const TICK_MS = 250;
/** A --drill given on the command line starts this long after the first readings, so screens have a baseline. */
export const CLI_DRILL_DELAY_MS = 10_000;
/** A registry that cannot be read yet is tried again this often, ms. */
export const REGISTRY_RETRY_MS = 3_000;
/** On stop, queued readings get this long to go out, ms. */
const STOP_DRAIN_MS = 2_000;

const USAGE =
  `usage: tsx mock-devices/main.ts [--server URL] [--devices N] [--rate X] [--seed N] [--no-handlers] ` +
  `[--drill ${DRILL_NAMES.join('|')}] [--control-port P] [--refresh-ms MS] [--protocol auto|mqtt|http] [--mqtt-url mqtt://H:P] ` +
  `[--mqtt-token-in-payload] | --adopt <deviceId>`;

/** Loopback control endpoint: POST /drill/<name> starts a drill, GET /status reports counters. */
function startControlServer(port: number, sim: FleetSimulator, client: ReadingTransport, log: (l: string) => void): Server | undefined {
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

/** Reads the registry until it answers (the server may be starting, the account not there yet), or aborts. */
async function loadFleet(source: RegistryFleetSource, signal: AbortSignal, log: (l: string) => void): Promise<SimulatedFleet | undefined> {
  let lastError = '';
  while (!signal.aborted) {
    try {
      return await source.load();
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      if (msg !== lastError) log(`[devices] cannot read the registry (${msg}); retrying`);
      lastError = msg;
    }
    await new Promise((r) => setTimeout(r, REGISTRY_RETRY_MS));
  }
  return undefined;
}

export async function runFleet(
  config: SimulatorCliConfig,
  opts: { handlers: boolean; drill?: DrillName; signal: AbortSignal; log?: (l: string) => void; fetchImpl?: typeof fetch },
): Promise<void> {
  const log = opts.log ?? ((l: string) => console.log(l));
  log(`[devices] reading the device registry of ${config.serverUrl} as ${config.simUser} (seed ${config.seed}, rate ×${config.rate})`);
  if (!(await waitForServer(config.serverUrl, { signal: opts.signal, log, fetchImpl: opts.fetchImpl }))) return;
  const registry = new RegistryClient({
    serverUrl: config.serverUrl,
    username: config.simUser,
    password: config.simPassword,
    fetchImpl: opts.fetchImpl,
  });
  if (config.registerDevices !== undefined) {
    try {
      await registerDemoDevices(registry, { count: config.registerDevices, seed: config.seed, tokensFile: config.tokensFile, log });
    } catch (err) {
      log(`[devices] could not register demo devices (${err instanceof Error ? err.message : String(err)}); simulating what the registry holds`);
    }
  }
  const source = new RegistryFleetSource(registry, { tokensFile: config.tokensFile, log });
  const first = await loadFleet(source, opts.signal, log);
  if (!first) return;
  log(`[devices] ${first.fleet.length} devices from the registry; streaming readings`);

  const sim = new FleetSimulator({ fleet: first.fleet, assets: first.assets, seed: config.seed, rateScale: config.rate });
  // set once the transport is chosen; a refusal during the auto probe only resets the registry source
  const chosen: { transport?: ReadingTransport } = {};
  const onCommand: CommandHandler = (deviceId, message) => {
    const result = sim.applyCommand(deviceId, message.name, message.params, Date.now());
    log(
      `[devices] ${deviceId}: command ${message.name} (${message.commandId}) ` + (result.status === 'ok' ? 'obeyed' : `refused: ${result.message}`),
    );
    return result.status === 'ok' ? { status: 'ok', readings: [result.reading] } : result;
  };
  const opened = await openTransport({
    protocol: config.protocol,
    serverUrl: config.serverUrl,
    mqttUrl: config.mqttUrl,
    tokens: first.tokens,
    log,
    fetchImpl: opts.fetchImpl,
    mqtt: { tokenInPayload: config.mqttTokenInPayload, onCommand },
    // a token rotated or revoked, or a device retired meanwhile: stop sending for it until the registry is read again
    onRejected: (deviceId, code) => {
      if (code !== 'E_UNAUTHORIZED' && code !== 'E_NOT_FOUND') return;
      chosen.transport?.forgetToken(deviceId);
      source.forgetToken(deviceId);
    },
  });
  const client = (chosen.transport = opened.transport);
  if (opened.protocol === 'http')
    log('[devices] note: over HTTP the server cannot send commands to these devices (no way down); remote control needs --protocol mqtt');
  const control = startControlServer(config.controlPort, sim, client, log);
  const handlers = opts.handlers
    ? new HandlerSimulator({ serverUrl: config.serverUrl, password: config.demoPassword, seed: config.seed, log })
    : undefined;
  handlers?.start();

  // the registry is read again periodically: new devices start reporting, retired ones stop
  let refreshing = false;
  const refresh = setInterval(() => {
    if (refreshing) return;
    refreshing = true;
    source
      .load()
      .then((next) => {
        const { added, removed } = sim.setFleet(next.fleet, next.assets);
        client.setTokens(next.tokens);
        if (added > 0 || removed > 0) log(`[devices] registry changed: +${added} −${removed} devices (now ${next.fleet.length})`);
      })
      .catch((err: unknown) =>
        log(`[devices] registry refresh failed (${err instanceof Error ? err.message : String(err)}); keeping the current fleet`),
      )
      .finally(() => (refreshing = false));
  }, config.registryRefreshMs);

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
  clearInterval(refresh);
  handlers?.stop();
  control?.close();
  await client.stop(STOP_DRAIN_MS);
  log(`[devices] stopped: ${client.statusLine()}`);
}

/** `--adopt <id>`: the simulator takes over a registered device (its current token stops working). */
async function adopt(config: SimulatorCliConfig, deviceId: string): Promise<void> {
  const registry = new RegistryClient({ serverUrl: config.serverUrl, username: config.simUser, password: config.simPassword });
  await adoptDevice(registry, deviceId, config.tokensFile);
  console.log(
    `[devices] adopted ${deviceId}: its token was rotated and the new one kept in ${config.tokensFile}; ` +
      `the running simulator reports for it from its next registry refresh. Its previous token no longer works.`,
  );
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
      'refresh-ms': { type: 'string' },
      protocol: { type: 'string' },
      'mqtt-url': { type: 'string' },
      'mqtt-token-in-payload': { type: 'boolean' },
      adopt: { type: 'string' },
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
  if (values.adopt !== undefined) {
    await adopt(resolved.config, values.adopt);
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
  stopWithSupervisor(() => {
    console.error('[devices] the npm start supervisor is gone: stopping');
    stop();
  });
  await runFleet(resolved.config, { handlers: !values['no-handlers'], drill: values.drill as DrillName | undefined, signal: abort.signal });
  process.exit(process.exitCode ?? 0);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
