/**
 * The SLA ring drawn around an incident: an arc that closes clockwise from north as the
 * resolution time is used up, coloured green → yellow → red.
 */
import type { LngLat } from '@scenes/domain';
import type { Rgba } from '../theme/palette';

/** Metres per degree of latitude (spherical Earth, mean radius 6 371 km). */
const METRES_PER_DEGREE_LAT = 111_195;

/**
 * Points of an arc of `fraction` (0..1) of a circle of `radiusM` metres around `center`,
 * starting due north and running clockwise; a full circle has `segments` segments.
 */
export function slaArcPath(center: LngLat, fraction: number, radiusM: number, segments: number): LngLat[] {
  const f = Math.min(1, Math.max(0, fraction));
  const [lng, lat] = center;
  const dLat = radiusM / METRES_PER_DEGREE_LAT;
  const dLng = radiusM / (METRES_PER_DEGREE_LAT * Math.cos((lat * Math.PI) / 180));
  const steps = Math.max(1, Math.ceil(segments * f));
  const path: LngLat[] = [];
  for (let i = 0; i <= steps; i++) {
    const angle = (2 * Math.PI * f * i) / steps; // clockwise from north
    path.push([lng + dLng * Math.sin(angle), lat + dLat * Math.cos(angle)]);
  }
  return path;
}

const GREEN: Rgba = [40, 210, 120, 255];
const YELLOW: Rgba = [255, 205, 0, 255];
const RED: Rgba = [255, 48, 64, 255];

function mix(a: Rgba, b: Rgba, t: number): Rgba {
  return [0, 1, 2, 3].map((i) => Math.round(a[i] + (b[i] - a[i]) * t)) as Rgba;
}

/** Ring colour for a used-up fraction of the SLA: green at 0, yellow at ½, red at 1 or when breached. */
export function slaColor(fraction: number, breached: boolean): Rgba {
  if (breached) return RED;
  const f = Math.min(1, Math.max(0, fraction));
  return f < 0.5 ? mix(GREEN, YELLOW, f / 0.5) : mix(YELLOW, RED, (f - 0.5) / 0.5);
}
