/**
 * The only module that touches the Socket.IO socket (house style: one `connection` module).
 *
 * - State is an explicit union shown to the user: pending → connected ⇄ disconnected, shutdown.
 * - Reconnection is Socket.IO's own (exponential back-off); `onConnect` listeners learn whether
 *   a connect is a reconnect so data modules can resume their subscriptions (scene.ts re-joins
 *   with `sinceRev`).
 * - Requests are acked emits with a timeout; every outcome is a value (`{ ok: false, error }`),
 *   never a thrown exception.
 */
import { io } from 'socket.io-client';
import type { Socket } from 'socket.io-client';
import { PROTOCOL_VERSION } from '@scenes/protocol';
import type { IocError, LiveClientEvents, LiveServerEvents } from '@scenes/protocol';
import type { Role } from '@scenes/domain';
import { CLIENT_CONFIG } from './client-config';
import { freshToken, noteSessionEnded, refreshSession, sessionIdOfToken, startSessionKeeper } from './auth/session';

export type ConnectionState = 'pending' | 'connected' | 'disconnected' | 'shutdown';

export interface ConnectionStatus {
  state: ConnectionState;
  /** epoch ms (client clock) of the newest message from the server; 0 = none yet */
  lastMessageTs: number;
  /** epoch ms (client clock) when the connection was lost; null unless disconnected */
  disconnectedSinceTs: number | null;
  /** stable code of the newest connect error (e.g. 'E_UNAUTHORIZED'); null after a good connect */
  errorCode: string | null;
  /** server clock − client clock, ms (from 'server:hello'); add it to Date.now() for server time */
  serverClockOffsetMs: number;
  role: Role | null;
  username: string | null;
  /** how many times the connection came back after a loss */
  reconnectCount: number;
}

/** Events that are requests with an acknowledgement. */
export type AckEvent =
  | 'scene:join'
  | 'device:detail'
  | 'replay:range'
  | 'incidents:list'
  | 'command'
  | 'incident:readings'
  | 'handler:position'
  | 'device:command'
  | 'device:commands'
  | 'plans:list'
  | 'plan:command';
/** The ack payload type of a request event. */
export type AckOf<E extends AckEvent> = Parameters<Parameters<LiveClientEvents[E]>[1]>[0];

export interface ConnectInfo {
  /** false for the first connect, true after a loss */
  reconnect: boolean;
}

/** What data modules may use; tests pass a fake with the same shape. */
export interface LiveTransport {
  getStatus(): ConnectionStatus;
  onStatus(listener: (status: ConnectionStatus) => void): () => void;
  on<E extends keyof LiveServerEvents>(event: E, handler: LiveServerEvents[E]): () => void;
  onConnect(listener: (info: ConnectInfo) => void): () => void;
  request<E extends AckEvent>(event: E, payload: unknown, timeoutMs?: number): Promise<AckOf<E>>;
  send(event: 'scene:leave', payload: unknown): void;
}

export interface LiveConnection extends LiveTransport {
  close(): void;
}

type LiveSocket = Socket<LiveServerEvents, LiveClientEvents>;

function failure(code: IocError['code'], message: string): { ok: false; error: IocError } {
  return { ok: false, error: { code, message } };
}

/**
 * Open the `/live` namespace with `token`. Every (re)connect presents the session's current
 * access token, renewed first when it is about to end (`token` is the fallback without a stored session).
 */
export function createLiveConnection(token: string, now: () => number = Date.now): LiveConnection {
  startSessionKeeper();
  const socket: LiveSocket = io('/live', {
    auth: (cb: (data: object) => void) => {
      void freshToken().then(
        (t) => cb({ token: t ?? token, protocol: PROTOCOL_VERSION }),
        () => cb({ token, protocol: PROTOCOL_VERSION }),
      );
    },
    transports: ['websocket'],
    reconnection: true,
  });
  /** the server ended this session (revoked): never reconnect, the page sends the person to sign in */
  let sessionEnded = false;
  /** one renewal per refused handshake: an access token that ended while the socket was away */
  let renewedAfterRefusal = false;

  let status: ConnectionStatus = {
    state: 'pending',
    lastMessageTs: 0,
    disconnectedSinceTs: null,
    errorCode: null,
    serverClockOffsetMs: 0,
    role: null,
    username: null,
    reconnectCount: 0,
  };
  let everConnected = false;
  const statusListeners = new Set<(s: ConnectionStatus) => void>();
  const connectListeners = new Set<(info: ConnectInfo) => void>();

  const setStatus = (patch: Partial<ConnectionStatus>) => {
    status = { ...status, ...patch };
    for (const l of statusListeners) l(status);
  };

  socket.on('connect', () => {
    const reconnect = everConnected;
    everConnected = true;
    setStatus({
      state: 'connected',
      disconnectedSinceTs: null,
      errorCode: null,
      lastMessageTs: now(),
      reconnectCount: status.reconnectCount + (reconnect ? 1 : 0),
    });
    for (const l of connectListeners) l({ reconnect });
  });
  socket.on('disconnect', (reason) => {
    if (status.state === 'shutdown') return;
    setStatus({ state: 'disconnected', disconnectedSinceTs: status.disconnectedSinceTs ?? now() });
    // A server-side disconnect is final for Socket.IO; we still want the wall to come back —
    // unless the server ended the session (then the page goes to the login page)
    if (reason === 'io server disconnect' && !sessionEnded) socket.connect();
  });
  /** connect errors retrying cannot fix: the session must change (sign in again, change the password, enrol a second factor) */
  const FINAL_CONNECT_ERRORS = ['E_UNAUTHORIZED', 'E_PROTOCOL', 'E_FORBIDDEN', 'E_PASSWORD_CHANGE_REQUIRED', 'E_MFA_REQUIRED'];
  socket.on('connect_error', (err: Error) => {
    const code = /^E_[A-Z_]+$/.test(err.message) ? err.message : 'E_NETWORK';
    if (code === 'E_UNAUTHORIZED' && !sessionEnded && !renewedAfterRefusal) {
      // the access token may merely have ended: renew once, then try again
      renewedAfterRefusal = true;
      void refreshSession().then((r) => {
        if (r.ok && status.state !== 'shutdown') socket.connect();
        else setStatus({ errorCode: 'E_UNAUTHORIZED' });
      });
      return;
    }
    setStatus({
      state: everConnected || status.state === 'disconnected' ? 'disconnected' : 'pending',
      disconnectedSinceTs: everConnected ? (status.disconnectedSinceTs ?? now()) : status.disconnectedSinceTs,
      errorCode: code,
    });
    // Middleware rejections stop Socket.IO's retry loop; only an auth/protocol error is final.
    if (!socket.active && !FINAL_CONNECT_ERRORS.includes(code)) {
      setTimeout(() => {
        if (status.state !== 'shutdown' && !socket.connected) socket.connect();
      }, CLIENT_CONFIG.sceneJoinRetryMs);
    }
  });
  // the server revoked the session (disabled, demoted, signed out elsewhere…): it disconnects right after
  socket.on('server:error', (e: IocError) => {
    if (e?.code !== 'E_UNAUTHORIZED') return;
    sessionEnded = true;
    noteSessionEnded();
    setStatus({ errorCode: 'E_UNAUTHORIZED' });
  });
  socket.on('server:hello', (info) => {
    renewedAfterRefusal = false;
    setStatus({
      serverClockOffsetMs: info.serverTs - now(),
      role: info.role,
      username: info.username,
    });
  });
  socket.onAny(() => {
    status = { ...status, lastMessageTs: now() };
  });

  return {
    getStatus: () => status,
    onStatus(listener) {
      statusListeners.add(listener);
      return () => statusListeners.delete(listener);
    },
    on(event, handler) {
      // Socket.IO's typed `on` cannot follow a generic event name; the map keeps it sound.
      const s = socket as unknown as { on(e: string, h: unknown): void; off(e: string, h: unknown): void };
      s.on(event, handler);
      return () => s.off(event, handler);
    },
    onConnect(listener) {
      connectListeners.add(listener);
      return () => connectListeners.delete(listener);
    },
    request(event, payload, timeoutMs = CLIENT_CONFIG.requestTimeoutMs) {
      return new Promise((resolve) => {
        if (status.state === 'shutdown') {
          resolve(failure('E_INTERNAL', 'connection closed') as AckOf<typeof event>);
          return;
        }
        const emitter = socket.timeout(timeoutMs) as unknown as {
          emit(e: string, p: unknown, cb: (err: Error | null, r: unknown) => void): void;
        };
        emitter.emit(event, payload, (err, r) => {
          if (err) resolve(failure('E_INTERNAL', `no answer to ${event} within ${timeoutMs} ms`) as AckOf<typeof event>);
          else resolve(r as AckOf<typeof event>);
        });
      });
    },
    send(event, payload) {
      if (socket.connected) socket.emit(event, payload);
    },
    close() {
      setStatus({ state: 'shutdown' });
      socket.removeAllListeners();
      socket.disconnect();
      statusListeners.clear();
      connectListeners.clear();
    },
  };
}

let shared: { key: string; connection: LiveConnection } | null = null;

/**
 * The page's one live connection for the session of `token` (another session closes the old
 * connection; a renewed token of the same session keeps it).
 */
export function getLiveConnection(token: string): LiveConnection {
  const key = sessionIdOfToken(token) ?? token;
  if (shared && shared.key === key) return shared.connection;
  shared?.connection.close();
  shared = { key, connection: createLiveConnection(token) };
  return shared.connection;
}

/** The open connection, if any (data modules use it; they never open one themselves). */
export function currentLiveConnection(): LiveConnection | null {
  return shared?.connection ?? null;
}

export function closeLiveConnection(): void {
  shared?.connection.close();
  shared = null;
}
