/**
 * What the CLI scripts (backup, restore, redis:acl, admin) share: reading their arguments, and the
 * "run as a script when not imported" tail. Their `run…Cli` functions are called by tests with
 * their own argv, env and output; only when node was started with the script itself do they read
 * the process' arguments and exit.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** `parseArgs(config)`, or null after telling `fail` what the parser refused and the usage (exit 2 then). */
export function parseCliArgs<T extends ParseArgsConfig>(
  config: T,
  usage: string,
  fail: (line: string) => void,
): ReturnType<typeof parseArgs<T>> | null {
  try {
    return parseArgs(config);
  } catch (err) {
    fail(`${(err as Error).message}\n${usage}`);
    return null;
  }
}

/** A script's entry: answers its exit code; `out` is stdout, `fail` stderr, a line each call. */
export type CliEntry = (
  argv: string[],
  env: NodeJS.ProcessEnv,
  out: (line: string) => void,
  fail: (line: string) => void,
) => number | Promise<number>;

/**
 * Runs `cli` with this process' arguments and exits with its code when `moduleUrl` (the caller's
 * `import.meta.url`) is the script node was started with; does nothing when a test imports it.
 * `failPrefix` starts every stderr line (the script's name, so a line in a cron mail says whose it is).
 * An unexpected error is printed and ends the process with 1.
 */
export function runAsScript(moduleUrl: string, cli: CliEntry, failPrefix = ''): void {
  if (!process.argv[1] || moduleUrl !== pathToFileURL(resolve(process.argv[1])).href) return;
  const fail = (line: string) => process.stderr.write(`${failPrefix}${line}\n`);
  Promise.resolve()
    .then(() => cli(process.argv.slice(2), process.env, (line) => process.stdout.write(`${line}\n`), fail))
    .then((code) => process.exit(code))
    .catch((err: unknown) => {
      fail(err instanceof Error ? (err.stack ?? err.message) : String(err));
      process.exit(1);
    });
}
