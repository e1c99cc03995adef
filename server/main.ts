/**
 * `tsx server/main.ts` — starts the City IOC server from the environment (see README, Configuration).
 */
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { ConfigError, loadConfig } from './config';
import { startIocServer } from './app';
import { createLogger } from './logger';

const here = path.dirname(fileURLToPath(import.meta.url));

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env, { clientDist: process.env.IOC_CLIENT_DIST ?? path.resolve(here, '../client/dist') });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`City IOC: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger(config.logLevel);
  process.on('unhandledRejection', (reason) => log.error({ reason }, 'unhandled rejection'));

  const server = await startIocServer(config, { logger: log });
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
  ];
  if (server.demoAccounts.length > 0) {
    lines.push(`  demo accounts (password "${config.demoPassword}"): ${server.demoAccounts.map((a) => `${a.username} (${a.role})`).join(', ')}`);
  }
  if (config.jwtSecretIsDefault) lines.push('  warning: IOC_JWT_SECRET not set — using the development secret');
  process.stdout.write(`${lines.join('\n')}\n\n`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
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
}

main().catch((err: unknown) => {
  process.stderr.write(`City IOC failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
