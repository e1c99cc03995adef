/**
 * The impact range of an incident or a point (issue 17): a circle of a radius per incident
 * category, what lies inside it (assets by kind, communities, schools/hospitals where the registry
 * marks them, shelters with their free places, devices by kind and the alerting ones) and the
 * nearest rescue teams, supply depots and shelters anywhere, with distance and travel time.
 *
 * Pure: the state and "now" come in as arguments. Fast on large fleets: a device is measured
 * (great-circle) only when it lies in the circle's bounding box, a cheap comparison of degrees,
 * so 100k devices cost 100k comparisons and a few hundred distances.
 */
import { booleanIntersects } from '@turf/boolean-intersects';
import { booleanPointInPolygon } from '@turf/boolean-point-in-polygon';
import { circle } from '@turf/circle';
import { distance } from '@turf/distance';
import { lineString } from '@turf/helpers';
import { nearestPointOnLine } from '@turf/nearest-point-on-line';
import { ALERT_LEVEL_RANK, RESOURCE_KINDS } from '../domain';
import type { AlertLevel, Asset, AssetKind, DeviceKind, EmergencyResource, LngLat, ResourceKind } from '../domain';
import type { FusedState } from '../scene-model';
import { DEFAULT_IMPACT_CONFIG, radiusFor, travelMinutes, type ImpactConfig } from './impact-config';
import {
  FACILITY_KINDS,
  type FacilityKind,
  type ImpactAlertingDevice,
  type ImpactAsset,
  type ImpactRange,
  type ImpactResource,
} from './impact-types';

export interface ImpactQuery {
  center: LngLat;
  /** incident category (chooses the default radius) */
  category: string;
  /** the officer's choice, m (clamped to the configured range) */
  radiusM?: number;
  /** epoch ms */
  nowTs: number;
}

/** What the range is computed from: fusion's state (already cut to the caller's scope). */
export type ImpactState = Pick<FusedState, 'devices' | 'alerts' | 'assets' | 'resources'>;

/** Counts of the work done, for tests that bound it (a size, not a time). */
export interface ImpactProbe {
  /** devices whose great-circle distance was computed */
  deviceDistances: number;
}

/** m per degree of latitude (mean) — the bounding box is widened by BBOX_MARGIN so it never cuts the circle */
const METRES_PER_DEGREE = 111_320;
const BBOX_MARGIN = 1.01;

interface DegreeBox {
  minLng: number;
  maxLng: number;
  minLat: number;
  maxLat: number;
}

function boxAround(center: LngLat, radiusM: number): DegreeBox {
  const dLat = (radiusM / METRES_PER_DEGREE) * BBOX_MARGIN;
  const dLng = dLat / Math.max(0.01, Math.cos((center[1] * Math.PI) / 180));
  return { minLng: center[0] - dLng, maxLng: center[0] + dLng, minLat: center[1] - dLat, maxLat: center[1] + dLat };
}

const inBox = (b: DegreeBox, p: LngLat) => p[0] >= b.minLng && p[0] <= b.maxLng && p[1] >= b.minLat && p[1] <= b.maxLat;

function coordsOf(g: Asset['geometry']): LngLat[] {
  return g.type === 'Point' ? [g.coordinates] : g.type === 'LineString' ? g.coordinates : g.coordinates.flat();
}

function boxOfCoords(coords: readonly LngLat[]): DegreeBox {
  const b = { minLng: Infinity, maxLng: -Infinity, minLat: Infinity, maxLat: -Infinity };
  for (const [lng, lat] of coords) {
    b.minLng = Math.min(b.minLng, lng);
    b.maxLng = Math.max(b.maxLng, lng);
    b.minLat = Math.min(b.minLat, lat);
    b.maxLat = Math.max(b.maxLat, lat);
  }
  return b;
}

const boxesOverlap = (a: DegreeBox, b: DegreeBox) => a.minLng <= b.maxLng && b.minLng <= a.maxLng && a.minLat <= b.maxLat && b.minLat <= a.maxLat;

/** Great-circle distance, m. */
export function metresBetween(a: LngLat, b: LngLat): number {
  return distance(a, b, { units: 'meters' });
}

/** Distance from the centre to an asset's geometry (0 inside a polygon) and the point it is measured to. */
function reachOf(center: LngLat, g: Asset['geometry']): { distanceM: number; location: LngLat } {
  if (g.type === 'Point') return { distanceM: metresBetween(center, g.coordinates), location: g.coordinates };
  if (g.type === 'Polygon' && booleanPointInPolygon(center, { type: 'Polygon', coordinates: g.coordinates }))
    return { distanceM: 0, location: center };
  const line = g.type === 'LineString' ? g.coordinates : g.coordinates[0]!;
  if (line.length < 2) return { distanceM: metresBetween(center, line[0]!), location: line[0]! };
  const near = nearestPointOnLine(lineString(line), center, { units: 'meters' });
  return { distanceM: near.properties.dist ?? 0, location: near.geometry.coordinates as LngLat };
}

const byDistance = <T extends { distanceM: number; id: string }>(a: T, b: T) => a.distanceM - b.distanceM || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
const roundM = (m: number) => Math.round(m);

function resourceAt(center: LngLat, r: EmergencyResource, config: ImpactConfig): ImpactResource {
  const distanceM = roundM(metresBetween(center, r.location));
  return {
    id: r.id,
    kind: r.kind,
    name: r.name,
    nameEn: r.nameEn,
    district: r.district,
    location: r.location,
    distanceM,
    capacity: r.capacity,
    available: Math.max(0, Math.min(r.capacity, r.available)),
    etaMin: travelMinutes(distanceM, config),
  };
}

/**
 * Every resource measured from `center`, nearest first (ties by id), with its free units and
 * travel time: the impact range's "nearest" lists and the resources a plan takes (scenes/plans).
 */
export function rankResources(
  center: LngLat,
  resources: readonly EmergencyResource[],
  config: ImpactConfig = DEFAULT_IMPACT_CONFIG,
): ImpactResource[] {
  return resources.map((r) => resourceAt(center, r, config)).sort(byDistance);
}

function facilityOf(a: Asset): FacilityKind | null {
  const f = a.props.facility;
  return typeof f === 'string' && (FACILITY_KINDS as readonly string[]).includes(f) ? (f as FacilityKind) : null;
}

/** The impact range of `query` over `state`; `probe` (optional) counts the distances measured. */
export function impactRange(query: ImpactQuery, state: ImpactState, config: ImpactConfig = DEFAULT_IMPACT_CONFIG, probe?: ImpactProbe): ImpactRange {
  const { center } = query;
  const radiusM = radiusFor(query.category, config, query.radiusM);
  const ring = circle(center, radiusM, { units: 'meters', steps: config.circleSteps });
  const box = boxAround(center, radiusM);

  // assets: a cheap box test, then whether the geometry meets the circle
  const countByKind: Partial<Record<AssetKind, number>> = {};
  const inside: ImpactAsset[] = [];
  const facilities: (ImpactAsset & { facility: FacilityKind })[] = [];
  let facilitiesKnown = false;
  for (const a of state.assets) {
    const facility = facilityOf(a);
    if (facility) facilitiesKnown = true;
    const coords = coordsOf(a.geometry);
    if (!boxesOverlap(box, boxOfCoords(coords))) continue;
    const reach = reachOf(center, a.geometry);
    const meets = a.geometry.type === 'Point' ? reach.distanceM <= radiusM : reach.distanceM <= radiusM && booleanIntersects(ring, a.geometry);
    if (!meets) continue;
    countByKind[a.kind] = (countByKind[a.kind] ?? 0) + 1;
    const place: ImpactAsset = {
      id: a.id,
      kind: a.kind,
      name: a.name,
      nameEn: a.nameEn,
      district: a.district,
      location: reach.location,
      distanceM: roundM(reach.distanceM),
    };
    inside.push(place);
    if (facility) facilities.push({ ...place, facility });
  }
  inside.sort(byDistance);
  const perKindSeen = new Map<AssetKind, number>();
  const items = inside.filter((p) => {
    const n = (perKindSeen.get(p.kind) ?? 0) + 1;
    perKindSeen.set(p.kind, n);
    return n <= config.maxListedPerKind;
  });

  // devices: box first, the great-circle distance only for those in the box
  const deviceCount: Partial<Record<DeviceKind, number>> = {};
  const insideDevices = new Map<string, { kind: DeviceKind; name: string; location: LngLat }>();
  for (const d of state.devices.values()) {
    if (d.status === 'retired' || !inBox(box, d.location)) continue;
    if (probe) probe.deviceDistances++;
    if (metresBetween(center, d.location) > radiusM) continue;
    deviceCount[d.kind] = (deviceCount[d.kind] ?? 0) + 1;
    insideDevices.set(d.id, d);
  }
  const worst = new Map<string, AlertLevel>();
  for (const al of state.alerts) {
    if (al.cleared || !insideDevices.has(al.deviceId)) continue;
    const prev = worst.get(al.deviceId);
    if (!prev || ALERT_LEVEL_RANK[al.level] < ALERT_LEVEL_RANK[prev]) worst.set(al.deviceId, al.level);
  }
  const alerting: ImpactAlertingDevice[] = [...worst].map(([id, level]) => {
    const d = insideDevices.get(id)!;
    return { id, kind: d.kind, name: d.name, location: d.location, level };
  });
  alerting.sort((a, b) => ALERT_LEVEL_RANK[a.level] - ALERT_LEVEL_RANK[b.level] || (a.id < b.id ? -1 : 1));

  // resources: every one measured (tens), the nearest of each kind, and the shelters inside
  const measured = rankResources(center, state.resources, config);
  const nearest = Object.fromEntries(RESOURCE_KINDS.map((k) => [k, measured.filter((r) => r.kind === k).slice(0, config.nearestPerKind)])) as Record<
    ResourceKind,
    ImpactResource[]
  >;
  const sheltersInside = measured.filter((r) => r.kind === 'shelter' && metresBetween(center, r.location) <= radiusM);

  return {
    center,
    category: query.category,
    radiusM,
    computedTs: query.nowTs,
    polygon: { type: 'Polygon', coordinates: ring.geometry.coordinates as LngLat[][] },
    assets: { countByKind, items },
    communities: inside.filter((p) => p.kind === 'community').slice(0, config.maxListedPerKind),
    facilities: { known: facilitiesKnown, items: facilities.sort(byDistance).slice(0, config.maxListedPerKind) },
    shelters: { items: sheltersInside.slice(0, config.maxListedPerKind), freeCapacity: sheltersInside.reduce((s, r) => s + r.available, 0) },
    devices: {
      total: insideDevices.size,
      countByKind: deviceCount,
      alerting: alerting.slice(0, config.maxListedPerKind),
      alertingTotal: alerting.length,
    },
    nearest,
  };
}
