#!/usr/bin/env node
// `npm run cluster -- --nodes 3 [--port 8080] [--devices N] [--redis redis://127.0.0.1:6379] [--prefix ioc-cluster]`
//
// Scale-out on one machine (issue 15, README "Scale-out (cluster)"): builds the client and the
// server bundle when stale, then runs N server nodes on consecutive ports (port+1 … port+N, bound
// to 127.0.0.1) sharing one Redis, nginx on --port in front of them with the shipped balancer
// config (deploy/nginx/ioc-cluster.conf.template, written into var/cluster/nginx/), and the
// simulator once, pointed at the balancer. Prints the one URL to open and the nodes' URLs.
//
// Redis: --redis when given; otherwise a redis-server of its own with the append-only file on
// (appendfsync everysec) in var/cluster/redis/ on a free port, so its data survives a restart of
// the cluster. A node that dies is restarted (the others and the balancer keep serving: kill -9
// one to watch its clients move). Ctrl-C / SIGTERM stops everything.
//
// Machine-readable lines on stdout:
//   [cluster] started <name> pid=<pid> n=<start number>
//   [cluster] ready url=<balancer url>
import { spawn } from 'node:child_process';
import { accessSync, constants as fsConstants, mkdirSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { buildClientIfStale, root } from './build-client-if-stale.mjs';
import { buildServerIfStale, serverBundle } from './build-server-if-stale.mjs';
import { SERVER_NODE_FLAGS } from './server-node-flags.mjs';
import { findNginxBinary, NGINX_PACKAGE, probePort, spawnNginx } from './nginx-balancer.mjs';

const USAGE = 'usage: npm run cluster -- [--nodes 3] [--port 8080] [--devices N] [--redis redis://host:port] [--prefix ioc-cluster]';
const DEFAULT_NODES = 3;
const MAX_NODES = 16;
const DEFAULT_PORT = 8080;
const DEFAULT_PREFIX = 'ioc-cluster';
/** A dead node is restarted after this long; doubles while it keeps dying young, up to the max. */
const RESTART_BASE_MS = 1_000;
const RESTART_MAX_MS = 30_000;
/** A node that stayed up this long is healthy again: its next restart starts from the base delay. */
const RESTART_RESET_AFTER_MS = 60_000;
/** After SIGTERM, children get this long before SIGKILL. */
const STOP_GRACE_MS = 12_000;
/** /healthz polling while waiting for a node. */
const HEALTH_POLL_MS = 300;
const HEALTH_PROBE_TIMEOUT_MS = 2_000;
const HEALTH_WAIT_MS = 180_000;
/** How long our own redis-server may take to answer (it replays its AOF first). */
const REDIS_WAIT_MS = 60_000;
/** Server exit code for an invalid configuration (server/main.ts): restarting cannot help. */
const EXIT_CODE_CONFIG = 2;
const REDIS_CANDIDATES = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'];

function fail(message) {
  console.error(`City IOC cluster: ${message}`);
  process.exit(1);
}

let args;
try {
  args = parseArgs({
    options: {
      nodes: { type: 'string', default: String(DEFAULT_NODES) },
      port: { type: 'string', default: String(DEFAULT_PORT) },
      devices: { type: 'string' },
      redis: { type: 'string' },
      prefix: { type: 'string', default: DEFAULT_PREFIX },
      help: { type: 'boolean', short: 'h' },
    },
  }).values;
} catch (err) {
  fail(`${err.message}\n${USAGE}`);
}
if (args.help) {
  console.log(USAGE);
  process.exit(0);
}
const nodeCount = Number(args.nodes);
if (!Number.isInteger(nodeCount) || nodeCount < 1 || nodeCount > MAX_NODES) fail(`--nodes must be 1…${MAX_NODES}\n${USAGE}`);
const port = Number(args.port);
if (!Number.isInteger(port) || port < 1 || port + nodeCount > 65535) fail(`--port must leave room for ${nodeCount} node ports above it\n${USAGE}`);
if (args.devices !== undefined && !/^\d+$/.test(args.devices)) fail(`--devices must be a whole number\n${USAGE}`);
const prefix = args.prefix.replace(/:+$/, '');
if (!/^[a-zA-Z0-9:_-]+$/.test(prefix)) fail('--prefix: letters, digits, : _ - only');

const runDir = path.join(root, 'var', 'cluster');
const nginxBinary = findNginxBinary();
if (nginxBinary === null)
  fail(`nginx not found at /usr/sbin/nginx or on PATH: install the Debian package \`${NGINX_PACKAGE}\` (apt-get install ${NGINX_PACKAGE})`);
const redisBinary = args.redis === undefined ? REDIS_CANDIDATES.find(isExecutable) : null;
if (args.redis === undefined && !redisBinary) {
  fail('redis-server not found: install the Debian package `redis-server` (apt-get install redis-server), or pass --redis redis://host:port');
}

function isExecutable(file) {
  try {
    accessSync(file, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

const nodePorts = Array.from({ length: nodeCount }, (_, i) => port + 1 + i);
for (const p of [port, ...nodePorts]) {
  if (await probePort(p)) fail(`port ${p} is in use (the balancer takes --port, the nodes the ${nodeCount} ports above it): choose another --port`);
}

try {
  buildClientIfStale();
  buildServerIfStale();
} catch (err) {
  fail(err.message);
}

let stopping = false;
let exitCode = 0;
/** every child we run: { name, child, timer } */
const units = [];

function running() {
  return units.filter((u) => u.child !== null);
}

/** Run a child; `restart` children are started again when they exit while we are not stopping. */
function run(name, command, argv, { env = {}, restart = false, stdio = 'inherit', onExit } = {}) {
  const unit = { name, child: null, starts: 0, delayMs: RESTART_BASE_MS, timer: null };
  const startOnce = () => {
    unit.timer = null;
    if (stopping) return;
    unit.starts++;
    const startedAt = Date.now();
    // IOC_SUPERVISOR_PID: node children stop by themselves when this process is gone (server/supervised.ts)
    const child = spawn(command, argv, { cwd: root, stdio, env: { ...process.env, ...env, IOC_SUPERVISOR_PID: String(process.pid) } });
    unit.child = child;
    console.log(`[cluster] started ${name} pid=${child.pid} n=${unit.starts}`);
    child.on('error', (err) => console.error(`[cluster] ${name} could not be started: ${err.message}`));
    child.on('exit', (code, signal) => {
      unit.child = null;
      if (stopping) return maybeExit();
      onExit?.(code, signal);
      if (!restart || stopping) return;
      if (code === EXIT_CODE_CONFIG) {
        console.error(`[cluster] ${name} refused its configuration (exit ${code}); stopping`);
        return stopAll(1);
      }
      const upMs = Date.now() - startedAt;
      if (upMs >= RESTART_RESET_AFTER_MS) unit.delayMs = RESTART_BASE_MS;
      const delayMs = unit.delayMs;
      unit.delayMs = Math.min(RESTART_MAX_MS, unit.delayMs * 2);
      console.error(
        `\n!!! [cluster] ${name} (pid ${child.pid}) exited (${signal ?? `code ${code}`}) — restarting in ${(delayMs / 1000).toFixed(1)} s; the other nodes serve its clients meanwhile !!!\n`,
      );
      unit.timer = setTimeout(startOnce, delayMs);
    });
  };
  units.push(unit);
  startOnce();
  return unit;
}

function maybeExit() {
  const left = running();
  if (left.length === 0) process.exit(exitCode);
  // Redis goes last: the nodes flush their spools and audit anchors to it while they stop
  if (stopping && left.every((u) => u.name === 'redis-server')) for (const u of left) u.child.kill('SIGTERM');
}

function stopAll(code) {
  if (stopping) {
    // second Ctrl-C: do not wait
    for (const u of running()) u.child.kill('SIGKILL');
    process.exit(code || exitCode);
  }
  stopping = true;
  exitCode = code;
  for (const u of units) if (u.timer) clearTimeout(u.timer);
  // SIGQUIT is nginx's graceful stop; the others take SIGTERM; Redis once they are gone (maybeExit)
  for (const u of running()) if (u.name !== 'redis-server') u.child.kill(u.name === 'nginx' ? 'SIGQUIT' : 'SIGTERM');
  setTimeout(() => {
    for (const u of running()) u.child.kill('SIGKILL');
    process.exit(exitCode);
  }, STOP_GRACE_MS).unref();
  maybeExit();
}
process.on('SIGINT', () => stopAll(0));
process.on('SIGTERM', () => stopAll(0));

async function waitUntil(what, probe, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (!stopping && Date.now() < deadline) {
    if (await probe()) return;
    await new Promise((r) => setTimeout(r, HEALTH_POLL_MS));
  }
  if (!stopping) {
    console.error(`[cluster] ${what} within ${timeoutMs / 1000} s; stopping`);
    stopAll(1);
  }
  await new Promise(() => undefined); // stopping: wait for the exit
}

async function healthy(url) {
  try {
    const r = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(HEALTH_PROBE_TIMEOUT_MS) });
    await r.body?.cancel();
    return r.status === 200;
  } catch {
    return false;
  }
}

// --- Redis -------------------------------------------------------------------------------------
let redisUrl = args.redis;
if (redisUrl === undefined) {
  const redisDir = path.join(runDir, 'redis');
  mkdirSync(redisDir, { recursive: true });
  const redisPort = await freePort();
  run(
    'redis-server',
    redisBinary,
    [
      ...['--port', String(redisPort), '--bind', '127.0.0.1', '--dir', redisDir, '--daemonize', 'no'],
      // the production layout's durability: AOF, fsync every second (README "Scale-out (cluster)")
      ...['--appendonly', 'yes', '--appendfsync', 'everysec', '--save', ''],
      ...['--logfile', path.join(redisDir, 'redis.log')],
    ],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
      onExit: (code, signal) => {
        console.error(`[cluster] redis-server exited (${signal ?? `code ${code}`}); see ${path.join(redisDir, 'redis.log')}; stopping`);
        stopAll(1);
      },
    },
  );
  redisUrl = `redis://127.0.0.1:${redisPort}`;
  await waitUntil(`redis-server did not answer on port ${redisPort}`, () => redisAnswers(redisPort), REDIS_WAIT_MS);
}

/** A port nothing listens on right now (a listening socket on port 0, closed again). */
function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port: p } = s.address();
      s.close(() => resolve(p));
    });
  });
}

/** PING over a raw socket; `-LOADING` (replaying the AOF) is not an answer yet. */
function redisAnswers(p) {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port: p });
    const finish = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(HEALTH_PROBE_TIMEOUT_MS, () => finish(false));
    socket.once('error', () => finish(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => finish(chunk.toString('latin1').startsWith('+PONG')));
  });
}

// --- nodes -------------------------------------------------------------------------------------
const nodeUrls = nodePorts.map((p) => `http://127.0.0.1:${p}`);
function startNode(i) {
  const id = `node-${i + 1}`;
  const nodeDir = path.join(runDir, id);
  mkdirSync(nodeDir, { recursive: true });
  run(id, process.execPath, [...SERVER_NODE_FLAGS, '--enable-source-maps', serverBundle], {
    restart: true,
    env: {
      IOC_NODE_ID: id,
      PORT: String(nodePorts[i]),
      // nodes only on loopback: clients come through nginx, whose X-Forwarded-For the nodes trust from loopback only
      HOST: '127.0.0.1',
      IOC_STORE: 'redis',
      REDIS_URL: redisUrl,
      IOC_REDIS_PREFIX: prefix,
      // the embedded broker would want the same port on every node
      IOC_MQTT_PORT: '0',
      // per node: a spool is one process's write-ahead file, the audit anchors one process's appends
      IOC_SPOOL_DIR: path.join(nodeDir, 'spool'),
      IOC_AUDIT_ANCHOR_FILE: path.join(nodeDir, 'audit-anchors.jsonl'),
      IOC_CLIENT_DIST: process.env.IOC_CLIENT_DIST ?? path.join(root, 'client', 'dist'),
      ...(args.devices !== undefined ? { IOC_DEMO_DEVICES: args.devices } : {}),
    },
  });
}

// node-1 alone first: it seeds an empty store (demo fleet, accounts), the others then find it
startNode(0);
await waitUntil(`node-1 did not answer ${nodeUrls[0]}/healthz 200`, () => healthy(nodeUrls[0]), HEALTH_WAIT_MS);
for (let i = 1; i < nodeCount; i++) startNode(i);
for (let i = 1; i < nodeCount; i++) {
  await waitUntil(`node-${i + 1} did not answer ${nodeUrls[i]}/healthz 200`, () => healthy(nodeUrls[i]), HEALTH_WAIT_MS);
}

// --- nginx -------------------------------------------------------------------------------------
const nginxDir = path.join(runDir, 'nginx');
let nginx;
try {
  nginx = await spawnNginx({
    binary: nginxBinary,
    dir: nginxDir,
    port,
    listen: String(port),
    upstreamPorts: nodePorts,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
} catch (err) {
  console.error(`[cluster] ${err.message}`);
  stopAll(1);
  await new Promise(() => undefined);
}
const nginxUnit = { name: 'nginx', child: nginx.child, starts: 1, timer: null };
units.push(nginxUnit);
console.log(`[cluster] started nginx pid=${nginx.child.pid} n=1`);
nginx.child.on('exit', (code, signal) => {
  nginxUnit.child = null;
  if (stopping) return maybeExit();
  console.error(`[cluster] nginx exited (${signal ?? `code ${code}`}); see ${path.join(nginxDir, 'error.log')}; stopping`);
  stopAll(1);
});
const balancerUrl = `http://127.0.0.1:${port}`;
await waitUntil(`the balancer did not answer ${balancerUrl}/healthz 200`, () => healthy(balancerUrl), HEALTH_WAIT_MS);

// --- simulator ---------------------------------------------------------------------------------
// once, through the balancer: its readings land on whichever node nginx picks
// over HTTP: the nodes run no embedded MQTT broker (one per process would split the fleet); a
// production cluster takes MQTT through one external broker (IOC_MQTT_URL, shared subscription)
run('mock-devices', process.execPath, ['--import', 'tsx', 'mock-devices/main.ts', '--server', balancerUrl, '--protocol', 'http'], { restart: true });

console.log(`
City IOC cluster: ${nodeCount} node(s) on Redis ${redisUrl} (prefix ${prefix}), nginx (ip_hash) in front

  open:  ${balancerUrl}   (screens: ${balancerUrl}/screen/overview, people: ${balancerUrl}/login)

  nodes: ${nodeUrls.map((u, i) => `node-${i + 1} ${u}`).join('\n         ')}
  run dir: ${runDir}   (nginx.conf, logs, per-node spools${args.redis === undefined ? ', redis AOF' : ''})

Ctrl-C stops everything.`);
console.log(`[cluster] ready url=${balancerUrl}`);
