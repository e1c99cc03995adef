#!/usr/bin/env node
// `npm start`: build the client and the server bundle when stale, then run and SUPERVISE the server
// (`node --enable-source-maps dist-server/main.mjs`) and the simulated devices.
//
// Supervision (issue 10, #1 and #11): a child that exits without being asked to is restarted with
// exponential back-off (0.5 s doubling to 30 s; back to 0.5 s once it stayed up 60 s), with a loud
// line each time. The others keep running: the devices retry their batches while the server is
// down, so a server crash costs them nothing but a pause. Ctrl-C / SIGTERM stops everything.
//
// Machine-readable lines on stdout (tests and scripts rely on them):
//   [supervisor] started server pid=<pid> n=<start number>
//   [supervisor] started mock-devices pid=<pid> n=<start number>
import { spawn } from 'node:child_process';
import path from 'node:path';
import { buildClientIfStale, root } from './build-client-if-stale.mjs';
import { buildServerIfStale, serverBundle } from './build-server-if-stale.mjs';
import { SERVER_NODE_FLAGS } from './server-node-flags.mjs';

/** First restart delay; doubles after each quick failure. */
const RESTART_BASE_MS = 500;
/** Longest restart delay. */
const RESTART_MAX_MS = 30_000;
/** A child that stayed up this long is healthy again: the next restart starts from the base delay. */
const RESTART_RESET_AFTER_MS = 60_000;
/** After SIGTERM, children get this long before SIGKILL. */
const STOP_GRACE_MS = 12_000;
/** The devices start once the server answers /healthz; poll interval and patience. */
const HEALTH_POLL_MS = 300;
const HEALTH_WAIT_MS = 120_000;
/** Server exit code for an invalid configuration (server/main.ts): restarting cannot help. */
const EXIT_CODE_CONFIG = 2;

const port = Number(process.env.PORT ?? 8080);
const serverUrl = `http://127.0.0.1:${port}`;

try {
  buildClientIfStale();
  buildServerIfStale();
} catch (err) {
  console.error(`City IOC: ${err.message}`);
  process.exit(1);
}

let stopping = false;
const supervised = [];

/**
 * Run `command args` and restart it whenever it exits while we are not stopping.
 * `beforeRestart` runs before each restart (the server rebuilds its bundle when sources changed).
 */
function supervise(name, command, args, { env = {}, beforeRestart } = {}) {
  const unit = { name, child: null, starts: 0, delayMs: RESTART_BASE_MS, timer: null };
  const startOnce = () => {
    unit.timer = null;
    if (stopping) return;
    unit.starts++;
    const startedAt = Date.now();
    // IOC_SUPERVISOR_PID: the children stop by themselves when this process is gone (server/supervised.ts)
    const child = spawn(command, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env, IOC_SUPERVISOR_PID: String(process.pid) } });
    unit.child = child;
    console.log(`[supervisor] started ${name} pid=${child.pid} n=${unit.starts}`);
    child.on('error', (err) => console.error(`[supervisor] ${name} could not be started: ${err.message}`));
    child.on('exit', (code, signal) => {
      unit.child = null;
      if (stopping) {
        maybeExit();
        return;
      }
      const upMs = Date.now() - startedAt;
      if (code === EXIT_CODE_CONFIG && name === 'server') {
        console.error(`[supervisor] ${name} refused its configuration (exit ${code}); not restarting — stopping`);
        stopAll(1);
        return;
      }
      if (upMs >= RESTART_RESET_AFTER_MS) unit.delayMs = RESTART_BASE_MS;
      const delayMs = unit.delayMs;
      unit.delayMs = Math.min(RESTART_MAX_MS, unit.delayMs * 2);
      console.error(
        `\n!!! [supervisor] ${name} (pid ${child.pid}) exited (${signal ?? `code ${code}`}) after ${(upMs / 1000).toFixed(1)} s — ` +
          `restarting in ${(delayMs / 1000).toFixed(1)} s (restart #${unit.starts}) !!!\n`,
      );
      unit.timer = setTimeout(() => {
        try {
          beforeRestart?.();
        } catch (err) {
          console.error(`[supervisor] ${err.message}; restarting ${name} from the previous build`);
        }
        startOnce();
      }, delayMs);
    });
  };
  supervised.push(unit);
  startOnce();
  return unit;
}

function running() {
  return supervised.filter((u) => u.child !== null);
}

function maybeExit() {
  if (running().length === 0) process.exit(exitCode);
}

let exitCode = 0;
function stopAll(code) {
  if (stopping) {
    // second Ctrl-C: do not wait
    for (const u of running()) u.child.kill('SIGKILL');
    process.exit(code || exitCode);
  }
  stopping = true;
  exitCode = code;
  for (const u of supervised) if (u.timer) clearTimeout(u.timer);
  for (const u of running()) u.child.kill('SIGTERM');
  setTimeout(() => {
    for (const u of running()) u.child.kill('SIGKILL');
    process.exit(exitCode);
  }, STOP_GRACE_MS).unref();
  maybeExit();
}
process.on('SIGINT', () => stopAll(0));
process.on('SIGTERM', () => stopAll(0));

const rebuildServer = () => buildServerIfStale();
supervise('server', process.execPath, [...SERVER_NODE_FLAGS, '--enable-source-maps', serverBundle], {
  env: { IOC_CLIENT_DIST: process.env.IOC_CLIENT_DIST ?? path.join(root, 'client', 'dist') },
  beforeRestart: rebuildServer,
});

// the devices start once the server answers; later server restarts do not concern them
async function serverAnswers() {
  const deadline = Date.now() + HEALTH_WAIT_MS;
  while (!stopping && Date.now() < deadline) {
    try {
      const r = await fetch(`${serverUrl}/healthz`);
      if (r.ok || r.status === 503) return true;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, HEALTH_POLL_MS));
  }
  return false;
}
if (await serverAnswers()) {
  // `node --import tsx`: one process per child, so the printed pid is the process that runs
  if (!stopping) supervise('mock-devices', process.execPath, ['--import', 'tsx', 'mock-devices/main.ts', '--server', serverUrl]);
} else if (!stopping) {
  console.error(`[supervisor] server did not answer ${serverUrl}/healthz within ${HEALTH_WAIT_MS / 1000} s; stopping`);
  stopAll(1);
}
