// nginx as the cluster's load balancer (issue 15): find the Debian binary, write
// deploy/nginx/ioc-cluster.conf.template into a run directory with the nodes filled in, and run it in
// the foreground as a child. Shared by `npm run cluster` (scripts/cluster.mjs) and the test harness
// (tests/helpers/nginx.ts); plain JS so the script needs no build step.
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, chmodSync, constants as fsConstants, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The shipped template (placeholders {{DIR}}, {{LISTEN}}, {{UPSTREAMS}}). */
export const NGINX_TEMPLATE = path.join(root, 'deploy', 'nginx', 'ioc-cluster.conf.template');
/** Debian package that ships the binary, for messages. */
export const NGINX_PACKAGE = 'nginx';
/** How long nginx may take to accept connections after spawn. */
export const NGINX_START_TIMEOUT_MS = 5_000;
const PROBE_INTERVAL_MS = 50;
const PROBE_TIMEOUT_MS = 500;
/** `nginx -s reload` must have re-read the config within this long. */
const RELOAD_TIMEOUT_MS = 5_000;
/** Descriptors kept for nginx's own files (logs, config, pid) below the open-file limit. */
const RESERVED_DESCRIPTORS = 64;
/** Open-file limit assumed when the shell says `unlimited` or cannot be asked. */
const FALLBACK_NOFILE = 65_536;
const TEMP_SUBDIRS = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'];

/** `/usr/sbin/nginx` (Debian), else the first `nginx` on PATH; null when there is none. */
export function findNginxBinary() {
  const candidates = [
    '/usr/sbin/nginx',
    ...(process.env.PATH ?? '')
      .split(path.delimiter)
      .filter((d) => d.length > 0)
      .map((d) => path.join(d, 'nginx')),
  ];
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

/** The hard open-file limit of processes started from here (`ulimit -Hn`): nginx may raise its soft limit up to it. */
export function hardOpenFileLimit() {
  const r = spawnSync('sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' });
  const n = Number((r.stdout ?? '').trim());
  return Number.isInteger(n) && n > 0 ? n : FALLBACK_NOFILE;
}

/** The template with the run dir, the listen address and one upstream line per node port. */
export function renderNginxConfig({ dir, listen, upstreamPorts, template = readFileSync(NGINX_TEMPLATE, 'utf8'), nofile = hardOpenFileLimit() }) {
  if (upstreamPorts.length === 0) throw new Error('nginx: at least one upstream port is needed');
  // max_fails=0: nginx never marks a node down — a dead node refuses the connection at once and the
  // request goes to the next node; with max_fails=1 a restarted node stayed "down" for ip_hash and
  // its clients got 502 "no live upstreams" until nginx was reloaded (bench: cluster-failover)
  const upstreams = upstreamPorts.map((p) => `        server 127.0.0.1:${p} max_fails=0;`).join('\n');
  const fill = (line) =>
    line
      .replaceAll('{{DIR}}', dir)
      .replaceAll('{{LISTEN}}', String(listen))
      .replaceAll('{{UPSTREAMS}}', upstreams)
      .replaceAll('{{RLIMIT_NOFILE}}', String(nofile))
      .replaceAll('{{WORKER_CONNECTIONS}}', String(Math.max(RESERVED_DESCRIPTORS, nofile - RESERVED_DESCRIPTORS)));
  // comment lines name the placeholders: they stay as written
  return template
    .split('\n')
    .map((line) => (line.trimStart().startsWith('#') ? line : fill(line)))
    .join('\n');
}

/** Write `<dir>/nginx.conf` and the temp dirs; returns the config file's path. */
export function writeNginxConfig({ dir, listen, upstreamPorts }) {
  mkdirSync(dir, { recursive: true });
  // started as root, nginx's workers run as `nobody`: they must be able to enter the run dir
  chmodSync(dir, 0o755);
  for (const sub of TEMP_SUBDIRS) mkdirSync(path.join(dir, 'tmp', sub), { recursive: true });
  const file = path.join(dir, 'nginx.conf');
  writeFileSync(file, renderNginxConfig({ dir, listen, upstreamPorts }));
  return file;
}

/** Resolves true once something accepts a TCP connection on 127.0.0.1:port. */
export function probePort(port) {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const finish = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(PROBE_TIMEOUT_MS, () => finish(false));
    socket.once('error', () => finish(false));
    socket.once('connect', () => finish(true));
  });
}

function errorLogTail(dir) {
  try {
    return readFileSync(path.join(dir, 'error.log'), 'utf8').slice(-4_000);
  } catch {
    return '';
  }
}

/**
 * Write the config and run `nginx -c <dir>/nginx.conf -p <dir>/` in the foreground (`daemon off`);
 * resolves once it accepts connections on `port`. `listen` defaults to `127.0.0.1:<port>`.
 * `stdio` is passed to spawn (default: captured, for error messages).
 */
export async function spawnNginx({ binary, dir, port, listen = `127.0.0.1:${port}`, upstreamPorts, stdio = ['ignore', 'pipe', 'pipe'] }) {
  const conf = writeNginxConfig({ dir, listen, upstreamPorts });
  const child = spawn(binary, ['-c', conf, '-p', `${dir}/`], { stdio });
  let output = '';
  const keep = (chunk) => void (output = (output + chunk.toString('utf8')).slice(-4_000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.on('error', (err) => keep(Buffer.from(String(err))));
  const deadline = Date.now() + NGINX_START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) break;
    if (await probePort(port)) {
      return {
        child,
        conf,
        output: () => `${output}${errorLogTail(dir)}`,
        /** Rewrite the upstream list and reload gracefully (`nginx -s reload`: open connections stay on their node). */
        async reload(nextUpstreamPorts) {
          const logFile = path.join(dir, 'error.log');
          const before = readFileSync(logFile, 'utf8').length;
          writeNginxConfig({ dir, listen, upstreamPorts: nextUpstreamPorts });
          // a bad file would be refused by the running master with only a log line: test it first
          const test = spawnSync(binary, ['-t', '-q', '-c', conf, '-p', `${dir}/`], { encoding: 'utf8' });
          if (test.status !== 0) throw new Error(`nginx refused the new config:\n${test.stderr}`);
          child.kill('SIGHUP');
          // the master logs (level notice) `reconfiguring`, then `start worker process` for the new worker
          const end = Date.now() + RELOAD_TIMEOUT_MS;
          while (Date.now() < end) {
            const log = readFileSync(logFile, 'utf8').slice(before);
            if (/reconfiguring[\s\S]*start worker process/.test(log)) return;
            await new Promise((r) => setTimeout(r, PROBE_INTERVAL_MS));
          }
          throw new Error(`nginx did not reload within ${RELOAD_TIMEOUT_MS} ms:\n${errorLogTail(dir)}`);
        },
      };
    }
    await new Promise((r) => setTimeout(r, PROBE_INTERVAL_MS));
  }
  child.kill('SIGKILL');
  throw new Error(`nginx on port ${port} did not start (${child.signalCode ?? `exit ${child.exitCode}`}):\n${output}${errorLogTail(dir)}`);
}
