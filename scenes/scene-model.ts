/**
 * Scene models: what a big screen needs for one scene, and nothing it does not.
 *
 * A scene builder turns fused state into a SceneModel (pure). The server diffs consecutive
 * models into SceneDeltas (`put | remove` by id for collections, whole replacement for small
 * parts) and the client applies them; `applySceneDelta(a, diffScene(a, b))` deep-equals `b`.
 */
import type {
  Alert,
  AlertLevel,
  Asset,
  DeviceKind,
  DeviceStatus,
  DistrictCode,
  EmergencyResource,
  Handler,
  Incident,
  IncidentState,
  LngLat,
  Priority,
  ScreenSceneId,
  SceneId,
} from './domain';
import type { AreaWarning, AreaWarningArea } from './storm/area-warnings';

/** Everything the scene builders read. Built and owned by the server's fusion; fixtures in tests. */
export interface FusedState {
  /** epoch ms "now" for the build; builders never read the clock */
  nowTs: number;
  devices: ReadonlyMap<string, import('./domain').Device>;
  deviceStates: ReadonlyMap<string, import('./domain').DeviceState>;
  /** open alerts (not cleared, or cleared but unacknowledged), plus alerts cleared in the last 24 h */
  alerts: readonly Alert[];
  /** open incidents plus incidents closed in the last 24 h */
  incidents: readonly Incident[];
  /** the dispatch pool: every handler an officer of this view may send (city-wide) */
  handlers: readonly Handler[];
  /**
   * The handlers a district view's figures count (空闲/处置中/在岗, the status chart): those at
   * work in, or standing in, its districts (scenes/handler-districts.ts). Absent = all of
   * `handlers` (the city view).
   */
  localHandlers?: readonly Handler[];
  assets: readonly Asset[];
  resources: readonly EmergencyResource[];
  /** rolling chart windows per `${deviceId}.${metric}`, bucketed */
  series: ReadonlyMap<string, SeriesWindow>;
  /** alerts raised per scene per hour over the last 24 h, oldest first */
  alertTrend: AlertTrend;
  /**
   * Changes whenever any device's display status may have changed (online/offline, alerts).
   * Builders reuse per-device results while it is unchanged; leave it undefined to disable reuse.
   * Contract: the device registry map is never mutated while an epoch is in use.
   */
  statusEpoch?: number;
  /**
   * Ids of devices whose display status may have changed after `epoch` (an earlier statusEpoch),
   * or null when that is no longer known. Lets builders patch the previous build's device points.
   */
  statusChangedSince?: (epoch: number) => ReadonlySet<string> | null;
  /** area warnings in force (issue 14, server/storm/warning-service.ts); absent = none known */
  areaWarnings?: readonly AreaWarning[];
}

/** A bounded rolling window of bucketed values for one device metric. */
export interface SeriesWindow {
  /** bucket width, ms */
  bucketMs: number;
  /** bucket start times (epoch ms), oldest first; same length as `values` */
  ts: number[];
  /** last value seen in each bucket (metric unit) */
  values: number[];
  /** max value seen in each bucket (metric unit) */
  max: number[];
}

export interface AlertTrend {
  /** bucket width, ms (1 h) */
  bucketMs: number;
  /** start of the oldest bucket, epoch ms */
  startTs: number;
  /** per scene, one count per bucket, oldest first */
  counts: Record<SceneId, number[]>;
}

/** A device as a map point: compact on purpose (tens of thousands per screen). */
export interface DevicePoint {
  id: string;
  kind: DeviceKind;
  /** [lng, lat] */
  p: LngLat;
  /** display status */
  s: DeviceStatus;
  /** asset id, if mounted on one */
  a?: string;
  /** present when the device is in maintenance: it reports but raises no alerts */
  m?: true;
}

export interface Kpi {
  id: string;
  label: string;
  labelEn: string;
  /** null = no data (e.g. an on-time rate on a day with nothing resolved), shown as '—' */
  value: number | null;
  /** unit shown after the value, e.g. '%', '个', 'mm' */
  unit: string;
  /** colour the KPI by this level when set */
  level?: AlertLevel | null;
}

export interface AlertItem {
  id: string;
  deviceId: string;
  deviceKind: DeviceKind;
  scene: SceneId;
  district: DistrictCode;
  p: LngLat;
  level: AlertLevel;
  cleared: boolean;
  acknowledged: boolean;
  firstTs: number;
  lastTs: number;
  count: number;
  title: string;
  titleEn: string;
  value?: number;
  metric?: string;
  incidentId?: string;
}

export interface IncidentItem {
  id: string;
  version: number;
  state: IncidentState;
  priority: Priority;
  level: AlertLevel | null;
  scene: SceneId;
  category: string;
  title: string;
  titleEn?: string;
  district: DistrictCode;
  p: LngLat;
  assignees: string[];
  escalated: boolean;
  createdTs: number;
  updatedTs: number;
  slaDueTs: number;
  closedTs?: number;
  /** issue 14: 督办 on it (who and until when; the leader's note stays off the walls) */
  supervision?: { by: string; deadlineTs: number };
}

export interface HandlerItem {
  id: string;
  name: string;
  team: string;
  status: Handler['status'];
  p: LngLat | null;
  locationTs: number;
}

export interface AssetItem {
  id: string;
  kind: Asset['kind'];
  name: string;
  nameEn: string;
  district: DistrictCode;
  geometry: Asset['geometry'];
  /** worst status of the asset's devices */
  status: DeviceStatus;
  /** 0..100 health index where the scene computes one (bridges, pump stations) */
  health?: number;
  /** small kind-specific figures for tooltips, units in key names */
  props: Record<string, number | string>;
}

export type ResourceItem = EmergencyResource;

/** An area warning (预警, scenes/storm/area-warnings.ts) as a wall shows it: its gauges are in the console's detail. */
export interface WarningItem {
  id: string;
  /** area warning rule id */
  ruleId: string;
  /** scene of its member alerts (a rain warning: water) */
  scene: SceneId;
  district: DistrictCode;
  area: AreaWarningArea;
  /** worst current level of its member alerts */
  level: AlertLevel;
  title: string;
  titleEn: string;
  /** member alerts (per-gauge alerts covered by the warning) */
  alertCount: number;
  /** member devices (gauges) */
  deviceCount: number;
  /** epoch ms: earliest member raised */
  firstTs: number;
  /** epoch ms: latest member change */
  lastTs: number;
  /** some member alert is still active (not cleared) */
  active: boolean;
}

/** A named line in a time-series chart. */
export interface ChartLine {
  id: string;
  name: string;
  nameEn: string;
  /** [epoch ms, value] pairs, oldest first; bounded */
  points: [number, number][];
}

/** Horizontal reference line on a time-series chart (e.g. warning level). */
export interface ChartMarkLine {
  name: string;
  nameEn: string;
  value: number;
  level: AlertLevel | 'warning' | 'guarantee';
}

export type ChartData =
  | {
      kind: 'timeseries';
      title: string;
      titleEn: string;
      unit: string;
      lines: ChartLine[];
      marks: ChartMarkLine[];
      /** newest data time in this chart, epoch ms */
      dataTs: number;
      /** data older than this is stale on screen */
      expectedIntervalMs: number;
    }
  | {
      kind: 'bar';
      title: string;
      titleEn: string;
      unit: string;
      /** category labels, Chinese and English, same order as each series' values */
      categories: string[];
      categoriesEn: string[];
      series: { id: string; name: string; nameEn: string; values: number[]; level?: AlertLevel }[];
      dataTs: number;
      expectedIntervalMs: number;
    }
  | {
      kind: 'pie';
      title: string;
      titleEn: string;
      unit: string;
      slices: { id: string; name: string; nameEn: string; value: number }[];
      dataTs: number;
      expectedIntervalMs: number;
    };

export interface SceneModel {
  scene: ScreenSceneId;
  /** epoch ms when built */
  generatedTs: number;
  kpis: Kpi[];
  devices: DevicePoint[];
  alerts: AlertItem[];
  incidents: IncidentItem[];
  handlers: HandlerItem[];
  assets: AssetItem[];
  resources: ResourceItem[];
  charts: Record<string, ChartData>;
  /** area warnings, most severe first; present on the scenes that show them (overview, emergency, water) */
  warnings?: WarningItem[];
}

/** Collections of a scene model that are diffed by id. */
export const SCENE_COLLECTIONS = ['devices', 'alerts', 'incidents', 'handlers', 'assets', 'resources'] as const;
export type SceneCollection = (typeof SCENE_COLLECTIONS)[number];

export interface CollectionDiff<T> {
  put?: T[];
  remove?: string[];
}

/** A change from one scene model to the next. Absent keys did not change. */
export interface SceneDelta {
  generatedTs: number;
  kpis?: Kpi[];
  devices?: CollectionDiff<DevicePoint>;
  alerts?: CollectionDiff<AlertItem>;
  incidents?: CollectionDiff<IncidentItem>;
  handlers?: CollectionDiff<HandlerItem>;
  assets?: CollectionDiff<AssetItem>;
  resources?: CollectionDiff<ResourceItem>;
  charts?: { put?: Record<string, ChartData>; remove?: string[] };
  warnings?: CollectionDiff<WarningItem>;
}
