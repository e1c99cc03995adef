/**
 * What each `/live` event does (the people's namespace, server/realtime.ts): one handler per
 * event, shared by every connection — `realtime.ts` registers one listener per event for all
 * sockets (issue 15: heap per connection) and finds the socket's `LiveConnection` for it. Every
 * handler validates its payload, checks role and data scope, and answers a typed result.
 */
import type { Socket } from 'socket.io';
import type { IncomingHttpHeaders } from 'node:http';
import { DEVICE_CATALOGUE } from '../scenes/catalogue';
import type { DistrictCode, Role, ScreenSceneId } from '../scenes/domain';
import { narrowScopeToDistrict } from '../scenes/drill-scope';
import { eventInScope, incidentInScope, placeInScope, type DataScope } from '../scenes/scope';
import {
  DeviceCommandsRequestSchema,
  DeviceDetailRequestSchema,
  HandlerPositionSchema,
  IncidentReadingsRequestSchema,
  ReplayRequestSchema,
  SceneJoinSchema,
  SceneLeaveSchema,
  type DeviceDetail,
} from '../scenes/protocol';
import type { SeriesWindow } from '../scenes/scene-model';
import { failure, rateLimited, safeValidate, sourceOf, type TokenBucket } from './guard';
import { readReplayPage } from './replay-page';
import type { CommandService } from './commands';
import { iocError } from './errors';
import { userAgentOf } from './audit/audit-request';
import { sceneRoom, type SceneHub } from './scene-hub';
import { incidentReadings } from './incident-readings';
import type { DeviceCommandService } from './device-control/device-command-service';
import type { LiveSocketData, RealtimeDeps } from './realtime';

/** One `/live` connection as its handlers see it (kept beside the socket, not in `socket.data`, which adapters serialise). */
export interface LiveConnection {
  socket: Socket;
  me: LiveSocketData;
  who: { user: string; role: Role };
  /** the user's data scope, read in the handshake (or now, for a recovered connection) */
  scopeReady: Promise<DataScope>;
  joins: TokenBucket;
  queries: TokenBucket;
  replays: TokenBucket;
}

/** A `/live` event: its name, the connection's budget it takes first (or none), and what it answers. */
export type LiveHandler = readonly [
  event: string,
  budget: 'joins' | 'queries' | 'replays' | null,
  handler: (c: LiveConnection, payload: unknown) => unknown,
];

/** Commands a device's recent list answers when the request names no limit. */
const DEVICE_COMMANDS_DEFAULT_LIMIT = 20;

/** The source address of a socket's connection (X-Forwarded-For only from a trusted proxy: guard.sourceOf). */
export function socketSource(socket: Socket): string {
  return sourceOf(socket.handshake.address, (socket.handshake.headers as IncomingHttpHeaders)['x-forwarded-for']);
}

export interface LiveHandlerDeps extends Pick<RealtimeDeps, 'users' | 'fusion' | 'store' | 'guard' | 'limits' | 'audit' | 'log'> {
  hub: SceneHub;
  /** set once the server is wired (Realtime.attach) */
  commands(): CommandService | null;
  /** remote control, when the server offers it (Realtime.useDeviceControl) */
  deviceControl(): DeviceCommandService | null;
  /** re-checks a socket's session and cuts it when it no longer stands */
  recheckSocket(socket: Socket): Promise<void>;
  /** puts a socket in rooms (Realtime.joinLiveRooms: one string per room name) */
  joinRooms(socket: Socket, rooms: readonly string[]): Promise<void> | void;
}

/** handlers see their own incidents only: no scene models, no event log (least privilege) */
function forbidHandler(d: LiveHandlerDeps, c: LiveConnection, what: string) {
  const { me } = c;
  if (me.role !== 'handler') return null;
  const denied = iocError('E_FORBIDDEN', `field handlers may not use ${what}; their tasks come with incidents:list`);
  d.audit
    ?.record({
      actor: me.username,
      role: me.role,
      source: socketSource(c.socket),
      userAgent: userAgentOf(c.socket.handshake.headers['user-agent']),
      action: 'access.denied',
      target: `live:${what}`,
      outcome: 'denied',
      reason: denied.code,
    })
    .catch((err: unknown) => d.log.warn({ ...c.who, err }, 'audit of a permission denial failed'));
  return failure(denied);
}

/**
 * A drill-down into a district outside the viewer's scope: refused with E_FORBIDDEN, and audited
 * (`live:<event>:<scene>@<district>`).
 */
function refuseDrill(d: LiveHandlerDeps, c: LiveConnection, event: 'scene:join' | 'replay:range', scene: ScreenSceneId, district: DistrictCode) {
  const { me } = c;
  const denied = iocError('E_FORBIDDEN', `district ${district} is outside your data scope`);
  d.audit
    ?.record({
      actor: me.username,
      role: me.role,
      source: socketSource(c.socket),
      userAgent: userAgentOf(c.socket.handshake.headers['user-agent']),
      action: 'access.denied',
      target: `live:${event}:${scene}@${district}`,
      outcome: 'denied',
      reason: denied.code,
    })
    .catch((err: unknown) => d.log.warn({ ...c.who, err }, 'audit of a permission denial failed'));
  return failure(denied);
}

/** What each `/live` event does for the connection `c`; the budget named is taken first (guardedListener). */
export function liveHandlers(d: LiveHandlerDeps): LiveHandler[] {
  const { users, fusion, store, guard, limits } = d;
  return [
    [
      'scene:join',
      'joins',
      async (c, payload) => {
        const refused = forbidHandler(d, c, 'scene:join');
        if (refused) return refused;
        const p = safeValidate(SceneJoinSchema, payload, 'scene:join');
        if (!p.ok) return p;
        const { scene, sinceRev, district } = p.data;
        // a drill-down narrows the viewer's own scope (issue 17): never beyond the districts they may see
        const drilled = narrowScopeToDistrict(await c.scopeReady, district);
        if (!drilled.ok) return refuseDrill(d, c, 'scene:join', scene, district!);
        // answer first, then enter the room: a frame emitted while answering is in the answer
        const answer = d.hub.join(scene, sinceRev, drilled.scope, district);
        void d.joinRooms(c.socket, [sceneRoom(scene, drilled.scope, district)]);
        return answer;
      },
    ],

    [
      'scene:leave',
      null,
      async (c, payload) => {
        const p = safeValidate(SceneLeaveSchema, payload, 'scene:leave');
        if (!p.ok) return undefined;
        const drilled = narrowScopeToDistrict(await c.scopeReady, p.data.district);
        if (drilled.ok) void c.socket.leave(sceneRoom(p.data.scene, drilled.scope, p.data.district));
        return undefined;
      },
    ],

    [
      'command',
      null,
      async (c, payload) => {
        const limited = guard.takeCommand(c.me.username);
        if (limited) return failure(limited);
        // a command acts: its session must still stand at this moment, not only at the handshake
        const revoked = await users.sessionRefusal({ username: c.me.username, role: c.me.role, displayName: c.me.displayName, sid: c.me.sid });
        if (revoked) {
          // after the answer is on its way: then cut the c.socket
          setImmediate(() => void d.recheckSocket(c.socket));
          return failure(revoked);
        }
        // validated (a payload that makes zod throw is E_VALIDATION) and audited by the service, refused ones too
        return d
          .commands()!
          .execute(
            payload,
            { username: c.me.username, role: c.me.role },
            { source: socketSource(c.socket), userAgent: userAgentOf(c.socket.handshake.headers['user-agent']) },
          );
      },
    ],

    [
      'device:detail',
      'queries',
      async (c, payload) => {
        const p = safeValidate(DeviceDetailRequestSchema, payload, 'device:detail');
        if (!p.ok) return p;
        const device = fusion.devices.get(p.data.deviceId);
        if (!device) return failure(iocError('E_NOT_FOUND', `no device ${p.data.deviceId}`));
        if (!placeInScope(await c.scopeReady, device)) return failure(iocError('E_FORBIDDEN', `device ${device.id} is outside your data scope`));
        const series: Record<string, SeriesWindow> = {};
        for (const m of DEVICE_CATALOGUE[device.kind].metrics) {
          const w = fusion.seriesOf(device.id, m.name);
          if (w) series[m.name] = w;
        }
        const detail: DeviceDetail = {
          device,
          state: fusion.deviceStates.get(device.id) ?? null,
          series,
          rules: [...fusion.rulesOf(device.id)],
          alerts: fusion.openAlertsOf(device.id),
        };
        return { ok: true, detail };
      },
    ],

    [
      'handler:position',
      null,
      (c, payload) => {
        if (c.me.role !== 'handler') return failure(iocError('E_FORBIDDEN', 'only field handlers report positions'));
        const p = safeValidate(HandlerPositionSchema, payload, 'handler:position');
        if (!p.ok) return p;
        const ok = fusion.updateHandlerPosition(c.me.username, p.data.location, Date.now(), p.data.simulated === true);
        if (!ok) return failure(iocError('E_NOT_FOUND', `no handler profile for ${c.me.username}`));
        return ok === 'ignored' ? { ok: true, ignored: true } : { ok: true };
      },
    ],

    [
      'replay:range',
      'replays',
      async (c, payload) => {
        const refused = forbidHandler(d, c, 'replay:range');
        if (refused) return refused;
        const p = safeValidate(ReplayRequestSchema, payload, 'replay:range');
        if (!p.ok) return p;
        const { scene, district } = p.data;
        // a drilled wall replays its district: the viewer's scope narrowed to it, as scene:join does
        const drilled = narrowScopeToDistrict(await c.scopeReady, district);
        if (!drilled.ok) return refuseDrill(d, c, 'replay:range', scene, district!);
        const scope = drilled.scope;
        const release = guard.beginReplay(c.me.username);
        if (!release)
          return failure(rateLimited('a replay is already running for this account; wait for its answer', limits.liveBufferCheckIntervalMs));
        try {
          return await readReplayPage(
            store,
            { scene: scene === 'overview' ? null : scene, fromTs: p.data.fromTs, toTs: p.data.toTs, cursor: p.data.cursor },
            limits,
            (e) => eventInScope(scope, e),
          );
        } finally {
          release();
        }
      },
    ],

    [
      'incident:readings',
      'queries',
      async (c, payload) => {
        const p = safeValidate(IncidentReadingsRequestSchema, payload, 'incident:readings');
        if (!p.ok) return p;
        const incident = fusion.incidents.get(p.data.incidentId) ?? (await store.getIncident(p.data.incidentId));
        if (!incident) return failure(iocError('E_NOT_FOUND', `no incident ${p.data.incidentId}`));
        if (!incidentInScope(await c.scopeReady, incident)) return failure(iocError('E_FORBIDDEN', 'not your incident'));
        return { ok: true, readings: await incidentReadings(incident, fusion, store, Date.now()) };
      },
    ],

    [
      'incidents:list',
      'queries',
      async (c) => {
        const scope = await c.scopeReady;
        const all = [...fusion.incidents.values()];
        return { ok: true, incidents: all.filter((i) => incidentInScope(scope, i)) };
      },
    ],

    // remote control (issue 13): role, scope, idempotency and audit are the service's
    [
      'device:command',
      null,
      async (c, payload) => {
        const control = d.deviceControl();
        if (!control) return failure(iocError('E_UNAVAILABLE', 'remote control is not available on this server'));
        const limited = guard.takeCommand(c.me.username);
        if (limited) return failure(limited);
        // a command acts: its session must still stand at this moment, not only at the handshake
        const revoked = await users.sessionRefusal({ username: c.me.username, role: c.me.role, displayName: c.me.displayName, sid: c.me.sid });
        if (revoked) {
          setImmediate(() => void d.recheckSocket(c.socket));
          return failure(revoked);
        }
        return control.send({ username: c.me.username, role: c.me.role }, payload, {
          source: socketSource(c.socket),
          userAgent: userAgentOf(c.socket.handshake.headers['user-agent']),
        });
      },
    ],

    [
      'device:commands',
      'queries',
      async (c, payload) => {
        const refused = forbidHandler(d, c, 'device:commands');
        if (refused) return refused;
        const control = d.deviceControl();
        if (!control) return failure(iocError('E_UNAVAILABLE', 'remote control is not available on this server'));
        const p = safeValidate(DeviceCommandsRequestSchema, payload, 'device:commands');
        if (!p.ok) return p;
        return control.list({ username: c.me.username, role: c.me.role }, p.data.deviceId, p.data.limit ?? DEVICE_COMMANDS_DEFAULT_LIMIT);
      },
    ],
  ];
}
