/**
 * A throwaway Mosquitto for the MQTT benchmark: its own config file (written here) on a free port
 * of 127.0.0.1, never the shared broker on 1883. Anyone may connect (the server verifies the
 * device token carried in each reading). Queues are generous so the broker itself drops nothing
 * a subscriber has not yet taken: loss at a step is the subscriber falling behind, not a default.
 * CPU of the broker is read from /proc, to count it in "per core" figures.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '../tests/helpers/free-port';
import { procCpuMicros } from './child-rpc';

export const MOSQUITTO_BINARY = ['/usr/sbin/mosquitto', '/usr/bin/mosquitto'].find((p) => existsSync(p)) ?? null;
const START_TIMEOUT_MS = 5_000;

export interface BenchMosquitto {
  url: string;
  port: number;
  pid: number;
  /** user + system CPU of the broker so far, µs */
  cpuMicros(): number;
  stop(): Promise<void>;
}

export async function startMosquitto(): Promise<BenchMosquitto | null> {
  if (!MOSQUITTO_BINARY) return null;
  const dir = mkdtempSync(path.join(tmpdir(), 'ioc-bench-mosquitto-'));
  const port = await freePort();
  const conf = path.join(dir, 'mosquitto.conf');
  writeFileSync(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      'persistence false',
      'log_dest none',
      'max_inflight_messages 1000',
      'max_queued_messages 1000000',
      'max_connections -1',
      '',
    ].join('\n'),
  );
  const child = spawn(MOSQUITTO_BINARY, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  // never outlives the benchmark, whatever ends it
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.off('exit', killOnExit));
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-2000)));
  const t0 = Date.now();
  while (!(await canConnect(port))) {
    if (child.exitCode !== null || Date.now() - t0 > START_TIMEOUT_MS) {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`mosquitto did not start on port ${port}: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const pid = child.pid!;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    pid,
    cpuMicros: () => procCpuMicros(pid) ?? 0,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
