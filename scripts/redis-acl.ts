/**
 * Print the Redis ACL users of an install (server/backup/redis-acl.ts; deploy/redis/README.md):
 *
 *   npm run redis:acl -- [--prefix ioc] [--format aclfile|setuser] [--redis-version 7.0]
 *
 * Passwords from IOC_REDIS_APP_PASSWORD, IOC_REDIS_OPS_PASSWORD and IOC_REDIS_ADMIN_PASSWORD (the
 * `default` user, for the administrator); each one missing is generated and printed once to stderr
 * with the REDIS_URL to use. The output holds only SHA-256 hashes of the passwords (`#<hex>`).
 * `aclfile` (default): lines for redis.conf `aclfile`; `setuser`: ACL SETUSER commands for redis-cli.
 */
import { randomBytes } from 'node:crypto';
import { APP_USER, OPS_USER, aclFileLines, aclSetUserCommands, type RedisAclSetup } from '../server/backup/redis-acl';
import { parseCliArgs, runAsScript } from './cli';

const EXIT_USAGE = 2;

const USAGE = `usage: npm run redis:acl -- [--prefix ioc] [--format aclfile|setuser] [--redis-version 7.0]
environment: IOC_REDIS_PREFIX, IOC_REDIS_APP_PASSWORD, IOC_REDIS_OPS_PASSWORD, IOC_REDIS_ADMIN_PASSWORD (generated when unset)`;

/** 32 random bytes, URL-safe (a password goes into REDIS_URL). */
function generatePassword(): string {
  return randomBytes(32).toString('base64url');
}

export function runRedisAclCli(argv: string[], env: NodeJS.ProcessEnv, out: (line: string) => void, note: (line: string) => void = out): number {
  const parsed = parseCliArgs(
    {
      args: argv,
      options: {
        prefix: { type: 'string' },
        format: { type: 'string', default: 'aclfile' },
        'redis-version': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    },
    USAGE,
    note,
  );
  if (!parsed) return EXIT_USAGE;
  const { values } = parsed;
  if (values.help || !['aclfile', 'setuser'].includes(values.format)) {
    note(USAGE);
    return values.help ? 0 : EXIT_USAGE;
  }
  const generated: string[] = [];
  const password = (variable: string, user: string): string => {
    const given = env[variable];
    if (given) return given;
    const made = generatePassword();
    generated.push(`${variable}=${made}   (${user})`);
    return made;
  };
  const prefix = values.prefix ?? env.IOC_REDIS_PREFIX ?? 'ioc';
  const setup: RedisAclSetup = {
    prefix,
    appPassword: password('IOC_REDIS_APP_PASSWORD', APP_USER),
    opsPassword: password('IOC_REDIS_OPS_PASSWORD', OPS_USER),
    defaultPassword: password('IOC_REDIS_ADMIN_PASSWORD', 'default'),
    redisVersion: values['redis-version'],
  };
  let lines: string[];
  try {
    lines = values.format === 'setuser' ? aclSetUserCommands(setup) : aclFileLines(setup);
  } catch (err) {
    note((err as Error).message);
    return EXIT_USAGE;
  }
  for (const line of lines) out(line);
  if (generated.length > 0) {
    note('generated passwords (shown once; keep them in your secret store):');
    for (const g of generated) note(`  ${g}`);
    note(`server:  REDIS_URL=redis://${APP_USER}:<IOC_REDIS_APP_PASSWORD>@<host>:6379`);
    note(`backup:  IOC_REDIS_OPS_URL=redis://${OPS_USER}:<IOC_REDIS_OPS_PASSWORD>@<host>:6379`);
  }
  return 0;
}

runAsScript(import.meta.url, runRedisAclCli);
