/**
 * A swarm of clients in one process: City IOC `/live` sockets (screens, consoles), or bare
 * Socket.IO / `ws` clients for the fan-out peers. Counts bytes and frames per measurement window
 * and records when each watched probe first became visible (device online, alert raised, ping).
 * Times are `Date.now()` (the same wall clock as the probe senders on this machine).
 */
import { io, type Socket } from 'socket.io-client';
import { WebSocket } from 'ws';
import { PROTOCOL_VERSION, type SceneDeltaMessage } from '../scenes/protocol';
import type { ScreenSceneId } from '../scenes/domain';
import { childOptions, serveRpc } from './child-rpc';
import { connectLight, type FrameDigest } from './light-ioc-client';

export interface ClientSwarmOptions {
  /** ioc-light: City IOC `/live` screens speaking Socket.IO over bare ws, each distinct frame read once per process (bench/light-ioc-client.ts) */
  kind: 'ioc' | 'ioc-light' | 'socketio' | 'ws';
  url: string;
  count: number;
  /** ioc: client i uses tokens[i % tokens.length] … */
  tokens?: string[];
  /** … and joins scenes[i % scenes.length] (null = joins no scene) */
  scenes?: (ScreenSceneId | null)[];
  /** sockets opened at once while connecting */
  connectConcurrency: number;
  /** the last client acknowledges every fan-out frame (closed-loop blast) */
  reporter: boolean;
  /** device ids whose first non-offline appearance is a telemetry probe receipt */
  probeDeviceIds?: string[];
  /** device ids whose first open alert is an alarm receipt */
  alarmDeviceIds?: string[];
  /** keep at most this many delta sizes per window */
  maxDeltaSizeSamples: number;
}

export interface SwarmReport {
  clients: number;
  /** received bytes (engine.io / WebSocket message payloads) in the window, all clients */
  bytes: number;
  /** ms covered by the window */
  windowMs: number;
  /** scene deltas received in the window, all clients */
  deltas: number;
  /** device points put by those deltas (what changed on screen), all clients */
  devicePuts: number;
  /** bench fan-out frames received, all clients, and the first/last receive time (epoch ms) */
  benchFrames: number;
  benchFirstMs: number | null;
  benchLastMs: number | null;
  /** sizes of received scene-delta messages, bytes */
  deltaSizes: number[];
  probeReceipts: [string, number][];
  /** for each probe receipt (same order): the receiving frame's generatedTs (server build time, epoch ms) */
  probeFrameTs: number[];
  alarmReceipts: [string, number][];
  pingReceipts: [string, number][];
  disconnects: number;
  /** disconnects not asked for by reason (Socket.IO's: 'ping timeout', 'transport close', 'io server disconnect' …) */
  disconnectReasons: Record<string, number>;
  /** when the first and the last of them happened (epoch ms) */
  disconnectFirstMs: number | null;
  disconnectLastMs: number | null;
}

/** Timeout of one scene:join, ms. */
const JOIN_TIMEOUT_MS = 30_000;
/** Timeout of one connection attempt, ms. */
const CONNECT_TIMEOUT_MS = 30_000;

const opts = childOptions<ClientSwarmOptions>();
const probeIds = new Set(opts.probeDeviceIds ?? []);
const alarmIds = new Set(opts.alarmDeviceIds ?? []);

interface ClientState {
  seenProbes: Set<string>;
  seenAlarms: Set<string>;
  close(): void;
}
const clients: ClientState[] = [];
let closing = false;

const w = {
  startMs: Date.now(),
  bytes: 0,
  deltas: 0,
  devicePuts: 0,
  benchFrames: 0,
  benchFirstMs: null as number | null,
  benchLastMs: null as number | null,
  deltaSizes: [] as number[],
  probeReceipts: [] as [string, number][],
  probeFrameTs: [] as number[],
  alarmReceipts: [] as [string, number][],
  pingReceipts: [] as [string, number][],
  disconnects: 0,
  disconnectReasons: {} as Record<string, number>,
  disconnectFirstMs: null as number | null,
  disconnectLastMs: null as number | null,
};

/** A disconnect not asked for, counted with its reason and time. */
function noteDisconnect(reason: string): void {
  const now = Date.now();
  w.disconnects++;
  w.disconnectReasons[reason] = (w.disconnectReasons[reason] ?? 0) + 1;
  w.disconnectFirstMs ??= now;
  w.disconnectLastMs = now;
}

function resetWindow(): void {
  Object.assign(w, {
    startMs: Date.now(),
    bytes: 0,
    deltas: 0,
    devicePuts: 0,
    benchFrames: 0,
    benchFirstMs: null,
    benchLastMs: null,
    deltaSizes: [],
    probeReceipts: [],
    probeFrameTs: [],
    alarmReceipts: [],
    pingReceipts: [],
  });
}

function onBench(n: number, ack: ((n: number) => void) | null): void {
  const now = Date.now();
  w.benchFrames++;
  w.benchFirstMs ??= now;
  w.benchLastMs = now;
  ack?.(n);
}

function onDelta(msg: SceneDeltaMessage & { bench?: number }, c: ClientState, ack: ((n: number) => void) | null): void {
  if (typeof msg.bench === 'number') return onBench(msg.bench, ack);
  const now = Date.now();
  w.deltas++;
  const puts = msg.delta.devices?.put;
  if (puts) {
    w.devicePuts += puts.length;
    if (probeIds.size) {
      for (const p of puts) {
        if (p.s !== 'offline' && probeIds.has(p.id) && !c.seenProbes.has(p.id)) {
          c.seenProbes.add(p.id);
          w.probeReceipts.push([p.id, now]);
          w.probeFrameTs.push(msg.delta.generatedTs);
        }
      }
    }
  }
  const alerts = msg.delta.alerts?.put;
  if (alerts && alarmIds.size) {
    for (const a of alerts) {
      if (!a.cleared && alarmIds.has(a.deviceId) && !c.seenAlarms.has(a.deviceId)) {
        c.seenAlarms.add(a.deviceId);
        w.alarmReceipts.push([a.deviceId, now]);
      }
    }
  }
}

function countBytes(data: unknown): void {
  const size = typeof data === 'string' ? Buffer.byteLength(data) : data instanceof ArrayBuffer ? data.byteLength : ((data as Buffer)?.length ?? 0);
  // +1: the engine.io packet type character is not part of `data`
  w.bytes += size + 1;
  if (typeof data === 'string' && data.includes('"scene:delta"', 0) && w.deltaSizes.length < opts.maxDeltaSizeSamples) w.deltaSizes.push(size + 1);
}

function connectSocketIo(i: number): Promise<ClientState> {
  const isReporter = opts.reporter && i === opts.count - 1;
  const url = opts.kind === 'ioc' ? `${opts.url}/live` : opts.url;
  const token = opts.tokens?.[i % opts.tokens.length];
  const scene = opts.scenes?.[i % opts.scenes.length] ?? null;
  const s: Socket = io(url, {
    auth: opts.kind === 'ioc' ? { token, protocol: PROTOCOL_VERSION } : undefined,
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    autoConnect: false,
    timeout: CONNECT_TIMEOUT_MS,
  });
  const c: ClientState = { seenProbes: new Set(), seenAlarms: new Set(), close: () => s.close() };
  s.io.on('open', () => s.io.engine.on('data', countBytes));
  const ack = isReporter ? (n: number) => s.emit('bench:ack', n) : null;
  s.on('scene:delta', (msg: SceneDeltaMessage & { bench?: number }) => onDelta(msg, c, ack));
  s.on('bench:ping', (p: { id: string }) => w.pingReceipts.push([p.id, Date.now()]));
  s.on('disconnect', (reason) => {
    if (!closing && reason !== 'io client disconnect') noteDisconnect(reason);
  });
  return new Promise<ClientState>((resolve, reject) => {
    s.once('connect_error', (e) => reject(e));
    s.once('connect', () => {
      if (!scene) return resolve(c);
      s.timeout(JOIN_TIMEOUT_MS)
        .emitWithAck('scene:join', { scene })
        .then((r: { ok: boolean }) => (r.ok ? resolve(c) : reject(new Error(`scene:join ${scene} failed`))), reject);
    });
    s.connect();
  });
}

/** A light `/live` screen (bench/light-ioc-client.ts): the counters of onDelta from a frame digest. */
async function connectIocLight(i: number): Promise<ClientState> {
  const c: ClientState = { seenProbes: new Set(), seenAlarms: new Set(), close: () => undefined };
  const onDelta = (d: FrameDigest) => {
    const now = Date.now();
    w.deltas++;
    w.devicePuts += d.puts;
    for (const id of d.onlineIds) {
      if (c.seenProbes.has(id)) continue;
      c.seenProbes.add(id);
      w.probeReceipts.push([id, now]);
      w.probeFrameTs.push(d.generatedTs);
    }
  };
  const conn = await connectLight(
    {
      url: opts.url,
      token: opts.tokens![i % opts.tokens!.length],
      scene: opts.scenes?.[i % opts.scenes.length] ?? null,
      timeoutMs: CONNECT_TIMEOUT_MS,
    },
    probeIds,
    {
      onDelta,
      onBytes: (n) => (w.bytes += n),
      onDisconnect: (reason) => {
        if (!closing) noteDisconnect(reason);
      },
    },
  );
  c.close = conn.close;
  return c;
}

function connectWs(i: number): Promise<ClientState> {
  const isReporter = opts.reporter && i === opts.count - 1;
  const ws = new WebSocket(opts.url.replace(/^http/, 'ws'));
  const c: ClientState = { seenProbes: new Set(), seenAlarms: new Set(), close: () => ws.close() };
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    const text = isBinary ? '' : data.toString();
    countBytes(text || data);
    const msg = JSON.parse(text) as { bench?: number };
    if (typeof msg.bench === 'number') onBench(msg.bench, isReporter ? (n) => ws.send(String(n)) : null);
  });
  ws.on('close', (code: number) => {
    if (!closing) noteDisconnect(`ws close ${code}`);
  });
  return new Promise<ClientState>((resolve, reject) => {
    ws.once('open', () => resolve(c));
    ws.once('error', reject);
  });
}

const rpc = serveRpc(
  {
    /** opens every client, `connectConcurrency` at a time; returns how many made it */
    connect: async () => {
      const t0 = performance.now();
      let failed = 0;
      const errors = new Set<string>();
      for (let i = 0; i < opts.count; i += opts.connectConcurrency) {
        const batch = [];
        for (let j = i; j < Math.min(opts.count, i + opts.connectConcurrency); j++)
          batch.push(opts.kind === 'ws' ? connectWs(j) : opts.kind === 'ioc-light' ? connectIocLight(j) : connectSocketIo(j));
        const settled = await Promise.allSettled(batch);
        for (const r of settled) {
          if (r.status === 'fulfilled') clients.push(r.value);
          else {
            failed++;
            errors.add(String((r.reason as Error)?.message ?? r.reason));
          }
        }
      }
      return { connected: clients.length, failed, errors: [...errors].slice(0, 5), ms: performance.now() - t0 };
    },
    resetWindow: () => {
      resetWindow();
      return true;
    },
    report: (): SwarmReport => ({ clients: clients.length, windowMs: Date.now() - w.startMs, ...w }),
  },
  async () => {
    closing = true;
    for (const c of clients) c.close();
  },
);
rpc.ready({ pid: process.pid });
