/**
 * The deterministic demo fleet: devices mounted on the Qingdao assets.
 *
 * Same options → identical array. Devices are generated in a fixed round-robin order (scene
 * cycle → kind cycle per scene → asset cycle per kind) consuming one seeded random stream, so
 * a fleet of N devices is always a prefix of a fleet of M > N devices with the same seed:
 * growing the fleet never renames or moves existing devices.
 */
import { DEVICE_CATALOGUE } from './catalogue';
import { assetAnchor, QINGDAO_ASSETS } from './city/qingdao';
import type { Asset, Device, DeviceKind, DistrictCode, LngLat, SceneId } from './domain';
import { districtOf } from './geo/districts';
import { createRng } from './random';

export interface FleetOptions {
  /** number of devices */
  count: number;
  /** PRNG seed for positions */
  seed: number;
}

export const DEFAULT_FLEET: FleetOptions = { count: 2000, seed: 20261121 };

/** Scene order of consecutive devices: bridge 30 %, water 30 %, emergency 20 %, community 20 %. */
export const FLEET_SCENE_CYCLE: readonly SceneId[] = [
  'bridge',
  'water',
  'emergency',
  'community',
  'bridge',
  'water',
  'emergency',
  'community',
  'bridge',
  'water',
];

/** Kind order within each scene; repeats weight the common sensors. */
export const FLEET_KIND_CYCLES: Readonly<Record<SceneId, readonly DeviceKind[]>> = {
  bridge: [
    'strain-gauge',
    'accelerometer',
    'deflection',
    'strain-gauge',
    'inclinometer',
    'bearing-displacement',
    'strain-gauge',
    'accelerometer',
    'deflection',
    'temp-humidity',
    'weigh-in-motion',
  ],
  water: [
    'pipe-pressure',
    'water-level',
    'waterlogging',
    'manhole-cover',
    'flow-meter',
    'rain-gauge',
    'pipe-pressure',
    'water-level',
    'waterlogging',
    'manhole-cover',
    'water-quality',
    'pump-station',
  ],
  emergency: ['gas-detector', 'gas-detector', 'fire-alarm', 'gas-detector'],
  community: ['smoke-detector', 'elevator', 'smoke-detector', 'ev-charger', 'fall-detector', 'smoke-detector', 'fire-lane-camera', 'door-sensor'],
};

/** Jitter radius around point assets, m (small enough that the asset's district still holds). */
export const POINT_JITTER_M = 100;
/** Jitter around a position on a line (bridge deck width, river bank), m. */
export const LINE_JITTER_M = 15;
/** Weigh-in-motion stations sit on the approach: the first fraction of a bridge's length. */
export const WIM_APPROACH_FRACTION = 0.05;
/** A line's district is looked up at this many evenly spaced stations, not per device. */
export const LINE_DISTRICT_STATIONS = 48;
/** Give up sampling inside a polygon after this many tries and use its first vertex. */
const POLYGON_SAMPLE_TRIES = 32;
/** Location precision: 6 decimals ≈ 0.1 m. */
const LOCATION_DECIMALS = 6;
const METERS_PER_DEG_LAT = 111_195;

const SHORT_KIND: Record<DeviceKind, string> = {
  'strain-gauge': 'strain',
  inclinometer: 'tilt',
  accelerometer: 'accel',
  deflection: 'defl',
  'bearing-displacement': 'bearing',
  'temp-humidity': 'th',
  'weigh-in-motion': 'wim',
  'water-level': 'wl',
  waterlogging: 'wlg',
  'rain-gauge': 'rain',
  'pipe-pressure': 'pp',
  'flow-meter': 'flow',
  'water-quality': 'wq',
  'manhole-cover': 'mh',
  'pump-station': 'pump',
  'flood-gate': 'gate',
  'gas-detector': 'gas',
  'fire-alarm': 'fire',
  'smoke-detector': 'smoke',
  elevator: 'elev',
  'fire-lane-camera': 'lane',
  'ev-charger': 'ev',
  'fall-detector': 'fall',
  'door-sensor': 'door',
  camera: 'cam',
};

const ASSETS_OF = (...kinds: Asset['kind'][]) => QINGDAO_ASSETS.filter((a) => kinds.includes(a.kind));
const BRIDGE_ASSETS = ASSETS_OF('bridge');
const PIPE_ASSETS = ASSETS_OF('pipe-segment');
const COMMUNITY_ASSETS = ASSETS_OF('community');

/** Which assets each kind is mounted on, cycled in this order. */
const MOUNTS: Record<DeviceKind, readonly Asset[]> = {
  'strain-gauge': BRIDGE_ASSETS,
  inclinometer: BRIDGE_ASSETS,
  accelerometer: BRIDGE_ASSETS,
  deflection: BRIDGE_ASSETS,
  'bearing-displacement': BRIDGE_ASSETS,
  'temp-humidity': BRIDGE_ASSETS,
  'weigh-in-motion': BRIDGE_ASSETS,
  'water-level': ASSETS_OF('river', 'reservoir'),
  waterlogging: ASSETS_OF('underpass'),
  'rain-gauge': ASSETS_OF('pump-station', 'water-plant', 'reservoir'),
  'pipe-pressure': PIPE_ASSETS,
  'flow-meter': PIPE_ASSETS,
  'water-quality': ASSETS_OF('water-plant', 'pipe-segment'),
  'manhole-cover': PIPE_ASSETS,
  'pump-station': ASSETS_OF('pump-station'),
  'flood-gate': ASSETS_OF('river', 'reservoir'),
  'gas-detector': ASSETS_OF('pipe-well'),
  'fire-alarm': COMMUNITY_ASSETS,
  'smoke-detector': COMMUNITY_ASSETS,
  elevator: COMMUNITY_ASSETS,
  'fire-lane-camera': COMMUNITY_ASSETS,
  'ev-charger': COMMUNITY_ASSETS,
  'fall-detector': COMMUNITY_ASSETS,
  'door-sensor': COMMUNITY_ASSETS,
  // cameras are placed by hand (scenes/city/qingdao-cameras.ts), never generated
  camera: [],
};

/** Short asset code used in device ids: 'bridge-jzwdq' → 'jzwdq', 'pipe-07' → 'p07', 'well-w012' → 'w012'.
 * Unique among the assets one kind mounts on (the 100k-device test checks ids are unique). */
function assetCode(a: Asset): string {
  if (a.kind === 'pipe-segment') return a.id.replace(/^pipe-/, 'p');
  return a.id.replace(/^[a-z]+-/, '');
}

interface LineIndex {
  coords: LngLat[];
  /** cumulative length at each vertex, m */
  cumM: number[];
  totalM: number;
  /** district at each station, already falling back to the asset's district */
  stations: DistrictCode[];
}

function segmentM(a: LngLat, b: LngLat): number {
  const kx = METERS_PER_DEG_LAT * Math.cos((((a[1] + b[1]) / 2) * Math.PI) / 180);
  return Math.hypot((b[0] - a[0]) * kx, (b[1] - a[1]) * METERS_PER_DEG_LAT);
}

function pointAlong(idx: Pick<LineIndex, 'coords' | 'cumM' | 'totalM'>, t: number): LngLat {
  const target = t * idx.totalM;
  let i = 1;
  while (i < idx.coords.length - 1 && idx.cumM[i] < target) i++;
  const segLen = idx.cumM[i] - idx.cumM[i - 1];
  const f = segLen === 0 ? 0 : Math.min(1, Math.max(0, (target - idx.cumM[i - 1]) / segLen));
  const a = idx.coords[i - 1];
  const b = idx.coords[i];
  return [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f];
}

/** Derived once per line asset: the data is constant, so this memo never changes a result. */
const lineIndexCache = new Map<string, LineIndex>();
function lineIndex(asset: Asset & { geometry: { type: 'LineString' } }): LineIndex {
  const cached = lineIndexCache.get(asset.id);
  if (cached) return cached;
  const coords = asset.geometry.coordinates;
  const cumM = [0];
  for (let i = 1; i < coords.length; i++) cumM.push(cumM[i - 1] + segmentM(coords[i - 1], coords[i]));
  const base = { coords, cumM, totalM: cumM[cumM.length - 1] };
  const stations: DistrictCode[] = [];
  for (let s = 0; s < LINE_DISTRICT_STATIONS; s++) stations.push(districtOf(pointAlong(base, s / (LINE_DISTRICT_STATIONS - 1))) ?? asset.district);
  const idx = { ...base, stations };
  lineIndexCache.set(asset.id, idx);
  return idx;
}

function offsetM([lng, lat]: LngLat, eastM: number, northM: number): LngLat {
  const kx = METERS_PER_DEG_LAT * Math.cos((lat * Math.PI) / 180);
  return [lng + eastM / kx, lat + northM / METERS_PER_DEG_LAT];
}

function inRing([x, y]: LngLat, ring: LngLat[]): boolean {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

function roundLngLat([lng, lat]: LngLat): LngLat {
  const f = 10 ** LOCATION_DECIMALS;
  return [Math.round(lng * f) / f, Math.round(lat * f) / f];
}

/** Where a device of `kind` sits on `asset`, and in which district. */
function placeOn(asset: Asset, kind: DeviceKind, rng: () => number): { location: LngLat; district: DistrictCode } {
  const g = asset.geometry;
  switch (g.type) {
    case 'Point': {
      const r = POINT_JITTER_M * Math.sqrt(rng());
      const theta = 2 * Math.PI * rng();
      return {
        location: offsetM(g.coordinates, r * Math.cos(theta), r * Math.sin(theta)),
        district: asset.district,
      };
    }
    case 'LineString': {
      const idx = lineIndex(asset as Asset & { geometry: typeof g });
      const t = kind === 'weigh-in-motion' ? WIM_APPROACH_FRACTION * rng() : rng();
      const on = pointAlong(idx, t);
      const location = offsetM(on, (2 * rng() - 1) * LINE_JITTER_M, (2 * rng() - 1) * LINE_JITTER_M);
      return {
        location,
        district: idx.stations[Math.round(t * (LINE_DISTRICT_STATIONS - 1))],
      };
    }
    case 'Polygon': {
      const ring = g.coordinates[0];
      let [w, s, e, n] = [Infinity, Infinity, -Infinity, -Infinity];
      for (const [x, y] of ring) [w, s, e, n] = [Math.min(w, x), Math.min(s, y), Math.max(e, x), Math.max(n, y)];
      for (let i = 0; i < POLYGON_SAMPLE_TRIES; i++) {
        const p: LngLat = [w + (e - w) * rng(), s + (n - s) * rng()];
        if (inRing(p, ring)) return { location: p, district: asset.district };
      }
      return { location: assetAnchor(asset), district: asset.district };
    }
  }
}

/** Device id: bridges 'br-<bridge>-<kind>-NNN', others '<kind>-<asset>-NN'. */
function deviceId(asset: Asset, kind: DeviceKind, n: number): string {
  if (asset.kind === 'bridge') return `br-${assetCode(asset)}-${SHORT_KIND[kind]}-${String(n).padStart(3, '0')}`;
  return `${SHORT_KIND[kind]}-${assetCode(asset)}-${String(n).padStart(2, '0')}`;
}

/** Generate the demo fleet; deterministic, and a smaller count yields a prefix of a larger one. */
export function generateFleet(opts: Partial<FleetOptions> = {}): Device[] {
  const { count, seed } = { ...DEFAULT_FLEET, ...opts };
  const n = Number.isFinite(count) ? Math.max(0, Math.floor(count)) : 0;
  const rng = createRng(seed);
  const sceneCursor: Record<SceneId, number> = {
    bridge: 0,
    water: 0,
    emergency: 0,
    community: 0,
  };
  const kindCursor = new Map<DeviceKind, number>();
  const perAssetKind = new Map<string, number>();
  const devices: Device[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const scene = FLEET_SCENE_CYCLE[i % FLEET_SCENE_CYCLE.length];
    const kinds = FLEET_KIND_CYCLES[scene];
    const kind = kinds[sceneCursor[scene]++ % kinds.length];
    const mounts = MOUNTS[kind];
    const k = kindCursor.get(kind) ?? 0;
    kindCursor.set(kind, k + 1);
    const asset = mounts[k % mounts.length];
    const key = `${asset.id}|${kind}`;
    const ordinal = (perAssetKind.get(key) ?? 0) + 1;
    perAssetKind.set(key, ordinal);
    const spec = DEVICE_CATALOGUE[kind];
    const { location, district } = placeOn(asset, kind, rng);
    devices[i] = {
      id: deviceId(asset, kind, ordinal),
      kind,
      scene: spec.scene,
      name: `${asset.name} ${spec.label} #${ordinal}`,
      location: roundLngLat(location),
      district,
      assetId: asset.id,
    };
  }
  return devices;
}

/** Controllable demo devices outside the round-robin fleet: one flood gate (闸门) per river and reservoir. */
export const CONTROL_KINDS: readonly DeviceKind[] = ['flood-gate'];
/** Mixed into the seed so the control devices' positions do not shift with the fleet's stream. */
const CONTROL_SEED_SALT = 0x9a7e;

/**
 * The demo's controllable devices that the sensor fleet's cycles do not produce (adding a kind to
 * FLEET_KIND_CYCLES would rename every later device): appended after `generateFleet`, same
 * determinism, ids `gate-<asset>-01`.
 */
export function generateControlDevices(seed: number = DEFAULT_FLEET.seed): Device[] {
  const rng = createRng(seed ^ CONTROL_SEED_SALT);
  const out: Device[] = [];
  for (const kind of CONTROL_KINDS) {
    const spec = DEVICE_CATALOGUE[kind];
    for (const asset of MOUNTS[kind]) {
      const { location, district } = placeOn(asset, kind, rng);
      out.push({
        id: deviceId(asset, kind, 1),
        kind,
        scene: spec.scene,
        name: `${asset.name} ${spec.label}`,
        location: roundLngLat(location),
        district,
        assetId: asset.id,
      });
    }
  }
  return out;
}
