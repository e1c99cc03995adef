/**
 * The impact range of an incident or a point (issue 17) as the server answers it
 * (`GET /api/incidents/:id/impact`, `GET /api/impact`) and the console and map draw it.
 */
import type { AlertLevel, AssetKind, DeviceKind, DistrictCode, LngLat, ResourceKind, Role } from '../domain';

/** Who may look at impact ranges and resource assignments (the server's check; the console hides the tools from others). */
export const IMPACT_VIEW_ROLES: readonly Role[] = ['officer', 'leader', 'admin'];

/** A place inside the range (asset, facility). */
export interface ImpactPlace {
  id: string;
  name: string;
  nameEn: string;
  district: DistrictCode;
  /** representative point (points: itself; lines and polygons: nearest vertex to the centre) */
  location: LngLat;
  /** straight-line distance from the centre to the place (0 = the centre lies inside it), m */
  distanceM: number;
}

export interface ImpactAsset extends ImpactPlace {
  kind: AssetKind;
}

/** A resource with its distance and travel time from the centre. */
export interface ImpactResource extends ImpactPlace {
  kind: ResourceKind;
  /** shelters: people; rescue teams: members; depots: supply units */
  capacity: number;
  /** free now (capacity minus assignments, never below 0), same unit */
  available: number;
  /** estimated minutes by road (straight line × road factor at the urban speed) */
  etaMin: number;
}

export interface ImpactAlertingDevice {
  id: string;
  kind: DeviceKind;
  name: string;
  location: LngLat;
  /** worst level of its open alerts */
  level: AlertLevel;
}

/** Schools and hospitals: not an asset kind of the registry; counted when an asset carries `facility: school | hospital`. */
export const FACILITY_KINDS = ['school', 'hospital'] as const;
export type FacilityKind = (typeof FACILITY_KINDS)[number];

export interface ImpactRange {
  center: LngLat;
  category: string;
  /** m */
  radiusM: number;
  /** epoch ms of the state it was computed from */
  computedTs: number;
  /** the circle, exterior ring counterclockwise (RFC 7946), closed */
  polygon: { type: 'Polygon'; coordinates: LngLat[][] };
  assets: {
    /** how many of each kind lie in or cross the range */
    countByKind: Partial<Record<AssetKind, number>>;
    /** nearest first, at most maxListedPerKind per kind */
    items: ImpactAsset[];
  };
  /** communities in or crossing the range, nearest first */
  communities: ImpactAsset[];
  facilities: {
    /** false: no registry asset carries a `facility` attribute — schools/hospitals are not known, not absent */
    known: boolean;
    items: (ImpactPlace & { facility: FacilityKind })[];
  };
  shelters: {
    /** shelters inside, nearest first */
    items: ImpactResource[];
    /** free places summed over the shelters inside, people */
    freeCapacity: number;
  };
  devices: {
    total: number;
    countByKind: Partial<Record<DeviceKind, number>>;
    /** devices with an open (not cleared) alert, worst level first, at most maxListedPerKind */
    alerting: ImpactAlertingDevice[];
    alertingTotal: number;
  };
  /** the nearest of each kind anywhere in the (scoped) city, nearest first */
  nearest: Record<ResourceKind, ImpactResource[]>;
}
