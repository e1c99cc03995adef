/**
 * Clients of a benchmark cluster (issue 15) in one process, City IOC `/live` sockets joined to one
 * scene. Two modes:
 * - `fanout`: client i connects to `urls[i % urls.length]` (the nodes directly: nginx's `ip_hash`
 *   would put every loopback client on one node); per node, the last client of this process is a
 *   reporter that acknowledges every fan-out frame over a side socket to `ackUrl`, the node that
 *   blasts (its closed loop counts acknowledgements of its own sockets only, whichever node
 *   delivered the frame).
 * - `failover`: every client connects through `urls[0]` (nginx) with Socket.IO's reconnection on
 *   and its default delays, and joins the scene again after every (re)connection, as the real
 *   client does (client/src/connection.ts, data/scene.ts): a handshake the server refuses (which
 *   stops Socket.IO's own retries) and a failed join are retried after `sceneJoinRetryMs`;
 *   `resumed` tells when each client that lost its node was joined again and had its answer
 *   (snapshot or missed deltas).
 * Times are `Date.now()`, the clock of the parent that kills nodes on this machine.
 */
import { io, type Socket } from 'socket.io-client';
import { CLIENT_CONFIG } from '../client/src/client-config';
import { PROTOCOL_VERSION } from '../scenes/protocol';
import type { ScreenSceneId } from '../scenes/domain';
import { childOptions, serveRpc } from './child-rpc';

export interface ClusterSwarmOptions {
  mode: 'fanout' | 'failover';
  /** fanout: the nodes, client i on urls[i % urls.length]; failover: [balancer URL] */
  urls: string[];
  count: number;
  /** access token of every client (a screen account) */
  token: string;
  scene: ScreenSceneId;
  /** sockets opened at once while connecting */
  connectConcurrency: number;
  /** fanout: the blasting node, where reporters acknowledge; null = no reporters in this process */
  ackUrl: string | null;
}

export interface ClusterSwarmReport {
  clients: number;
  /** fan-out frames received in the window, all clients */
  benchFrames: number;
  /** ms covered by the window */
  windowMs: number;
  /** disconnects not asked for, since the start */
  disconnects: number;
}

/** What `resumed` answers after a node was killed at `sinceMs`. */
export interface ResumeReport {
  /** clients that lost their connection after sinceMs */
  disconnected: number;
  /** for each of them that joined again: join answered − sinceMs, ms */
  resumeMs: number[];
  /** answers of those joins by mode (`snapshot`, `deltas`, …) */
  modes: Record<string, number>;
  /** clients that had `recovered` (Socket.IO connection-state recovery) on their new connection */
  recovered: number;
  /** clients that disconnected and were not joined again before the timeout */
  missing: number;
  /** refused handshakes and failed joins while waiting, by message */
  errors: Record<string, number>;
}

/** Timeout of one scene:join, ms. */
const JOIN_TIMEOUT_MS = 30_000;
/** Timeout of one connection attempt, ms. */
const CONNECT_TIMEOUT_MS = 30_000;
/** Poll interval of `resumed`, ms. */
const RESUME_POLL_MS = 5;

const opts = childOptions<ClusterSwarmOptions>();

interface ClientState {
  socket: Socket;
  /** last scene:join answered ok (epoch ms), its mode, and whether that connection was recovered */
  joinedAtMs: number;
  joinMode: string;
  recovered: boolean;
  /** last disconnect (epoch ms), 0 = never */
  disconnectedAtMs: number;
  ack: Socket | null;
}
const clients: ClientState[] = [];
let closing = false;
let disconnects = 0;
/** refused handshakes and failed joins by message, since the last `resumed` began */
let errors: Record<string, number> = {};
const noteError = (what: string, err: unknown): void => {
  const key = `${what}: ${String((err as Error)?.message ?? err)}`;
  errors[key] = (errors[key] ?? 0) + 1;
};
const w = { startMs: Date.now(), benchFrames: 0 };

function openSocket(url: string, reconnection: boolean): Socket {
  return io(`${url}/live`, {
    auth: { token: opts.token, protocol: PROTOCOL_VERSION },
    transports: ['websocket'],
    reconnection,
    forceNew: true,
    autoConnect: false,
    timeout: CONNECT_TIMEOUT_MS,
  });
}

function connected(s: Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    s.once('connect_error', reject);
    s.once('connect', () => resolve());
    s.connect();
  });
}

async function connectClient(i: number): Promise<ClientState> {
  const failover = opts.mode === 'failover';
  const nodeIndex = i % opts.urls.length;
  const s = openSocket(opts.urls[failover ? 0 : nodeIndex]!, failover);
  // per node, the last client of this process reports
  const reporter = !failover && opts.ackUrl !== null && i >= opts.count - opts.urls.length;
  const c: ClientState = { socket: s, joinedAtMs: 0, joinMode: '', recovered: false, disconnectedAtMs: 0, ack: null };
  if (reporter) {
    c.ack = openSocket(opts.ackUrl!, false);
    await connected(c.ack);
  }
  s.on('scene:delta', (msg: { bench?: number }) => {
    if (typeof msg.bench !== 'number') return;
    w.benchFrames++;
    c.ack?.emit('bench:ack', msg.bench);
  });
  s.on('disconnect', (reason) => {
    if (closing || reason === 'io client disconnect') return;
    disconnects++;
    c.disconnectedAtMs = Date.now();
  });
  const join = (): Promise<void> =>
    s
      .timeout(JOIN_TIMEOUT_MS)
      .emitWithAck('scene:join', { scene: opts.scene })
      .then((r: { ok: boolean; mode?: string; error?: { code: string } }) => {
        if (!r.ok) throw new Error(`scene:join ${opts.scene} failed: ${r.error?.code ?? '?'}`);
        c.joinedAtMs = Date.now();
        c.joinMode = r.mode ?? '?';
        c.recovered = s.recovered;
      });
  const rejoin = (): void =>
    void join().catch((err: unknown) => {
      noteError('join', err);
      setTimeout(() => {
        if (!closing && s.connected) rejoin();
      }, CLIENT_CONFIG.sceneJoinRetryMs);
    });
  if (failover) {
    s.on('connect', () => {
      if (c.joinedAtMs > 0) rejoin();
    });
    s.on('connect_error', (err) => {
      if (c.joinedAtMs === 0) return;
      noteError('handshake', err);
      // a refusal by the server's middleware stops Socket.IO's retry loop: try again later
      if (!s.active)
        setTimeout(() => {
          if (!closing && !s.connected) s.connect();
        }, CLIENT_CONFIG.sceneJoinRetryMs);
    });
  }
  await connected(s);
  await join();
  return c;
}

async function resumed(p: { sinceMs: number; expectDisconnects: number; timeoutMs: number }): Promise<ResumeReport> {
  errors = {};
  const deadline = Date.now() + p.timeoutMs;
  const lost = () => clients.filter((c) => c.disconnectedAtMs >= p.sinceMs);
  const back = (c: ClientState) => c.joinedAtMs > c.disconnectedAtMs;
  for (;;) {
    const l = lost();
    if ((l.length >= p.expectDisconnects && l.every(back)) || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, RESUME_POLL_MS));
  }
  const l = lost();
  const ok = l.filter(back);
  const modes: Record<string, number> = {};
  for (const c of ok) modes[c.joinMode] = (modes[c.joinMode] ?? 0) + 1;
  return {
    disconnected: l.length,
    resumeMs: ok.map((c) => c.joinedAtMs - p.sinceMs),
    modes,
    recovered: ok.filter((c) => c.recovered).length,
    missing: Math.max(p.expectDisconnects, l.length) - ok.length,
    errors,
  };
}

const rpc = serveRpc(
  {
    /** opens every client, `connectConcurrency` at a time; returns how many made it */
    connect: async () => {
      const t0 = performance.now();
      const errors = new Set<string>();
      let failed = 0;
      for (let i = 0; i < opts.count; i += opts.connectConcurrency) {
        const batch = [];
        for (let j = i; j < Math.min(opts.count, i + opts.connectConcurrency); j++) batch.push(connectClient(j));
        for (const r of await Promise.allSettled(batch)) {
          if (r.status === 'fulfilled') clients.push(r.value);
          else {
            failed++;
            errors.add(String((r.reason as Error)?.message ?? r.reason));
          }
        }
      }
      return { connected: clients.length, failed, errors: [...errors].slice(0, 5), ms: performance.now() - t0 };
    },
    /** clients currently joined (connected, scene answered after their last disconnect) */
    joined: () => clients.filter((c) => c.socket.connected && c.joinedAtMs > c.disconnectedAtMs).length,
    resumed,
    resetWindow: () => {
      Object.assign(w, { startMs: Date.now(), benchFrames: 0 });
      return true;
    },
    report: (): ClusterSwarmReport => ({ clients: clients.length, benchFrames: w.benchFrames, windowMs: Date.now() - w.startMs, disconnects }),
  },
  async () => {
    closing = true;
    for (const c of clients) {
      c.socket.close();
      c.ack?.close();
    }
  },
);
rpc.ready({ pid: process.pid });
