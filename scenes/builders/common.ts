/**
 * Building blocks shared by the scene builders: device status, item mappers, bounded lists,
 * chart helpers. Everything is pure and deterministic: outputs are sorted by stable keys and
 * "now" is always `state.nowTs`.
 */
import { ALERT_LEVEL_RANK, ALERT_LEVELS, DISTRICT_CODES } from '../domain';
import type { Alert, AlertLevel, Asset, Device, DeviceKind, DeviceStatus, Handler, Incident, SceneId, ThresholdRule } from '../domain';
import { isAlertOpen } from '../alert-lifecycle';
import { isIncidentInProgress, isIncidentOpen } from '../incident-rules';
import { DEFAULT_RULES, DEVICE_CATALOGUE } from '../catalogue';
import { isCameraDevice } from '../cameras/camera-spec';
import { districtName } from '../geo/districts';
import type {
  AlertItem,
  AssetItem,
  ChartData,
  ChartLine,
  ChartMarkLine,
  DevicePoint,
  FusedState,
  HandlerItem,
  IncidentItem,
  Kpi,
  SeriesWindow,
} from '../scene-model';

// ---------------------------------------------------------------------------------------------
// Configuration

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

/** Qingdao is UTC+8 all year (no DST); "today" means the local calendar day. */
export const CITY_UTC_OFFSET_MS = 8 * HOUR_MS;
/** At most this many alerts in a scene model (most severe, then newest, win). */
export const MAX_ALERT_ITEMS = 200;
/** At most this many incidents in a scene model (open ones first, then by priority and age). */
export const MAX_INCIDENT_ITEMS = 300;
/** Closed incidents stay visible this long after closing, ms. */
export const CLOSED_INCIDENT_VISIBLE_MS = DAY_MS;
/** Aggregate charts and counts are recomputed on every build; stale after this long, ms. */
export const AGGREGATE_EXPECTED_INTERVAL_MS = 60_000;
/**
 * The "data time" of an aggregate advances in steps of this many ms, not with every build: a chart
 * whose counts did not change must not be re-sent to every screen 4 times a second just because
 * its timestamp moved (bytes per screen follow what changes on screen).
 */
export const AGGREGATE_DATA_TICK_MS = 30_000;

/** dataTs of an aggregate chart built at `nowTs`. */
export function aggregateDataTs(nowTs: number): number {
  return Math.floor(nowTs / AGGREGATE_DATA_TICK_MS) * AGGREGATE_DATA_TICK_MS;
}
/**
 * A closed chart bucket reaches a screen up to this long after it closed, ms: the server's
 * housekeeping tick publishes closed buckets (every 1 s), the scene hub coalesces frames (250 ms
 * by default) and the frame crosses the network.
 */
export const SERIES_PUBLICATION_SLACK_MS = 2_000;
/** At most this many lines per time-series chart. */
export const MAX_CHART_LINES = 10;

/**
 * Severity order of display statuses for "worst of": alert levels above offline above normal
 * (an offline device is a concern, but less than any alarm a live device raises).
 */
export const STATUS_SEVERITY: Record<DeviceStatus, number> = { red: 6, orange: 5, yellow: 4, blue: 3, offline: 1, normal: 0 };

// ---------------------------------------------------------------------------------------------
// Time and small maths

/** Epoch ms of the local (UTC+8) midnight that starts the day containing `ts`. */
export function startOfLocalDay(ts: number): number {
  return Math.floor((ts + CITY_UTC_OFFSET_MS) / DAY_MS) * DAY_MS - CITY_UTC_OFFSET_MS;
}

/** Rounded to one decimal place (display precision of rates and averages). */
export function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

/** Percentage 0..100, one decimal; `whenEmpty` when the denominator is 0. */
export function percent(part: number, whole: number, whenEmpty: number): number {
  return whole === 0 ? whenEmpty : round1((part / whole) * 100);
}

export function byId<T extends { id: string }>(a: T, b: T): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------
// Device status

export function worseStatus(a: DeviceStatus, b: DeviceStatus): DeviceStatus {
  return STATUS_SEVERITY[b] > STATUS_SEVERITY[a] ? b : a;
}

/**
 * Alert work shared by every build over the same alerts array. Fusion hands builders the same
 * array until an alert changes (AlertBook.list), so with thousands of alerts (cleared offline
 * alerts wait for an acknowledgement) a frame does not filter, sort and count them all again.
 * Transparent: derived from the array's contents only, and arrays handed to builders are never mutated.
 */
interface AlertsEntry {
  /** worst level of the active (not cleared) alerts per device */
  worstActive?: Map<string, AlertLevel>;
  openCounts?: Record<AlertLevel, number>;
  /** open alerts sorted by compareAlertsBySeverityThenNewest */
  openBySeverity?: Alert[];
}
const alertsMemo = new WeakMap<readonly Alert[], AlertsEntry>();

function alertsEntry(alerts: readonly Alert[]): AlertsEntry {
  let entry = alertsMemo.get(alerts);
  if (!entry) alertsMemo.set(alerts, (entry = {}));
  return entry;
}

/** Display status of a device by id (devices unknown to the state read as 'offline'). */
export interface DeviceStatusLookup {
  get(deviceId: string): DeviceStatus;
}

/**
 * Display status per device id: 'offline' when its state says offline or it never reported;
 * else the worst level of its active (not cleared) alerts; else 'normal'.
 * Only the per-alert part is precomputed (alerts are few); each device's status is derived on
 * lookup, so a 100k-device build does not pay for a second 100k-entry map.
 */
export function computeDeviceStatuses(state: FusedState): DeviceStatusLookup {
  const entry = alertsEntry(state.alerts);
  let worstAlert = entry.worstActive;
  if (!worstAlert) {
    worstAlert = entry.worstActive = new Map<string, AlertLevel>();
    for (const alert of state.alerts) {
      if (alert.cleared) continue;
      const current = worstAlert.get(alert.deviceId);
      if (current === undefined || ALERT_LEVEL_RANK[alert.level] < ALERT_LEVEL_RANK[current]) worstAlert.set(alert.deviceId, alert.level);
    }
  }
  const worst: ReadonlyMap<string, AlertLevel> = worstAlert;
  return {
    get(deviceId: string): DeviceStatus {
      if (state.deviceStates.get(deviceId)?.online !== true) return 'offline';
      return worst.get(deviceId) ?? 'normal';
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Memoisation (transparent: the same input still gives the same output)
//
// With 100k devices most of a build is per-device work whose result only changes when a device's
// display status does. The device registry map is immutable in practice, and FusedState.statusEpoch
// (when the caller provides it) changes whenever any display status may have changed, so results
// can be reused by identity: the scene diff then skips an unchanged `devices` array in O(1) and
// deck.gl keeps its `data`. Without a statusEpoch (tests, fixtures) nothing is reused.

/** A device subset of the registry: one scene, or every device. */
export type DeviceScope = SceneId | 'all';

interface RegistryEntry {
  /** sensors per scope, sorted by id */
  sorted: Map<DeviceScope, Device[]>;
  byAsset?: Map<string, string[]>;
  /** the cameras in service (not retired), sorted by id */
  cameras?: Device[];
}
const registryMemo = new WeakMap<ReadonlyMap<string, Device>, RegistryEntry>();

function registryEntry(state: FusedState): RegistryEntry {
  let entry = registryMemo.get(state.devices);
  if (!entry) {
    entry = { sorted: new Map() };
    registryMemo.set(state.devices, entry);
  }
  return entry;
}

/**
 * Reuses a value across builds and status epochs: same epoch → the same value; a later epoch whose
 * changed devices the state can list (and few enough) → `patch(previous, changed)`; otherwise
 * `full()`. Keyed per device registry and `key`. Without a statusEpoch nothing is reused.
 */
const incrementalMemo = new WeakMap<ReadonlyMap<string, Device>, Map<string, { epoch: number; input: unknown; value: unknown }>>();
function memoIncremental<T>(
  state: FusedState,
  key: string,
  full: () => T,
  patch: (prev: T, changed: ReadonlySet<string>) => T,
  /** another input the value depends on (by identity, e.g. the assets): a different one rebuilds */
  input?: unknown,
): T {
  const epoch = state.statusEpoch;
  if (epoch === undefined) return full();
  let byKey = incrementalMemo.get(state.devices);
  if (!byKey) incrementalMemo.set(state.devices, (byKey = new Map()));
  const found = byKey.get(key) as { epoch: number; input: unknown; value: T } | undefined;
  const memo = found && found.input === input ? found : undefined;
  if (memo && memo.epoch === epoch) return memo.value;
  const changed = memo ? (state.statusChangedSince?.(memo.epoch) ?? null) : null;
  const value = memo && changed && changed.size <= state.devices.size / INCREMENTAL_POINTS_MAX_FRACTION ? patch(memo.value, changed) : full();
  byKey.set(key, { epoch, input, value });
  return value;
}

/** Sensors that are online now (their state says so); cameras are counted by cameraCounts. */
export function countOnlineSensors(state: FusedState): number {
  const isOnline = (id: string) => state.deviceStates.get(id)?.online === true;
  return memoIncremental(
    state,
    'online',
    () => {
      const online = new Set<string>();
      for (const d of selectSensors(state, 'all')) if (isOnline(d.id)) online.add(d.id);
      return online;
    },
    (online, changed) => {
      for (const id of changed) {
        const device = state.devices.get(id);
        if (device === undefined || isCameraDevice(device)) continue;
        if (isOnline(id)) online.add(id);
        else online.delete(id);
      }
      return online;
    },
  ).size;
}

export function toDevicePoint(device: Device, status: DeviceStatus): DevicePoint {
  const point: DevicePoint = { id: device.id, kind: device.kind, p: device.location, s: status };
  if (device.assetId !== undefined) point.a = device.assetId;
  if (device.status === 'maintenance') point.m = true;
  return point;
}

const scopeIndexMemo = new WeakMap<ReadonlyMap<string, Device>, Map<DeviceScope, Map<string, number>>>();

function scopeIndex(state: FusedState, scope: DeviceScope): Map<string, number> {
  let byScope = scopeIndexMemo.get(state.devices);
  if (!byScope) scopeIndexMemo.set(state.devices, (byScope = new Map()));
  let index = byScope.get(scope);
  if (!index) {
    index = new Map(selectSensors(state, scope).map((d, i) => [d.id, i]));
    byScope.set(scope, index);
  }
  return index;
}

/**
 * Sensors of a scope (a scene, or all) as map points sorted by id — cameras are not among them:
 * the camera layer draws them (issue 17). With a status epoch the
 * previous build's points are reused: unchanged epoch → the same array; a few changed devices →
 * a copy with only those points replaced (unchanged points keep their identity, so the diff and
 * deck.gl skip them cheaply); otherwise a full rebuild.
 */
export function devicePoints(state: FusedState, statuses: DeviceStatusLookup, scope: DeviceScope = 'all'): DevicePoint[] {
  return memoIncremental(
    state,
    `points:${scope}`,
    () => selectSensors(state, scope).map((d) => toDevicePoint(d, statuses.get(d.id))),
    (prev, changed) => {
      // copied on the first real change only: a change outside the scope (another scene's device,
      // a camera) keeps the very same array, which the diff and deck.gl skip in O(1)
      let points: DevicePoint[] | null = null;
      const index = scopeIndex(state, scope);
      for (const id of changed) {
        const at = index.get(id);
        if (at === undefined) continue;
        const s = statuses.get(id);
        if (prev[at]!.s === s) continue;
        points ??= prev.slice();
        points[at] = toDevicePoint(state.devices.get(id)!, s);
      }
      return points ?? prev;
    },
  );
}

/** Patch a previous result while at most 1/N of the devices changed; beyond that rebuild. */
const INCREMENTAL_POINTS_MAX_FRACTION = 4;

/**
 * The sensors of a scope — every device but cameras (isCameraDevice) — sorted by id (computed once
 * per device registry; do not mutate). Device dots, device counts and online rates read these.
 */
export function selectSensors(state: FusedState, scope: DeviceScope): readonly Device[] {
  const entry = registryEntry(state);
  let list = entry.sorted.get(scope);
  if (!list) {
    list = [];
    for (const device of state.devices.values()) {
      if (!isCameraDevice(device) && (scope === 'all' || device.scene === scope)) list.push(device);
    }
    list.sort(byId);
    entry.sorted.set(scope, list);
  }
  return list;
}

/**
 * The cameras in service (retired ones left out, as on the camera layer) and how many of them are
 * online (a camera's heartbeat keeps it online, scenes/catalogue.ts).
 */
export function cameraCounts(state: FusedState): { online: number; total: number } {
  const entry = registryEntry(state);
  entry.cameras ??= [...state.devices.values()].filter((d) => isCameraDevice(d) && d.status !== 'retired').sort(byId);
  let online = 0;
  for (const camera of entry.cameras) if (state.deviceStates.get(camera.id)?.online === true) online++;
  return { online, total: entry.cameras.length };
}

/** Latest value of a device metric, or undefined when the device never reported it. */
export function latestMetric(state: FusedState, deviceId: string, metric: string): number | undefined {
  return state.deviceStates.get(deviceId)?.metrics[metric];
}

// ---------------------------------------------------------------------------------------------
// Assets

/**
 * Sensor ids per asset id, each list sorted (computed once per device registry; do not mutate).
 * A camera watching an asset says nothing of its condition: its outage must not grey an underpass
 * or cost a bridge health points.
 */
export function sensorsByAsset(state: FusedState): ReadonlyMap<string, readonly string[]> {
  const entry = registryEntry(state);
  entry.byAsset ??= groupSensorsByAsset(state);
  return entry.byAsset;
}

function groupSensorsByAsset(state: FusedState): Map<string, string[]> {
  const byAsset = new Map<string, string[]>();
  for (const device of selectSensors(state, 'all')) {
    if (device.assetId === undefined) continue;
    const list = byAsset.get(device.assetId);
    if (list === undefined) byAsset.set(device.assetId, [device.id]);
    else list.push(device.id);
  }
  for (const list of byAsset.values()) list.sort();
  return byAsset;
}

/**
 * Bridge health index, 0..100: 100 minus a penalty per device by its display status
 * (red 40, orange 25, yellow 10, blue 5, offline 5), floored at 0.
 */
export const BRIDGE_HEALTH_PENALTY: Record<DeviceStatus, number> = { red: 40, orange: 25, yellow: 10, blue: 5, offline: 5, normal: 0 };
export const BRIDGE_HEALTH_MAX = 100;

export function bridgeHealthIndex(statuses: readonly DeviceStatus[]): number {
  let health = BRIDGE_HEALTH_MAX;
  for (const s of statuses) health -= BRIDGE_HEALTH_PENALTY[s];
  return Math.max(0, health);
}

/**
 * Assets passing `include` as items sorted by id; status = worst status of their sensors
 * ('normal' for an asset without sensors); bridges carry a health index.
 */
export function assetItems(
  state: FusedState,
  statuses: DeviceStatusLookup,
  include: (a: Asset) => boolean = () => true,
  /** names `include` for reuse between builds: only assets with a changed device are recomputed (a new assets array rebuilds) */
  memoKey?: string,
): AssetItem[] {
  const full = () =>
    state.assets
      .filter(include)
      .map((asset) => assetItem(state, statuses, asset))
      .sort(byId);
  if (memoKey === undefined) return full();
  return memoIncremental(
    state,
    `assets:${memoKey}`,
    full,
    (prev, changed) => {
      const touched = new Set<string>();
      for (const id of changed) {
        const assetId = state.devices.get(id)?.assetId;
        if (assetId !== undefined) touched.add(assetId);
      }
      if (touched.size === 0) return prev;
      let next: AssetItem[] | null = null;
      for (let i = 0; i < prev.length; i++) {
        if (!touched.has(prev[i]!.id)) continue;
        const asset = state.assets.find((a) => a.id === prev[i]!.id);
        if (!asset) return full();
        const item = assetItem(state, statuses, asset);
        if (item.status === prev[i]!.status && item.health === prev[i]!.health) continue;
        next ??= prev.slice();
        next[i] = item;
      }
      return next ?? prev;
    },
    state.assets,
  );
}

function assetItem(state: FusedState, statuses: DeviceStatusLookup, asset: Asset): AssetItem {
  const deviceStatuses = (sensorsByAsset(state).get(asset.id) ?? []).map((id) => statuses.get(id));
  const item: AssetItem = {
    id: asset.id,
    kind: asset.kind,
    name: asset.name,
    nameEn: asset.nameEn,
    district: asset.district,
    geometry: asset.geometry,
    status: deviceStatuses.reduce<DeviceStatus>(worseStatus, 'normal'),
    props: { ...asset.props },
  };
  if (asset.kind === 'bridge') item.health = bridgeHealthIndex(deviceStatuses);
  return item;
}

// ---------------------------------------------------------------------------------------------
// Alerts

export function toAlertItem(alert: Alert): AlertItem {
  const item: AlertItem = {
    id: alert.id,
    deviceId: alert.deviceId,
    deviceKind: alert.deviceKind,
    scene: alert.scene,
    district: alert.district,
    p: alert.location,
    level: alert.level,
    cleared: alert.cleared,
    acknowledged: alert.acknowledged,
    firstTs: alert.firstTs,
    lastTs: alert.lastTs,
    count: alert.count,
    title: alert.title,
    titleEn: alert.titleEn,
  };
  if (alert.value !== undefined) item.value = alert.value;
  if (alert.metric !== undefined) item.metric = alert.metric;
  if (alert.incidentId !== undefined) item.incidentId = alert.incidentId;
  return item;
}

/**
 * Most severe first, then newest (raised) first, then id. Not by last seen: an open alert's
 * `lastTs` moves with every reading of its device, and a list ordered by it reorders every frame —
 * the scene diff sends a moved item again (remove + put), so with a few dozen open alerts whose
 * devices keep reporting every frame carried the whole list to every screen (a bench storm: 50×
 * the bytes). Raised order only changes when an alert is raised, cleared or changes level; the
 * clients order their own views (ticker, console queue) by last seen.
 */
export function compareAlertsBySeverityThenNewest(a: Alert, b: Alert): number {
  return ALERT_LEVEL_RANK[a.level] - ALERT_LEVEL_RANK[b.level] || b.firstTs - a.firstTs || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** Open alerts passing `include`, sorted by `compare`, at most MAX_ALERT_ITEMS. */
export function openAlertItems(
  state: FusedState,
  include: (a: Alert) => boolean = () => true,
  compare: (a: Alert, b: Alert) => number = compareAlertsBySeverityThenNewest,
): AlertItem[] {
  if (compare !== compareAlertsBySeverityThenNewest) {
    return state.alerts
      .filter((a) => isAlertOpen(a) && include(a))
      .sort(compare)
      .slice(0, MAX_ALERT_ITEMS)
      .map(toAlertItem);
  }
  // the same answer from the memoised sorted open alerts: a stable sort then a filter keeps the
  // order of a filter then a stable sort
  const entry = alertsEntry(state.alerts);
  const sorted = (entry.openBySeverity ??= state.alerts.filter(isAlertOpen).sort(compareAlertsBySeverityThenNewest));
  const items: AlertItem[] = [];
  for (const a of sorted) {
    if (items.length >= MAX_ALERT_ITEMS) break;
    if (include(a)) items.push(toAlertItem(a));
  }
  return items;
}

/** Open alerts counted per level. */
export function countOpenAlertsByLevel(alerts: readonly Alert[]): Record<AlertLevel, number> {
  const entry = alertsEntry(alerts);
  let counts = entry.openCounts;
  if (!counts) {
    counts = entry.openCounts = { red: 0, orange: 0, yellow: 0, blue: 0 };
    for (const alert of alerts) if (isAlertOpen(alert)) counts[alert.level]++;
  }
  return { ...counts };
}

const RULE_TYPE_BY_ID = new Map(DEFAULT_RULES.map((r) => [r.id, r.type]));

/**
 * true for alerts raised by an offline rule (device silent), false for measured conditions.
 * Rules outside DEFAULT_RULES are judged by the alert itself: offline alerts carry no metric.
 */
export function isOfflineAlert(alert: Alert): boolean {
  const type = RULE_TYPE_BY_ID.get(alert.ruleId);
  return type !== undefined ? type === 'offline' : alert.metric === undefined;
}

// ---------------------------------------------------------------------------------------------
// Incidents, handlers

export function toIncidentItem(incident: Incident): IncidentItem {
  const item: IncidentItem = {
    id: incident.id,
    version: incident.version,
    state: incident.state,
    priority: incident.priority,
    level: incident.level,
    scene: incident.scene,
    category: incident.category,
    title: incident.title,
    district: incident.district,
    p: incident.location,
    assignees: incident.assignees.slice(),
    escalated: incident.escalated,
    createdTs: incident.createdTs,
    updatedTs: incident.updatedTs,
    slaDueTs: incident.slaDueTs,
  };
  if (incident.titleEn !== undefined) item.titleEn = incident.titleEn;
  if (incident.closedTs !== undefined) item.closedTs = incident.closedTs;
  if (incident.supervision) item.supervision = { by: incident.supervision.by, deadlineTs: incident.supervision.deadlineTs };
  return item;
}

/** In progress first, then by priority (P1 first), then newest first, then id. */
function compareIncidents(a: Incident, b: Incident): number {
  const openA = isIncidentInProgress(a) ? 0 : 1;
  const openB = isIncidentInProgress(b) ? 0 : 1;
  return (
    openA - openB ||
    (a.priority < b.priority ? -1 : a.priority > b.priority ? 1 : 0) ||
    b.createdTs - a.createdTs ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  );
}

/**
 * Incidents passing `include` that are not closed, or were closed within
 * CLOSED_INCIDENT_VISIBLE_MS; sorted (open, priority, newest), at most MAX_INCIDENT_ITEMS.
 */
export function incidentItems(state: FusedState, include: (i: Incident) => boolean = () => true): IncidentItem[] {
  const since = state.nowTs - CLOSED_INCIDENT_VISIBLE_MS;
  return state.incidents
    .filter((i) => include(i) && (isIncidentOpen(i) || (i.closedTs ?? i.updatedTs) >= since))
    .sort(compareIncidents)
    .slice(0, MAX_INCIDENT_ITEMS)
    .map(toIncidentItem);
}

export function toHandlerItem(handler: Handler): HandlerItem {
  return { id: handler.id, name: handler.name, team: handler.team, status: handler.status, p: handler.location, locationTs: handler.locationTs };
}

/** All handlers, sorted by id. */
export function handlerItems(state: FusedState): HandlerItem[] {
  return state.handlers.map(toHandlerItem).sort(byId);
}

/**
 * The handlers a scene's KPIs and charts count: a district view's own people (FusedState.localHandlers),
 * else everyone. The map and the dispatch list keep the whole pool (handlerItems).
 */
export function countedHandlers(state: FusedState): readonly Handler[] {
  return state.localHandlers ?? state.handlers;
}

// ---------------------------------------------------------------------------------------------
// KPIs and charts

export function kpi(id: string, label: string, labelEn: string, value: number | null, unit: string, level?: AlertLevel): Kpi {
  const item: Kpi = { id, label, labelEn, value, unit };
  if (level !== undefined) item.level = level;
  return item;
}

/** One KPI per alert level, ids `${prefix}${Level}` (e.g. openAlertsRed), coloured by level. */
export function alertLevelKpis(counts: Record<AlertLevel, number>, prefix: string): Kpi[] {
  const names: Record<AlertLevel, [string, string]> = {
    red: ['红色预警', 'Red alerts'],
    orange: ['橙色预警', 'Orange alerts'],
    yellow: ['黄色预警', 'Yellow alerts'],
    blue: ['蓝色预警', 'Blue alerts'],
  };
  return ALERT_LEVELS.map((level) =>
    kpi(`${prefix}${level[0].toUpperCase()}${level.slice(1)}`, names[level][0], names[level][1], counts[level], '条', level),
  );
}

export const ALERT_LEVEL_NAMES: Record<AlertLevel, { name: string; nameEn: string }> = {
  red: { name: '红色', nameEn: 'Red' },
  orange: { name: '橙色', nameEn: 'Orange' },
  yellow: { name: '黄色', nameEn: 'Yellow' },
  blue: { name: '蓝色', nameEn: 'Blue' },
};

/** All ten districts in code order, with names for chart categories. */
export function districtCategories(): { codes: readonly (typeof DISTRICT_CODES)[number][]; names: string[]; namesEn: string[] } {
  return {
    codes: DISTRICT_CODES,
    names: DISTRICT_CODES.map((c) => districtName(c, 'zh')),
    namesEn: DISTRICT_CODES.map((c) => districtName(c, 'en')),
  };
}

/** `${deviceId}.${metric}` — the key of a series window in FusedState.series. */
export function seriesKey(deviceId: string, metric: string): string {
  return `${deviceId}.${metric}`;
}

/**
 * A chart line from a series window (bounded by the window's length), or null when the window
 * is missing or empty. `useMax` plots each bucket's peak instead of its last value.
 */
export function seriesLine(state: FusedState, deviceId: string, metric: string, name: string, nameEn: string, useMax = false): ChartLine | null {
  const window: SeriesWindow | undefined = state.series.get(seriesKey(deviceId, metric));
  if (window === undefined || window.ts.length === 0) return null;
  const source = useMax ? window.max : window.values;
  const length = Math.min(window.ts.length, source.length);
  const points: [number, number][] = [];
  for (let i = 0; i < length; i++) points.push([window.ts[i], source[i]]);
  return { id: `${deviceId}.${metric}`, name, nameEn, points };
}

/**
 * Staleness horizon of a live series of this device kind and bucket width, ms: the longest a
 * healthy chart's dataTs (the start of its newest CLOSED bucket) can age. A bucket is shown only
 * once closed, so its start is one bucket old when it appears; the next bucket closes one bucket
 * later; that bucket holds data only if a device reported in it (a kind reporting less often than
 * once a bucket skips buckets: up to one reporting interval more); plus the publication slack.
 * E.g. strain (5 s reports, 10 s buckets): 2 × 10 + 5 + 2 = 27 s.
 */
export function seriesExpectedIntervalMs(kind: DeviceKind, bucketMs: number): number {
  return 2 * bucketMs + DEVICE_CATALOGUE[kind].intervalMs + SERIES_PUBLICATION_SLACK_MS;
}

/** Bucket width of a chart line: its series window's, else the smallest step between its points; ms (0 = unknown). */
function lineBucketMs(state: FusedState, line: ChartLine): number {
  const window = state.series.get(line.id);
  if (window !== undefined) return window.bucketMs;
  let step = 0;
  for (let i = 1; i < line.points.length; i++) {
    const d = line.points[i][0] - line.points[i - 1][0];
    if (d > 0 && (step === 0 || d < step)) step = d;
  }
  return step;
}

/** A time-series chart; dataTs = newest point over all lines, or nowTs when there are none. */
export function timeseriesChart(
  state: FusedState,
  opts: { title: string; titleEn: string; unit: string; kind: DeviceKind; lines: ChartLine[]; marks?: ChartMarkLine[] },
): ChartData {
  const lines = opts.lines.slice(0, MAX_CHART_LINES);
  let dataTs = 0;
  let bucketMs = 0;
  for (const line of lines) {
    const last = line.points[line.points.length - 1];
    if (last !== undefined && last[0] > dataTs) dataTs = last[0];
    bucketMs = Math.max(bucketMs, lineBucketMs(state, line));
  }
  // no line (e.g. a district without bridges): an empty chart ages like an aggregate, never "delayed"
  const empty = lines.length === 0;
  return {
    kind: 'timeseries',
    title: opts.title,
    titleEn: opts.titleEn,
    unit: opts.unit,
    lines,
    marks: opts.marks ?? [],
    dataTs: empty ? aggregateDataTs(state.nowTs) : dataTs,
    expectedIntervalMs: empty ? AGGREGATE_EXPECTED_INTERVAL_MS : seriesExpectedIntervalMs(opts.kind, bucketMs),
  };
}

/** The threshold rule of a kind and metric among the default rules (first match), if any. */
export function thresholdRule(kind: DeviceKind, metric: string): ThresholdRule | undefined {
  for (const rule of DEFAULT_RULES) {
    if (rule.type === 'threshold' && rule.deviceKind === kind && rule.metric === metric) return rule;
  }
  return undefined;
}

/**
 * Mark lines at the limits of every default threshold rule of a kind and metric (e.g. both the
 * low- and the high-pressure rule), most severe first within each rule.
 */
export function ruleLimitMarks(kind: DeviceKind, metric: string): ChartMarkLine[] {
  const marks: ChartMarkLine[] = [];
  for (const rule of DEFAULT_RULES) {
    if (rule.type !== 'threshold' || rule.deviceKind !== kind || rule.metric !== metric) continue;
    for (const level of ALERT_LEVELS) {
      const value = rule.limits[level];
      if (value !== undefined)
        marks.push({ name: `${ALERT_LEVEL_NAMES[level].name}阈值`, nameEn: `${ALERT_LEVEL_NAMES[level].nameEn} limit`, value, level });
    }
  }
  return marks;
}

/** The rolling window of the "last 24 h" charts (the overview's level pie, the community mix and ranking). */
export const RECENT_WINDOW_MS = 24 * 3600_000;

/** Alerts first observed within the `windowMs` ending at `nowTs`. */
export function raisedWithin(alert: Alert, nowTs: number, windowMs: number = RECENT_WINDOW_MS): boolean {
  return alert.firstTs <= nowTs && nowTs - alert.firstTs < windowMs;
}

/** Alerts whose first observation falls in the local day containing `nowTs`. */
export function raisedToday(alert: Alert, nowTs: number): boolean {
  return alert.firstTs >= startOfLocalDay(nowTs) && alert.firstTs <= nowTs;
}

export const SCENE_NAMES: Record<SceneId, { name: string; nameEn: string }> = {
  emergency: { name: '应急', nameEn: 'Emergency' },
  bridge: { name: '路桥', nameEn: 'Bridges' },
  water: { name: '水务', nameEn: 'Water' },
  community: { name: '社区', nameEn: 'Community' },
};

/** A bar chart of aggregate counts (dataTs = nowTs). */
export function countBarChart(
  state: FusedState,
  opts: {
    title: string;
    titleEn: string;
    unit: string;
    categories: string[];
    categoriesEn: string[];
    series: { id: string; name: string; nameEn: string; values: number[]; level?: AlertLevel }[];
  },
): ChartData {
  return { kind: 'bar', ...opts, dataTs: aggregateDataTs(state.nowTs), expectedIntervalMs: AGGREGATE_EXPECTED_INTERVAL_MS };
}

/** A pie chart of aggregate counts (dataTs = nowTs). */
export function countPieChart(
  state: FusedState,
  opts: { title: string; titleEn: string; unit: string; slices: { id: string; name: string; nameEn: string; value: number }[] },
): ChartData {
  return { kind: 'pie', ...opts, dataTs: aggregateDataTs(state.nowTs), expectedIntervalMs: AGGREGATE_EXPECTED_INTERVAL_MS };
}
