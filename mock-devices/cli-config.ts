/**
 * Options shared by the device simulator CLIs (main.ts, drill.ts): flags first, then the same
 * environment variables the server reads. The fleet itself comes from the server's registry; the
 * fleet options (devices, seed) only matter for `--devices N` on an empty registry and for the
 * signals' seed.
 */
import { DEFAULT_FLEET } from '../scenes/fleet';
import { DEV_DEVICE_SECRET } from '../server/device-token';
import { readLocalDeviceSecret, secretsFilePath } from '../server/security/local-secrets';
import { DEFAULT_SIM_TOKENS_FILE } from './sim-tokens';
import { DEFAULT_MQTT_PORT, defaultMqttUrl, isSimProtocol, SIM_PROTOCOLS, type SimProtocol } from './transport-choice';

export const DEFAULT_SERVER_URL = 'http://127.0.0.1:8080';
export const DEFAULT_DEMO_PASSWORD = 'ioc-demo-2026';
/** Loopback port on which the running simulator accepts drill requests from drill.ts; 0 = off. */
export const DEFAULT_CONTROL_PORT = 8099;
/** The simulator's service account in development: the demo administrator. */
export const DEFAULT_SIM_USER = 'admin';
/** How often the simulator reads the registry again (new devices start, retired ones stop), ms. */
export const DEFAULT_REGISTRY_REFRESH_MS = 30_000;
const MIN_REGISTRY_REFRESH_MS = 1_000;

export interface SimulatorCliConfig {
  serverUrl: string;
  deviceSecret: string;
  /** demo fleet size: what `--devices N` registers on an empty registry, and the standalone drill test's fleet */
  devices: number;
  /** signal seed, and the demo fleet's seed for `--devices N` (the server's IOC_DEMO_SEED gives the same devices it seeds) */
  seed: number;
  /** report-rate multiplier */
  rate: number;
  demoPassword: string;
  controlPort: number;
  /** service account the simulator signs in with to read the registry (IOC_SIM_USER, default the demo admin) */
  simUser: string;
  /** its password (IOC_SIM_PASSWORD, default the demo password) */
  simPassword: string;
  /** the device tokens the simulator holds (IOC_SIM_TOKENS_FILE) */
  tokensFile: string;
  /** registry re-read interval, ms (IOC_SIM_REFRESH_MS) */
  registryRefreshMs: number;
  /** `--devices N` / IOC_DEMO_DEVICES given explicitly: register N demo devices when the registry has none */
  registerDevices?: number;
  /** device protocol (`--protocol`, IOC_SIM_PROTOCOL): auto = MQTT when the server offers it, else HTTP (http when IOC_MQTT_PORT=0) */
  protocol: SimProtocol;
  /** broker URL (`--mqtt-url`, IOC_MQTT_URL_SIM; default mqtt://<server host>:<IOC_MQTT_PORT or 1884>) */
  mqttUrl: string;
  /** put the device token in each MQTT payload too (`--mqtt-token-in-payload`, IOC_SIM_MQTT_TOKEN_IN_PAYLOAD=1): an external broker */
  mqttTokenInPayload: boolean;
}

export type ConfigResult = { ok: true; config: SimulatorCliConfig } | { ok: false; error: { code: 'E_VALIDATION'; message: string } };

function parseNumber(name: string, raw: string | undefined, fallback: number, check: (n: number) => boolean): number | string {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  return Number.isFinite(n) && check(n) ? n : `${name} must be a valid number (got '${raw}')`;
}

/**
 * The device secret the demo devices' HMAC tokens are derived from: IOC_DEVICE_SECRET, else the
 * one the server of this checkout generated in its secrets file (server/security/local-secrets.ts;
 * `npm start` runs both from the same directory), else the development constant (a server started
 * with NODE_ENV=test, which keeps the constants). A string answer is the reason it cannot be read.
 */
function resolveDeviceSecret(env: NodeJS.ProcessEnv): { secret: string } | string {
  if (env.IOC_DEVICE_SECRET) return { secret: env.IOC_DEVICE_SECRET };
  if (env.NODE_ENV === 'test' || env.NODE_ENV === 'production') return { secret: DEV_DEVICE_SECRET };
  try {
    return { secret: readLocalDeviceSecret(secretsFilePath(env)) ?? DEV_DEVICE_SECRET };
  } catch (err) {
    return (err as Error).message;
  }
}

/** Resolve flags (strings from parseArgs) and env into a config, or a validation error. */
export function resolveCliConfig(
  flags: {
    server?: string;
    devices?: string;
    seed?: string;
    rate?: string;
    'control-port'?: string;
    'refresh-ms'?: string;
    protocol?: string;
    'mqtt-url'?: string;
    'mqtt-token-in-payload'?: boolean;
  },
  env: NodeJS.ProcessEnv = process.env,
): ConfigResult {
  const devices = parseNumber('--devices', flags.devices ?? env.IOC_DEMO_DEVICES, DEFAULT_FLEET.count, (n) => Number.isInteger(n) && n > 0);
  const seed = parseNumber('--seed', flags.seed ?? env.IOC_DEMO_SEED, DEFAULT_FLEET.seed, Number.isInteger);
  const rate = parseNumber('--rate', flags.rate ?? env.IOC_DEVICE_RATE, 1, (n) => n > 0);
  const controlPort = parseNumber(
    '--control-port',
    flags['control-port'] ?? env.IOC_MOCK_CONTROL_PORT,
    DEFAULT_CONTROL_PORT,
    (n) => Number.isInteger(n) && n >= 0 && n < 65536,
  );
  const registryRefreshMs = parseNumber(
    '--refresh-ms',
    flags['refresh-ms'] ?? env.IOC_SIM_REFRESH_MS,
    DEFAULT_REGISTRY_REFRESH_MS,
    (n) => Number.isInteger(n) && n >= MIN_REGISTRY_REFRESH_MS,
  );
  // the server reads the same variable; 0 there turns its embedded broker off
  const mqttPort = parseNumber('IOC_MQTT_PORT', env.IOC_MQTT_PORT, DEFAULT_MQTT_PORT, (n) => Number.isInteger(n) && n >= 0 && n < 65536);
  for (const v of [devices, seed, rate, controlPort, registryRefreshMs, mqttPort])
    if (typeof v === 'string') return { ok: false, error: { code: 'E_VALIDATION', message: v } };
  const serverUrl = (flags.server ?? env.IOC_SERVER_URL ?? DEFAULT_SERVER_URL).replace(/\/+$/, '');
  if (!/^https?:\/\//.test(serverUrl))
    return { ok: false, error: { code: 'E_VALIDATION', message: `--server must be an http(s) URL (got '${serverUrl}')` } };
  const requested = flags.protocol ?? (env.IOC_SIM_PROTOCOL || 'auto');
  if (!isSimProtocol(requested))
    return { ok: false, error: { code: 'E_VALIDATION', message: `--protocol must be one of ${SIM_PROTOCOLS.join('|')} (got '${requested}')` } };
  let protocol: SimProtocol = requested;
  const givenMqttUrl = flags['mqtt-url'] ?? (env.IOC_MQTT_URL_SIM || undefined);
  if (givenMqttUrl === undefined && mqttPort === 0) {
    if (protocol === 'mqtt')
      return {
        ok: false,
        error: { code: 'E_VALIDATION', message: "IOC_MQTT_PORT=0 turns the server's broker off: give --mqtt-url for --protocol mqtt" },
      };
    protocol = 'http';
  }
  const mqttUrl = givenMqttUrl ?? defaultMqttUrl(serverUrl, (mqttPort as number) || DEFAULT_MQTT_PORT);
  if (!/^mqtts?:\/\/[^/]+/.test(mqttUrl))
    return { ok: false, error: { code: 'E_VALIDATION', message: `--mqtt-url must be an mqtt(s):// URL (got '${mqttUrl}')` } };
  const deviceSecret = resolveDeviceSecret(env);
  if (typeof deviceSecret === 'string') return { ok: false, error: { code: 'E_VALIDATION', message: deviceSecret } };
  const demoPassword = env.IOC_DEMO_PASSWORD || DEFAULT_DEMO_PASSWORD;
  const explicitDevices = (flags.devices ?? env.IOC_DEMO_DEVICES) !== undefined && (flags.devices ?? env.IOC_DEMO_DEVICES) !== '';
  const config: SimulatorCliConfig = {
    serverUrl,
    deviceSecret: deviceSecret.secret,
    devices: devices as number,
    seed: seed as number,
    rate: rate as number,
    demoPassword,
    controlPort: controlPort as number,
    simUser: env.IOC_SIM_USER || DEFAULT_SIM_USER,
    simPassword: env.IOC_SIM_PASSWORD || demoPassword,
    tokensFile: env.IOC_SIM_TOKENS_FILE || DEFAULT_SIM_TOKENS_FILE,
    registryRefreshMs: registryRefreshMs as number,
    protocol,
    mqttUrl,
    mqttTokenInPayload: flags['mqtt-token-in-payload'] ?? env.IOC_SIM_MQTT_TOKEN_IN_PAYLOAD === '1',
  };
  if (explicitDevices) config.registerDevices = devices as number;
  return { ok: true, config };
}

/** Poll GET /healthz until it answers 2xx, or until `signal` aborts. Returns false when aborted. */
export async function waitForServer(
  serverUrl: string,
  opts: { signal?: AbortSignal; pollMs?: number; log?: (l: string) => void; fetchImpl?: typeof fetch } = {},
): Promise<boolean> {
  const pollMs = opts.pollMs ?? 1000;
  const f = opts.fetchImpl ?? fetch;
  let lastLogTs = 0;
  const logEveryMs = 10_000;
  while (!opts.signal?.aborted) {
    try {
      const res = await f(`${serverUrl}/healthz`, { signal: AbortSignal.timeout(Math.max(pollMs, 2000)) });
      if (res.ok) return true;
    } catch {
      // not up yet
    }
    if (Date.now() - lastLogTs > logEveryMs) {
      opts.log?.(`[devices] waiting for ${serverUrl}/healthz …`);
      lastLogTs = Date.now();
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
  return false;
}
