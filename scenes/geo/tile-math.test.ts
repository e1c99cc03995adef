import { describe, expect, it } from 'vitest';
import { lngLatToTile, tileBounds, tileCornerToLngLat, tilesCoveringBounds, tileZoomForView, viewBounds } from './tile-math';

describe('XYZ tile math', () => {
  it('puts the whole world in tile 0/0/0', () => {
    expect(lngLatToTile([120.38, 36.07], 0)).toEqual({ x: 0, y: 0, z: 0 });
    expect(tileBounds({ x: 0, y: 0, z: 0 })[0]).toBeCloseTo(-180, 9);
    expect(tileBounds({ x: 0, y: 0, z: 0 })[3]).toBeCloseTo(85.0511, 4);
  });

  it('finds the OpenStreetMap-wiki tile of a Qingdao point (120.38, 36.07 at z 12 → 3417/1607)', () => {
    // x = floor((120.38 + 180) / 360 · 4096) = 3417
    // y = floor((1 − ln(tan φ + sec φ) / π) / 2 · 4096) = floor((1 − 0.67581 / π) / 2 · 4096) = 1607
    expect(lngLatToTile([120.38, 36.07], 12)).toEqual({ x: 3417, y: 1607, z: 12 });
  });

  it('gives a tile bounds that contain the point it was found for', () => {
    const p: [number, number] = [120.3846, 36.0618];
    for (const z of [5, 10, 14, 18]) {
      const [w, s, e, n] = tileBounds(lngLatToTile(p, z));
      expect(p[0]).toBeGreaterThanOrEqual(w);
      expect(p[0]).toBeLessThan(e);
      expect(p[1]).toBeGreaterThan(s);
      expect(p[1]).toBeLessThanOrEqual(n);
    }
  });

  it('maps tile corners back to the same tile', () => {
    const [lng, lat] = tileCornerToLngLat(3417.5, 1607.5, 12);
    expect(lngLatToTile([lng, lat], 12)).toEqual({ x: 3417, y: 1607, z: 12 });
  });

  it('covers a box with exactly the tiles that intersect it, row by row', () => {
    const a = tileBounds({ x: 3417, y: 1607, z: 12 });
    const b = tileBounds({ x: 3418, y: 1608, z: 12 });
    // a box from inside tile a to inside tile b: the 2 × 2 block
    const box: [number, number, number, number] = [(a[0] + a[2]) / 2, (b[1] + b[3]) / 2, (b[0] + b[2]) / 2, (a[1] + a[3]) / 2];
    expect(tilesCoveringBounds(box, 12)).toEqual([
      { x: 3417, y: 1607, z: 12 },
      { x: 3418, y: 1607, z: 12 },
      { x: 3417, y: 1608, z: 12 },
      { x: 3418, y: 1608, z: 12 },
    ]);
    // a box exactly one tile's bounds: that tile alone
    expect(tilesCoveringBounds(a, 12)).toEqual([{ x: 3417, y: 1607, z: 12 }]);
  });

  it("loads 256-px tiles one zoom above deck.gl's 512-px view zoom, rounded and clamped", () => {
    expect(tileZoomForView(10)).toBe(11);
    expect(tileZoomForView(10.4)).toBe(11);
    expect(tileZoomForView(10.6)).toBe(12);
    expect(tileZoomForView(17.2, 256, 0, 18)).toBe(18);
    expect(tileZoomForView(2, 256, 5, 18)).toBe(5);
  });

  it('bounds a view symmetrically around its centre in Mercator x', () => {
    const [w, s, e, n] = viewBounds([120.38, 36.07], 10, 1024, 512);
    // 1024 px at zoom 10 = 1024 / (512 · 1024) of 360°
    expect(e - w).toBeCloseTo((1024 / (512 * 1024)) * 360, 9);
    expect((e + w) / 2).toBeCloseTo(120.38, 9);
    expect(n).toBeGreaterThan(36.07);
    expect(s).toBeLessThan(36.07);
  });
});
