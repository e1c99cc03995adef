/**
 * The City IOC server as a real child process, for crash tests (`kill -9`, restart, resend).
 *
 * Runs the production bundle (`node --enable-source-maps dist-server/main.mjs`, rebuilt first when
 * stale) on a fixed free port, so the URL stays the same across restarts and clients can reconnect.
 * Readiness = `GET /healthz` answers 200 (the server listens only after it loaded its state).
 *
 * ```ts
 * const redis = await startRedisServer();                       // tests/helpers/redis-server.ts
 * const server = await startServerProcess({ redisUrl: redis.url, devices: 200 });
 * await fetch(`${server.url}/api/...`);
 * await server.kill9();                                          // SIGKILL, waits for the exit
 * await server.restart();                                        // same port, env and spool dir
 * await server.stop();                                           // SIGTERM, removes the spool dir
 * ```
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildServerIfStale, serverBundle } from '../../scripts/build-server-if-stale.mjs';
import { DEV_AUDIT_KEY, DEV_JWT_SECRET } from '../../server/config';
import { DEV_DEVICE_SECRET } from '../../server/device-token';
import { freePort } from './free-port';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** How long a start may take before the harness gives up (a loaded 2-core machine, 20k devices). */
export const SERVER_READY_TIMEOUT_MS = 60_000;
/** Pause between /healthz probes while waiting for readiness. */
const READY_POLL_MS = 25;
/** Per-probe timeout of a /healthz request. */
const READY_PROBE_TIMEOUT_MS = 2_000;
/** stop(): SIGTERM, then SIGKILL after this long. */
const STOP_GRACE_MS = 10_000;
/** Output kept for error messages and assertions, characters. */
const OUTPUT_TAIL_CHARS = 64_000;

export interface ServerProcessOptions {
  /** Redis of the test (a throwaway one from startRedisServer); omitted = in-memory store. */
  redisUrl?: string;
  /** Demo fleet size (IOC_DEMO_DEVICES); default 200. */
  devices?: number;
  /** IOC_LOG_LEVEL; default 'warn'. */
  logLevel?: string;
  /** IOC_SPOOL_DIR; default a fresh temp dir, kept across restarts, removed by stop(). */
  spoolDir?: string;
  /** Extra environment (wins over the defaults above). */
  env?: Record<string, string>;
  /** Extra node flags, e.g. `['--import', 'data:text/javascript,…']` to inject a fault. */
  nodeArgs?: string[];
}

export interface ServerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ServerProcess {
  /** `http://127.0.0.1:<port>`, the same across restarts */
  readonly url: string;
  readonly port: number;
  /** pid of the current process */
  readonly pid: number;
  /** IOC_SPOOL_DIR of the server */
  readonly spoolDir: string;
  /** ms from spawn to the first 200 from /healthz, for the current process */
  readonly readyMs: number;
  /** stdout + stderr of every process started so far (tail) */
  output(): string;
  /** Resolves when the current process exits (on its own or killed). */
  exited(): Promise<ServerExit>;
  /** SIGKILL the current process and wait until it is gone. */
  kill9(): Promise<void>;
  /** Start a new process with the same port, env and spool dir (kills a running one first); resolves readyMs. */
  restart(): Promise<number>;
  /** SIGTERM (SIGKILL after a grace period), then remove the temp spool dir if the harness made it. */
  stop(): Promise<ServerExit>;
}

/** Every child started, killed if the test process exits without stop(). */
const liveChildren = new Set<ChildProcess>();
let exitHookInstalled = false;
function track(child: ChildProcess): void {
  liveChildren.add(child);
  child.once('exit', () => liveChildren.delete(child));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const c of liveChildren) c.kill('SIGKILL');
    });
  }
}

function exitOf(child: ChildProcess): Promise<ServerExit> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise<ServerExit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

let built = false;
/** Build dist-server/main.mjs when stale (once per test process). */
export function ensureServerBundle(): string {
  if (!built) {
    buildServerIfStale({ quiet: true });
    built = true;
  }
  return serverBundle;
}

export async function startServerProcess(options: ServerProcessOptions = {}): Promise<ServerProcess> {
  const bundle = ensureServerBundle();
  const port = await freePort();
  const ownSpool = options.spoolDir === undefined;
  const spoolDir = options.spoolDir ?? mkdtempSync(path.join(tmpdir(), 'ioc-test-spool-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'test',
    PORT: String(port),
    HOST: '127.0.0.1',
    IOC_STORE: options.redisUrl ? 'redis' : 'memory',
    ...(options.redisUrl ? { REDIS_URL: options.redisUrl } : {}),
    IOC_SPOOL_DIR: spoolDir,
    IOC_DEMO_DEVICES: String(options.devices ?? 200),
    // no demo past (issue 16) unless a test opts in through `env`: tests count incidents and alerts exactly
    IOC_DEMO_PAST_DAYS: '0',
    IOC_LOG_LEVEL: options.logLevel ?? 'warn',
    // explicit secrets (the ones tests sign with): a test run never reads or writes the
    // checkout's var/secrets.json (server/security/local-secrets.ts), whatever NODE_ENV it sets
    IOC_JWT_SECRET: DEV_JWT_SECRET,
    IOC_DEVICE_SECRET: DEV_DEVICE_SECRET,
    IOC_AUDIT_KEY: DEV_AUDIT_KEY,
    IOC_SECRETS_FILE: path.join(spoolDir, 'secrets.json'),
    ...options.env,
  };
  let log = '';
  let child: ChildProcess;
  let readyMs = 0;

  const spawnOnce = async (): Promise<number> => {
    const t0 = performance.now();
    const c = spawn(process.execPath, ['--enable-source-maps', ...(options.nodeArgs ?? []), bundle], {
      cwd: root,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    track(c);
    child = c;
    const keep = (chunk: Buffer) => {
      log = (log + chunk.toString('utf8')).slice(-OUTPUT_TAIL_CHARS);
    };
    c.stdout?.on('data', keep);
    c.stderr?.on('data', keep);
    const deadline = Date.now() + SERVER_READY_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (c.exitCode !== null || c.signalCode !== null) {
        throw new Error(`server exited before it was ready (${c.signalCode ?? `code ${c.exitCode}`}):\n${log.slice(-4_000)}`);
      }
      try {
        const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(READY_PROBE_TIMEOUT_MS) });
        await res.body?.cancel();
        if (res.status === 200) {
          readyMs = performance.now() - t0;
          return readyMs;
        }
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, READY_POLL_MS));
    }
    c.kill('SIGKILL');
    throw new Error(`server did not answer /healthz 200 within ${SERVER_READY_TIMEOUT_MS} ms:\n${log.slice(-4_000)}`);
  };

  try {
    await spawnOnce();
  } catch (err) {
    if (ownSpool) rmSync(spoolDir, { recursive: true, force: true });
    throw err;
  }

  const kill9 = async (): Promise<void> => {
    const exited = exitOf(child);
    child.kill('SIGKILL');
    await exited;
  };

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    spoolDir,
    get pid() {
      return child.pid ?? -1;
    },
    get readyMs() {
      return readyMs;
    },
    output: () => log,
    exited: () => exitOf(child),
    kill9,
    async restart() {
      await kill9();
      return spawnOnce();
    },
    async stop() {
      const exited = exitOf(child);
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      const result = await exited;
      clearTimeout(timer);
      if (ownSpool) rmSync(spoolDir, { recursive: true, force: true });
      return result;
    },
  };
}
