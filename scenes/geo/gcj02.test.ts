import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { LngLat } from '../domain';
import { approxDistanceM, gcjToWgs, GCJ_CHINA_BOUNDS, outOfChina, wgsToGcj } from './gcj02';

/** Tian'anmen flag pole, WGS84 [lng, lat]. */
const TIANANMEN_WGS: LngLat = [116.391389, 39.9075];
/** May Fourth Square (五四广场), Qingdao, WGS84. */
const MAY_FOURTH_SQUARE_WGS: LngLat = [120.3846, 36.0618];

describe('WGS84 → GCJ-02', () => {
  it("matches eviltransform's published test vector to the last digit (116.404, 39.915 → 116.41024449916938, 39.91640428150164)", () => {
    const [lng, lat] = wgsToGcj([116.404, 39.915]);
    expect(lng).toBeCloseTo(116.41024449916938, 12);
    expect(lat).toBeCloseTo(39.91640428150164, 12);
  });

  it("moves Tian'anmen to ≈ 116.39763, 39.90890 (≈ 555 m east-north-east)", () => {
    const g = wgsToGcj(TIANANMEN_WGS);
    expect(g[0]).toBeCloseTo(116.39763, 5);
    expect(g[1]).toBeCloseTo(39.9089, 4);
    expect(approxDistanceM(g, TIANANMEN_WGS)).toBeGreaterThan(500);
    expect(approxDistanceM(g, TIANANMEN_WGS)).toBeLessThan(600);
  });

  it('moves May Fourth Square in Qingdao by a few hundred metres, mostly east (≈ 120.38973, 36.06208)', () => {
    const g = wgsToGcj(MAY_FOURTH_SQUARE_WGS);
    expect(g[0]).toBeCloseTo(120.38973, 5);
    expect(g[1]).toBeCloseTo(36.06208, 5);
    const d = approxDistanceM(g, MAY_FOURTH_SQUARE_WGS);
    expect(d).toBeGreaterThan(300);
    expect(d).toBeLessThan(700);
    expect(g[0]).toBeGreaterThan(MAY_FOURTH_SQUARE_WGS[0]);
  });

  it('leaves points outside China unchanged (London, Tokyo, the southern hemisphere)', () => {
    for (const p of [
      [-0.1276, 51.5072],
      [139.7671, 35.6812],
      [116.4, -30],
    ] as LngLat[]) {
      expect(outOfChina(p)).toBe(true);
      expect(wgsToGcj(p)).toEqual(p);
      expect(gcjToWgs(p)).toEqual(p);
    }
  });

  it('treats the whole of Qingdao as inside China', () => {
    expect(outOfChina(MAY_FOURTH_SQUARE_WGS)).toBe(false);
  });
});

describe('GCJ-02 → WGS84 (inverse by iteration)', () => {
  it('returns May Fourth Square from its GCJ-02 position to within 0.5 m', () => {
    expect(approxDistanceM(gcjToWgs(wgsToGcj(MAY_FOURTH_SQUARE_WGS)), MAY_FOURTH_SQUARE_WGS)).toBeLessThan(0.5);
  });

  it('round-trips any point in China to within 0.5 m', () => {
    const b = GCJ_CHINA_BOUNDS;
    fc.assert(
      fc.property(
        fc.double({ min: b.minLng + 1, max: b.maxLng - 1, noNaN: true }),
        fc.double({ min: b.minLat + 1, max: b.maxLat - 1, noNaN: true }),
        (lng, lat) => {
          const p: LngLat = [lng, lat];
          expect(approxDistanceM(gcjToWgs(wgsToGcj(p)), p)).toBeLessThan(0.5);
        },
      ),
      { numRuns: 500 },
    );
  });
});
