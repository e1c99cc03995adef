/**
 * What a production server refuses to start with (issue 12), checked once the store is open and
 * before anything is served. The development secrets are refused earlier, by loadConfig.
 * A refusal is a {@link StartupRefusal} (a ConfigError): server/main.ts exits with code 2 and the
 * supervisor does not restart it — a restart cannot help.
 */
import { ConfigError, type ServerConfig } from '../config';
import { redactRedisUrl } from '../store/open-store';
import type { Store } from '../store/store';
import { describeAccounts, findDemoAccounts } from './demo-accounts';
import { probeRedisWithoutPassword, type RedisOpenness } from './redis-probe';

export class StartupRefusal extends ConfigError {}

export interface StartupCheckDeps {
  /** the password-less probe (tests may pass a fake); default: a real PING without credentials */
  probeRedis?: (redisUrl: string) => Promise<RedisOpenness>;
}

/** Every reason not to start, one line each; empty outside production. */
export async function productionRefusals(
  config: Pick<ServerConfig, 'production' | 'redisUrl' | 'demoPassword'>,
  store: Store,
  deps: StartupCheckDeps = {},
): Promise<string[]> {
  if (!config.production) return [];
  const reasons: string[] = [];
  const demo = await findDemoAccounts(await store.listUsers(), config.demoPassword);
  if (demo.length > 0) {
    reasons.push(
      `demo accounts with a published password are in the store: ${describeAccounts(demo)}. ` +
        'Delete them with `npm run admin -- purge-demo` (same REDIS_URL and IOC_REDIS_PREFIX)',
    );
  }
  if (store.kind === 'redis') {
    const open = await (deps.probeRedis ?? probeRedisWithoutPassword)(config.redisUrl);
    if (open.kind === 'open') {
      const target = redactRedisUrl(config.redisUrl);
      reasons.push(
        `Redis at ${target} answers without a password: anyone who reaches it can read and change every record. ` +
          'Require a password (an ACL user for the application and `user default off`, or `requirepass`) and put it in REDIS_URL',
      );
    }
  }
  return reasons;
}

/** Throws a StartupRefusal naming every reason, or returns. */
export async function assertProductionReady(
  config: Pick<ServerConfig, 'production' | 'redisUrl' | 'demoPassword'>,
  store: Store,
  deps: StartupCheckDeps = {},
): Promise<void> {
  const reasons = await productionRefusals(config, store, deps);
  if (reasons.length > 0) throw new StartupRefusal(`NODE_ENV=production refuses to start:\n  - ${reasons.join('\n  - ')}`);
}
