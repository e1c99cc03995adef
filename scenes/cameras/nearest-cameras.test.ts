import { describe, expect, it } from 'vitest';
import type { LngLat } from '../domain';
import type { CameraView } from './camera-view';
import { angleBetweenDeg, DEFAULT_CAMERA_LINKAGE, isFacing, nearestCameras } from './nearest-cameras';

/** ≈ metres per degree of latitude / of longitude at Qingdao (36°N) */
const M_PER_DEG_LAT = 111_195;
const M_PER_DEG_LNG = 111_195 * Math.cos((36.1 * Math.PI) / 180);
const SITE: LngLat = [120.38, 36.1];
const offset = (eastM: number, northM: number): LngLat => [SITE[0] + eastM / M_PER_DEG_LNG, SITE[1] + northM / M_PER_DEG_LAT];

function cam(id: string, at: LngLat, headingDeg: number, fovDeg = 60): CameraView {
  return { id, name: id, location: at, district: '370203', headingDeg, fovDeg, stream: null };
}

describe('nearestCameras', () => {
  it('returns only cameras within the radius, nearest first, with their distance', () => {
    const cameras = [cam('far', offset(0, 1500), 180), cam('mid', offset(600, 0), 270), cam('near', offset(0, -200), 0)];
    const near = nearestCameras(cameras, SITE);
    expect(near.map((n) => n.camera.id)).toEqual(['near', 'mid']);
    expect(near[0]!.distanceM).toBeGreaterThan(190);
    expect(near[0]!.distanceM).toBeLessThan(210);
  });

  it('returns at most maxCameras', () => {
    const cameras = Array.from({ length: 7 }, (_, i) => cam(`c${i}`, offset(100 * (i + 1), 0), 270));
    expect(nearestCameras(cameras, SITE)).toHaveLength(DEFAULT_CAMERA_LINKAGE.maxCameras);
    expect(nearestCameras(cameras, SITE, { ...DEFAULT_CAMERA_LINKAGE, maxCameras: 2 }).map((n) => n.camera.id)).toEqual(['c0', 'c1']);
  });

  it('prefers a camera looking towards the point over a slightly nearer one looking away', () => {
    // 300 m south looking north (towards the site) vs 200 m north looking north (away)
    const towards = cam('towards', offset(0, -300), 0);
    const away = cam('away', offset(0, 200), 0);
    const near = nearestCameras([away, towards], SITE);
    expect(near.map((n) => [n.camera.id, n.facing])).toEqual([
      ['towards', true],
      ['away', false],
    ]);
    // direction ignored: plain distance order
    expect(nearestCameras([away, towards], SITE, { ...DEFAULT_CAMERA_LINKAGE, notFacingPenalty: 1 })[0]!.camera.id).toBe('away');
  });

  it('returns nothing when no camera is within the radius', () => {
    expect(nearestCameras([cam('far', offset(5000, 0), 270)], SITE)).toEqual([]);
  });
});

describe('isFacing', () => {
  it('sees a point inside half the field of view either side of the heading, across north', () => {
    const c = cam('c', offset(0, -500), 350, 60); // looks 320°–20°
    expect(isFacing(c, SITE, 500)).toBe(true); // the site is due north (0°)
    expect(isFacing({ ...c, headingDeg: 90 }, SITE, 500)).toBe(false);
    expect(isFacing({ ...c, headingDeg: 90 }, SITE, 0.5)).toBe(true); // on the spot
  });

  it('measures the smallest angle between bearings', () => {
    expect(angleBetweenDeg(350, 10)).toBe(20);
    expect(angleBetweenDeg(-170, 170)).toBe(20);
    expect(angleBetweenDeg(0, 180)).toBe(180);
  });
});
