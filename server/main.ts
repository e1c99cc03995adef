/**
 * Starts the City IOC server from the environment (see README, Configuration). Runs as the bundle
 * `node --enable-source-maps dist-server/main.mjs` (built by scripts/build-server-if-stale.mjs,
 * supervised by scripts/start.mjs) or directly with `tsx server/main.ts`.
 *
 * Process-level last resort: an exception or rejection that escaped every handler's guard leaves
 * the process in an unknown state, so it is logged (fatal) and the process exits with
 * {@link EXIT_CODE_CRASH}; the supervisor restarts a clean process, which recovers from the store.
 */
// first: the MQTT codec's per-packet debug loggers are no-ops unless DEBUG asks (mqtt/quiet-debug.ts)
import './mqtt/quiet-debug';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { ConfigError, loadConfig } from './config';
import { startIocServer } from './app';
import { createLogger, type Logger } from './logger';
import { stopWithSupervisor } from './supervised';
import { resolveServerSecrets } from './security/local-secrets';

/** Exit code after an uncaught exception or unhandled rejection (sysexits EX_SOFTWARE). */
const EXIT_CODE_CRASH = 70;
/** Exit code of an invalid configuration: restarting cannot help. */
const EXIT_CODE_CONFIG = 2;
/** A graceful shutdown that takes longer than this is cut short (exit 1), ms. */
const SHUTDOWN_DEADLINE_MS = 10_000;

// server/ and dist-server/ are both one level below the root: the client dist resolves the same
// from the sources (tsx) and from the bundle
const here = path.dirname(fileURLToPath(import.meta.url));

let fatalLog: Logger | undefined;
let dying = false;
function exitOnEscapedError(kind: 'uncaughtException' | 'unhandledRejection', err: unknown): void {
  if (dying) return;
  dying = true;
  const detail = err instanceof Error ? (err.stack ?? err.message) : String(err);
  try {
    fatalLog?.fatal({ err, kind }, `${kind}: exiting so that a clean process is started`);
  } catch {
    // the logger itself may be what failed; stderr below still says why
  }
  // stderr is synchronous for files and pipes on Linux; pino's stdout stream is flushed
  // synchronously by its exit hook
  process.stderr.write(`City IOC: fatal ${kind}, exiting with code ${EXIT_CODE_CRASH}: ${detail}\n`);
  process.exit(EXIT_CODE_CRASH);
}
process.on('uncaughtException', (err) => exitOnEscapedError('uncaughtException', err));
process.on('unhandledRejection', (reason) => exitOnEscapedError('unhandledRejection', reason));

// With --enable-source-maps Node decodes the bundle's source map (1.3 MB) on the first stack trace
// it formats: 0.2-0.3 s of a blocked event loop on a quiet machine, seconds on a loaded one. Left
// lazy, that first stack is the first error logged — typically the moment Redis goes away, when
// every command must answer E_UNAVAILABLE at once (issue 15). Pay it here, before serving.
if (process.sourceMapsEnabled) void new Error('decode the source map before serving').stack;

async function main(): Promise<void> {
  let config;
  let secretsLine: string;
  try {
    // outside production, secrets the environment does not set come from the install's own
    // var/secrets.json (created on first start), never from the public constants in the source
    const secrets = resolveServerSecrets(process.env);
    secretsLine = secrets.description;
    config = loadConfig({ ...process.env, ...secrets.env }, { clientDist: process.env.IOC_CLIENT_DIST ?? path.resolve(here, '../client/dist') });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`City IOC: ${err.message}\n`);
      process.exit(EXIT_CODE_CONFIG);
    }
    throw err;
  }
  const log = createLogger(config.logLevel);
  fatalLog = log;

  let server;
  try {
    server = await startIocServer(config, { logger: log });
  } catch (err) {
    // a production refusal (demo accounts, password-less Redis): restarting cannot help
    if (err instanceof ConfigError) {
      log.fatal({ err }, 'refusing to start');
      process.stderr.write(`City IOC: ${err.message}\n`);
      process.exit(EXIT_CODE_CONFIG);
    }
    throw err;
  }
  const storeLine =
    server.store.kind === 'redis'
      ? `store: Redis at ${config.redisUrl.replace(/\/\/[^@]*@/, '//***@')}`
      : `store: IN-MEMORY — ${server.storeReason ?? 'configured'}`;
  const lines = [
    '',
    '  City IOC · 青岛市城市运行管理中心',
    `  ${storeLine}`,
    `  server:  ${server.url}   (health: ${server.url}/healthz, metrics: ${server.url}/metrics)`,
    `  screens: ${server.url}/screen/overview  /screen/emergency  /screen/bridge  /screen/water  /screen/community`,
    `  people:  ${server.url}/login  → /console (officer) · /mobile (handler) · /brief (leader)`,
    server.mqtt?.mode === 'external'
      ? `  mqtt:    client of ${server.mqtt.url} (shared group $share/${config.mqttShareGroup}; devices put their token in each payload; topics ioc/v1/<deviceId>/telemetry|status|commands|commands/ack)`
      : server.mqtt
        ? `  mqtt:    ${server.mqtt.url}   (username = device id, password = its token; topics ioc/v1/<deviceId>/telemetry|status|commands|commands/ack)`
        : `  mqtt:    OFF — ${config.mqttPort !== null ? `port ${config.mqttPort} was busy (see the warning above)` : config.mqttPortExplicit ? 'IOC_MQTT_PORT=0' : 'off under NODE_ENV=test unless IOC_MQTT_PORT is set'}`,
  ];
  if (server.demoAccounts.length > 0) {
    lines.push(`  demo accounts (password "${config.demoPassword}"): ${server.demoAccounts.map((a) => `${a.username} (${a.role})`).join(', ')}`);
  }
  lines.push(`  ${secretsLine}`);
  process.stdout.write(`${lines.join('\n')}\n\n`);

  let stopping = false;
  const stop = (signal: string) => {
    // Ctrl-C reaches the server twice (from the terminal and from the supervisor): once is enough
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    setTimeout(() => {
      log.error({ deadlineMs: SHUTDOWN_DEADLINE_MS }, 'graceful shutdown took too long; exiting');
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS).unref();
    server
      .close()
      .then(() => process.exit(0))
      .catch((err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  stopWithSupervisor(() => stop('supervisor gone'));
}

main().catch((err: unknown) => {
  process.stderr.write(`City IOC failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
