/**
 * Throwaway `redis-server` for integration tests.
 *
 * Spawns the Debian `redis-server` binary on a free port of 127.0.0.1 without persistence (or with
 * an append-only file, `aof`) and with its own temp `--dir`, so tests never touch the shared Redis on
 * 6379 and leave nothing behind.
 *
 * When the binary is missing: in CI (`process.env.CI` truthy) this throws, because a missing
 * service there is a failure; locally it prints a loud warning and resolves `null`, and callers
 * skip their Redis suites visibly (`describe.skipIf(redis === null)`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants as fsConstants, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { freePort } from './free-port';

/** How long a started server may take to answer PING. */
export const REDIS_START_TIMEOUT_MS = 5_000;
/** Pause between PING probes while waiting for the server. */
const PING_POLL_INTERVAL_MS = 50;
/** Per-probe socket timeout. */
const PING_PROBE_TIMEOUT_MS = 500;
/** How long stop() waits for a graceful exit before SIGKILL. */
const STOP_GRACE_MS = 3_000;
/** Start attempts with a fresh port, in case another process grabbed the free port first. */
const START_ATTEMPTS = 3;

export interface TestRedisServer {
  /** `redis://127.0.0.1:<port>` (no credentials: add them when started with an ACL file) */
  url: string;
  port: number;
  /** the server's `--dir` (where BGSAVE writes dump.rdb) */
  dir: string;
  /** process id of the running redis-server (changes on restart; the benchmark reads its CPU from /proc) */
  pid(): number | undefined;
  /** Graceful shutdown (SIGTERM, SIGKILL after a grace period) and temp dir removal. */
  stop(): Promise<void>;
  /** Simulate a crash: SIGKILL, no waiting. */
  kill(): void;
  /** Start again on the SAME port and dir (data is gone without `aof`; with it, the AOF is replayed). */
  restart(): Promise<void>;
}

/** Locate `redis-server` on PATH, then at the Debian location. */
export function findRedisServerBinary(): string | null {
  const candidates = (process.env.PATH ?? '')
    .split(delimiter)
    .filter((dir) => dir.length > 0)
    .map((dir) => join(dir, 'redis-server'));
  candidates.push('/usr/bin/redis-server');
  for (const candidate of candidates) {
    try {
      accessSync(candidate, fsConstants.X_OK);
      return candidate;
    } catch {
      // not here; try the next one
    }
  }
  return null;
}

/**
 * One PING over a raw socket; resolves true on `+PONG`, or on `-NOAUTH` (up, but the default user
 * needs a password: a server started with an ACL file).
 */
function pingOnce(port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let answered = '';
    const finish = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(PING_PROBE_TIMEOUT_MS, () => finish(false));
    socket.once('error', () => finish(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      answered += chunk.toString('latin1');
      if (answered.includes('\r\n')) finish(answered.startsWith('+PONG') || answered.startsWith('-NOAUTH'));
    });
  });
}

function exitOf(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise<void>((resolve) => child.once('exit', () => resolve()));
}

export interface StartRedisOptions {
  /** `--aclfile <path>`: users (and the default user's password) from this file */
  aclFile?: string;
  /**
   * Persistence through the append-only file (`--appendonly yes`) in the server's dir, as a
   * production install runs (README "Scale-out"): `everysec` loses at most the last second of a
   * crash, `always` nothing acknowledged. Default: no persistence.
   */
  aof?: { fsync: 'everysec' | 'always' };
}

function aofArgs(options: StartRedisOptions): string[] {
  return options.aof === undefined ? ['--appendonly', 'no'] : ['--appendonly', 'yes', '--appendfsync', options.aof.fsync];
}

function spawnRedis(binary: string, port: number, dir: string, options: StartRedisOptions = {}): { child: ChildProcess; output: () => string } {
  const child = spawn(
    binary,
    [
      ...['--save', '', ...aofArgs(options), '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--daemonize', 'no'],
      ...(options.aclFile === undefined ? [] : ['--aclfile', options.aclFile]),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  // keep the tail of the log for error messages
  let log = '';
  const keepTail = (chunk: Buffer): void => {
    log = (log + chunk.toString('utf8')).slice(-4_000);
  };
  child.stdout?.on('data', keepTail);
  child.stderr?.on('data', keepTail);
  child.on('error', (err) => keepTail(Buffer.from(String(err))));
  return { child, output: () => log };
}

async function waitForPing(port: number, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + REDIS_START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`redis-server on port ${port} exited early (code ${child.exitCode}):\n${output()}`);
    }
    if (await pingOnce(port)) return;
    await new Promise((r) => setTimeout(r, PING_POLL_INTERVAL_MS));
  }
  child.kill('SIGKILL');
  throw new Error(`redis-server on port ${port} did not answer PING within ${REDIS_START_TIMEOUT_MS} ms:\n${output()}`);
}

/** Every child we started, killed if the test process exits without stop(). */
const liveChildren = new Set<ChildProcess>();
let exitHookInstalled = false;
function trackChild(child: ChildProcess): void {
  liveChildren.add(child);
  child.once('exit', () => liveChildren.delete(child));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const c of liveChildren) c.kill('SIGKILL');
    });
  }
}

export async function startRedisServer(options: StartRedisOptions = {}): Promise<TestRedisServer | null> {
  const binary = findRedisServerBinary();
  if (binary === null) {
    const message = 'redis-server binary not found on PATH or at /usr/bin/redis-server';
    if (process.env.CI) throw new Error(`${message} — Redis integration tests cannot run in CI without it`);
    console.warn(`\n!!! ${message}: SKIPPING Redis integration tests (install redis-server to run them) !!!\n`);
    return null;
  }

  const dir = mkdtempSync(join(tmpdir(), 'ioc-test-redis-'));
  let port = 0;
  let current: ChildProcess | null = null;
  let lastError: unknown = null;
  for (let attempt = 0; attempt < START_ATTEMPTS && current === null; attempt++) {
    port = await freePort();
    const { child, output } = spawnRedis(binary, port, dir, options);
    trackChild(child);
    try {
      await waitForPing(port, child, output);
      current = child;
    } catch (err) {
      lastError = err;
      child.kill('SIGKILL');
      await exitOf(child);
    }
  }
  if (current === null) {
    rmSync(dir, { recursive: true, force: true });
    throw lastError instanceof Error ? lastError : new Error(String(lastError));
  }

  let child: ChildProcess = current;
  const fixedPort = port;
  return {
    url: `redis://127.0.0.1:${fixedPort}`,
    port: fixedPort,
    dir,
    pid: () => child.pid,
    kill(): void {
      child.kill('SIGKILL');
    },
    async restart(): Promise<void> {
      child.kill('SIGKILL');
      await exitOf(child);
      const started = spawnRedis(binary, fixedPort, dir, options);
      trackChild(started.child);
      child = started.child;
      await waitForPing(fixedPort, started.child, started.output);
    },
    async stop(): Promise<void> {
      const exited = exitOf(child);
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
