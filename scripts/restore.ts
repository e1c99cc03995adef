/**
 * Restore a logical backup (server/backup/restore.ts):
 *
 *   npm run restore -- --from <backup dir> [--force] [--verify-only] [--redis-url redis://ioc-ops:<pw>@host:6379]
 *
 * Checks every file against manifest.json first (a bad file is named, nothing is written), refuses
 * a Redis that already holds keys of the backup's prefix unless --force (then keys of the same name
 * are replaced). --verify-only checks the files and stops. Redis URL from --redis-url,
 * IOC_REDIS_OPS_URL or REDIS_URL. Exit codes: 0 done, 1 refused (corrupt backup, target not
 * empty), 2 usage, 3 Redis unavailable or refused a command.
 */
import { resolve } from 'node:path';
import type { Redis } from 'ioredis';
import { BackupIntegrityError } from '../server/backup/manifest';
import { connectOpsRedis, opsRedisUrl } from '../server/backup/ops-client';
import { RestoreTargetNotEmptyError, restoreBackup, verifyBackup } from '../server/backup/restore';
import { redactRedisUrl } from '../server/store/open-store';
import { parseCliArgs, runAsScript } from './cli';

const EXIT_REFUSED = 1;
const EXIT_USAGE = 2;
const EXIT_REDIS = 3;

const USAGE = `usage: npm run restore -- --from <backup dir> [--force] [--verify-only] [--redis-url <url of the ioc-ops user>]
environment: IOC_REDIS_OPS_URL or REDIS_URL`;

export async function runRestoreCli(
  argv: string[],
  env: NodeJS.ProcessEnv,
  out: (line: string) => void,
  fail: (line: string) => void = out,
): Promise<number> {
  const parsed = parseCliArgs(
    {
      args: argv,
      options: {
        from: { type: 'string' },
        force: { type: 'boolean', default: false },
        'verify-only': { type: 'boolean', default: false },
        'redis-url': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    },
    USAGE,
    fail,
  );
  if (!parsed) return EXIT_USAGE;
  const { values } = parsed;
  if (values.help || values.from === undefined) {
    (values.help ? out : fail)(USAGE);
    return values.help ? 0 : EXIT_USAGE;
  }
  const fromDir = resolve(values.from);
  const url = opsRedisUrl(values['redis-url'], env);
  let redis: Redis | null = null;
  try {
    if (values['verify-only']) {
      const manifest = await verifyBackup(fromDir);
      out(`OK ${manifest.files.length} files of backup ${manifest.createdAt} (prefix ${manifest.prefix}) match the manifest`);
      return 0;
    }
    // checksums before connecting: a corrupt backup is refused even when Redis is away
    await verifyBackup(fromDir);
    redis = await connectOpsRedis(url);
    const r = await restoreBackup({ redis, fromDir, force: values.force });
    out(
      `restored ${r.restoredKeys} keys of prefix ${r.manifest.prefix} from the backup of ${r.manifest.createdAt}` +
        (r.expiredKeys > 0 ? ` (${r.expiredKeys} expired since, skipped)` : ''),
    );
    return 0;
  } catch (err) {
    if (err instanceof BackupIntegrityError || err instanceof RestoreTargetNotEmptyError) {
      fail(`refused: ${err.message}`);
      return EXIT_REFUSED;
    }
    fail(`restore failed against ${redactRedisUrl(url)}: ${(err as Error).message}`);
    return EXIT_REDIS;
  } finally {
    redis?.disconnect();
  }
}

runAsScript(import.meta.url, runRestoreCli, 'restore: ');
