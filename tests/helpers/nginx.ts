/**
 * Throwaway nginx (Debian `nginx`) as the cluster's load balancer in integration tests (issue 15).
 *
 * Writes deploy/nginx/ioc-cluster.conf.template (the file the repo ships) into its own temp dir with
 * the given node ports, runs `/usr/sbin/nginx -c <dir>/nginx.conf -p <dir>/` in the foreground on a
 * free port of 127.0.0.1 (or `listenPort`), waits until it accepts connections, and `stop()` ends
 * it and removes the dir. Tests never touch a system nginx or port 80.
 *
 * When the binary is missing: in CI (`process.env.CI` truthy) this throws, because a missing
 * service there is a failure; locally it prints a loud warning naming the Debian package and
 * resolves `null`, and callers skip their suites visibly (`describe.skipIf(nginx === null)`).
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findNginxBinary, NGINX_PACKAGE, spawnNginx, type SpawnedNginx } from '../../scripts/nginx-balancer.mjs';
import { freePort } from './free-port';

/** How long stop() waits for a graceful exit (SIGQUIT lets open connections finish) before SIGKILL. */
const STOP_GRACE_MS = 3_000;
/** Start attempts with a fresh port, in case another process grabbed the free port first. */
const START_ATTEMPTS = 3;

export interface StartNginxOptions {
  /** ports of the server nodes on 127.0.0.1, in order */
  upstreamPorts: number[];
  /** listen on this port; default a free one */
  listenPort?: number;
}

export interface TestNginx {
  /** `http://127.0.0.1:<port>` */
  url: string;
  port: number;
  /** run dir: nginx.conf, error.log, access.log */
  dir: string;
  /** captured output and the tail of error.log (for failure messages) */
  log(): string;
  /** Replace the node list and reload gracefully; resolves when the new worker runs. */
  reload(upstreamPorts: number[]): Promise<void>;
  /** Graceful stop (SIGQUIT, SIGKILL after a grace period) and temp dir removal. */
  stop(): Promise<void>;
}

/** Every nginx master we started, killed if the test process exits without stop(). */
const liveChildren = new Set<ChildProcess>();
let exitHookInstalled = false;
function trackChild(child: ChildProcess): void {
  liveChildren.add(child);
  child.once('exit', () => liveChildren.delete(child));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      // SIGTERM, not SIGKILL: a killed master would leave its worker holding the port
      for (const c of liveChildren) c.kill('SIGTERM');
    });
  }
}

function exitOf(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise<void>((resolve) => child.once('exit', () => resolve()));
}

export async function startNginx(options: StartNginxOptions): Promise<TestNginx | null> {
  const binary = findNginxBinary();
  if (binary === null) {
    const message = `nginx not found at /usr/sbin/nginx or on PATH: install the Debian package \`${NGINX_PACKAGE}\` to run the cluster tests`;
    if (process.env.CI) throw new Error(`${message} — they cannot be skipped in CI`);
    console.warn(`\n!!! SKIPPED: ${message} !!!\n`);
    return null;
  }
  const dir = mkdtempSync(join(tmpdir(), 'ioc-test-nginx-'));
  let lastError: unknown = null;
  for (let attempt = 0; attempt < (options.listenPort === undefined ? START_ATTEMPTS : 1); attempt++) {
    const port = options.listenPort ?? (await freePort());
    let spawned: SpawnedNginx;
    try {
      spawned = await spawnNginx({ binary, dir, port, upstreamPorts: options.upstreamPorts });
    } catch (err) {
      lastError = err;
      continue;
    }
    const { child } = spawned;
    trackChild(child);
    return {
      url: `http://127.0.0.1:${port}`,
      port,
      dir,
      log: () => spawned.output(),
      reload: (upstreamPorts) => spawned.reload(upstreamPorts),
      async stop() {
        const exited = exitOf(child);
        // SIGQUIT: graceful shutdown of master and workers; SIGKILL of the master alone would orphan the worker
        child.kill('SIGQUIT');
        const timer = setTimeout(() => child.kill('SIGTERM'), STOP_GRACE_MS);
        await exited;
        clearTimeout(timer);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  rmSync(dir, { recursive: true, force: true });
  throw lastError instanceof Error ? lastError : new Error(String(lastError));
}
