/**
 * City IOC domain vocabulary (see ../shared/ARCHITECTURE.md).
 *
 * Everything here is pure data: no I/O, no timers, no globals. Schemas that cross a wire are
 * zod schemas and the TypeScript types are derived from them, so server, client and
 * mock-devices validate against the same definition.
 */
import { z } from 'zod';
import type { CameraSpec } from './cameras/camera-spec';
import type { DispatchImpact } from './impact/dispatch-impact';

/** The four operational scenarios. */
export const SCENE_IDS = ['emergency', 'bridge', 'water', 'community'] as const;
export const SceneIdSchema = z.enum(SCENE_IDS);
export type SceneId = z.infer<typeof SceneIdSchema>;

/** What a big screen can show: a scenario, or the city overview that fuses all four. */
export const SCREEN_SCENE_IDS = ['overview', ...SCENE_IDS] as const;
export const ScreenSceneIdSchema = z.enum(SCREEN_SCENE_IDS);
export type ScreenSceneId = z.infer<typeof ScreenSceneIdSchema>;

/** Chinese four-colour warning scheme: red = I (特别严重) … blue = IV (一般). */
export const ALERT_LEVELS = ['red', 'orange', 'yellow', 'blue'] as const;
export const AlertLevelSchema = z.enum(ALERT_LEVELS);
export type AlertLevel = z.infer<typeof AlertLevelSchema>;

/** Severity rank: lower is more severe (red = 1, matching 'I级'). */
export const ALERT_LEVEL_RANK: Record<AlertLevel, 1 | 2 | 3 | 4> = { red: 1, orange: 2, yellow: 3, blue: 4 };

/** WGS84 [longitude, latitude] in degrees. */
export const LngLatSchema = z.tuple([z.number().gte(-180).lte(180), z.number().gte(-90).lte(90)]);
export type LngLat = z.infer<typeof LngLatSchema>;

/** Device kinds across the four scenarios. Metric names and units per kind live in catalogue.ts. */
export const DEVICE_KINDS = [
  // bridge (路桥)
  'strain-gauge',
  'inclinometer',
  'accelerometer',
  'deflection',
  'bearing-displacement',
  'temp-humidity',
  'weigh-in-motion',
  // water (水务)
  'water-level',
  'waterlogging',
  'rain-gauge',
  'pipe-pressure',
  'flow-meter',
  'water-quality',
  'manhole-cover',
  'pump-station',
  'flood-gate',
  // emergency (应急 / 城市生命线)
  'gas-detector',
  'fire-alarm',
  // community (社区)
  'smoke-detector',
  'elevator',
  'fire-lane-camera',
  'ev-charger',
  'fall-detector',
  'door-sensor',
  // video (视频联动): a camera's stream and viewing direction live in Device.camera
  'camera',
] as const;
export const DeviceKindSchema = z.enum(DEVICE_KINDS);
export type DeviceKind = z.infer<typeof DeviceKindSchema>;

/** IdSchema's characters, its longest id and the names it never takes (also read by reading-fast-path.ts) */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]*$/;
export const ID_MAX_LENGTH = 80;
export const RESERVED_IDS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** Stable identifier: letters, digits, '-', '_', '.', ':'; never '__proto__' and friends. */
export const IdSchema = z
  .string()
  .min(1)
  .max(ID_MAX_LENGTH)
  .regex(ID_PATTERN, 'id must be alphanumeric with - _ . :')
  .refine((s) => !RESERVED_IDS.has(s), 'reserved id');

/** Qingdao district codes (GB/T 2260). Names live in geo data and i18n. */
export const DISTRICT_CODES = [
  '370202', // 市南区
  '370203', // 市北区
  '370211', // 黄岛区 (西海岸新区)
  '370212', // 崂山区
  '370213', // 李沧区
  '370214', // 城阳区
  '370215', // 即墨区
  '370281', // 胶州市
  '370283', // 平度市
  '370285', // 莱西市
] as const;
export const DistrictCodeSchema = z.enum(DISTRICT_CODES);
export type DistrictCode = z.infer<typeof DistrictCodeSchema>;

/** Kinds of physical asset that devices are mounted on. */
export const ASSET_KINDS = [
  'bridge',
  'river',
  'reservoir',
  'underpass',
  'pipe-segment',
  'pump-station',
  'water-plant',
  'pipe-well',
  'community',
] as const;
export const AssetKindSchema = z.enum(ASSET_KINDS);
export type AssetKind = z.infer<typeof AssetKindSchema>;

/** A physical asset; geometry is a point, a line (rivers, pipes, bridges) or a polygon (communities). */
export interface Asset {
  id: string;
  kind: AssetKind;
  scene: SceneId;
  /** Chinese name, e.g. '胶州湾大桥'. */
  name: string;
  /** English name for the English UI. */
  nameEn: string;
  district: DistrictCode;
  geometry: { type: 'Point'; coordinates: LngLat } | { type: 'LineString'; coordinates: LngLat[] } | { type: 'Polygon'; coordinates: LngLat[][] };
  /** Kind-specific static facts, e.g. { warningLevelM: 4.5, guaranteeLevelM: 5.8 } for a river gauge section. Units in key names. */
  props: Record<string, number | string>;
}

/** Static emergency resources (emergency scene). */
export const RESOURCE_KINDS = ['rescue-team', 'supply-depot', 'shelter'] as const;
export type ResourceKind = (typeof RESOURCE_KINDS)[number];
export interface EmergencyResource {
  id: string;
  kind: ResourceKind;
  name: string;
  nameEn: string;
  district: DistrictCode;
  location: LngLat;
  /** shelters: people; rescue teams: members; depots: supply units. */
  capacity: number;
  /** How much of capacity is available now (same unit as capacity). */
  available: number;
}

/** A registered device. Location is WGS84. */
export interface Device {
  id: string;
  kind: DeviceKind;
  scene: SceneId;
  name: string;
  location: LngLat;
  district: DistrictCode;
  /** Asset the device is mounted on, if any. */
  assetId?: string;
  /**
   * Lifecycle in the registry (absent = active): a device in maintenance reports but raises no
   * alerts; a retired one is off the map and its readings are refused.
   */
  status?: DeviceLifecycle;
  /** kind `camera` only: its stream, heading and field of view */
  camera?: CameraSpec;
}

export const DEVICE_LIFECYCLES = ['active', 'maintenance', 'retired'] as const;
export type DeviceLifecycle = (typeof DEVICE_LIFECYCLES)[number];

/**
 * One reading from a device, as it arrives on the wire.
 * `seq` increases monotonically per device; a reading with a seq already seen is a duplicate.
 */
/** a metric's name in a reading, and how many one reading carries at most (also read by reading-fast-path.ts) */
export const METRIC_NAME_PATTERN = /^[a-zA-Z][a-zA-Z0-9_]{0,39}$/;
export const METRICS_MAX_ENTRIES = 32;

export const ReadingSchema = z.object({
  deviceId: IdSchema,
  /** epoch ms when measured */
  ts: z.number().int().gte(0),
  /** per-device sequence number, monotonically increasing */
  seq: z.number().int().gte(0),
  /** metric name → value; names and units fixed per device kind (catalogue.ts) */
  metrics: z
    .record(z.string().regex(METRIC_NAME_PATTERN), z.number().finite())
    .refine((m) => Object.keys(m).length > 0 && Object.keys(m).length <= METRICS_MAX_ENTRIES, `metrics must have 1..${METRICS_MAX_ENTRIES} entries`),
});
export type Reading = z.infer<typeof ReadingSchema>;

/** Display status of a device on the map: normal, the level of its worst open alert, or offline. */
export type DeviceStatus = 'normal' | AlertLevel | 'offline';

/** Fused latest state of one device. */
export interface DeviceState {
  deviceId: string;
  online: boolean;
  /** epoch ms of the newest accepted reading (0 = never) */
  lastTs: number;
  /** highest accepted seq (-1 = none) */
  lastSeq: number;
  /** latest value per metric */
  metrics: Record<string, number>;
}

// ---------------------------------------------------------------------------------------------
// Rules and alerts

/** Threshold rule: value above (or below) a per-level limit, with hysteresis and a minimum duration. */
export interface ThresholdRule {
  type: 'threshold';
  id: string;
  deviceKind: DeviceKind;
  metric: string;
  direction: 'above' | 'below';
  /** Limits per level, in the metric's unit; at least one. E.g. { yellow: 300, orange: 400, red: 500 } (με). */
  limits: Partial<Record<AlertLevel, number>>;
  /** The value must come back past limit ∓ hysteresis (metric unit) before a level is left. */
  hysteresis: number;
  /** The condition must hold this long before the alert is raised; 0 = immediately. */
  minDurationMs: number;
  /** Open an incident automatically when the alert reaches this level or worse; null = never. */
  autoIncidentLevel: AlertLevel | null;
  /** Human title, Chinese and English. */
  title: string;
  titleEn: string;
}

/** Rate-of-change rule: |Δvalue| per minute over a window exceeds a limit. */
export interface RateRule {
  type: 'rate';
  id: string;
  deviceKind: DeviceKind;
  metric: string;
  /** metric unit per minute; positive = rising, negative = falling, compared by sign */
  limitPerMin: number;
  /** window over which the rate is computed */
  windowMs: number;
  level: AlertLevel;
  autoIncidentLevel: AlertLevel | null;
  title: string;
  titleEn: string;
}

/** Offline rule: no reading for longer than `silenceMs`. */
export interface OfflineRule {
  type: 'offline';
  id: string;
  deviceKind: DeviceKind;
  silenceMs: number;
  level: AlertLevel;
  autoIncidentLevel: AlertLevel | null;
  title: string;
  titleEn: string;
}

/** Event rule: a boolean/flag metric (smoke, trapped passenger, fall…) raises at once when it becomes 1 and clears at 0. */
export interface EventRule {
  type: 'event';
  id: string;
  deviceKind: DeviceKind;
  metric: string;
  level: AlertLevel;
  autoIncidentLevel: AlertLevel | null;
  title: string;
  titleEn: string;
}

export type Rule = ThresholdRule | RateRule | OfflineRule | EventRule;

/** Alert lifecycle on two axes, like ThingsBoard: active/cleared × unacknowledged/acknowledged. */
export interface Alert {
  /** deterministic: `${deviceId}|${ruleId}|${firstTs}` */
  id: string;
  deviceId: string;
  deviceKind: DeviceKind;
  ruleId: string;
  scene: SceneId;
  district: DistrictCode;
  location: LngLat;
  level: AlertLevel;
  /** worst level reached while open */
  peakLevel: AlertLevel;
  cleared: boolean;
  acknowledged: boolean;
  /** epoch ms */
  firstTs: number;
  lastTs: number;
  clearedTs?: number;
  ackTs?: number;
  ackBy?: string;
  /** how many times the condition was (re)observed while open */
  count: number;
  /** the value that triggered or last updated it (metric unit), if any */
  value?: number;
  metric?: string;
  title: string;
  titleEn: string;
  incidentId?: string;
  /** version of the effective rule that raised it (rule-overrides.ts); absent = the catalogue default, version 0 */
  ruleVersion?: number;
}

// ---------------------------------------------------------------------------------------------
// Incidents (work orders, 工单)

export const INCIDENT_STATES = ['reported', 'dispatched', 'accepted', 'on_site', 'resolved', 'closed'] as const;
export const IncidentStateSchema = z.enum(INCIDENT_STATES);
export type IncidentState = z.infer<typeof IncidentStateSchema>;

export const INCIDENT_ACTIONS = [
  'create',
  'dispatch',
  'accept',
  'reject',
  'en_route',
  'arrive',
  'resolve',
  'close',
  'reopen',
  'reassign',
  'escalate',
  'approve_escalation',
  'return_escalation',
  'link_alert',
  'note',
  // issue 14 (storm operations): system and officer steps
  'reprioritise',
  'merge',
  'merged_into',
  'split',
  'close_unresolved',
  'supervise',
] as const;
export const IncidentActionSchema = z.enum(INCIDENT_ACTIONS);
export type IncidentAction = z.infer<typeof IncidentActionSchema>;

/** Priority P1 (most urgent) … P4; maps from alert level red…blue. */
export const PRIORITIES = ['P1', 'P2', 'P3', 'P4'] as const;
export const PrioritySchema = z.enum(PRIORITIES);
export type Priority = z.infer<typeof PrioritySchema>;

export const INCIDENT_SOURCES = ['alert', 'manual', 'field_report'] as const;

/** How an incident ended: resolved, or closed without resolving (SLA compliance leaves those out). */
export const UNRESOLVED_OUTCOMES = ['false_alarm', 'duplicate', 'cancelled'] as const;
export const UnresolvedOutcomeSchema = z.enum(UNRESOLVED_OUTCOMES);
export type UnresolvedOutcome = (typeof UNRESOLVED_OUTCOMES)[number];
export type IncidentOutcome = 'resolved' | UnresolvedOutcome;

/** Resolution categories an officer picks at close (after-action, 事件总结). */
export const RESOLUTION_CATEGORIES = ['repaired', 'cleared', 'evacuated', 'contained', 'referred', 'self_recovered', 'other'] as const;
export const ResolutionCategorySchema = z.enum(RESOLUTION_CATEGORIES);
export type ResolutionCategory = (typeof RESOLUTION_CATEGORIES)[number];

/** 督办: a leader's supervision of an incident, shown until its deadline or the incident's resolution. */
export interface IncidentSupervision {
  /** leader's username */
  by: string;
  note: string;
  /** epoch ms by which the leader expects it handled */
  deadlineTs: number;
  /** epoch ms */
  startedTs: number;
}
export type IncidentSource = (typeof INCIDENT_SOURCES)[number];

/** One recorded step in an incident's life. */
export interface IncidentTransition {
  action: IncidentAction;
  from: IncidentState | null;
  to: IncidentState;
  /** username of who did it, or 'system' */
  actor: string;
  /** epoch ms */
  ts: number;
  note?: string;
  /** the command id that caused it (idempotency key) */
  commandId: string;
  /** assignees after this step, when it changed them */
  assignees?: string[];
  location?: LngLat;
  /**
   * dispatch and reassign (issue 17, 随派单发送): the impact range and assigned resources the officer
   * sent with it, display only; absent on entries stored before it and when not sent
   */
  impact?: DispatchImpact;
}

export interface Incident {
  id: string;
  /** compare-and-set version, +1 per transition */
  version: number;
  state: IncidentState;
  priority: Priority;
  level: AlertLevel | null;
  scene: SceneId;
  /** incident category, e.g. 'gas-leak', 'waterlogging', 'bridge-overload', 'elevator-trapped'; used for handler skills */
  category: string;
  title: string;
  titleEn?: string;
  district: DistrictCode;
  location: LngLat;
  source: IncidentSource;
  alertIds: string[];
  deviceId?: string;
  /** usernames of assigned handlers */
  assignees: string[];
  /** true while waiting for a leader's decision */
  escalated: boolean;
  createdTs: number;
  updatedTs: number;
  /** epoch ms by which the incident must be resolved */
  slaDueTs: number;
  /** epoch ms by which it must be accepted on site (response) */
  slaResponseDueTs: number;
  resolvedTs?: number;
  closedTs?: number;
  reportedBy: string;
  photos: string[];
  history: IncidentTransition[];
  // issue 14: all optional, so incidents stored before it stay valid
  /** set when closed: 'resolved' after a normal close, else why it was closed unresolved */
  outcome?: IncidentOutcome;
  /** mandatory reason of an unresolved close */
  outcomeReason?: string;
  /** id of the incident this one was merged into (this one is then closed as 'duplicate') */
  mergedInto?: string;
  /** after-action at a normal close */
  resolution?: { category: ResolutionCategory; summary: string };
  /** the newest 督办 on it, if any */
  supervision?: IncidentSupervision;
}

// ---------------------------------------------------------------------------------------------
// People

export const ROLES = ['screen', 'officer', 'handler', 'leader', 'admin'] as const;
export const RoleSchema = z.enum(ROLES);
export type Role = z.infer<typeof RoleSchema>;

export const HANDLER_STATUSES = ['idle', 'busy', 'off_duty'] as const;
export type HandlerStatus = (typeof HANDLER_STATUSES)[number];

/** Field handler as shown on maps and used for dispatch recommendations. */
export interface Handler {
  /** username */
  id: string;
  name: string;
  team: string;
  /** incident categories this handler is qualified for */
  skills: string[];
  location: LngLat | null;
  /** epoch ms of last position */
  locationTs: number;
  status: HandlerStatus;
}
