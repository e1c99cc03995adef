/**
 * Logical backup of an install's Redis keys (server/backup/backup.ts):
 *
 *   npm run backup -- --out <dir> [--prefix ioc] [--redis-url redis://ioc-ops:<pw>@host:6379] [--rdb /var/lib/redis/dump.rdb]
 *
 * Writes `<dir>/<prefix>-<UTC timestamp>/` (keys-NNNN.ndjson, registry-*.ndjson, audit.ndjson,
 * dump.rdb with --rdb, manifest.json) and prints that directory. Redis URL from --redis-url,
 * IOC_REDIS_OPS_URL or REDIS_URL; prefix from --prefix or IOC_REDIS_PREFIX (default ioc).
 * Exit codes: 0 done, 2 usage, 3 Redis unavailable or refused a command.
 */
import { resolve } from 'node:path';
import type { Redis } from 'ioredis';
import { createBackup } from '../server/backup/backup';
import { checkedPrefix, connectOpsRedis, opsRedisUrl } from '../server/backup/ops-client';
import { redactRedisUrl } from '../server/store/open-store';
import { parseCliArgs, runAsScript } from './cli';

const EXIT_USAGE = 2;
const EXIT_REDIS = 3;

const USAGE = `usage: npm run backup -- --out <dir> [--prefix ioc] [--redis-url <url of the ioc-ops user>] [--rdb <path of the server's dump.rdb>]
environment: IOC_REDIS_OPS_URL or REDIS_URL, IOC_REDIS_PREFIX`;

export async function runBackupCli(
  argv: string[],
  env: NodeJS.ProcessEnv,
  out: (line: string) => void,
  fail: (line: string) => void = out,
): Promise<number> {
  const parsed = parseCliArgs(
    {
      args: argv,
      options: {
        out: { type: 'string' },
        prefix: { type: 'string' },
        'redis-url': { type: 'string' },
        rdb: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    },
    USAGE,
    fail,
  );
  if (!parsed) return EXIT_USAGE;
  const { values } = parsed;
  if (values.help || values.out === undefined) {
    (values.help ? out : fail)(USAGE);
    return values.help ? 0 : EXIT_USAGE;
  }
  let prefix: string;
  try {
    prefix = checkedPrefix(values.prefix ?? env.IOC_REDIS_PREFIX ?? 'ioc');
  } catch (err) {
    fail((err as Error).message);
    return EXIT_USAGE;
  }
  const url = opsRedisUrl(values['redis-url'], env);
  let redis: Redis | null = null;
  try {
    redis = await connectOpsRedis(url);
    const { dir, manifest } = await createBackup({ redis, prefix, outDir: resolve(values.out), rdbPath: values.rdb });
    const keys = Object.values(manifest.keyCounts).reduce((a, b) => a + b, 0);
    out(`backup of ${prefix} (${keys} keys, Redis ${manifest.redisVersion}, ${manifest.files.length} files) written to`);
    out(dir);
    return 0;
  } catch (err) {
    fail(`backup failed against ${redactRedisUrl(url)}: ${(err as Error).message}`);
    return EXIT_REDIS;
  } finally {
    redis?.disconnect();
  }
}

runAsScript(import.meta.url, runBackupCli, 'backup: ');
