/**
 * 视频联动: the cameras nearest to a point (an alert's device, an incident), within a radius,
 * optionally preferring cameras that look towards it. Pure; geometry with turf (WGS84).
 */
import { bearing } from '@turf/bearing';
import { distance } from '@turf/distance';
import { point } from '@turf/helpers';
import type { LngLat } from '../domain';
import type { CameraView } from './camera-view';

export interface CameraLinkageConfig {
  /** search radius around the point, metres */
  radiusM: number;
  /** most cameras returned (the wall and the console play at most 4 at once) */
  maxCameras: number;
  /**
   * A camera that does not look towards the point counts as this many times farther away when
   * ranking (a PTZ camera can turn, so it stays in the list, only lower). 1 = ignore direction.
   */
  notFacingPenalty: number;
}

export const DEFAULT_CAMERA_LINKAGE: CameraLinkageConfig = { radiusM: 1_000, maxCameras: 4, notFacingPenalty: 2 };

export interface NearCamera {
  camera: CameraView;
  /** metres from the point */
  distanceM: number;
  /** the point lies inside the camera's field of view */
  facing: boolean;
}

/** Smallest angle between two bearings, degrees [0, 180]. */
export function angleBetweenDeg(a: number, b: number): number {
  const d = Math.abs((((a - b) % 360) + 360) % 360);
  return d > 180 ? 360 - d : d;
}

/** Does the camera's field of view contain the direction towards `target`? (A camera on the point sees it.) */
export function isFacing(camera: Pick<CameraView, 'location' | 'headingDeg' | 'fovDeg'>, target: LngLat, distanceM: number): boolean {
  if (distanceM < 1) return true;
  const towards = bearing(point(camera.location), point(target));
  return angleBetweenDeg(camera.headingDeg, towards) <= camera.fovDeg / 2;
}

/** Cameras within `radiusM` of `target`, best first (distance, weighted by facing), at most `maxCameras`. */
export function nearestCameras(cameras: readonly CameraView[], target: LngLat, config: CameraLinkageConfig = DEFAULT_CAMERA_LINKAGE): NearCamera[] {
  const at = point(target);
  const near: (NearCamera & { rank: number })[] = [];
  for (const camera of cameras) {
    const distanceM = distance(point(camera.location), at, { units: 'meters' });
    if (distanceM > config.radiusM) continue;
    const facing = isFacing(camera, target, distanceM);
    near.push({ camera, distanceM, facing, rank: facing ? distanceM : distanceM * config.notFacingPenalty });
  }
  near.sort((a, b) => a.rank - b.rank || a.distanceM - b.distanceM || (a.camera.id < b.camera.id ? -1 : 1));
  return near.slice(0, Math.max(0, config.maxCameras)).map(({ camera, distanceM, facing }) => ({ camera, distanceM, facing }));
}
