/**
 * WGS84 ⇄ GCJ-02 ("火星坐标", the datum of AMap, Tencent and other licensed Chinese web maps).
 *
 * The forward transform is the published formula (the one of `eviltransform` and of every map
 * SDK that talks GCJ-02): a smooth offset of a few hundred metres inside China, none outside.
 * There is no closed-form inverse; `gcjToWgs` iterates the forward transform (a fixed-point
 * iteration on the offset, which converges because the offset changes by far less than a metre
 * per metre) until the round trip is within `GCJ_INVERSE_TOLERANCE_M`.
 *
 * Pure: no I/O. Coordinates are `[lng, lat]` degrees.
 */
import type { LngLat } from '../domain';

/** Krasovsky 1940 semi-major axis, m (the GCJ-02 formula's ellipsoid). */
const KRASOVSKY_A_M = 6_378_245.0;
/** Krasovsky 1940 first eccentricity squared. */
const KRASOVSKY_EE = 0.006_693_421_622_965_943_23;

/** The rectangle the formula treats as "China" (degrees); outside it GCJ-02 = WGS84. */
export const GCJ_CHINA_BOUNDS = { minLng: 72.004, maxLng: 137.8347, minLat: 0.8293, maxLat: 55.8271 } as const;

/** The inverse transform stops when the forward round trip is this close, m. */
export const GCJ_INVERSE_TOLERANCE_M = 0.01;
/** Upper bound of inverse iterations (it converges in 3–5). */
export const GCJ_INVERSE_MAX_ITERATIONS = 30;

/** Metres per degree of latitude on the WGS84 mean sphere (6371 km), for tolerances only. */
const METERS_PER_DEG = 111_195;

/** True where the GCJ-02 formula does not apply (no offset). */
export function outOfChina([lng, lat]: LngLat): boolean {
  const b = GCJ_CHINA_BOUNDS;
  return lng < b.minLng || lng > b.maxLng || lat < b.minLat || lat > b.maxLat;
}

function transformLat(x: number, y: number): number {
  let ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
  ret += ((20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0) / 3.0;
  ret += ((20.0 * Math.sin(y * Math.PI) + 40.0 * Math.sin((y / 3.0) * Math.PI)) * 2.0) / 3.0;
  ret += ((160.0 * Math.sin((y / 12.0) * Math.PI) + 320 * Math.sin((y * Math.PI) / 30.0)) * 2.0) / 3.0;
  return ret;
}

function transformLng(x: number, y: number): number {
  let ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
  ret += ((20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0) / 3.0;
  ret += ((20.0 * Math.sin(x * Math.PI) + 40.0 * Math.sin((x / 3.0) * Math.PI)) * 2.0) / 3.0;
  ret += ((150.0 * Math.sin((x / 12.0) * Math.PI) + 300.0 * Math.sin((x / 30.0) * Math.PI)) * 2.0) / 3.0;
  return ret;
}

/** The GCJ-02 offset at a WGS84 point, degrees [dLng, dLat]. */
function gcjOffset(lng: number, lat: number): [number, number] {
  let dLat = transformLat(lng - 105.0, lat - 35.0);
  let dLng = transformLng(lng - 105.0, lat - 35.0);
  const radLat = (lat / 180.0) * Math.PI;
  const magic = 1 - KRASOVSKY_EE * Math.sin(radLat) * Math.sin(radLat);
  const sqrtMagic = Math.sqrt(magic);
  dLat = (dLat * 180.0) / (((KRASOVSKY_A_M * (1 - KRASOVSKY_EE)) / (magic * sqrtMagic)) * Math.PI);
  dLng = (dLng * 180.0) / ((KRASOVSKY_A_M / sqrtMagic) * Math.cos(radLat) * Math.PI);
  return [dLng, dLat];
}

/** WGS84 → GCJ-02 (exactly the published formula); unchanged outside China. */
export function wgsToGcj(p: LngLat): LngLat {
  if (outOfChina(p)) return [p[0], p[1]];
  const [dLng, dLat] = gcjOffset(p[0], p[1]);
  return [p[0] + dLng, p[1] + dLat];
}

/** Approximate ground distance between two nearby points, m (equirectangular; tolerances only). */
export function approxDistanceM(a: LngLat, b: LngLat): number {
  const cosLat = Math.cos((((a[1] + b[1]) / 2) * Math.PI) / 180);
  return Math.hypot((a[0] - b[0]) * cosLat, a[1] - b[1]) * METERS_PER_DEG;
}

/**
 * GCJ-02 → WGS84 by iteration: the WGS84 point whose forward transform lands on `p`, to within
 * `GCJ_INVERSE_TOLERANCE_M`. Unchanged outside China.
 */
export function gcjToWgs(p: LngLat): LngLat {
  if (outOfChina(p)) return [p[0], p[1]];
  let w: LngLat = [p[0], p[1]];
  for (let i = 0; i < GCJ_INVERSE_MAX_ITERATIONS; i++) {
    const g = wgsToGcj(w);
    if (approxDistanceM(g, p) < GCJ_INVERSE_TOLERANCE_M) break;
    w = [w[0] - (g[0] - p[0]), w[1] - (g[1] - p[1])];
  }
  return w;
}
