/**
 * Redis ACL users of an install (issue 12, least privilege): rules for `ACL SETUSER` or an `aclfile`.
 *
 * - `ioc-app` — the server. Keys `<prefix>:*` with exactly the commands the server sends there
 *   (RedisStore, the session store, the login throttles), and an ACL selector for the audit chain
 *   `<prefix>-audit:*` that can append and read but not delete (no DEL/UNLINK/XDEL/XTRIM/RENAME/
 *   EXPIRE there). No FLUSHALL, FLUSHDB, CONFIG, KEYS, SCAN, DEBUG, SHUTDOWN, ACL, MODULE, SCRIPT.
 * - `ioc-ops` — backup, restore and audit trim (`npm run backup|restore|audit:trim`). Both families,
 *   read everything, RESTORE keys, XTRIM the audit stream, BGSAVE/BGREWRITEAOF; still no FLUSH*,
 *   CONFIG, KEYS, DEBUG, SHUTDOWN, ACL, MODULE, and no DEL.
 *
 * Redis checks ACLs for the commands a Lua script runs too, so EVAL grants nothing extra; and a
 * command is allowed only when the root permissions or ONE selector allow all of it: a script whose
 * KEYS mix `<prefix>:` and `<prefix>-audit:` keys is refused (keep scripts to one family).
 *
 * What ACLs cannot do: forbid an argument. XADD's own MAXLEN/MINID option can trim the audit
 * stream and SET can overwrite the chain head; both leave a seq gap or an anchor mismatch that
 * `npm run audit:verify` names. The ACL makes deletion impossible by the ordinary commands and the
 * chain makes every other change visible.
 *
 * Adding a Redis command to the server: add it below with the part that sends it, else that path
 * answers NOPERM in production (server/test/redis-acl.test.ts drives the server through this ACL).
 */
import { createHash } from 'node:crypto';

/** Names of the two users (the operator may rename them; these are the defaults the docs use). */
export const APP_USER = 'ioc-app';
export const OPS_USER = 'ioc-ops';

/** Key prefixes the server accepts (server/config.ts IOC_REDIS_PREFIX): no glob characters. */
const PREFIX_PATTERN = /^[a-zA-Z0-9:_-]+$/;

/**
 * Connection set-up as ioredis sends it: AUTH (username+password), INFO (the ready check, which
 * also waits while Redis is loading its AOF), PING (health), QUIT (close). ioredis also sends
 * `CLIENT SETINFO` (Redis ≥ 7.2; it ignores the error) and SELECT only for a non-zero db.
 */
const CONNECTION_COMMANDS = ['auth', 'hello', 'ping', 'info', 'quit'] as const;

/**
 * Commands on `<prefix>:*`, by the part that sends them (direct calls, MULTI bodies and the
 * commands inside their Lua scripts, which Redis checks too).
 */
export const APP_COMMANDS_BY_PART: Readonly<Record<string, readonly string[]>> = {
  /** server/store/redis-store.ts: calls, MULTI bodies and scripts (defineCommand: EVALSHA, EVAL on NOSCRIPT) */
  store: [
    'multi',
    'exec',
    'eval',
    'evalsha',
    'get',
    'set',
    'mget',
    'del',
    'incrby',
    'decrby',
    'pexpire',
    'hset',
    'hget',
    'hmget',
    'hgetall',
    'hdel',
    'hscan',
    'sadd',
    'srem',
    'smembers',
    'sismember',
    'zadd',
    'zrem',
    'zrangebyscore',
    'rpush',
    'ltrim',
    'lrange',
    'xadd',
    'xrange',
    'xrevrange',
    // tailLog (issue 15): XREAD BLOCK on its own connection; XINFO STREAM (entries-added vs length) tells a trimmed hole
    'xread',
    'xinfo|stream',
  ],
  /**
   * server/auth/session-store-redis.ts: `<prefix>:session:<sid>` (JSON, PX TTL; patched by a script),
   * `<prefix>:user-sessions:<username>` and `<prefix>:kiosk-sessions` sets
   */
  sessions: ['get', 'set', 'mget', 'del', 'pexpire', 'sadd', 'srem', 'smembers', 'multi', 'exec', 'eval', 'evalsha'],
  /**
   * server/auth/login-throttle.ts: `<prefix>:rl:*` (rate-limiter-flexible RateLimiterRedis: its
   * INCRBY/PEXPIRE script, GET+PTTL, block = SET EX + PTTL, delete) and the one-time keys
   * `<prefix>:auth:*` (SET NX PX, GET, GETDEL)
   */
  loginThrottle: ['eval', 'evalsha', 'set', 'incrby', 'pttl', 'expire', 'get', 'getdel', 'del', 'multi', 'exec'],
  /**
   * Issue 15, server/cluster/: leases and revision lanes (scripts of GET/INCRBY/SET/PEXPIRE/DEL), the
   * node list (`<prefix>:nodes` hash + `nodes:seen` sorted set), and the Socket.IO Redis Streams
   * adapter: `<prefix>:sio:stream` (XADD/XREAD/XRANGE), recovery sessions `<prefix>:sio:session:*`
   * (SET PX, GETDEL), requests over Pub/Sub on channels `<prefix>:sio#*` (the user's channel pattern)
   */
  cluster: [
    'eval',
    'evalsha',
    'incrby',
    'pexpire',
    'xadd',
    'xread',
    'xrange',
    'set',
    'getdel',
    'publish',
    'subscribe',
    'psubscribe',
    'unsubscribe',
    'punsubscribe',
    'pubsub|numsub',
  ],
};

/**
 * Commands on `<prefix>-audit:*` (server/audit/: the chain stream, its head, the trim point):
 * append (XADD, a CAS script of GET/XADD/SET) and read. Nothing that removes a record.
 */
export const APP_AUDIT_COMMANDS: readonly string[] = ['xadd', 'xrange', 'xrevrange', 'xlen', 'get', 'set', 'eval', 'evalsha'];

/** `ioc-ops`: on both key families. */
export const OPS_COMMANDS_BY_PART: Readonly<Record<string, readonly string[]>> = {
  /** npm run backup: SCAN the families, DUMP + PTTL each key, readable registry and audit exports; INFO for the version */
  backup: ['scan', 'type', 'dump', 'pttl', 'hscan', 'xrange', 'xlen', 'get'],
  /** npm run backup -- --rdb: a fresh dump.rdb to copy; the weekly AOF rewrite */
  snapshot: ['bgsave', 'lastsave', 'time', 'bgrewriteaof'],
  /** npm run restore: refuse a non-empty target (SCAN), RESTORE each key with its absolute expiry */
  restore: ['scan', 'restore', 'exists'],
  /** npm run audit:trim: XTRIM MINID past the retention, write the trim point; audit:verify reads */
  auditTrim: ['xtrim', 'xrange', 'xrevrange', 'xlen', 'get', 'set'],
};

/** Never granted to either user (the test asserts they are refused). */
export const FORBIDDEN_COMMANDS: readonly string[] = ['flushall', 'flushdb', 'config', 'keys', 'debug', 'shutdown', 'acl', 'module', 'script'];

export interface RedisAclUserOptions {
  /** IOC_REDIS_PREFIX of the install */
  prefix: string;
  /** the user's password (written as its SHA-256, `#<hex>`, so the file does not hold it) */
  password: string;
  /** user name; default APP_USER / OPS_USER */
  username?: string;
  /** `major.minor` of the Redis server; ≥ 7.2 also allows ioredis' CLIENT SETINFO */
  redisVersion?: string;
}

function assertPrefix(prefix: string): void {
  if (!PREFIX_PATTERN.test(prefix)) throw new Error(`Redis key prefix '${prefix}' must match ${PREFIX_PATTERN} (no glob characters)`);
}

function atLeast72(version: string | undefined): boolean {
  if (version === undefined) return false;
  const [major, minor] = version.split('.').map(Number);
  return major > 7 || (major === 7 && (minor ?? 0) >= 2);
}

function commandRules(commands: Iterable<string>): string[] {
  return [...new Set(commands)].sort().map((c) => `+${c}`);
}

function passwordRule(password: string): string {
  if (password.length < 16) throw new Error('a Redis user password must have at least 16 characters');
  return `#${createHash('sha256').update(password, 'utf8').digest('hex')}`;
}

/** `clientinfo`: ioredis' CLIENT SETINFO on Redis ≥ 7.2 (an unknown subcommand on 7.0 makes ACL SETUSER fail) */
function connectionRules(redisVersion: string | undefined): string[] {
  return [...commandRules(CONNECTION_COMMANDS), ...(atLeast72(redisVersion) ? ['+client|setinfo'] : [])];
}

/** The rules both users start with: a clean slate, the password, these key patterns, and the connection commands. */
function userRulesBase(opts: RedisAclUserOptions, keyPatterns: string[]): string[] {
  assertPrefix(opts.prefix);
  return [
    'reset',
    'on',
    passwordRule(opts.password),
    'resetchannels',
    ...keyPatterns.map((p) => `~${p}`),
    '-@all',
    ...connectionRules(opts.redisVersion),
  ];
}

/** Rules of the application user, in ACL SETUSER / aclfile syntax (without the user name). */
export function appUserRules(opts: RedisAclUserOptions): string[] {
  return [
    ...userRulesBase(opts, [`${opts.prefix}:*`]),
    // the cluster's Pub/Sub channels (issue 15): its own prefix only
    `&${opts.prefix}:*`,
    ...commandRules([...new Set(Object.values(APP_COMMANDS_BY_PART).flat())]),
    `(~${opts.prefix}-audit:* resetchannels -@all ${commandRules(APP_AUDIT_COMMANDS).join(' ')})`,
  ];
}

/** Rules of the operator user (backup, restore, audit trim). */
export function opsUserRules(opts: RedisAclUserOptions): string[] {
  return [...userRulesBase(opts, [`${opts.prefix}:*`, `${opts.prefix}-audit:*`]), ...commandRules(Object.values(OPS_COMMANDS_BY_PART).flat())];
}

export interface RedisAclSetup {
  prefix: string;
  appPassword: string;
  opsPassword: string;
  appUser?: string;
  opsUser?: string;
  redisVersion?: string;
  /**
   * `default` user: a password (rules `on #<sha256> ~* &* +@all`, for the administrator), or
   * `off` (the default): connections that do not authenticate get nothing.
   */
  defaultPassword?: string;
}

interface UserLine {
  name: string;
  rules: string[];
}

function users(setup: RedisAclSetup): UserLine[] {
  const v = setup.redisVersion;
  return [
    {
      name: 'default',
      rules: setup.defaultPassword === undefined ? ['reset', 'off'] : ['reset', 'on', passwordRule(setup.defaultPassword), '~*', '&*', '+@all'],
    },
    { name: setup.appUser ?? APP_USER, rules: appUserRules({ prefix: setup.prefix, password: setup.appPassword, redisVersion: v }) },
    { name: setup.opsUser ?? OPS_USER, rules: opsUserRules({ prefix: setup.prefix, password: setup.opsPassword, redisVersion: v }) },
  ];
}

/** Lines of an `aclfile` (redis.conf `aclfile /etc/redis/users.acl`): `user <name> <rules…>`. */
export function aclFileLines(setup: RedisAclSetup): string[] {
  // aclfile lines take no `reset` (each user starts empty); the selector stays one token group
  return users(setup).map((u) => `user ${u.name} ${u.rules.filter((r) => r !== 'reset').join(' ')}`);
}

/** `ACL SETUSER` commands for redis-cli (on a running server; `ACL SAVE` writes them to the aclfile). */
export function aclSetUserCommands(setup: RedisAclSetup): string[] {
  return users(setup).map((u) => `ACL SETUSER ${u.name} ${u.rules.map(quoteForCli).join(' ')}`);
}

/** redis-cli splits on spaces; a selector is one argument. */
function quoteForCli(rule: string): string {
  return rule.includes(' ') ? `"${rule}"` : rule;
}

/** Argument vectors for `redis.call('ACL', 'SETUSER', …)` from code (tests, provisioning scripts). */
export function aclSetUserArgs(username: string, rules: readonly string[]): string[] {
  return ['SETUSER', username, ...rules];
}
