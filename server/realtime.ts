/**
 * Socket.IO namespaces:
 * - `/live` for people: JWT verified in the handshake, every event validated and authorised by role.
 * - `/device` for gateways: per-device token in the handshake, readings acknowledged per batch.
 */
import type { Server as IoServer, Namespace, Socket } from 'socket.io';
import type { IncomingHttpHeaders } from 'node:http';
import type { Alert, Incident, Role } from '../scenes/domain';
import { incidentAudience } from '../scenes/incident-rules';
import { incidentRoleRooms, roleRooms, type DataScope } from '../scenes/scope';
import { DEVICE_COMMAND_ROLES, DeviceCommandAckSchema, type DeviceCommandMessage, type DeviceCommandRecord } from '../scenes/device-commands';
import {
  DeviceHandshakeSchema,
  IngestBatchSchema,
  LiveHandshakeSchema,
  PROTOCOL_VERSION,
  type IocError,
  type SceneDeltaMessage,
} from '../scenes/protocol';
import type { ServerConfig } from './config';
import { failure, rateLimited, safeValidate, sourceOf, TokenBucket, type EntryGuard, type PendingConnection } from './guard';
import { RefusedMessageError } from './socket-encoder';
import type { TokenService } from './auth/tokens';
import type { UserService } from './auth/users';
import type { SessionService } from './auth/sessions';
import type { ChangeNotifier, CommandService } from './commands';
import type { DeviceTokenVerifier } from './device-token';
import { iocError } from './errors';
import type { AuditRecorder } from './audit/audit';
import type { Fusion } from './fusion';
import type { IngestService } from './ingest';
import type { Logger } from './logger';
import { SceneHub, type SceneSink } from './scene-hub';
import { RoomNames } from './room-names';
import { slimHandshake } from './slim-handshake';
import { liveHandlers, socketSource, type LiveHandler } from './live-handlers';
import { LiveConnections, type ScopedSocketData } from './live-connections';
import { userScope } from './user-scope';
import type { Store } from './store/store';
import type { CommandChannel } from './device-control/channels';
import type { DeviceCommandService } from './device-control/device-command-service';

export interface LiveSocketData {
  username: string;
  role: Role;
  displayName: string;
  /** the session (server/auth/sessions.ts): the socket is in room `session:<sid>` and dies with it */
  sid: string;
}

/** The room of every `/live` socket of one session: revoking the session cuts them all. */
export const sessionRoom = (sid: string): string => `session:${sid}`;

/** The room of a device's `/device` sockets: commands to it are emitted there. */
export const deviceRoom = (deviceId: string): string => `device:${deviceId}`;

/** The limits of server/config.ts that the socket entry points enforce. */
export type RealtimeLimits = Pick<
  ServerConfig,
  | 'sessionSweepIntervalMs'
  | 'liveEventRatePerS'
  | 'liveEventBurst'
  | 'liveMaxRefusedEvents'
  | 'liveJoinRatePerS'
  | 'liveJoinBurst'
  | 'liveQueryRatePerS'
  | 'liveQueryBurst'
  | 'liveReplayRatePerS'
  | 'liveReplayBurst'
  | 'replayPageMaxEvents'
  | 'replayPageMaxBytes'
  | 'deviceEventRatePerS'
  | 'deviceEventBurst'
  | 'liveMaxBufferedBytes'
  | 'liveMaxQueuedPackets'
  | 'liveBufferCheckIntervalMs'
  | 'liveStalledChecks'
>;

export interface RealtimeDeps {
  io: IoServer;
  /** permission denials on `/live` are audited (best effort: the event is refused either way) */
  audit?: AuditRecorder;
  fusion: Fusion;
  store: Store;
  tokens: TokenService;
  users: UserService;
  /** revocations cut the sockets of the revoked sessions (and a periodic sweep catches other nodes' ones) */
  sessions: SessionService;
  verifier: DeviceTokenVerifier;
  log: Logger;
  /** the one guard of every entry point (shared with REST: command budgets, auth failures) */
  guard: EntryGuard;
  limits: RealtimeLimits;
  coalesceIntervalMs: number;
  /** telemetry frame pacing under a heavy fan-out (server/frame-pacing.ts); absent = off */
  framePacing?: { maxIntervalMs: number; targetShare: number; windowMs: number };
  deltaHistoryPerScene: number;
  deltaHistoryMaxAgeMs: number;
  /** issue 15: this node's revision lane among the cluster's (server/scene-hub.ts) */
  revisionLane?: { lane: number; lanes: number };
}

type Ack = ((r: unknown) => void) | undefined;

function asAck(maybe: unknown): Ack {
  return typeof maybe === 'function' ? (maybe as (r: unknown) => void) : undefined;
}

const CONNECT_ERROR = (e: IocError): Error => Object.assign(new Error(e.code), { data: e });

/** The engine.io connection under a Socket.IO socket, as far as the output-buffer check reads it. */
interface EngineConn {
  writeBuffer?: { data?: unknown }[];
  transport?: { socket?: { bufferedAmount?: number; terminate?: () => void } };
}

/** Bytes a connection has not sent yet: the ws send buffer plus engine.io's queue. */
function pendingOutput(conn: EngineConn, maxPackets: number): { bytes: number; packets: number } {
  const queue = conn.writeBuffer ?? [];
  let bytes = conn.transport?.socket?.bufferedAmount ?? 0;
  const n = Math.min(queue.length, maxPackets);
  for (let i = 0; i < n; i++) {
    const d = queue[i]?.data;
    if (typeof d === 'string') bytes += d.length;
    else if (Buffer.isBuffer(d)) bytes += d.length;
  }
  return { bytes, packets: queue.length };
}

/**
 * The shared `/live` dispatcher as `socket`'s one catch-all listener (what `socket.onAny` does).
 * `onAny` pushes onto an empty array, which V8 grows to 17 slots (≈ 150 bytes per connection); a
 * one-slot array holds the same listener (issue 15: heap per connection). Socket.IO reads the
 * array through `listenersAny()`: when it does not see the listener there (another Socket.IO
 * version), `onAny` registers it.
 */
function listenToAny(socket: Socket, listener: (this: Socket, event: string, ...args: unknown[]) => void): void {
  const own = socket as unknown as { _anyListeners?: unknown[] };
  if (own._anyListeners === undefined) {
    own._anyListeners = [listener];
    if (socket.listenersAny()[0] === listener) return;
    delete own._anyListeners;
  }
  socket.onAny(listener);
}

/**
 * `listener` as `socket`'s `error` listener. Socket.IO gives every socket a no-op one, `noop` (an
 * `error` emitted without a listener would throw); ours takes its place rather than joining it in
 * a two-listener array (≈ 60 bytes per connection, issue 15). Any other listener stays.
 */
function replaceErrorListener(socket: Socket, listener: (this: Socket, err: unknown) => void): void {
  const placeholder = socket.listeners('error').find((l) => l.name === 'noop');
  socket.on('error', listener);
  if (placeholder) socket.off('error', placeholder as (err: unknown) => void);
}

export class Realtime implements ChangeNotifier {
  readonly live: Namespace;
  readonly device: Namespace;
  readonly hub: SceneHub;
  /** telemetry frames are paced now (server/frame-pacing.ts): the log says when that starts and ends */
  private framesPaced = false;
  /** consecutive buffer checks a live socket was found over the output bound */
  private readonly overLimitChecks = new WeakMap<Socket, number>();
  /** each `/live` socket's state for the shared listeners (liveHandlers), while it is not idle */
  private readonly liveConnections: LiveConnections;
  /** one string per `/live` room name, whatever number of sockets joined it */
  private readonly liveRooms: RoomNames;
  /** the `/live` events' shared listeners, by event (liveHandlers, then addLiveHandlers) */
  private readonly liveListeners = new Map<string, (this: Socket, payload: unknown, maybeAck: unknown) => void>();
  private commands: CommandService | null = null;
  private ingest: IngestService | null = null;
  private deviceControl: DeviceCommandService | null = null;
  private bufferTimer: NodeJS.Timeout | null = null;
  private sessionSweepTimer: NodeJS.Timeout | null = null;
  private sweeping = false;
  private stopRevocations: (() => void) | null = null;
  /** told of every alert change after the screens (issue 14: area warnings, server/storm/) */
  private readonly alertListeners: ((alert: Alert) => void)[] = [];

  constructor(private readonly deps: RealtimeDeps) {
    this.live = deps.io.of('/live');
    this.device = deps.io.of('/device');
    this.liveRooms = new RoomNames(this.live.adapter);
    this.liveConnections = new LiveConnections(deps.limits, (me) => userScope(deps.store, me));
    const live = this.live;
    const sink: SceneSink = {
      watchers: (room) => live.adapter.rooms.get(room)?.size ?? 0,
      // this node's watchers only: every node builds its own frames from the shared log (issue 15),
      // and a frame must never cross the adapter to a socket whose revisions come from another node
      emitDelta: (msg: SceneDeltaMessage, room: string) => live.local.to(room).emit('scene:delta', msg),
    };
    this.hub = new SceneHub(deps.fusion, sink, {
      coalesceIntervalMs: deps.coalesceIntervalMs,
      deltaHistoryPerScene: deps.deltaHistoryPerScene,
      deltaHistoryMaxAgeMs: deps.deltaHistoryMaxAgeMs,
      ...(deps.revisionLane ? { revisionLane: deps.revisionLane } : {}),
      ...(deps.framePacing ? { pacing: deps.framePacing } : {}),
      // warn when pacing starts and info when it ends; the steps in between (every 2 s window at
      // most) only at debug, so a fluctuating load does not fill the log
      onPacingChanged: (intervalMs, share) => {
        const paced = intervalMs > deps.coalesceIntervalMs;
        const fields = { intervalMs, fanoutShare: Math.round(share * 100) / 100, baseIntervalMs: deps.coalesceIntervalMs };
        if (paced === this.framesPaced) deps.log.debug(fields, 'telemetry frame pacing adjusted');
        else if (paced) deps.log.warn(fields, 'telemetry frames paced: sending them took too much of the event loop');
        else deps.log.info(fields, 'telemetry frames back at the coalescing interval');
        this.framesPaced = paced;
      },
    });
  }

  attach(commands: CommandService, ingest: IngestService): void {
    this.commands = commands;
    this.ingest = ingest;
    this.setupConnectionGuard();
    this.setupLive();
    this.setupDevice();
    this.hub.start();
    this.bufferTimer = setInterval(() => {
      this.dropStalledReaders();
      this.liveConnections.forgetIdle(this.live.sockets.values());
    }, this.deps.limits.liveBufferCheckIntervalMs);
    this.bufferTimer.unref();
    // revoked here: cut at once; revoked on another node (or its record expired): the sweep finds it
    this.stopRevocations = this.deps.sessions.onRevoked((r) =>
      this.cutSessions([...r.sids.map(sessionRoom), ...r.usernames.map((u) => `user:${u}`)], r.why),
    );
    this.sessionSweepTimer = setInterval(() => void this.sweepSessions(), this.deps.limits.sessionSweepIntervalMs);
    this.sessionSweepTimer.unref();
  }

  /**
   * Remote control (issue 13): `/live` `device:command` / `device:commands`, and the `/device`
   * namespace as a command channel (`command` down, `command:ack` up). Before `attach`.
   */
  useDeviceControl(deviceControl: DeviceCommandService): void {
    this.deviceControl = deviceControl;
    const device = this.device;
    const channel: CommandChannel = {
      name: 'socket',
      // this node's sockets only: a device connected to another node is reached there (or over MQTT)
      reaches: (deviceId) => (device.adapter.rooms.get(deviceRoom(deviceId))?.size ?? 0) > 0,
      deliver: (message: DeviceCommandMessage) => Promise.resolve(device.to(deviceRoom(message.deviceId)).emit('command', message)),
    };
    deviceControl.addChannel(channel);
  }

  /** A command to a device was sent or settled: officers and admins whose scope holds the device hear of it. */
  deviceCommandChanged(record: DeviceCommandRecord): void {
    const rooms = record.district ? incidentRoleRooms(DEVICE_COMMAND_ROLES, record.district) : DEVICE_COMMAND_ROLES.map((r) => `role:${r}`);
    this.live.to(rooms).emit('device:command', record);
  }

  stop(): void {
    this.hub.stop();
    if (this.bufferTimer) clearInterval(this.bufferTimer);
    this.bufferTimer = null;
    if (this.sessionSweepTimer) clearInterval(this.sessionSweepTimer);
    this.sessionSweepTimer = null;
    this.stopRevocations?.();
    this.stopRevocations = null;
  }

  // sessions ------------------------------------------------------------------------------------

  /** Tells the sockets in `rooms` why, then disconnects them (the client goes to its login page). */
  private cutSessions(rooms: string[], why: string): void {
    if (rooms.length === 0) return;
    const error = iocError('E_UNAUTHORIZED', 'your session has ended; sign in again', { reason: why });
    // queued before the close: engine.io flushes what it holds, then closes
    this.live.in(rooms).emit('server:error', error);
    this.live.in(rooms).disconnectSockets(true);
  }

  /**
   * Whether the session behind live sockets still stands; cuts them when not. `sockets` share one
   * session (sid, username, role). Not a use of the session (no "last seen"). A store that does
   * not answer keeps the sockets (an outage is not a revocation; the next sweep asks again).
   */
  private async recheckSockets(sockets: readonly Socket[]): Promise<void> {
    const me = sockets[0]?.data as LiveSocketData | undefined;
    if (!me?.sid) return;
    let refused: IocError | null;
    try {
      refused = await this.deps.users.sessionRefusal(
        { username: me.username, role: me.role, displayName: me.displayName, sid: me.sid },
        { touch: false },
      );
    } catch (err) {
      this.deps.log.warn({ err, user: me.username }, 'live session re-check failed; keeping the socket until the next sweep');
      return;
    }
    if (!refused) return;
    for (const socket of sockets) {
      if (!socket.connected) continue;
      socket.emit('server:error', refused);
      socket.disconnect(true);
    }
  }

  private recheckSocket(socket: Socket): Promise<void> {
    return this.recheckSockets([socket]);
  }

  /**
   * Every few seconds: the session of every open `/live` socket is re-checked, one session at a
   * time and each once however many sockets it has open (a wall's screens on one screen token, a
   * user's tabs): 10,000 screens of one token cost one read per sweep, not 10,000.
   */
  async sweepSessions(): Promise<void> {
    if (this.sweeping) return;
    this.sweeping = true;
    try {
      const bySession = new Map<string, Socket[]>();
      for (const socket of this.live.sockets.values()) {
        const me = socket.data as LiveSocketData | undefined;
        if (!me?.sid) continue;
        const key = `${me.sid}\u0000${me.username}\u0000${me.role}`;
        const list = bySession.get(key);
        if (list) list.push(socket);
        else bySession.set(key, [socket]);
      }
      for (const sockets of bySession.values()) await this.recheckSockets(sockets);
    } finally {
      this.sweeping = false;
    }
  }

  // ChangeNotifier ------------------------------------------------------------------------------

  alertChanged(alert: Alert): void {
    this.hub.flushSoon([alert.scene, 'overview']);
    for (const listener of this.alertListeners) listener(alert);
  }

  /** Every alert change (raised, updated, cleared, acknowledged, linked) is handed to `listener` too. */
  onAlertChanged(listener: (alert: Alert) => void): void {
    this.alertListeners.push(listener);
  }

  /**
   * Another node changed an incident (issue 15, applied from the shared log): this node's screens
   * rebuild. Its `incident:update` reached every node's people from that node, through the adapter.
   */
  incidentFromLog(incident: Incident): void {
    this.hub.flushSoon([incident.scene, 'overview', 'emergency']);
  }

  incidentChanged(incident: Incident, previousAssignees: readonly string[]): void {
    // the emergency desk sees every incident
    this.hub.flushSoon([incident.scene, 'overview', 'emergency']);
    // who is told: the roles (whole-city rooms, and the district's rooms of those limited to
    // districts), current and previous assignees and the reporter (scenes/incident-rules.ts)
    const audience = incidentAudience(incident, previousAssignees);
    const rooms = [...incidentRoleRooms(audience.roles, audience.district), ...audience.usernames.map((u) => `user:${u}`)];
    this.live.to(rooms).emit('incident:update', incident);
  }

  // every connection ----------------------------------------------------------------------------

  /**
   * Transport connections count as unauthenticated until one of their namespaces accepts a
   * handshake; `allowRequest` (app.ts) refuses a source with too many of them.
   */
  private setupConnectionGuard(): void {
    const { io, guard } = this.deps;
    io.engine.on('connection', (conn: PendingConnection & { remoteAddress: string; request?: { headers: IncomingHttpHeaders } }) => {
      // keyed by the engine.io socket itself: a namespace handshake releases it through `socket.conn`
      guard.trackPending(conn, sourceOf(conn.remoteAddress, conn.request?.headers['x-forwarded-for']));
    });
  }

  /** Runs a connection middleware through the guard: a throw refuses the connection with E_INTERNAL. */
  private guardedMiddleware(entry: string, check: (socket: Socket, auth: unknown) => Promise<IocError | null> | IocError | null) {
    const { guard } = this.deps;
    return (socket: Socket, next: (err?: Error) => void) => {
      void guard
        .handle(entry, socket.handshake.auth, (auth) => check(socket, auth))
        .then((r) => {
          if (r === null) {
            guard.authenticated(socket.conn);
            next();
          } else next(CONNECT_ERROR('ok' in r ? r.error : r));
        })
        .catch(() => next(CONNECT_ERROR(iocError('E_INTERNAL', 'internal error'))));
    };
  }

  /** Registers `handler` for `event` of this one socket behind the guard (guardedListener). */
  private onGuarded(
    socket: Socket,
    entry: string,
    event: string,
    budget: TokenBucket | null,
    handler: (payload: unknown) => unknown,
    meta: Record<string, unknown>,
  ): void {
    const own = { budget, handler, meta };
    socket.on(
      event,
      this.guardedListener(
        entry,
        event,
        () => own,
        budget === null ? null : (o) => o.budget!,
        (o, payload) => o.handler(payload),
        (o) => o.meta,
      ),
    );
  }

  /**
   * A listener for `event` behind the guard, shareable by every socket (Socket.IO calls it with the
   * socket as `this`; `contextOf` finds that socket's state): an optional per-connection budget,
   * inbound normalisation, a typed answer for any throw. The handler's return value is the ack.
   */
  private guardedListener<C>(
    entry: string,
    event: string,
    contextOf: (socket: Socket) => C | undefined,
    budgetOf: ((c: C) => TokenBucket) | null,
    handler: (c: C, payload: unknown) => unknown,
    metaOf: (c: C) => Record<string, unknown>,
  ): (this: Socket, payload: unknown, maybeAck: unknown) => void {
    const { guard, log } = this.deps;
    return function guarded(this: Socket, payload: unknown, maybeAck: unknown) {
      const c = contextOf(this);
      if (c === undefined) return;
      const meta = metaOf(c);
      const budget = budgetOf?.(c) ?? null;
      const ack = asAck(maybeAck);
      const answer = (r: unknown) => {
        if (!ack || r === undefined) return;
        try {
          ack(r);
        } catch (err) {
          log.warn({ err, entry, event }, 'ack failed');
        }
      };
      if (budget && !budget.take()) return answer(failure(rateLimited(`too many ${event} requests; slow down`, budget.retryAfterMs())));
      guard
        .handle(`${entry}:${event}`, payload, (p) => handler(c, p), meta)
        .then(answer)
        .catch((err: unknown) => answer(guard.failureOf(err, `${entry}:${event}`, meta)));
    };
  }

  /**
   * `/device`: one budget for every event of a connection (known or not), checked before any
   * handler. A client that keeps sending after `maxRefused` refusals in a row is dropped.
   */
  private throttleConnection(socket: Socket, ratePerS: number, burst: number, maxRefused: number, who: Record<string, unknown>): void {
    const bucket = new TokenBucket(ratePerS, burst);
    let refused = 0;
    socket.use((packet, next) => {
      if (bucket.take()) {
        refused = 0;
        return next();
      }
      refused++;
      const last = packet[packet.length - 1] as unknown;
      if (typeof last === 'function') {
        try {
          (last as (r: unknown) => void)(failure(rateLimited('too many messages; slow down', bucket.retryAfterMs())));
        } catch {
          // the client is gone
        }
      }
      if (refused === maxRefused) {
        this.deps.log.warn({ ...who, refused }, 'connection dropped: it kept sending past its rate limit');
        socket.disconnect(true);
      }
    });
  }

  /** Drops `/live` clients that stopped reading: their unsent output would grow without bound. */
  dropStalledReaders(): void {
    const { liveMaxBufferedBytes, liveMaxQueuedPackets, liveStalledChecks } = this.deps.limits;
    for (const socket of this.live.sockets.values()) {
      const conn = socket.conn as unknown as EngineConn;
      const out = pendingOutput(conn, liveMaxQueuedPackets + 1);
      if (out.bytes <= liveMaxBufferedBytes && out.packets <= liveMaxQueuedPackets) {
        this.overLimitChecks.delete(socket);
        continue;
      }
      // a large snapshot (a 100k-device overview is ≈ 8 MB) passes the bound for a moment on a
      // client that reads; only a client that stays over it check after check has stopped reading
      const checks = (this.overLimitChecks.get(socket) ?? 0) + 1;
      this.overLimitChecks.set(socket, checks);
      if (checks < liveStalledChecks) continue;
      this.overLimitChecks.delete(socket);
      const me = socket.data as LiveSocketData;
      this.deps.log.warn(
        {
          user: me.username,
          bufferedBytes: out.bytes,
          queuedPackets: out.packets,
          maxBufferedBytes: liveMaxBufferedBytes,
          maxQueuedPackets: liveMaxQueuedPackets,
          checks,
        },
        'live client dropped: it stopped reading and its output buffer stayed over the limit',
      );
      socket.disconnect(true);
      // the close handshake would wait behind the unread bytes: cut the transport now
      conn.transport?.socket?.terminate?.();
    }
  }

  // /live ---------------------------------------------------------------------------------------

  private setupLive(): void {
    const { tokens, users, store, log, guard, limits } = this.deps;
    this.live.use(
      this.guardedMiddleware('live:handshake', async (socket, auth) => {
        const source = socketSource(socket);
        const blocked = guard.authBlocked('live', source);
        if (blocked) return blocked;
        const refuse = (e: IocError) => {
          guard.noteAuthFailure('live', source);
          return e;
        };
        const hs = safeValidate(LiveHandshakeSchema, auth, 'handshake');
        if (!hs.ok) return refuse(iocError('E_PROTOCOL', `handshake needs { token, protocol: ${PROTOCOL_VERSION} }`));
        const claims = await tokens.verify(hs.data.token);
        if (!claims) return refuse(iocError('E_UNAUTHORIZED', 'session token invalid or expired; log in again'));
        // disabled accounts, and sessions that must change the password first (E_PASSWORD_CHANGE_REQUIRED)
        const refused = await users.sessionRefusal(claims);
        if (refused) return refused.code === 'E_UNAUTHORIZED' ? refuse(refused) : refused;
        // the data scope, known before the connection opens so its rooms are joined at once (issue 12)
        const scope = await userScope(store, claims);
        // one object with every field at once: a field added later costs the object a second store
        socket.data = {
          username: claims.username,
          role: claims.role,
          displayName: claims.displayName,
          sid: claims.sid,
          scope,
        } satisfies ScopedSocketData;
        return null;
      }),
    );

    // one shared listener per event for every connection, not a closure per connection and event (issue 15: heap per connection)
    this.addLiveHandlers(
      liveHandlers({
        ...this.deps,
        hub: this.hub,
        commands: () => this.commands,
        deviceControl: () => this.deviceControl,
        recheckSocket: (socket) => this.recheckSocket(socket),
        joinRooms: (socket, rooms) => this.joinLiveRooms(socket, rooms),
      }),
    );
    // one shared dispatcher and error listener for every connection (Socket.IO calls them with the
    // socket as `this`), not a listener per event and connection nor a middleware closure per
    // connection (issue 15: heap per connection)
    const dispatch = this.liveDispatcher(this.liveListeners, limits.liveMaxRefusedEvents);
    const onSocketError = function (this: Socket, err: unknown) {
      const me = this.data as LiveSocketData;
      const who = { user: me.username, role: me.role };
      if (err instanceof RefusedMessageError) {
        log.warn({ ...who, namespace: err.namespace, bytes: err.bytes, limitBytes: err.limitBytes }, `live client closed: ${err.message}`);
        // queued before the close: engine.io sends what it holds, then closes
        this.emit('server:error', iocError('E_PAYLOAD_TOO_LARGE', err.message));
      } else log.warn({ ...who, err }, 'live socket error');
    };
    this.live.on('connection', (socket: Socket) => {
      slimHandshake(socket);
      const me = socket.data as LiveSocketData;
      void this.joinLiveRooms(socket, [sessionRoom(me.sid)]);
      // a recovered connection skipped the handshake middleware: check its session now
      if (socket.recovered) void this.recheckSocket(socket);
      replaceErrorListener(socket, onSocketError);

      // the data scope comes from the stored user (districts are never a token claim), read in the
      // handshake; a connection without it (recovered state from before) reads it now, and every
      // handler waits for it. The role rooms are joined (and hello said) once it is known.
      const known = (socket.data as ScopedSocketData).scope;
      if (known) this.enterLive(socket, me, known);
      else
        this.liveConnections.scopeOf(socket).then(
          (scope) => this.enterLive(socket, me, scope),
          (err: unknown) => {
            log.warn({ user: me.username, role: me.role, err }, 'live client dropped: its data scope could not be read');
            socket.disconnect(true);
          },
        );
      listenToAny(socket, dispatch);
    });
  }

  /** A `/live` connection whose data scope is known: its role and user rooms, then `server:hello`. */
  private enterLive(socket: Socket, me: LiveSocketData, scope: DataScope): void {
    void this.joinLiveRooms(socket, [...roleRooms(me.role, scope), `user:${me.username}`]);
    socket.emit('server:hello', { protocol: PROTOCOL_VERSION, serverTs: Date.now(), role: me.role, username: me.username });
  }

  /**
   * Puts a `/live` socket of this node in `rooms`, with the string each room already has (RoomNames:
   * one copy of a room's name, not one per member).
   */
  joinLiveRooms(socket: Socket, rooms: readonly string[]): Promise<void> | void {
    return socket.join(rooms.map((room) => this.liveRooms.canonical(room)));
  }

  /**
   * More `/live` events on the shared dispatcher (contingency plans, area warnings): each behind the
   * guard and, when it names one, a budget of the connection — no listener per socket.
   */
  addLiveHandlers(handlers: readonly LiveHandler[]): void {
    for (const [event, budget, handler] of handlers) {
      if (this.liveListeners.has(event)) throw new Error(`/live event ${event} has a handler already`);
      this.liveListeners.set(
        event,
        this.guardedListener(
          'live',
          event,
          (s) => this.liveConnections.of(s),
          budget === null ? null : (c) => c[budget],
          handler,
          (c) => c.who,
        ),
      );
    }
  }

  /** The data scope of a `/live` socket of this node (read once per connection). */
  liveScope(socket: Socket): Promise<DataScope> {
    return this.liveConnections.scopeOf(socket);
  }

  /**
   * The `/live` dispatcher every socket shares (its `onAny` listener, called with the socket as
   * `this` before Socket.IO's own dispatch): one budget for every event of a connection, known or
   * not, checked before any handler — a client that keeps sending after `maxRefused` refusals in a
   * row is dropped — then the event's guarded listener, if it has one.
   */
  private liveDispatcher(
    listeners: ReadonlyMap<string, (this: Socket, payload: unknown, maybeAck: unknown) => void>,
    maxRefused: number,
  ): (this: Socket, event: string, ...args: unknown[]) => void {
    const connections = this.liveConnections;
    const log = this.deps.log;
    return function liveDispatch(this: Socket, event: string, ...args: unknown[]) {
      const c = connections.of(this);
      if (!c.events.take()) {
        c.refused++;
        const last = args[args.length - 1];
        if (typeof last === 'function') {
          try {
            (last as (r: unknown) => void)(failure(rateLimited('too many messages; slow down', c.events.retryAfterMs())));
          } catch {
            // the client is gone
          }
        }
        if (c.refused === maxRefused) {
          log.warn({ ...c.who, refused: c.refused }, 'connection dropped: it kept sending past its rate limit');
          this.disconnect(true);
        }
        return;
      }
      c.refused = 0;
      const listener = listeners.get(event);
      if (listener) listener.call(this, args[0], args[1]);
    };
  }

  // /device -------------------------------------------------------------------------------------

  private setupDevice(): void {
    const { verifier, fusion, log, guard, limits } = this.deps;
    this.device.use(
      this.guardedMiddleware('device:handshake', (socket, auth) => {
        const source = socketSource(socket);
        const blocked = guard.authBlocked('device', source);
        if (blocked) return blocked;
        const hs = safeValidate(DeviceHandshakeSchema, auth, 'handshake');
        if (!hs.ok) {
          guard.noteAuthFailure('device', source);
          return iocError('E_PROTOCOL', 'handshake needs { deviceId, token }');
        }
        if (!fusion.devices.has(hs.data.deviceId) || !verifier.verify(hs.data.deviceId, hs.data.token)) {
          guard.noteAuthFailure('device', source);
          return iocError('E_UNAUTHORIZED', 'unknown device or bad token');
        }
        socket.data = { deviceId: hs.data.deviceId, source };
        return null;
      }),
    );
    this.device.on('connection', (socket) => {
      slimHandshake(socket);
      const { deviceId, source } = socket.data as { deviceId: string; source: string };
      const who = { deviceId, source };
      this.throttleConnection(socket, limits.deviceEventRatePerS, limits.deviceEventBurst, limits.liveMaxRefusedEvents, who);
      socket.on('error', (err: unknown) => log.warn({ ...who, err }, 'device socket error'));
      // commands to this device are emitted to its room (the socket CommandChannel)
      void socket.join(deviceRoom(deviceId));
      this.onGuarded(
        socket,
        'device',
        'command:ack',
        null,
        async (payload) => {
          const p = safeValidate(DeviceCommandAckSchema, payload, 'command ack');
          if (!p.ok) return p;
          // the device is the socket's own (verified in the handshake), never one named in the payload
          await this.deviceControl?.acknowledge(deviceId, p.data);
          return { ok: true };
        },
        who,
      );
      this.onGuarded(
        socket,
        'device',
        'readings',
        null,
        async (payload) => {
          const p = safeValidate(IngestBatchSchema, payload, 'readings batch');
          if (!p.ok) return p;
          return { ok: true, ...(await this.ingest!.ingest(p.data.readings, source)) };
        },
        who,
      );
    });
  }

  connectedClients(): { live: number; device: number } {
    return { live: this.live.sockets.size, device: this.device.sockets.size };
  }
}
