/**
 * GeoJSON (RFC 7946) of City IOC's layers for other platforms: devices, assets, open incidents and
 * active alerts. Pure: the caller passes what it holds (registry, fusion) and "now".
 *
 * Invariants:
 * - coordinates are WGS84 `[lng, lat]` (CGCS2000 agrees with WGS84 to well under a metre here);
 *   no `crs` member (RFC 7946 §4), polygons follow the right-hand rule (exterior rings
 *   counterclockwise, holes clockwise) whatever order the registry holds them in;
 * - every feature has a string `id` and `properties` named in the domain vocabulary; times are
 *   ISO 8601 with +08:00 (`…At` names), never epoch ms;
 * - nothing secret or personal leaves: no device token or credential, no usernames of assignees or
 *   reporters (only how many are assigned).
 */
import type { Alert, AlertLevel, DeviceKind, DistrictCode, Incident, LngLat, SceneId } from '../domain';
import { isIncidentOpen } from '../incident-rules';
import { isoWithOffset } from './iso-time';

export type Position = LngLat;
export type ExportGeometry =
  { type: 'Point'; coordinates: Position } | { type: 'LineString'; coordinates: Position[] } | { type: 'Polygon'; coordinates: Position[][] };

export interface ExportFeature<P = Record<string, unknown>> {
  type: 'Feature';
  id: string;
  geometry: ExportGeometry;
  properties: P;
}

export interface ExportFeatureCollection<P = Record<string, unknown>> {
  type: 'FeatureCollection';
  features: ExportFeature<P>[];
}

/** The layers every export offers (GeoJSON and OGC API – Features collections alike). */
export const EXPORT_LAYERS = ['devices', 'assets', 'incidents', 'alerts'] as const;
export type ExportLayer = (typeof EXPORT_LAYERS)[number];

/** A device as the registry serves it (no credential ever reaches this type). */
export interface ExportDeviceInput {
  id: string;
  kind: DeviceKind;
  scene: SceneId;
  name: string;
  location: LngLat;
  district: DistrictCode;
  assetId?: string;
  status?: 'active' | 'maintenance' | 'retired';
  installDate?: string;
  vendor?: string;
  model?: string;
  /** epoch ms */
  updatedTs?: number;
}

/** Live state of a device, when fusion has one. */
export interface ExportDeviceState {
  online: boolean;
  /** epoch ms of the newest reading (0 = never) */
  lastTs: number;
}

export interface ExportAssetInput {
  id: string;
  type: string;
  name: string;
  nameEn?: string;
  scene?: SceneId;
  district: DistrictCode;
  geometry: ExportGeometry;
  /** per type; units in the names (warningLevelM, capacity …) */
  attributes: Record<string, number | string>;
  retired?: boolean;
  /** epoch ms */
  updatedTs?: number;
}

/** Drops undefined values, so absent facts are absent properties (not `null`). */
function compact<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

const iso = (ts: number | undefined): string | undefined => (ts === undefined ? undefined : isoWithOffset(ts));

/** Twice the signed area of a ring (shoelace): positive = counterclockwise in lng/lat. */
function ringArea2(ring: readonly Position[]): number {
  let sum = 0;
  for (let i = 0; i + 1 < ring.length; i++) sum += ring[i]![0] * ring[i + 1]![1] - ring[i + 1]![0] * ring[i]![1];
  return sum;
}

/** RFC 7946 §3.1.6: exterior ring counterclockwise, interior rings (holes) clockwise. */
export function rewindPolygon(rings: readonly (readonly Position[])[]): Position[][] {
  return rings.map((ring, i) => {
    const ccw = ringArea2(ring) > 0;
    const wantCcw = i === 0;
    const copy = ring.map((p) => [p[0], p[1]] as Position);
    return ccw === wantCcw ? copy : copy.reverse();
  });
}

function rfc7946Geometry(g: ExportGeometry): ExportGeometry {
  return g.type === 'Polygon' ? { type: 'Polygon', coordinates: rewindPolygon(g.coordinates) } : g;
}

/** Retired devices are off the map, retired assets gone: neither is exported. */
export const isExportedDevice = (d: Pick<ExportDeviceInput, 'status'>): boolean => d.status !== 'retired';
export const isExportedAsset = (a: Pick<ExportAssetInput, 'retired'>): boolean => !a.retired;
/** Active alerts: raised and not cleared (acknowledged ones included). */
export const isExportedAlert = (a: Pick<Alert, 'cleared'>): boolean => !a.cleared;

export function deviceFeature(d: ExportDeviceInput, state: ExportDeviceState | undefined): ExportFeature {
  return {
    type: 'Feature',
    id: d.id,
    geometry: { type: 'Point', coordinates: [d.location[0], d.location[1]] },
    properties: compact({
      id: d.id,
      kind: d.kind,
      scene: d.scene,
      name: d.name,
      district: d.district,
      assetId: d.assetId,
      status: d.status ?? 'active',
      online: state?.online,
      lastReadingAt: state && state.lastTs > 0 ? iso(state.lastTs) : undefined,
      installDate: d.installDate,
      vendor: d.vendor,
      model: d.model,
      updatedAt: iso(d.updatedTs),
    }),
  };
}

export function assetFeature(a: ExportAssetInput): ExportFeature {
  return {
    type: 'Feature',
    id: a.id,
    geometry: rfc7946Geometry(a.geometry),
    properties: compact({
      id: a.id,
      type: a.type,
      name: a.name,
      nameEn: a.nameEn,
      scene: a.scene,
      district: a.district,
      attributes: { ...a.attributes },
      updatedAt: iso(a.updatedTs),
    }),
  };
}

/** An incident without usernames: only how many handlers are assigned. */
export function incidentFeature(i: Incident): ExportFeature {
  return {
    type: 'Feature',
    id: i.id,
    geometry: { type: 'Point', coordinates: [i.location[0], i.location[1]] },
    properties: compact({
      id: i.id,
      state: i.state,
      priority: i.priority,
      level: i.level ?? undefined,
      scene: i.scene,
      category: i.category,
      title: i.title,
      titleEn: i.titleEn,
      district: i.district,
      source: i.source,
      deviceId: i.deviceId,
      alertCount: i.alertIds.length,
      assigneeCount: i.assignees.length,
      escalated: i.escalated,
      supervised: i.supervision !== undefined,
      createdAt: iso(i.createdTs),
      updatedAt: iso(i.updatedTs),
      slaDueAt: iso(i.slaDueTs),
      slaResponseDueAt: iso(i.slaResponseDueTs),
      resolvedAt: iso(i.resolvedTs),
    }),
  };
}

/** An alert without the acknowledging person's name. */
export function alertFeature(a: Alert): ExportFeature {
  return {
    type: 'Feature',
    id: a.id,
    geometry: { type: 'Point', coordinates: [a.location[0], a.location[1]] },
    properties: compact({
      id: a.id,
      deviceId: a.deviceId,
      deviceKind: a.deviceKind,
      ruleId: a.ruleId,
      scene: a.scene,
      district: a.district,
      level: a.level satisfies AlertLevel,
      peakLevel: a.peakLevel,
      acknowledged: a.acknowledged,
      count: a.count,
      metric: a.metric,
      value: a.value,
      title: a.title,
      titleEn: a.titleEn,
      incidentId: a.incidentId,
      firstAt: iso(a.firstTs),
      lastAt: iso(a.lastTs),
      ackAt: iso(a.ackTs),
    }),
  };
}

export function buildDeviceFeatures(
  devices: readonly ExportDeviceInput[],
  stateOf: (id: string) => ExportDeviceState | undefined = () => undefined,
): ExportFeatureCollection {
  return { type: 'FeatureCollection', features: sortById(devices.filter(isExportedDevice).map((d) => deviceFeature(d, stateOf(d.id)))) };
}

export function buildAssetFeatures(assets: readonly ExportAssetInput[]): ExportFeatureCollection {
  return { type: 'FeatureCollection', features: sortById(assets.filter(isExportedAsset).map(assetFeature)) };
}

/** Open incidents (not closed). */
export function buildIncidentFeatures(incidents: Iterable<Incident>): ExportFeatureCollection {
  return { type: 'FeatureCollection', features: sortById([...incidents].filter((i) => isIncidentOpen(i)).map(incidentFeature)) };
}

export function buildAlertFeatures(alerts: Iterable<Alert>): ExportFeatureCollection {
  return { type: 'FeatureCollection', features: sortById([...alerts].filter(isExportedAlert).map(alertFeature)) };
}

export function sortById<F extends { id: string }>(features: F[]): F[] {
  return features.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** [minLng, minLat, maxLng, maxLat] of a geometry. */
export function geometryBBox(g: ExportGeometry): [number, number, number, number] {
  const points: readonly Position[] = g.type === 'Point' ? [g.coordinates] : g.type === 'LineString' ? g.coordinates : g.coordinates.flat();
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const [x, y] of points) {
    if (x < minX) minX = x;
    if (y < minY) minY = y;
    if (x > maxX) maxX = x;
    if (y > maxY) maxY = y;
  }
  return [minX, minY, maxX, maxY];
}
