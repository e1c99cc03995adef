/**
 * Administration from the command line, against the configured store (the server's Redis):
 *
 *   npm run admin -- create <username> [--role admin|officer|leader|handler|screen] [--name <display name>]
 *   npm run admin -- reset-password <username>
 *   npm run admin -- purge-demo
 *   npm run admin -- mfa-reset <username>
 *
 * create and reset-password print a one-time password; its owner must change it at first login.
 * purge-demo deletes the demo accounts a development run left (a production server refuses to
 * start while one exists, server/security/startup-checks.ts). mfa-reset clears a user's second factor
 * (a lost phone and recovery codes; the last administrator cannot be reset in the UI then). The in-memory store is
 * refused: it lives inside the server process, so an account written here would never reach it.
 * Exit codes: 0 done, 1 refused (exists, unknown user), 2 usage or configuration, 3 store unavailable.
 */
import { RoleSchema, type Role } from '../scenes/domain';
import { generateOneTimePassword, hashPassword } from '../server/auth/passwords';
import { createAccount, CreateUserSchema } from '../server/auth/accounts';
import { DEFAULT_LOGIN_HARDENING } from '../server/auth/login-policy';
import { withPasswordSet } from '../server/auth/password-rules';
import { DEFAULT_DEMO_PASSWORD, describeAccounts, findDemoAccounts } from '../server/security/demo-accounts';
import { DEFAULT_REDIS_URL, openStore, redactRedisUrl } from '../server/store/open-store';
import type { Store } from '../server/store/store';
import { parseCliArgs, runAsScript } from './cli';

/** How long the CLI waits for Redis to answer its first PING, ms. */
const STORE_CONNECT_TIMEOUT_MS = 3_000;

const EXIT_REFUSED = 1;
const EXIT_USAGE = 2;
const EXIT_STORE = 3;

const USAGE = `usage:
  npm run admin -- create <username> [--role admin] [--name "<display name>"]
  npm run admin -- reset-password <username>
  npm run admin -- purge-demo          (deletes the demo accounts of a development run)
  npm run admin -- mfa-reset <username> (clears the two-factor sign-in of a user who lost it)
environment: REDIS_URL (default redis://127.0.0.1:6379), IOC_REDIS_PREFIX (default ioc), IOC_STORE (memory is refused)`;

class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

async function openConfiguredStore(env: NodeJS.ProcessEnv): Promise<Store> {
  if (env.IOC_STORE === 'memory') {
    throw new CliError(
      'IOC_STORE=memory: the in-memory store lives inside the server process, so an account created here would never reach it. ' +
        'Run the server with Redis (REDIS_URL), or set IOC_BOOTSTRAP_ADMIN and IOC_BOOTSTRAP_PASSWORD when starting it.',
      EXIT_USAGE,
    );
  }
  const prefix = env.IOC_REDIS_PREFIX ?? 'ioc';
  if (!/^[a-zA-Z0-9:_-]+$/.test(prefix)) throw new CliError(`IOC_REDIS_PREFIX '${prefix}' is not valid`, EXIT_USAGE);
  const opened = await openStore({ redisUrl: env.REDIS_URL, options: { prefix }, connectTimeoutMs: STORE_CONNECT_TIMEOUT_MS });
  if (opened.kind !== 'redis') {
    await opened.store.close();
    throw new CliError(
      `Redis at ${redactRedisUrl(env.REDIS_URL ?? DEFAULT_REDIS_URL)} did not answer. This command writes to the server's Redis; without it the server runs on its ` +
        'own in-memory store, which no other process can reach: start the server with IOC_BOOTSTRAP_ADMIN and IOC_BOOTSTRAP_PASSWORD instead.',
      EXIT_STORE,
    );
  }
  return opened.store;
}

async function create(store: Store, username: string, role: Role, displayName: string): Promise<string> {
  const password = generateOneTimePassword();
  const input = CreateUserSchema.safeParse({ username, displayName, role, password });
  if (!input.success) throw new CliError(input.error.issues.map((i) => i.message).join('; '), EXIT_USAGE);
  const r = await createAccount(store, input.data, Date.now());
  if (!r.ok) throw new CliError(`${r.error.code}: ${r.error.message}`, r.error.code === 'E_CONFLICT' ? EXIT_REFUSED : EXIT_USAGE);
  return password;
}

async function resetPassword(store: Store, username: string): Promise<string> {
  const user = await store.getUser(username);
  if (!user) throw new CliError(`E_NOT_FOUND: no user ${username}`, EXIT_REFUSED);
  const password = generateOneTimePassword();
  // the reset password starts its age and enters the history (issue 12)
  await store.putUser({
    ...withPasswordSet(user, await hashPassword(password), Date.now(), DEFAULT_LOGIN_HARDENING.passwordHistoryCount),
    mustChangePassword: true,
    failedLogins: 0,
    lockedUntil: 0,
  });
  return password;
}

/** Deletes every demo account (flagged, or a demo name that opens with the demo password); answers what went. */
async function purgeDemo(store: Store, demoPassword: string): Promise<string> {
  const demo = await findDemoAccounts(await store.listUsers(), demoPassword);
  for (const u of demo) await store.deleteUser(u.username);
  return demo.length === 0 ? 'no demo accounts found' : `deleted ${demo.length} demo account(s): ${describeAccounts(demo)}`;
}

/** Clears a user's TOTP: the next login enrols again where the role requires it (issue 12). */
async function mfaReset(store: Store, username: string): Promise<string> {
  const user = await store.getUser(username);
  if (!user) throw new CliError(`E_NOT_FOUND: no user ${username}`, EXIT_REFUSED);
  if (!user.mfa) return `${username} has no two-factor sign-in; nothing to reset`;
  const { mfa: _cleared, ...rest } = user;
  await store.putUser(rest);
  return `two-factor sign-in of ${username} cleared; it enrols again at the next login where its role requires it`;
}

/** Runs one command; `out` gets the answer (stdout), `fail` the reason of a refusal (stderr). Resolves with the exit code. */
export async function runAdminCli(
  argv: string[],
  env: NodeJS.ProcessEnv,
  out: (line: string) => void,
  fail: (line: string) => void = out,
): Promise<number> {
  const parsed = parseCliArgs(
    {
      args: argv,
      allowPositionals: true,
      options: { role: { type: 'string', default: 'admin' }, name: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    },
    USAGE,
    fail,
  );
  if (!parsed) return EXIT_USAGE;
  const [command, username, ...extra] = parsed.positionals;
  const purge = command === 'purge-demo';
  const wellFormed = purge
    ? username === undefined
    : username !== undefined && extra.length === 0 && ['create', 'reset-password', 'mfa-reset'].includes(command ?? '');
  if (parsed.values.help || !wellFormed) {
    (parsed.values.help ? out : fail)(USAGE);
    return parsed.values.help ? 0 : EXIT_USAGE;
  }
  const role = RoleSchema.safeParse(parsed.values.role);
  if (!role.success) {
    fail(`--role must be one of ${RoleSchema.options.join(', ')}`);
    return EXIT_USAGE;
  }
  let store: Store | null = null;
  try {
    store = await openConfiguredStore(env);
    if (purge) {
      out(await purgeDemo(store, env.IOC_DEMO_PASSWORD || DEFAULT_DEMO_PASSWORD));
      return 0;
    }
    if (username === undefined) return EXIT_USAGE; // checked above
    if (command === 'mfa-reset') {
      out(await mfaReset(store, username));
      return 0;
    }
    const password =
      command === 'create' ? await create(store, username, role.data, parsed.values.name ?? username) : await resetPassword(store, username);
    out(command === 'create' ? `created ${role.data} ${username}` : `password of ${username} reset`);
    out(`one-time password: ${password}`);
    out('it is shown once and must be changed at first login');
    return 0;
  } catch (err) {
    if (err instanceof CliError) {
      fail(err.message);
      return err.exitCode;
    }
    const code = (err as { code?: unknown }).code;
    if (code === 'E_UNAVAILABLE') {
      fail(`the store did not answer: ${(err as Error).message}`);
      return EXIT_STORE;
    }
    throw err;
  } finally {
    await store?.close();
  }
}

runAsScript(import.meta.url, runAdminCli, 'admin: ');
