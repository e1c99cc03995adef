/**
 * Throwaway Mosquitto (Debian `mosquitto`) for integration tests.
 *
 * Starts `/usr/sbin/mosquitto -c <conf>` on a free port of 127.0.0.1 with a config file it writes
 * in its own temp dir (one listener, persistence off, log to a file there), waits until it accepts
 * connections, and `stop()` kills it and removes the dir. Tests never touch the shared Mosquitto on
 * 1883 and never depend on its config.
 *
 * When the binary is missing: in CI (`process.env.CI` truthy) this throws, because a missing
 * service there is a failure; locally it prints a loud warning naming the Debian package and
 * resolves `null`, and callers skip their suites visibly (`describe.skipIf(mosquitto === null)`).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants as fsConstants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port';

/** How long a started broker may take to accept a TCP connection. */
export const MOSQUITTO_START_TIMEOUT_MS = 5_000;
const PROBE_INTERVAL_MS = 50;
const PROBE_TIMEOUT_MS = 500;
/** How long stop() waits for a graceful exit before SIGKILL. */
const STOP_GRACE_MS = 3_000;
/** Start attempts with a fresh port, in case another process grabbed the free port first. */
const START_ATTEMPTS = 3;
const CANDIDATES = ['/usr/sbin/mosquitto', '/usr/local/sbin/mosquitto', '/usr/bin/mosquitto'];
const PASSWD_CANDIDATES = ['/usr/bin/mosquitto_passwd', '/usr/local/bin/mosquitto_passwd'];

export interface StartMosquittoOptions {
  /** accounts (user → password) in a password file; anonymous clients are then refused */
  users?: Record<string, string>;
  /** more lines for the config file (e.g. `max_queued_messages 100000`) */
  extraConfig?: string[];
  /** listen on this port (a test that started a client before the broker); default: a free one */
  port?: number;
}

export interface TestMosquitto {
  /** `mqtt://127.0.0.1:<port>` */
  url: string;
  port: number;
  dir: string;
  /** the broker's log so far (for failure messages) */
  log(): string;
  /** SIGTERM, SIGKILL after a grace period, temp dir removed. */
  stop(): Promise<void>;
}

function findBinary(candidates: string[]): string | null {
  for (const c of candidates) {
    try {
      accessSync(c, fsConstants.X_OK);
      return c;
    } catch {
      // not here; try the next one
    }
  }
  return null;
}

function probe(port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const finish = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(PROBE_TIMEOUT_MS, () => finish(false));
    socket.once('error', () => finish(false));
    socket.once('connect', () => finish(true));
  });
}

function exitOf(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise<void>((resolve) => child.once('exit', () => resolve()));
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

function writeConfig(dir: string, port: number, options: StartMosquittoOptions, passwdBinary: string | null): string {
  const lines = [
    `listener ${port} 127.0.0.1`,
    'persistence false',
    `log_dest file ${join(dir, 'mosquitto.log')}`,
    'log_type error',
    'log_type warning',
    'log_type notice',
    'log_type information',
    'connection_messages true',
    // started as root, Mosquitto would switch to the `mosquitto` user, who cannot write our temp dir
    ...(process.getuid?.() === 0 ? ['user root'] : []),
  ];
  if (options.users) {
    if (!passwdBinary) throw new Error('mosquitto_passwd not found (Debian package `mosquitto`)');
    const passwordFile = join(dir, 'passwd');
    writeFileSync(passwordFile, '', { mode: 0o600 });
    for (const [user, password] of Object.entries(options.users)) execFileSync(passwdBinary, ['-b', passwordFile, user, password]);
    lines.push('allow_anonymous false', `password_file ${passwordFile}`);
  } else lines.push('allow_anonymous true');
  lines.push(...(options.extraConfig ?? []));
  const file = join(dir, 'mosquitto.conf');
  writeFileSync(file, `${lines.join('\n')}\n`, { mode: 0o600 });
  return file;
}

export async function startMosquitto(options: StartMosquittoOptions = {}): Promise<TestMosquitto | null> {
  const binary = findBinary(CANDIDATES);
  if (binary === null) {
    const message = 'mosquitto not found at /usr/sbin/mosquitto: install the Debian package `mosquitto` to run the real-broker MQTT tests';
    if (process.env.CI) throw new Error(`${message} — they cannot be skipped in CI`);
    console.warn(`\n!!! SKIPPED: ${message} !!!\n`);
    return null;
  }
  const dir = mkdtempSync(join(tmpdir(), 'ioc-test-mosquitto-'));
  const logFile = join(dir, 'mosquitto.log');
  const readLog = (): string => {
    try {
      return readFileSync(logFile, 'utf8').slice(-4_000);
    } catch {
      return '';
    }
  };
  let lastError: unknown = null;
  for (let attempt = 0; attempt < (options.port === undefined ? START_ATTEMPTS : 1); attempt++) {
    const port = options.port ?? (await freePort());
    const conf = writeConfig(dir, port, options, findBinary(PASSWD_CANDIDATES));
    let output = '';
    const child = spawn(binary, ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
    trackChild(child);
    const keep = (chunk: Buffer): void => void (output = (output + chunk.toString('utf8')).slice(-4_000));
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.on('error', (err) => keep(Buffer.from(String(err))));
    const deadline = Date.now() + MOSQUITTO_START_TIMEOUT_MS;
    let up = false;
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) break;
      if (await probe(port)) {
        up = true;
        break;
      }
      await new Promise((r) => setTimeout(r, PROBE_INTERVAL_MS));
    }
    if (!up) {
      lastError = new Error(`mosquitto on port ${port} did not start (exit ${child.exitCode}):\n${output}\n${readLog()}`);
      child.kill('SIGKILL');
      await exitOf(child);
      continue;
    }
    return {
      url: `mqtt://127.0.0.1:${port}`,
      port,
      dir,
      log: readLog,
      async stop() {
        const exited = exitOf(child);
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
        await exited;
        clearTimeout(timer);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  rmSync(dir, { recursive: true, force: true });
  throw lastError instanceof Error ? lastError : new Error(String(lastError));
}
