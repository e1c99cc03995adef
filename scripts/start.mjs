#!/usr/bin/env node
// `npm start`: build the client when needed, start the server, then the simulated devices.
// One process tree: Ctrl-C stops everything; if one part dies, the rest is stopped too.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { buildClientIfStale, root } from './build-client-if-stale.mjs';

const bin = (name) => path.join(root, 'node_modules', '.bin', name);
const port = Number(process.env.PORT ?? 8080);
const serverUrl = `http://127.0.0.1:${port}`;

try {
  buildClientIfStale();
} catch (err) {
  console.error(`City IOC: ${err.message}`);
  process.exit(1);
}

const children = [];
let stopping = false;
function stopAll(code) {
  if (stopping) return;
  stopping = true;
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  setTimeout(() => process.exit(code), 3000).unref();
}
function run(name, args, env = {}) {
  const child = spawn(bin('tsx'), args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`City IOC: ${name} exited (${signal ?? code}); stopping`);
      stopAll(code ?? 1);
    } else if (children.every((c) => c.exitCode !== null || c.signalCode !== null)) process.exit(0);
  });
  children.push(child);
  return child;
}
process.on('SIGINT', () => stopAll(0));
process.on('SIGTERM', () => stopAll(0));

run('server', ['server/main.ts'], { IOC_CLIENT_DIST: path.join(root, 'client', 'dist') });

// devices start once the server answers
const deadline = Date.now() + 60_000;
for (;;) {
  try {
    const r = await fetch(`${serverUrl}/healthz`);
    if (r.ok || r.status === 503) break;
  } catch {
    /* not up yet */
  }
  if (Date.now() > deadline || stopping) {
    console.error('City IOC: server did not answer /healthz within 60 s');
    stopAll(1);
    break;
  }
  await new Promise((r) => setTimeout(r, 300));
}
if (!stopping) run('mock-devices', ['mock-devices/main.ts', '--server', serverUrl]);
