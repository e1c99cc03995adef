/**
 * Data scope (分级分类分岗, issue 12): what one person may read and act on.
 *
 * - `all`: the whole city — admins, wall screens, and officers/leaders without districts.
 * - `districts`: officers and leaders limited to some districts (a user attribute, never a token claim).
 * - `handler`: a field handler sees their own tasks only (assigned to them, or reported by them)
 *   and nothing else of the city: no alerts, devices, assets or resources (least privilege —
 *   the phone page needs only its tasks).
 *
 * Pure: every rule here reads its inputs only. The few memos are transparent (same input, same
 * output) and keyed by the identity of immutable inputs, like the builders' memos.
 */
import type { Alert, Asset, Device, DeviceState, DistrictCode, EmergencyResource, Incident, Role, SceneId } from './domain';
import type { AlertTrend, FusedState, SeriesWindow } from './scene-model';
import type { LogEvent } from './protocol';
import { handlersInDistricts } from './handler-districts';

export type DataScope =
  | { kind: 'all' }
  /** sorted, without duplicates, never empty */
  | { kind: 'districts'; districts: readonly DistrictCode[] }
  | { kind: 'handler'; username: string };

/** Who a scope is worked out for: a stored user (districts come from the store, not the token). */
export interface ScopeSubject {
  role: Role;
  username: string;
  districts?: readonly DistrictCode[] | undefined;
}

export const WHOLE_CITY: DataScope = Object.freeze({ kind: 'all' });

/** Roles that may be limited to districts; for every other role a `districts` attribute is ignored. */
export const DISTRICT_SCOPED_ROLES: readonly Role[] = ['officer', 'leader'];

export function scopeOf(user: ScopeSubject): DataScope {
  if (user.role === 'handler') return { kind: 'handler', username: user.username };
  if (!DISTRICT_SCOPED_ROLES.includes(user.role)) return WHOLE_CITY;
  return districtsScope(user.districts);
}

/**
 * The scope of a district list, whoever holds it (a scoped officer or leader, a district's API key):
 * none or an empty list is the whole city; otherwise the districts, sorted and without duplicates.
 */
export function districtsScope(districts: readonly DistrictCode[] | undefined): DataScope {
  if (!districts || districts.length === 0) return WHOLE_CITY;
  return { kind: 'districts', districts: [...new Set(districts)].sort() };
}

/** A stable name of a scope: equal scopes have equal keys, whatever order the districts came in. */
export function scopeKey(scope: DataScope): string {
  switch (scope.kind) {
    case 'all':
      return 'all';
    case 'districts':
      return `d:${scope.districts.join(',')}`;
    case 'handler':
      return `h:${scope.username}`;
  }
}

export function isWholeCity(scope: DataScope): boolean {
  return scope.kind === 'all';
}

/** Is a place in this district in scope? A handler's scope holds no district. */
export function districtInScope(scope: DataScope, district: DistrictCode): boolean {
  if (scope.kind === 'all') return true;
  return scope.kind === 'districts' && scope.districts.includes(district);
}

export function incidentInScope(scope: DataScope, incident: Pick<Incident, 'district' | 'assignees' | 'reportedBy'>): boolean {
  if (scope.kind === 'handler') return incident.assignees.includes(scope.username) || incident.reportedBy === scope.username;
  return districtInScope(scope, incident.district);
}

export function alertInScope(scope: DataScope, alert: Pick<Alert, 'district'>): boolean {
  return districtInScope(scope, alert.district);
}

/** Devices, assets and emergency resources: by the district they stand in. */
export function placeInScope(scope: DataScope, thing: Pick<Device | Asset | EmergencyResource, 'district'>): boolean {
  return districtInScope(scope, thing.district);
}

/**
 * An event-log entry: by the incident or alert it carries, or the district of the device a
 * command went to. An event that carries none of them is whole-city information and in no
 * narrower scope (a handler never sees a device command).
 */
export function eventInScope(scope: DataScope, event: Pick<LogEvent, 'incident' | 'alert' | 'deviceCommand'>): boolean {
  if (scope.kind === 'all') return true;
  if (event.incident) return incidentInScope(scope, event.incident);
  if (event.alert) return alertInScope(scope, event.alert);
  if (event.deviceCommand?.district) return districtInScope(scope, event.deviceCommand.district);
  return false;
}

// ---------------------------------------------------------------------------------------------
// Push rooms

/** The rooms a person of `role` with `scope` joins to hear of incident changes by role. */
export function roleRooms(role: Role, scope: DataScope): string[] {
  if (scope.kind === 'all') return [`role:${role}`];
  if (scope.kind === 'districts') return scope.districts.map((d) => `role:${role}|${d}`);
  // handlers hear of their own tasks through their `user:` room only
  return [];
}

/** The rooms told of an incident change for these roles: the whole-city room and the district's. */
export function incidentRoleRooms(roles: readonly Role[], district: DistrictCode): string[] {
  return roles.flatMap((r) => [`role:${r}`, `role:${r}|${district}`]);
}

// ---------------------------------------------------------------------------------------------
// Fused state

/**
 * The part of a fused state in scope:
 * - devices, device states, series, assets and resources of in-scope districts;
 * - alerts and incidents in scope;
 * - `alertTrend` recomputed from the in-scope alerts the state holds, on the same bucket grid
 *   (the state keeps every alert raised within its 24 h window: open ones and those cleared in
 *   the last 24 h), so a scoped overview never counts another district's alerts;
 * - area warnings of in-scope districts (none for a handler);
 * - handlers unchanged: the dispatchable people are a city-wide pool an officer of any district
 *   may send (a handler scope gets none); `localHandlers` names the ones at work in, or standing
 *   in, the districts (scenes/handler-districts.ts), which the view's handler figures count;
 * - WITHOUT `statusEpoch`/`statusChangedSince`: builders reuse per-device results on those, and a
 *   scoped build must never pick up the whole city's points (or another scope's).
 * The whole-city scope returns the state itself.
 */
export function scopeFusedState(state: FusedState, scope: DataScope): FusedState {
  if (scope.kind === 'all') return state;
  const key = scopeKey(scope);
  const devices = memo(state.devices, key, () => filterDevices(state.devices, scope));
  const alerts = memo(state.alerts, key, () => (scope.kind === 'handler' ? [] : state.alerts.filter((a) => alertInScope(scope, a))));
  const assets = memo(state.assets, key, () => state.assets.filter((a) => placeInScope(scope, a)));
  return {
    nowTs: state.nowTs,
    devices,
    deviceStates: new KeyFilteredMap(state.deviceStates, (id) => devices.has(id)),
    alerts,
    incidents: state.incidents.filter((i) => incidentInScope(scope, i)),
    handlers: scope.kind === 'handler' ? [] : state.handlers,
    // from every incident, not the scoped ones: a handler at work in another district is not ours
    ...(scope.kind === 'districts' ? { localHandlers: handlersInDistricts(state.handlers, state.incidents, scope.districts) } : {}),
    assets,
    resources: state.resources.filter((r) => placeInScope(scope, r)),
    series: new KeyFilteredMap(state.series, (k) => devices.has(deviceIdOfSeriesKey(k))),
    alertTrend: trendOf(alerts, state.alertTrend),
    // area warnings (issue 14) by their district, like the alerts they group
    ...(state.areaWarnings ? { areaWarnings: state.areaWarnings.filter((w) => districtInScope(scope, w.district)) } : {}),
  };
}

function filterDevices(devices: ReadonlyMap<string, Device>, scope: DataScope): ReadonlyMap<string, Device> {
  const out = new Map<string, Device>();
  if (scope.kind === 'handler') return out;
  for (const [id, d] of devices) if (placeInScope(scope, d)) out.set(id, d);
  return out;
}

/** `${deviceId}.${metric}`: metric names hold no '.', device ids may. */
function deviceIdOfSeriesKey(key: string): string {
  const dot = key.lastIndexOf('.');
  return dot < 0 ? key : key.slice(0, dot);
}

/** Alerts raised per scene per bucket, counted from `alerts` on the grid of `grid`. */
export function trendOf(alerts: readonly Alert[], grid: AlertTrend): AlertTrend {
  const buckets = Object.values(grid.counts)[0]?.length ?? 0;
  const counts = Object.fromEntries(Object.keys(grid.counts).map((s) => [s, new Array<number>(buckets).fill(0)])) as Record<SceneId, number[]>;
  for (const a of alerts) {
    const idx = Math.floor((a.firstTs - grid.startTs) / grid.bucketMs);
    const row = counts[a.scene];
    if (row && idx >= 0 && idx < buckets) row[idx]! += 1;
  }
  return { bucketMs: grid.bucketMs, startTs: grid.startTs, counts };
}

/**
 * A read-only view of a map holding only the keys `keep` accepts: O(1) to make, so a scoped build
 * does not copy 100k device states. Builders read it by key; iteration filters as it goes.
 */
class KeyFilteredMap<V> implements ReadonlyMap<string, V> {
  constructor(
    private readonly inner: ReadonlyMap<string, V>,
    private readonly keep: (key: string) => boolean,
  ) {}
  get(key: string): V | undefined {
    return this.keep(key) ? this.inner.get(key) : undefined;
  }
  has(key: string): boolean {
    return this.keep(key) && this.inner.has(key);
  }
  get size(): number {
    let n = 0;
    for (const k of this.inner.keys()) if (this.keep(k)) n++;
    return n;
  }
  *entries(): MapIterator<[string, V]> {
    for (const e of this.inner.entries()) if (this.keep(e[0])) yield e;
  }
  *keys(): MapIterator<string> {
    for (const [k] of this.entries()) yield k;
  }
  *values(): MapIterator<V> {
    for (const [, v] of this.entries()) yield v;
  }
  [Symbol.iterator](): MapIterator<[string, V]> {
    return this.entries();
  }
  forEach(cb: (value: V, key: string, map: ReadonlyMap<string, V>) => void): void {
    for (const [k, v] of this.entries()) cb(v, k, this);
  }
}

/**
 * Scoped copies of the big immutable inputs (device registry, alert list, assets) per input
 * identity and scope: the builders memoise sorting and grouping on the identity of these, so a
 * scoped channel that gets the same filtered registry every build keeps those memos warm.
 */
const scopedCopies = new WeakMap<object, Map<string, unknown>>();
function memo<T>(input: object, key: string, make: () => T): T {
  let byKey = scopedCopies.get(input);
  if (!byKey) scopedCopies.set(input, (byKey = new Map()));
  if (!byKey.has(key)) byKey.set(key, make());
  return byKey.get(key) as T;
}

export type { DeviceState, SeriesWindow };
