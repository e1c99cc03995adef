/**
 * A light City IOC `/live` client for swarms of thousands on a 2-core machine (bench
 * `cluster-concurrency`): the Socket.IO v4 protocol spoken over a bare `ws` socket — engine.io
 * open, ping → pong, namespace CONNECT with the token, `scene:join` with an ack, `scene:delta`
 * events — with the server's work unchanged (the server cannot tell it from socket.io-client).
 *
 * What it saves is the clients' own CPU: every screen of one scene receives the same frame, and
 * socket.io-client would decode and JSON.parse it once per socket (10,000 screens × 4 frames/s of
 * an overview under load exceed what the swarm processes can parse, and a starved swarm then
 * misses its pings: the measurement would show the load generator, not the server). Here a frame
 * is read once per process — keyed by its length and its head, which holds the scene and the
 * revision — and each socket only looks the key up. A client that misses a ping for
 * pingInterval + pingTimeout closes as socket.io-client does ('ping timeout').
 */
import { WebSocket } from 'ws';
import { PROTOCOL_VERSION, type SceneDeltaMessage } from '../scenes/protocol';
import type { ScreenSceneId } from '../scenes/domain';

/** What one distinct frame carries for the swarm's counters. */
export interface FrameDigest {
  /** device points put by the frame */
  puts: number;
  /** ids of devices the frame shows not offline (probe candidates) */
  onlineIds: string[];
  generatedTs: number;
}

/** Callbacks of one light client. */
export interface LightClientEvents {
  onDelta(digest: FrameDigest): void;
  onBytes(n: number): void;
  /** the connection ended without the swarm closing it */
  onDisconnect(reason: string): void;
}

export interface LightClientOptions {
  url: string;
  token: string;
  scene: ScreenSceneId | null;
  timeoutMs: number;
}

const NSP = '/live';
/** bytes of a frame's head in its key: `42/live,["scene:delta",{"scene":…,"district":…,"rev":…,"prevRev":…` */
const KEY_HEAD_BYTES = 112;
/** distinct frames remembered per process (a few per scene and revision in flight) */
const MAX_CACHED_FRAMES = 256;

const digests = new Map<string, FrameDigest>();

function digestOf(buf: Buffer, watched: ReadonlySet<string>): FrameDigest | null {
  const key = `${buf.length}:${buf.toString('latin1', 0, Math.min(buf.length, KEY_HEAD_BYTES))}`;
  const known = digests.get(key);
  if (known) return known;
  const packet = JSON.parse(buf.toString('utf8', buf.indexOf(0x2c /* , */) + 1)) as [string, SceneDeltaMessage];
  if (packet[0] !== 'scene:delta') return null;
  const puts = packet[1].delta.devices?.put ?? [];
  const digest: FrameDigest = {
    puts: puts.length,
    onlineIds: puts.filter((p) => p.s !== 'offline' && watched.has(p.id)).map((p) => p.id),
    generatedTs: packet[1].delta.generatedTs,
  };
  if (digests.size >= MAX_CACHED_FRAMES) digests.delete(digests.keys().next().value as string);
  digests.set(key, digest);
  return digest;
}

/**
 * Opens one light client: resolves once it joined its scene (or connected, without a scene),
 * rejects on a refused CONNECT or join, a closed socket or `timeoutMs`. Returns `close()`.
 */
export function connectLight(o: LightClientOptions, watched: ReadonlySet<string>, ev: LightClientEvents): Promise<{ close(): void }> {
  const ws = new WebSocket(`${o.url.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`, { perMessageDeflate: false });
  let pingTimer: NodeJS.Timeout | null = null;
  let pingWindowMs = 45_000;
  let closedByUs = false;
  let settled = false;
  const close = () => {
    closedByUs = true;
    if (pingTimer) clearTimeout(pingTimer);
    ws.terminate();
  };
  const armPingTimer = () => {
    if (pingTimer) clearTimeout(pingTimer);
    pingTimer = setTimeout(() => {
      if (closedByUs) return;
      closedByUs = true;
      ws.terminate();
      ev.onDisconnect('ping timeout');
    }, pingWindowMs);
  };
  return new Promise((resolve, reject) => {
    const fail = (e: Error) => {
      if (settled) return;
      settled = true;
      close();
      reject(e);
    };
    const timer = setTimeout(() => fail(new Error('timeout')), o.timeoutMs);
    const done = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ close });
    };
    ws.on('error', (e) => fail(e));
    ws.on('close', () => {
      if (pingTimer) clearTimeout(pingTimer);
      if (!settled) return fail(new Error('closed while connecting'));
      if (!closedByUs) ev.onDisconnect('transport close');
    });
    ws.on('message', (buf: Buffer) => {
      ev.onBytes(buf.length);
      const type = buf[0];
      if (type === 0x32 /* 2: ping */) {
        ws.send('3');
        armPingTimer();
        return;
      }
      if (type === 0x30 /* 0: open */) {
        const open = JSON.parse(buf.toString('utf8', 1)) as { pingInterval: number; pingTimeout: number };
        pingWindowMs = open.pingInterval + open.pingTimeout;
        armPingTimer();
        ws.send(`40${NSP},${JSON.stringify({ token: o.token, protocol: PROTOCOL_VERSION })}`);
        return;
      }
      if (type !== 0x34 /* 4: message */) return;
      const kind = buf[1];
      if (kind === 0x32 /* 2: EVENT */) {
        if (!settled) return;
        const d = digestOf(buf, watched);
        if (d) ev.onDelta(d);
      } else if (kind === 0x30 /* 0: CONNECT */) {
        if (!o.scene) return done();
        ws.send(`42${NSP},1${JSON.stringify(['scene:join', { scene: o.scene }])}`);
      } else if (kind === 0x33 /* 3: ACK */) {
        // the join's answer: `43/live,1[{"ok":true,…` (the snapshot after it is not read)
        const head = buf.toString('latin1', 0, 64);
        if (head.includes('"ok":true')) done();
        else fail(new Error(`scene:join ${o.scene} failed: ${head}`));
      } else if (kind === 0x34 /* 4: CONNECT_ERROR */) {
        fail(new Error(`connect refused: ${buf.toString('utf8', 0, 200)}`));
      }
    });
  });
}
