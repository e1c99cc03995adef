/**
 * Socket.IO namespaces:
 * - `/live` for people: JWT verified in the handshake, every event validated and authorised by role.
 * - `/device` for gateways: per-device token in the handshake, readings acknowledged per batch.
 */
import type { Server as IoServer, Namespace, Socket } from 'socket.io';
import { DEVICE_CATALOGUE } from '../scenes/catalogue';
import type { Alert, Incident, Role, ScreenSceneId } from '../scenes/domain';
import {
  DeviceDetailRequestSchema,
  DeviceHandshakeSchema,
  HandlerPositionSchema,
  IncidentReadingsRequestSchema,
  IngestBatchSchema,
  LiveHandshakeSchema,
  PROTOCOL_VERSION,
  ReplayRequestSchema,
  SceneJoinSchema,
  SceneLeaveSchema,
  type DeviceDetail,
  type IocError,
  type SceneDeltaMessage,
} from '../scenes/protocol';
import type { SeriesWindow } from '../scenes/scene-model';
import type { TokenService } from './auth/tokens';
import type { UserService } from './auth/users';
import type { ChangeNotifier, CommandService } from './commands';
import type { DeviceTokenVerifier } from './device-token';
import { iocError, validationError } from './errors';
import type { Fusion } from './fusion';
import type { IngestService } from './ingest';
import type { Logger } from './logger';
import { sceneRoom, SceneHub, type SceneSink } from './scene-hub';
import { incidentReadings } from './incident-readings';
import type { Store } from './store/store';

interface LiveSocketData {
  username: string;
  role: Role;
  displayName: string;
}

export interface RealtimeDeps {
  io: IoServer;
  fusion: Fusion;
  store: Store;
  tokens: TokenService;
  users: UserService;
  verifier: DeviceTokenVerifier;
  log: Logger;
  coalesceIntervalMs: number;
  deltaHistoryPerScene: number;
  deltaHistoryMaxAgeMs: number;
  /** commands per second per socket before E_RATE_LIMIT */
  commandRatePerS: number;
  replayMaxEvents: number;
}

type Ack<T> = ((r: T) => void) | undefined;

function asAck<T>(maybe: unknown): Ack<T> {
  return typeof maybe === 'function' ? (maybe as (r: T) => void) : undefined;
}

function fail(error: IocError): { ok: false; error: IocError } {
  return { ok: false, error };
}

const CONNECT_ERROR = (e: IocError): Error => Object.assign(new Error(e.code), { data: e });

/** Small token bucket per socket: `ratePerS` events per second, bursting to the same number. */
class RateLimiter {
  private tokens: number;
  private last = Date.now();
  constructor(private readonly ratePerS: number) {
    this.tokens = ratePerS;
  }
  take(): boolean {
    const now = Date.now();
    this.tokens = Math.min(this.ratePerS, this.tokens + ((now - this.last) / 1000) * this.ratePerS);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

export class Realtime implements ChangeNotifier {
  readonly live: Namespace;
  readonly device: Namespace;
  readonly hub: SceneHub;
  private commands: CommandService | null = null;
  private ingest: IngestService | null = null;

  constructor(private readonly deps: RealtimeDeps) {
    this.live = deps.io.of('/live');
    this.device = deps.io.of('/device');
    const live = this.live;
    const sink: SceneSink = {
      watchers: (scene) => live.adapter.rooms.get(sceneRoom(scene))?.size ?? 0,
      emitDelta: (msg: SceneDeltaMessage) => live.to(sceneRoom(msg.scene)).emit('scene:delta', msg),
    };
    this.hub = new SceneHub(deps.fusion, sink, {
      coalesceIntervalMs: deps.coalesceIntervalMs,
      deltaHistoryPerScene: deps.deltaHistoryPerScene,
      deltaHistoryMaxAgeMs: deps.deltaHistoryMaxAgeMs,
    });
  }

  attach(commands: CommandService, ingest: IngestService): void {
    this.commands = commands;
    this.ingest = ingest;
    this.setupLive();
    this.setupDevice();
    this.hub.start();
  }

  stop(): void {
    this.hub.stop();
  }

  // ChangeNotifier ------------------------------------------------------------------------------

  alertChanged(alert: Alert): void {
    this.hub.flushSoon([alert.scene, 'overview']);
  }

  incidentChanged(incident: Incident, previousAssignees: readonly string[]): void {
    // the emergency desk sees every incident
    this.hub.flushSoon([incident.scene, 'overview', 'emergency']);
    const rooms = ['role:officer', 'role:leader', 'role:admin', ...new Set([...incident.assignees, ...previousAssignees])].map((r) =>
      r.startsWith('role:') ? r : `user:${r}`,
    );
    this.live.to(rooms).emit('incident:update', incident);
  }

  // /live ---------------------------------------------------------------------------------------

  private setupLive(): void {
    const { tokens, users, fusion, store, log } = this.deps;
    this.live.use(async (socket, next) => {
      const hs = LiveHandshakeSchema.safeParse(socket.handshake.auth);
      if (!hs.success) return next(CONNECT_ERROR(iocError('E_PROTOCOL', `handshake needs { token, protocol: ${PROTOCOL_VERSION} }`)));
      const claims = await tokens.verify(hs.data.token);
      if (!claims) return next(CONNECT_ERROR(iocError('E_UNAUTHORIZED', 'session token invalid or expired; log in again')));
      if (!(await users.isActive(claims.username))) return next(CONNECT_ERROR(iocError('E_UNAUTHORIZED', 'account disabled or removed')));
      (socket.data as LiveSocketData) = { username: claims.username, role: claims.role, displayName: claims.displayName };
      next();
    });

    this.live.on('connection', (socket: Socket) => {
      const me = socket.data as LiveSocketData;
      const limiter = new RateLimiter(this.deps.commandRatePerS);
      void socket.join([`role:${me.role}`, `user:${me.username}`]);
      socket.emit('server:hello', { protocol: PROTOCOL_VERSION, serverTs: Date.now(), role: me.role, username: me.username });

      const guard = (event: string, handler: (payload: unknown, ack: Ack<unknown>) => void | Promise<void>) => {
        socket.on(event, (payload: unknown, maybeAck: unknown) => {
          const ack = asAck<unknown>(maybeAck);
          Promise.resolve()
            .then(() => handler(payload, ack))
            .catch((err: unknown) => {
              log.error({ err, event, user: me.username }, 'live event failed');
              ack?.(fail(iocError('E_INTERNAL', 'internal error')));
            });
        });
      };

      guard('scene:join', (payload, ack) => {
        const p = SceneJoinSchema.safeParse(payload);
        if (!p.success) return ack?.(fail(validationError(p.error, 'scene:join')));
        // answer first, then enter the room: a frame emitted while answering is in the answer
        const answer = this.hub.join(p.data.scene, p.data.sinceRev);
        void socket.join(sceneRoom(p.data.scene));
        ack?.(answer);
      });

      guard('scene:leave', (payload) => {
        const p = SceneLeaveSchema.safeParse(payload);
        if (p.success) void socket.leave(sceneRoom(p.data.scene));
      });

      guard('command', async (payload, ack) => {
        if (!limiter.take()) return ack?.(fail(iocError('E_RATE_LIMIT', 'too many commands; slow down')));
        const result = await this.commands!.execute(payload, { username: me.username, role: me.role });
        ack?.(result);
      });

      guard('device:detail', (payload, ack) => {
        const p = DeviceDetailRequestSchema.safeParse(payload);
        if (!p.success) return ack?.(fail(validationError(p.error, 'device:detail')));
        const device = fusion.devices.get(p.data.deviceId);
        if (!device) return ack?.(fail(iocError('E_NOT_FOUND', `no device ${p.data.deviceId}`)));
        const series: Record<string, SeriesWindow> = {};
        for (const m of DEVICE_CATALOGUE[device.kind].metrics) {
          const w = fusion.seriesOf(device.id, m.name);
          if (w) series[m.name] = w;
        }
        const detail: DeviceDetail = {
          device,
          state: fusion.deviceStates.get(device.id) ?? null,
          series,
          rules: fusion.rulesFor(device.kind),
          alerts: fusion.openAlertsOf(device.id),
        };
        ack?.({ ok: true, detail });
      });

      guard('handler:position', (payload, ack) => {
        if (me.role !== 'handler') return ack?.(fail(iocError('E_FORBIDDEN', 'only field handlers report positions')));
        const p = HandlerPositionSchema.safeParse(payload);
        if (!p.success) return ack?.(fail(validationError(p.error, 'handler:position')));
        const ok = fusion.updateHandlerPosition(me.username, p.data.location, Date.now(), p.data.simulated === true);
        if (!ok) return ack?.(fail(iocError('E_NOT_FOUND', `no handler profile for ${me.username}`)));
        ack?.(ok === 'ignored' ? { ok: true, ignored: true } : { ok: true });
      });

      guard('replay:range', async (payload, ack) => {
        const p = ReplayRequestSchema.safeParse(payload);
        if (!p.success) return ack?.(fail(validationError(p.error, 'replay:range')));
        if (p.data.toTs < p.data.fromTs) return ack?.(fail(iocError('E_VALIDATION', 'toTs must not be before fromTs')));
        const events = await store.readEvents(p.data.fromTs, p.data.toTs, this.deps.replayMaxEvents);
        const scene: ScreenSceneId = p.data.scene;
        ack?.({ ok: true, events: scene === 'overview' ? events : events.filter((e) => e.scene === scene) });
      });

      guard('incident:readings', async (payload, ack) => {
        const p = IncidentReadingsRequestSchema.safeParse(payload);
        if (!p.success) return ack?.(fail(validationError(p.error, 'incident:readings')));
        const incident = fusion.incidents.get(p.data.incidentId) ?? (await store.getIncident(p.data.incidentId));
        if (!incident) return ack?.(fail(iocError('E_NOT_FOUND', `no incident ${p.data.incidentId}`)));
        if (me.role === 'handler' && !incident.assignees.includes(me.username) && incident.reportedBy !== me.username) {
          return ack?.(fail(iocError('E_FORBIDDEN', 'not your incident')));
        }
        ack?.({ ok: true, readings: await incidentReadings(incident, fusion, store, Date.now()) });
      });

      guard('incidents:list', (_payload, ack) => {
        const all = [...fusion.incidents.values()];
        const mine = me.role === 'handler' ? all.filter((i) => i.assignees.includes(me.username) || i.reportedBy === me.username) : all;
        ack?.({ ok: true, incidents: mine });
      });
    });
  }

  // /device -------------------------------------------------------------------------------------

  private setupDevice(): void {
    const { verifier, fusion, log } = this.deps;
    this.device.use((socket, next) => {
      const hs = DeviceHandshakeSchema.safeParse(socket.handshake.auth);
      if (!hs.success) return next(CONNECT_ERROR(iocError('E_PROTOCOL', 'handshake needs { deviceId, token }')));
      if (!fusion.devices.has(hs.data.deviceId) || !verifier.verify(hs.data.deviceId, hs.data.token)) {
        return next(CONNECT_ERROR(iocError('E_UNAUTHORIZED', 'unknown device or bad token')));
      }
      socket.data = { deviceId: hs.data.deviceId };
      next();
    });
    this.device.on('connection', (socket) => {
      socket.on('readings', (payload: unknown, maybeAck: unknown) => {
        const ack = asAck<unknown>(maybeAck);
        const p = IngestBatchSchema.safeParse(payload);
        if (!p.success) return ack?.(fail(validationError(p.error, 'readings batch')));
        this.ingest!.ingest(p.data.readings)
          .then((r) => ack?.({ ok: true, ...r }))
          .catch((err: unknown) => {
            log.error({ err }, 'device ingest failed');
            ack?.(fail(iocError('E_INTERNAL', 'store unavailable; retry the batch')));
          });
      });
    });
  }

  connectedClients(): { live: number; device: number } {
    return { live: this.live.sockets.size, device: this.device.sockets.size };
  }
}
