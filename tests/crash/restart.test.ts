/**
 * Crash and restart of the real server process (issue 10, #1 and #11): `kill -9` while commands
 * and readings flow, a process-level last resort that exits instead of limping on, and the
 * `npm start` supervisor that restarts a dead server while the simulated devices keep running.
 * Timings are measured in bench/restart.ts, never asserted here.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Incident } from '../../scenes/domain';
import { DEFAULT_FLEET, generateFleet } from '../../scenes/fleet';
import { GatewayClient } from '../../mock-devices/gateway-client';
import { FleetSimulator } from '../../mock-devices/simulator';
import { DEV_DEVICE_SECRET } from '../../server/device-token';
import { freePort } from '../helpers/free-port';
import { startRedisServer, type TestRedisServer } from '../helpers/redis-server';
import { startServerProcess, type ServerProcess } from '../helpers/server-process';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const DEMO_PASSWORD = 'ioc-demo-2026';
const FLEET_SIZE = 100;
/** Generous bounds for conditions on a loaded 2-core machine (not timing assertions). */
const CONDITION_TIMEOUT_MS = 60_000;
const POLL_MS = 50;
/** Acknowledged incident commands to collect before the kill. */
const ACKED_BEFORE_KILL = 12;
/** Simulator step while readings flow, ms. */
const READINGS_STEP_MS = 200;
/** Per-test bound: several process starts on a loaded machine. */
const TEST_TIMEOUT_MS = 180_000;
/** Exit code of the process-level last resort (server/main.ts). */
const EXIT_CODE_CRASH = 70;

async function waitUntil(what: string, predicate: () => boolean | Promise<boolean>, timeoutMs = CONDITION_TIMEOUT_MS): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await predicate()) return;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function healthy(url: string): Promise<boolean> {
  try {
    const r = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) });
    await r.body?.cancel();
    return r.status === 200;
  } catch {
    return false;
  }
}

async function login(url: string, username: string): Promise<string> {
  const r = await fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: DEMO_PASSWORD }),
  });
  if (!r.ok) throw new Error(`login ${username}: ${r.status} ${await r.text()}`);
  return ((await r.json()) as { token: string }).token;
}

async function command(url: string, token: string, body: unknown): Promise<{ ok: boolean; incident?: Incident }> {
  const r = await fetch(`${url}/api/commands`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(5_000),
  });
  return (await r.json()) as { ok: boolean; incident?: Incident };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

let redis: TestRedisServer | null = null;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis?.stop();
});

describe('server process crash and restart', () => {
  let server: ServerProcess | undefined;
  afterAll(async () => {
    await server?.stop();
  });

  it(
    'serves again after kill -9 under load, with every acknowledged incident command present',
    async (ctx) => {
      if (!redis) return ctx.skip();
      server = await startServerProcess({ redisUrl: redis.url, devices: FLEET_SIZE, env: { IOC_REDIS_PREFIX: 'crash1' } });
      const url = server.url;
      const token = await login(url, 'officer1');
      const fleet = generateFleet({ count: FLEET_SIZE, seed: DEFAULT_FLEET.seed });
      // an incident at a device that lies in a district (a location at sea needs one given)
      const site = fleet.find((d) => d.district !== undefined)!;
      const place = { location: site.location, district: site.district };

      // readings flow through a gateway that retries, as real ones do
      const sim = new FleetSimulator({ fleet, seed: DEFAULT_FLEET.seed, rateScale: 5 });
      const gateway = new GatewayClient({ serverUrl: url, deviceSecret: DEV_DEVICE_SECRET, statusIntervalMs: 0, retryMaxMs: 1_000, log: () => {} });
      gateway.start();
      const step = setInterval(() => gateway.enqueue(sim.step(Date.now())), READINGS_STEP_MS);

      // commands flow: create an incident, then note it; remember only what was acknowledged ok
      const acked: { incidentId: string; noteCommandId: string | null }[] = [];
      let flowing = true;
      const commandLoop = (async () => {
        for (let i = 0; flowing; i++) {
          try {
            const created = await command(url, token, {
              type: 'incident.create',
              commandId: `crash-create-${i}`,
              title: `crash test ${i}`,
              category: 'other',
              scene: 'emergency',
              ...place,
              priority: 'P3',
            });
            if (!created.ok || !created.incident) throw new Error(`not acknowledged: ${JSON.stringify(created)}`);
            const entry = { incidentId: created.incident.id, noteCommandId: null as string | null };
            acked.push(entry);
            const noteId = `crash-note-${i}`;
            const noted = await command(url, token, { type: 'incident.note', commandId: noteId, incidentId: entry.incidentId, note: `note ${i}` });
            if (noted.ok) entry.noteCommandId = noteId;
          } catch {
            // the server is down (or refused): keep trying until the loop is stopped
            await new Promise((r) => setTimeout(r, POLL_MS));
          }
        }
      })();

      try {
        await waitUntil('acknowledged commands and readings', () => acked.length >= ACKED_BEFORE_KILL && gateway.stats().accepted > 0);
        await server.kill9();
        const sentAtKill = gateway.stats().sent;
        await server.restart();
        flowing = false;
        await commandLoop;

        expect(await healthy(url)).toBe(true);
        for (const entry of acked) {
          const r = await fetch(`${url}/api/incidents/${entry.incidentId}`, { headers: { authorization: `Bearer ${token}` } });
          expect(r.status, `incident ${entry.incidentId} after restart`).toBe(200);
          const { incident } = (await r.json()) as { incident: Incident };
          if (entry.noteCommandId) expect(incident.history.some((h) => h.commandId === entry.noteCommandId)).toBe(true);
        }
        // the gateway's batches are accepted again by the new process
        await waitUntil('readings accepted after the restart', () => gateway.stats().sent > sentAtKill);
        // and a new command is acknowledged by it
        const after = await command(url, token, {
          type: 'incident.create',
          commandId: 'crash-after-restart',
          title: 'after restart',
          category: 'other',
          scene: 'emergency',
          ...place,
          priority: 'P3',
        });
        expect(after.ok).toBe(true);
      } finally {
        flowing = false;
        clearInterval(step);
        await gateway.stop();
        await commandLoop;
      }
    },
    TEST_TIMEOUT_MS,
  );
});

describe('process-level last resort', () => {
  // a preload that turns SIGUSR2 into an error no handler catches, the way a bug in a callback would
  const injectFault = (kind: 'throw' | 'reject') =>
    `data:text/javascript,process.on('SIGUSR2',()=>{${kind === 'throw' ? "throw new Error('injected escaped error')" : "Promise.reject(new Error('injected escaped rejection'))"}})`;

  for (const [kind, event] of [
    ['throw', 'uncaughtException'],
    ['reject', 'unhandledRejection'],
  ] as const) {
    it(
      `logs an escaped ${event} as fatal and exits non-zero instead of limping on`,
      async () => {
        const server = await startServerProcess({ devices: 20, logLevel: 'info', nodeArgs: ['--import', injectFault(kind)] });
        try {
          const exited = server.exited();
          process.kill(server.pid, 'SIGUSR2');
          const { code } = await exited;
          expect(code).toBe(EXIT_CODE_CRASH);
          const fatal = server
            .output()
            .split('\n')
            .filter((l) => l.startsWith('{'))
            .map((l) => JSON.parse(l) as { level: number; kind?: string; err?: { message?: string } })
            .find((l) => l.kind === event);
          expect(fatal?.level).toBe(60); // pino: fatal
          expect(fatal?.err?.message).toMatch(/injected escaped/);
        } finally {
          await server.stop();
        }
      },
      TEST_TIMEOUT_MS,
    );
  }
});

describe('npm start supervisor', () => {
  const supervisors: ChildProcess[] = [];
  afterAll(() => {
    // a failed run must not leave the supervised server and devices behind: kill the whole group
    for (const supervisor of supervisors) {
      if (supervisor.pid === undefined || supervisor.exitCode !== null) continue;
      try {
        process.kill(-supervisor.pid, 'SIGKILL');
      } catch {
        supervisor.kill('SIGKILL');
      }
    }
  });

  /** `npm start`'s supervisor on a free port and its own Redis prefix; `starts(name)` = the pids it printed for that child. */
  async function startSupervisor(prefix: string) {
    const port = await freePort();
    const sup = spawn(process.execPath, [path.join(root, 'scripts', 'start.mjs')], {
      cwd: root,
      // its own process group, so cleanup can reach the children even if the supervisor is gone
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        NODE_ENV: 'test',
        PORT: String(port),
        HOST: '127.0.0.1',
        REDIS_URL: redis!.url,
        IOC_STORE: 'redis',
        IOC_REDIS_PREFIX: prefix,
        IOC_DEMO_DEVICES: String(FLEET_SIZE),
        IOC_MOCK_CONTROL_PORT: '0',
        IOC_LOG_LEVEL: 'warn',
      },
    });
    supervisors.push(sup);
    let out = '';
    sup.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    sup.stderr.on('data', (c: Buffer) => (out += c.toString('utf8')));
    const starts = (name: string) =>
      [...out.matchAll(new RegExp(`\\[supervisor\\] started ${name} pid=(\\d+) n=(\\d+)`, 'g'))].map((m) => Number(m[1]));
    await waitUntil('server and devices started', () => starts('server').length === 1 && starts('mock-devices').length === 1);
    await waitUntil('devices streaming', () => out.includes('streaming readings'));
    return { sup, url: `http://127.0.0.1:${port}`, starts, output: () => out };
  }

  it(
    'restarts a killed server while the simulated devices keep running, restarts killed devices, and stops everything on SIGTERM',
    async (ctx) => {
      if (!redis) return ctx.skip();
      const { sup, url, starts, output } = await startSupervisor('crash-supervisor');
      const [serverPid] = starts('server');
      const [devicesPid] = starts('mock-devices');

      process.kill(serverPid, 'SIGKILL');
      await waitUntil('a second server start', () => starts('server').length === 2);
      await waitUntil('the restarted server is healthy', () => healthy(url));
      expect(starts('server')[1]).not.toBe(serverPid);
      expect(alive(serverPid)).toBe(false);
      expect(starts('mock-devices')).toEqual([devicesPid]);
      expect(alive(devicesPid)).toBe(true);
      expect(output()).toMatch(/!!! \[supervisor\] server \(pid \d+\) exited \(SIGKILL\)/);

      // the devices are supervised too, and their restart leaves the server alone
      process.kill(devicesPid, 'SIGKILL');
      await waitUntil('a second devices start', () => starts('mock-devices').length === 2);
      expect(starts('server')).toHaveLength(2);

      const exited = new Promise<number | null>((resolve) => sup.once('exit', (code) => resolve(code)));
      sup.kill('SIGTERM');
      expect(await exited).toBe(0);
      for (const pid of [...starts('server'), ...starts('mock-devices')]) expect(alive(pid), `pid ${pid} after SIGTERM`).toBe(false);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'stops the server and the devices by themselves when the supervisor itself is killed with SIGKILL',
    async (ctx) => {
      if (!redis) return ctx.skip();
      const { sup, starts } = await startSupervisor('crash-supervisor-orphans');
      const children = [starts('server')[0]!, starts('mock-devices')[0]!];
      process.kill(sup.pid!, 'SIGKILL');
      for (const pid of children) await waitUntil(`pid ${pid} gone after its supervisor`, () => !alive(pid));
    },
    TEST_TIMEOUT_MS,
  );
});
