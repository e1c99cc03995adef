/**
 * The City IOC wire protocol, both directions, in one module.
 *
 * - Devices (or gateways) send readings to `POST /api/ingest` or the Socket.IO `/device` namespace.
 * - People (screens, officers, handlers, leaders, admins) use the Socket.IO `/live` namespace.
 *
 * Every inbound message is validated with these schemas at the server boundary; the client
 * validates envelopes of what it receives. Types are derived from the schemas.
 */
import { z } from 'zod';
import {
  IdSchema,
  LngLatSchema,
  PrioritySchema,
  ReadingSchema,
  SceneIdSchema,
  ScreenSceneIdSchema,
  DistrictCodeSchema,
  RoleSchema,
  ResolutionCategorySchema,
  UnresolvedOutcomeSchema,
} from './domain';
import type { UnresolvedOutcome } from './domain';
import type {
  Alert,
  AlertLevel,
  Device,
  DeviceKind,
  DeviceState,
  DistrictCode,
  Handler,
  HandlerStatus,
  Incident,
  IncidentTransition,
  Reading,
  Role,
  Rule,
  SceneId,
} from './domain';
import type { SceneDelta, SceneModel, SeriesWindow } from './scene-model';
import type { DeviceCommandMessage, DeviceCommandRecord } from './device-commands';
import type { PlansMessage } from './plans/plan-protocol';
import { DispatchImpactSchema } from './impact/dispatch-impact';

/** Bumped on any incompatible change; client and device send it in the handshake. */
export const PROTOCOL_VERSION = 1;

// ---------------------------------------------------------------------------------------------
// Errors

export const ERROR_CODES = [
  'E_VALIDATION',
  'E_UNAUTHORIZED',
  'E_FORBIDDEN',
  'E_CONFLICT',
  'E_NOT_FOUND',
  'E_RATE_LIMIT',
  'E_LOCKED',
  'E_PROTOCOL',
  'E_PAYLOAD_TOO_LARGE',
  'E_INTERNAL',
  'E_UNAVAILABLE',
  'E_QUOTA',
  /** the session may only change its password (`POST /api/auth/password`) until it does */
  'E_PASSWORD_CHANGE_REQUIRED',
  /** the account must sign in with a second factor and has none: the session may only enrol (`/api/auth/mfa/*`) */
  'E_MFA_REQUIRED',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** Errors are values: a stable code (tests assert it) and a human message (the client shows it). */
export interface IocError {
  code: ErrorCode;
  message: string;
  /** e.g. zod issues, or the current incident on E_CONFLICT */
  details?: unknown;
}

export type Result<T> = ({ ok: true } & T) | { ok: false; error: IocError };

// ---------------------------------------------------------------------------------------------
// Device protocol

/** a device token's length bounds (also read by reading-fast-path.ts) */
export const DEVICE_TOKEN_MIN_LENGTH = 16;
export const DEVICE_TOKEN_MAX_LENGTH = 128;

/** A reading as sent by a device or gateway: the reading plus that device's token. */
export const SignedReadingSchema = ReadingSchema.extend({
  /** per-device token (see README, "Device protocol") */
  token: z.string().min(DEVICE_TOKEN_MIN_LENGTH).max(DEVICE_TOKEN_MAX_LENGTH),
});
export type SignedReading = z.infer<typeof SignedReadingSchema>;

/** Body of `POST /api/ingest` and payload of the `/device` `readings` event. */
export const IngestBatchSchema = z.object({
  readings: z.array(z.unknown()).min(1).max(5000),
});
export type IngestBatch = { readings: SignedReading[] };

/** Per-reading outcome; the batch is accepted reading by reading, never all-or-nothing. */
export interface IngestResult {
  accepted: number;
  duplicates: number;
  /** readings older than the newest one seen for their device: stored, but do not move state back */
  outOfOrder: number;
  rejected: { index: number; code: ErrorCode; message: string }[];
  /** accepted readings the store could not take right now: kept and written when it answers again */
  deferred?: number;
}

/** Handshake auth of the `/device` namespace: the connecting gateway proves one device identity. */
export const DeviceHandshakeSchema = z.object({
  deviceId: IdSchema,
  token: z.string().min(16).max(128),
  protocol: z.literal(PROTOCOL_VERSION).optional(),
});

// ---------------------------------------------------------------------------------------------
// People: auth

export const LoginRequestSchema = z.object({
  username: z.string().min(1).max(64),
  password: z.string().min(1).max(256),
});
export interface LoginResponse {
  token: string;
  role: Role;
  username: string;
  displayName: string;
  /** epoch ms: end of this access token (short-lived; renew it with `refreshToken`) */
  expiresAt: number;
  /** the session this login opened (GET /api/auth/sessions marks it `current`) */
  sessionId?: string;
  /**
   * opaque, single use: POST /api/auth/refresh { refreshToken } answers a new access token and a new
   * refresh token. Absent for sessions that may not be renewed (password-change-only, kiosk).
   */
  refreshToken?: string;
  /** epoch ms: the session's absolute end (no refresh after it) */
  refreshExpiresAt?: number;
  /** ms without use after which the session ends (the refresh is refused); console sessions */
  idleTimeoutMs?: number;
  /**
   * true: the account's password was set by someone else (bootstrap, admin); this session may
   * only change it (`POST /api/auth/password`), every other route answers E_PASSWORD_CHANGE_REQUIRED
   */
  mustChangePassword?: boolean;
  /** with mustChangePassword: why — `expired` when the password is older than the maximum age */
  passwordChangeReason?: 'set_by_other' | 'expired';
  /**
   * true: the account's role must sign in with a second factor and it has none yet; this session
   * may only enrol (`/api/auth/mfa/*`), every other route answers E_MFA_REQUIRED
   */
  mfaEnrolRequired?: boolean;
}

/**
 * Answer of `POST /api/auth/login` when the password was right and the account has TOTP: no
 * session yet; send a code (or a recovery code) with `mfaToken` to `POST /api/auth/login/mfa`.
 */
export interface MfaChallengeResponse {
  mfaRequired: true;
  mfaToken: string;
  /** epoch ms after which the token is refused */
  expiresAt: number;
}

/** One 6-digit TOTP code. */
const TotpCodeSchema = z.string().regex(/^[0-9]{6}$/, 'code: 6 digits');

/** The second factor of a request: a 6-digit code or a recovery code, exactly one of them (`refine(...oneSecondFactor)`). */
const SecondFactorFields = { code: TotpCodeSchema.optional(), recoveryCode: z.string().min(8).max(32).optional() };
const oneSecondFactor = [
  (b: { code?: string; recoveryCode?: string }) => (b.code === undefined) !== (b.recoveryCode === undefined),
  'send either code or recoveryCode',
] as const;

/** Body of `POST /api/auth/login/mfa`: the challenge and one 6-digit code or one recovery code. */
export const MfaLoginRequestSchema = z.object({ mfaToken: z.string().min(16).max(128), ...SecondFactorFields }).refine(...oneSecondFactor);

/** Body of `POST /api/auth/mfa/confirm`. */
export const MfaConfirmRequestSchema = z.object({ code: TotpCodeSchema });
/** Body of `POST /api/auth/mfa/disable`: the password and a current code (or a recovery code). */
export const MfaDisableRequestSchema = z.object({ password: z.string().min(1).max(256), ...SecondFactorFields }).refine(...oneSecondFactor);

/** Answer of `POST /api/auth/mfa/setup`: the pending secret, as text, URI and QR code (SVG). */
export interface MfaSetupResponse {
  secret: string;
  otpauthUri: string;
  /** an SVG document (show it as `data:image/svg+xml;base64,…`) */
  qrSvg: string;
}

/** Answer of `POST /api/auth/mfa/confirm`: the recovery codes, shown once, and a fresh session. */
export interface MfaConfirmResponse {
  recoveryCodes: string[];
  session: LoginResponse;
}

/** Answer of `GET /api/auth/mfa`. */
export interface MfaStatus {
  enabled: boolean;
  /** an enrolment waits for its first code */
  pending: boolean;
  /** the account's role must use it */
  required: boolean;
  recoveryCodesLeft: number;
}

/**
 * What an admin sees of a user (GET /api/users, create and update answers): never a credential —
 * no password hash or history, no TOTP secret (not even sealed), no recovery code hashes, no
 * pending enrolment; of the second factor only whether it is on.
 */
export interface PublicUser {
  username: string;
  displayName: string;
  role: Role;
  disabled: boolean;
  /** failed logins since the last success (the former account-wide lock; no longer counted by login) */
  failedLogins: number;
  /** epoch ms until which login was refused by the former lock (0 = not locked) */
  lockedUntil: number;
  team?: string;
  skills?: string[];
  /** officers and leaders: the districts they are limited to (absent or empty = the whole city) */
  districts?: DistrictCode[];
  /** epoch ms */
  createdTs: number;
  /** epoch ms the current password was set (absent: at creation) */
  passwordChangedTs?: number;
  mustChangePassword?: boolean;
  demo?: boolean;
  /** the second factor (TOTP) is on */
  mfaEnabled: boolean;
}

/** Body of `POST /api/auth/password`. */
export const PasswordChangeRequestSchema = z.object({
  currentPassword: z.string().min(1).max(256),
  newPassword: z.string().min(1).max(256),
});
export type PasswordChangeRequest = z.infer<typeof PasswordChangeRequestSchema>;

/** POST /api/auth/refresh: the current refresh token (spent by this call; the answer carries the next). */
export const RefreshRequestSchema = z.object({
  refreshToken: z.string().min(16).max(256),
});

export const LiveHandshakeSchema = z.object({
  token: z.string().min(10).max(4096),
  protocol: z.literal(PROTOCOL_VERSION),
});

// ---------------------------------------------------------------------------------------------
// People: commands (client → server, acknowledged)

const commandBase = {
  /** idempotency key: the same id is never applied twice */
  commandId: z
    .string()
    .min(8)
    .max(64)
    .regex(/^[A-Za-z0-9_-]+$/),
};
const incidentBase = {
  ...commandBase,
  incidentId: IdSchema,
  /** compare-and-set: reject with E_CONFLICT unless the incident is at this version */
  expectedVersion: z.number().int().gte(0).optional(),
  note: z.string().max(2000).optional(),
};
const assigneesSchema = z.array(IdSchema).min(1).max(10);
/** issue 17 (随派单发送): the impact range and assigned resources, display only, kept on the history entry */
const dispatchImpactField = { impact: DispatchImpactSchema.optional() };

export const CommandSchema = z.discriminatedUnion('type', [
  z.object({ ...commandBase, type: z.literal('alert.ack'), alertId: z.string().min(1).max(200) }),
  z.object({
    ...commandBase,
    type: z.literal('incident.create'),
    title: z.string().min(1).max(200),
    category: z.string().min(1).max(40),
    scene: SceneIdSchema,
    location: LngLatSchema,
    district: DistrictCodeSchema.optional(),
    priority: PrioritySchema,
    note: z.string().max(2000).optional(),
    alertIds: z.array(z.string().min(1).max(200)).max(50).optional(),
    photos: z.array(IdSchema).max(3).optional(),
  }),
  z.object({ ...incidentBase, type: z.literal('incident.dispatch'), assignees: assigneesSchema, ...dispatchImpactField }),
  z.object({ ...incidentBase, type: z.literal('incident.accept') }),
  z.object({ ...incidentBase, type: z.literal('incident.reject'), note: z.string().min(1).max(2000) }),
  z.object({ ...incidentBase, type: z.literal('incident.en_route') }),
  z.object({ ...incidentBase, type: z.literal('incident.arrive'), location: LngLatSchema.optional() }),
  z.object({ ...incidentBase, type: z.literal('incident.resolve'), note: z.string().min(1).max(2000), photos: z.array(IdSchema).max(3).optional() }),
  z.object({
    ...incidentBase,
    type: z.literal('incident.close'),
    /** after-action (事件总结): resolution category and a short summary */
    resolutionCategory: ResolutionCategorySchema.optional(),
    summary: z.string().max(1000).optional(),
  }),
  z.object({ ...incidentBase, type: z.literal('incident.reopen'), note: z.string().min(1).max(2000) }),
  z.object({ ...incidentBase, type: z.literal('incident.reassign'), assignees: assigneesSchema, ...dispatchImpactField }),
  z.object({ ...incidentBase, type: z.literal('incident.escalate'), note: z.string().min(1).max(2000) }),
  z.object({ ...incidentBase, type: z.literal('incident.approve_escalation') }),
  z.object({ ...incidentBase, type: z.literal('incident.return_escalation'), note: z.string().min(1).max(2000) }),
  z.object({ ...incidentBase, type: z.literal('incident.note'), note: z.string().min(1).max(2000) }),
  /** attach an alert to an existing incident (the officer decided it is the same event) */
  z.object({ ...incidentBase, type: z.literal('incident.link_alert'), alertId: z.string().min(1).max(200) }),
  // issue 14: storm operations
  /** close from reported/dispatched without resolving: false alarm, duplicate or cancelled, reason mandatory */
  z.object({ ...incidentBase, type: z.literal('incident.close_unresolved'), outcome: UnresolvedOutcomeSchema, reason: z.string().min(1).max(500) }),
  /** merge `sourceIncidentId` into `incidentId` (the survivor); the source closes as duplicate */
  z.object({ ...incidentBase, type: z.literal('incident.merge'), sourceIncidentId: IdSchema }),
  /** split one linked alert out into a new incident of its own */
  z.object({ ...incidentBase, type: z.literal('incident.split'), alertId: z.string().min(1).max(200) }),
  /** 督办 by a leader: note and a future deadline (epoch ms) */
  z.object({ ...incidentBase, type: z.literal('incident.supervise'), note: z.string().min(1).max(2000), deadlineTs: z.number().int().gte(0) }),
  /**
   * acknowledge every recovered, unacknowledged alert matching the filter (scene and/or district,
   * or explicit ids), one audit record per alert; at least one filter field is required
   */
  z.object({
    ...commandBase,
    type: z.literal('alert.ack_bulk'),
    scene: SceneIdSchema.optional(),
    district: DistrictCodeSchema.optional(),
    alertIds: z.array(z.string().min(1).max(200)).max(500).optional(),
  }),
]);
export type Command = z.infer<typeof CommandSchema>;
export type CommandType = Command['type'];

export type CommandResult =
  | {
      ok: true;
      commandId: string;
      duplicate: boolean;
      incident?: Incident;
      alert?: Alert;
      /** other incidents the command changed (merge: the source; split: the new incident) */
      incidents?: Incident[];
      /** alert.ack_bulk: the alerts it acknowledged */
      alerts?: Alert[];
    }
  | { ok: false; commandId?: string; error: IocError };

// ---------------------------------------------------------------------------------------------
// People: scene subscription

export const SceneJoinSchema = z.object({
  scene: ScreenSceneIdSchema,
  /** last revision the client applied; the server answers with the missed deltas when it still has them */
  sinceRev: z.number().int().gte(0).optional(),
  /**
   * District drill-down (issue 17): the scene as seen in this district only — the viewer's scope
   * narrowed to it on the server. A district outside the viewer's scope is refused (E_FORBIDDEN).
   * Revisions count per (scene, district) view: `sinceRev` names a revision of the same view.
   */
  district: DistrictCodeSchema.optional(),
});
export type SceneJoin = z.infer<typeof SceneJoinSchema>;

/** Leaves a view joined with `scene:join` (the same `district`, or none for the city view). */
export const SceneLeaveSchema = z.object({ scene: ScreenSceneIdSchema, district: DistrictCodeSchema.optional() });

/**
 * One ordered change of a scene. `rev` > `prevRev` (the step is the server's revision lane count,
 * 1 on a single node); a client whose revision is not `prevRev` sees a gap and re-joins.
 */
export interface SceneDeltaMessage {
  scene: z.infer<typeof ScreenSceneIdSchema>;
  /** the drilled district of the view this delta belongs to; absent = the viewer's whole scope */
  district?: DistrictCode;
  rev: number;
  prevRev: number;
  delta: SceneDelta;
}

export interface SceneSnapshotMessage {
  scene: z.infer<typeof ScreenSceneIdSchema>;
  /** the drilled district of the view; absent = the viewer's whole scope */
  district?: DistrictCode;
  rev: number;
  model: SceneModel;
}

export type SceneJoinResult =
  | { ok: true; mode: 'snapshot'; snapshot: SceneSnapshotMessage }
  | { ok: true; mode: 'deltas'; deltas: SceneDeltaMessage[] }
  | { ok: false; error: IocError };

export const DeviceDetailRequestSchema = z.object({ deviceId: IdSchema });

/** Most device commands answered by one `device:commands` request (the store keeps 50 per device). */
export const DEVICE_COMMANDS_PAGE_MAX = 50;
/** `device:commands` on `/live` and `GET /api/devices/:id/commands`: a device's latest commands, newest first. */
export const DeviceCommandsRequestSchema = z.strictObject({
  deviceId: IdSchema,
  limit: z.number().int().min(1).max(DEVICE_COMMANDS_PAGE_MAX).optional(),
});
export interface DeviceDetail {
  device: Device;
  state: DeviceState | null;
  /** metric → rolling window */
  series: Record<string, SeriesWindow>;
  rules: Rule[];
  alerts: Alert[];
}

export const HandlerPositionSchema = z.object({
  location: LngLatSchema,
  /** m */
  accuracyM: z.number().gte(0).lte(100000).optional(),
  /** epoch ms on the device */
  ts: z.number().int().gte(0).optional(),
  /** true when a simulator (mock-devices) moves a demo handler; a real phone's position always wins */
  simulated: z.boolean().optional(),
});

/** Event log entry (Redis stream / memory log) used by replay and audit. */
export interface LogEvent {
  /** stream id, e.g. '1732000000000-0' */
  id: string;
  /** epoch ms */
  ts: number;
  type:
    | 'alert.raised'
    | 'alert.updated'
    | 'alert.cleared'
    | 'alert.acked'
    | 'incident.created'
    | 'incident.transition'
    | 'device.command'
    | 'registry.changed';
  /** the scenario the event belongs to; `overview` only for events of no one scenario (`registry.changed`) */
  scene: z.infer<typeof ScreenSceneIdSchema>;
  alert?: Alert;
  /**
   * The incident after the change, WITHOUT its history (events carry the change, not a copy of the
   * whole incident; `history` is present only in events written before issue 10). Rebuild a
   * history from the `transition` fields of an incident's events.
   */
  incident?: LoggedIncident;
  /** incident events: the step this event records (the newest entry of the incident's history) */
  transition?: IncidentTransition;
  /** `device.command` events: the command to a device as this change left it (sent, acknowledged, failed, timed out, late ack) */
  deviceCommand?: DeviceCommandRecord;
  /** `registry.changed` events: which registry records one store write changed (issue 15: other nodes re-read them) */
  registry?: RegistryChangeNotice;
}

/**
 * The registry's collections as a `registry.changed` event names them (server/store/store.ts
 * `RegistryCollection`), in the order a full reload reads them: assets before the devices that
 * name them, devices before the rules that target them.
 */
export const REGISTRY_COLLECTION_NAMES = ['asset', 'device', 'rule', 'setting'] as const;
export type RegistryCollectionName = (typeof REGISTRY_COLLECTION_NAMES)[number];

/**
 * What a `registry.changed` event tells other nodes (issue 15): the ids of the records one
 * registry write stored, or `all` when there were more than the store's `registryEventMaxIds`
 * (then `ids` is empty and the whole collection is to be re-read). Cluster plumbing, not history:
 * the store's `readEvents` (replay, `GET /api/events`) never answers these events.
 */
export interface RegistryChangeNotice {
  collection: RegistryCollectionName;
  ids: string[];
  /** true: too many ids to name; re-read the whole collection */
  all?: boolean;
}

/** An incident as an event carries it (see LogEvent.incident). */
export type LoggedIncident = Omit<Incident, 'history'> & { history?: IncidentTransition[] };

/** The readings behind one incident: its device's readings from before it opened until it closed. */
export const IncidentReadingsRequestSchema = z.object({ incidentId: IdSchema });
export interface IncidentReadings {
  incidentId: string;
  deviceId: string | null;
  deviceKind: DeviceKind | null;
  /** epoch ms window the readings cover */
  fromTs: number;
  toTs: number;
  /** oldest first, bounded */
  readings: Reading[];
}

export const ReplayRequestSchema = z.object({
  scene: ScreenSceneIdSchema,
  fromTs: z.number().int().gte(0),
  toTs: z.number().int().gte(0),
  /** the `next` of the previous page (answers are paged, each bounded in events and bytes) */
  cursor: z.string().max(40).optional(),
  /**
   * District drill-down (issue 17): only the events of this district — the viewer's scope narrowed
   * to it on the server, as `scene:join` does. A district outside the viewer's scope is refused
   * (E_FORBIDDEN). Every page of one range names the same district.
   */
  district: DistrictCodeSchema.optional(),
});

// ---------------------------------------------------------------------------------------------
// REST payloads shared by server and client

/** One candidate for an incident, as the console shows it. */
export interface HandlerRecommendation {
  handlerId: string;
  name: string;
  team: string;
  status: HandlerStatus;
  /** true when the handler's skills include the incident's category */
  skillMatch: boolean;
  /** great-circle distance from the handler's last position to the incident, m; null = position unknown */
  distanceM: number | null;
  /** estimated minutes to reach the incident at the dispatch urban speed; null = position unknown */
  etaMin: number | null;
  /** epoch ms of the position used (0 = never reported) */
  locationTs: number;
  /** the position is older than the dispatch staleness limit */
  positionStale: boolean;
  /** already assigned to this incident */
  assigned: boolean;
}

/** Answer of `GET /api/briefing` (leader's tablet). */
export interface DailyCounts {
  /** per scene, one count per day, oldest first */
  byScene: Record<SceneId, number[]>;
  /** per district, one count per day, oldest first */
  byDistrict: Record<DistrictCode, number[]>;
  /** all scenes, one count per day, oldest first */
  total: number[];
}

export interface Briefing {
  /** epoch ms */
  generatedTs: number;
  /** start of each day (city time, UTC+8), epoch ms, oldest first; the last one is today */
  dayStartTs: number[];
  today: {
    alertsRaised: number;
    openAlertsByLevel: Record<AlertLevel, number>;
    incidentsCreated: number;
    incidentsOpen: number;
    incidentsResolved: number;
    /** incidents closed today after being resolved (unresolved closes are counted apart) */
    incidentsClosed: number;
    /** incidents closed today without being resolved, by outcome (issue 14; left out of SLA compliance) */
    incidentsClosedUnresolved: Record<UnresolvedOutcome, number>;
    /** open incidents waiting for a leader's decision */
    escalationsPending: number;
    /** open incidents past their resolution deadline */
    overdueOpen: number;
    handlersOnDuty: number;
    handlersBusy: number;
    /** share of incidents resolved today that met their deadline, %; null = none resolved */
    slaCompliancePct: number | null;
  };
  alerts: DailyCounts;
  incidents: DailyCounts;
  /** per day: share of incidents resolved that day within their deadline, %, one decimal; null = none */
  slaCompliancePct: (number | null)[];
}

/** Server → client events on `/live`. */
export interface LiveServerEvents {
  'scene:delta': (msg: SceneDeltaMessage) => void;
  'scene:snapshot': (msg: SceneSnapshotMessage) => void;
  /** to officers, leaders and the assigned handlers: an incident changed */
  'incident:update': (incident: Incident) => void;
  'server:hello': (info: { protocol: number; serverTs: number; role: Role; username: string }) => void;
  /** sent just before the server closes the connection (e.g. E_PAYLOAD_TOO_LARGE: a message over the /live limit) */
  'server:error': (error: IocError) => void;
  /** to officers and admins whose scope holds the device: a command to a device was sent or settled */
  'device:command': (command: DeviceCommandRecord) => void;
  /** to officers, leaders, admins and screens: the open contingency plan instances in their scope (scenes/plans/plan-protocol.ts) */
  plans: (msg: PlansMessage) => void;
  /** to officers, leaders, admins and screens: the area warnings in force in their scope (scenes/storm/warning-messages.ts) */
  warnings: (msg: import('./storm/warning-messages').WarningsMessage) => void;
  /** to each recipient (leaders, officers, admins): a scheduled report was delivered to their inbox */
  'report.ready': (msg: import('./reports/report-schedule').ReportReadyMessage) => void;
}

/** Client → server events on `/live`. Every payload is `unknown` until validated by its schema. */
export interface LiveClientEvents {
  'scene:join': (payload: unknown, ack: (r: SceneJoinResult) => void) => void;
  'scene:leave': (payload: unknown) => void;
  command: (payload: unknown, ack: (r: CommandResult) => void) => void;
  'device:detail': (payload: unknown, ack: (r: Result<{ detail: DeviceDetail }>) => void) => void;
  'handler:position': (payload: unknown, ack: (r: Result<{ ignored?: boolean }>) => void) => void;
  /** one page of the range; `next` is present when more events follow (send it back as `cursor`) */
  'replay:range': (payload: unknown, ack: (r: Result<{ events: LogEvent[]; next?: string }>) => void) => void;
  'incidents:list': (payload: unknown, ack: (r: Result<{ incidents: Incident[] }>) => void) => void;
  'incident:readings': (payload: unknown, ack: (r: Result<{ readings: IncidentReadings }>) => void) => void;
  /** officers and admins: a DeviceCommandRequest (scenes/device-commands.ts); answered with the record as sent (or the earlier one for a retried commandId) */
  'device:command': (payload: unknown, ack: (r: Result<{ command: DeviceCommandRecord }>) => void) => void;
  /** DeviceCommandsRequestSchema: a device's latest commands, newest first (scope-checked; handlers refused) */
  'device:commands': (payload: unknown, ack: (r: Result<{ commands: DeviceCommandRecord[] }>) => void) => void;
  /** officers, leaders, admins, screens: the current `plans` message again */
  'plans:list': (payload: unknown, ack: (r: Result<PlansMessage>) => void) => void;
  /** officers, leaders, admins, screens: the current `warnings` message again (answered as is, not as a Result) */
  'warnings:get': (payload: unknown, ack: (m: import('./storm/warning-messages').WarningsMessage) => void) => void;
  /** a PlanCommand (scenes/plans/plan-protocol.ts); answered with the instance's view or a typed error */
  'plan:command': (
    payload: unknown,
    ack: (
      r: Result<{ commandId: string; instance: import('./plans/plan-protocol').PlanInstanceView; duplicate?: boolean; deviceCommands?: unknown[] }>,
    ) => void,
  ) => void;
}

/** Client → server on `/device`. */
export interface DeviceClientEvents {
  readings: (payload: unknown, ack?: (r: Result<IngestResult>) => void) => void;
  /** a DeviceCommandAck (scenes/device-commands.ts) for a command this device received; the device is the socket's own */
  'command:ack': (payload: unknown, ack?: (r: Result<Record<never, never>>) => void) => void;
}

/** Server → device on `/device`. */
export interface DeviceServerEvents {
  /** a command to this device (acknowledge it with `command:ack`) */
  command: (message: DeviceCommandMessage) => void;
}

export type { Handler };
export { RoleSchema };
