/**
 * Parent ↔ child plumbing for the benchmark: every server and load generator runs in its own
 * forked process (so its CPU is measured separately) and answers small RPC calls over the IPC
 * channel. Every forked child is tracked and killed when the parent exits, errs or is interrupted.
 */
import { readFileSync } from 'node:fs';
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** How long the parent waits for one RPC answer before giving up, ms. */
export const RPC_TIMEOUT_MS = 120_000;
/** How long a child may take to report `ready`, ms. */
export const CHILD_READY_TIMEOUT_MS = 60_000;
/** Grace between SIGTERM and SIGKILL when stopping a child, ms. */
export const CHILD_STOP_GRACE_MS = 3_000;

/** CPU and memory of one process at one instant. */
export interface ProcessSample {
  pid: number;
  /** process.cpuUsage(): user + system, µs */
  cpuMicros: number;
  /** performance.now() of the child at the sample, ms */
  wallMs: number;
  rssBytes: number;
  heapUsedBytes: number;
}

interface RpcRequest {
  rpc: number;
  method: string;
  params: unknown;
}
interface RpcReply {
  rpc: number;
  ok: boolean;
  result?: unknown;
  error?: string;
}
interface ReadyMessage {
  ready: true;
  info: unknown;
}

export type RpcHandlers = Record<string, (params: any) => unknown>;

export function sampleProcess(): ProcessSample {
  const cpu = process.cpuUsage();
  const mem = process.memoryUsage();
  return { pid: process.pid, cpuMicros: cpu.user + cpu.system, wallMs: performance.now(), rssBytes: mem.rss, heapUsedBytes: mem.heapUsed };
}

/** Linux clock ticks per second of /proc/<pid>/stat (USER_HZ) */
const CLOCK_TICKS_PER_S = 100;

/**
 * User + system CPU so far of a process the benchmark did not fork with RPC (Mosquitto,
 * redis-server), from /proc, µs; null when it is gone or there is no /proc.
 */
export function procCpuMicros(pid: number): number | null {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    // after "pid (comm) ": state is field 3, utime 14, stime 15 → indices 11 and 12 here
    return ((Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_S) * 1e6;
  } catch {
    return null;
  }
}

/** CPU share of one core between two samples of the same process, % (100 = one full core). */
export function cpuPercent(a: ProcessSample, b: ProcessSample): number {
  const wallMicros = (b.wallMs - a.wallMs) * 1000;
  return wallMicros > 0 ? ((b.cpuMicros - a.cpuMicros) / wallMicros) * 100 : 0;
}

// ---------------------------------------------------------------------------------------------
// child side

/**
 * Serves RPC calls from the parent. Every child answers `sample` (CPU/memory) and `exit`.
 * A child whose parent disappears exits too, so nothing outlives the benchmark.
 */
export function serveRpc(handlers: RpcHandlers, onExit: () => Promise<void> = async () => {}): { ready(info: unknown): void } {
  if (!process.send) throw new Error('bench child started without an IPC channel; run it through bench/run.ts');
  const all: RpcHandlers = {
    sample: () => sampleProcess(),
    exit: async () => {
      await onExit();
      setImmediate(() => process.exit(0));
      return true;
    },
    ...handlers,
  };
  process.on('message', (raw: unknown) => {
    const msg = raw as RpcRequest;
    if (typeof msg?.rpc !== 'number') return;
    const handler = all[msg.method];
    Promise.resolve()
      .then(() => {
        if (!handler) throw new Error(`unknown rpc method ${msg.method}`);
        return handler(msg.params);
      })
      .then(
        (result) => process.send?.({ rpc: msg.rpc, ok: true, result } satisfies RpcReply),
        (err: unknown) =>
          process.send?.({ rpc: msg.rpc, ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) } satisfies RpcReply),
      );
  });
  process.on('disconnect', () => {
    void onExit().finally(() => process.exit(0));
  });
  return {
    ready(info: unknown) {
      process.send?.({ ready: true, info } satisfies ReadyMessage);
    },
  };
}

/** Parses the JSON options a child gets as its single argv argument. */
export function childOptions<T>(): T {
  const raw = process.argv[2];
  if (!raw) throw new Error('bench child needs its options as a JSON argument');
  return JSON.parse(raw) as T;
}

// ---------------------------------------------------------------------------------------------
// parent side

export interface BenchChild<Info = unknown> {
  name: string;
  process: ChildProcess;
  info: Info;
  call<T = unknown>(method: string, params?: unknown, timeoutMs?: number): Promise<T>;
  sample(): Promise<ProcessSample>;
  stop(): Promise<void>;
}

const liveChildren = new Set<ChildProcess>();
let cleanupInstalled = false;

function killAllChildren(): void {
  for (const c of liveChildren) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}

/** Installs exit/SIGINT/SIGTERM hooks once, so no child survives the benchmark. */
export function installChildCleanup(extra: () => void = () => {}): void {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  process.once('exit', () => {
    killAllChildren();
    extra();
  });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      console.error(`\nbench: ${sig}, stopping every child process`);
      killAllChildren();
      extra();
      process.exit(130);
    });
  }
}

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));

export interface ForkOptions {
  /** extra node flags, e.g. ['--expose-gc'] */
  nodeFlags?: string[];
  /** write a V8 CPU profile of this child into this directory */
  cpuProfDir?: string;
  /** print the child's stdout/stderr (default: only stderr) */
  echoStdout?: boolean;
}

/** Forks `bench/<script>` under tsx with `options` as JSON argv and waits for its `ready`. */
export async function forkChild<Info = unknown>(name: string, script: string, options: unknown, fo: ForkOptions = {}): Promise<BenchChild<Info>> {
  installChildCleanup();
  const execArgv = ['--import', 'tsx', ...(fo.nodeFlags ?? [])];
  // one directory per child: tsx's loader thread writes its own profile next to the main thread's
  if (fo.cpuProfDir) execArgv.push('--cpu-prof', `--cpu-prof-dir=${path.join(fo.cpuProfDir, name)}`);
  const child = fork(path.join(BENCH_DIR, script), [JSON.stringify(options)], { execArgv, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  liveChildren.add(child);
  child.once('exit', () => liveChildren.delete(child));
  child.stdout?.on('data', (b: Buffer) => {
    if (fo.echoStdout) process.stdout.write(`[${name}] ${b.toString()}`);
  });
  let stderrTail = '';
  child.stderr?.on('data', (b: Buffer) => {
    const text = b.toString();
    stderrTail = (stderrTail + text).slice(-4000);
    if (!/ExperimentalWarning|npm warn/.test(text)) process.stderr.write(`[${name}] ${text}`);
  });

  let nextId = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  const info = await new Promise<Info>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${name}: not ready within ${CHILD_READY_TIMEOUT_MS} ms\n${stderrTail}`)),
      CHILD_READY_TIMEOUT_MS,
    );
    child.on('message', (raw: unknown) => {
      const msg = raw as RpcReply | ReadyMessage;
      if ('ready' in msg) {
        clearTimeout(timer);
        resolve(msg.info as Info);
        return;
      }
      const p = pending.get(msg.rpc);
      if (!p) return;
      pending.delete(msg.rpc);
      clearTimeout(p.timer);
      if (msg.ok) p.resolve(msg.result);
      else p.reject(new Error(`${name}: ${msg.error}`));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      const err = new Error(`${name} exited (code ${code}, signal ${signal})\n${stderrTail}`);
      reject(err);
      for (const p of pending.values()) {
        clearTimeout(p.timer);
        p.reject(err);
      }
      pending.clear();
    });
  });

  const call = <T>(method: string, params?: unknown, timeoutMs = RPC_TIMEOUT_MS): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (child.exitCode !== null || child.signalCode !== null) return reject(new Error(`${name} is not running`));
      const id = nextId++;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`${name}: rpc ${method} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      child.send({ rpc: id, method, params } satisfies RpcRequest);
    });

  return {
    name,
    process: child,
    info,
    call,
    sample: () => call<ProcessSample>('sample'),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      // a graceful exit lets --cpu-prof write its profile
      call('exit', undefined, CHILD_STOP_GRACE_MS).catch(() => child.kill('SIGTERM'));
      const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_STOP_GRACE_MS * 2);
      await exited;
      clearTimeout(timer);
    },
  };
}
