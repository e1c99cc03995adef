import { describe, expect, it } from 'vitest';
import { approxDistanceM, gcjToWgs, wgsToGcj } from '@scenes/geo/gcj02';
import { lngLatToTile, tileBounds, tilesCoveringBounds } from '@scenes/geo/tile-math';
import type { BasemapSource } from '@scenes/geo/basemap-source';
import { gcjTilesForView, TileFailureCounter, tileQuadFor } from './basemap-layer';
import { resolveBasemapChoice } from './basemap-catalog';
import { adaptSceneToRaster, RASTER_BASE_STYLE } from './basemap-stack';
import type { LayerDescriptor } from './scene-to-layer-props';

const MAY_FOURTH_SQUARE_WGS: [number, number] = [120.3846, 36.0618];

describe('raster basemap tiles', () => {
  it('draws a WGS84 or CGCS2000 tile on its own bounds', () => {
    const t = lngLatToTile(MAY_FOURTH_SQUARE_WGS, 14);
    const [w, s, e, n] = tileBounds(t);
    const quad = [
      [w, s],
      [w, n],
      [e, n],
      [e, s],
    ];
    expect(tileQuadFor(t, 'wgs84')).toEqual(quad);
    expect(tileQuadFor(t, 'cgcs2000')).toEqual(quad);
  });

  it('draws a GCJ-02 tile on its corners taken back to WGS84, so a GCJ-02 landmark lands on its WGS84 position', () => {
    const gcj = wgsToGcj(MAY_FOURTH_SQUARE_WGS);
    const t = lngLatToTile(gcj, 16);
    const [w, s, e, n] = tileBounds(t);
    const quad = tileQuadFor(t, 'gcj02');
    const pairs: [[number, number], [number, number]][] = [
      [[w, s], quad[0]],
      [[e, n], quad[2]],
    ];
    for (const [corner, shifted] of pairs) expect(approxDistanceM(wgsToGcj(shifted), corner)).toBeLessThan(0.5);
    // where the landmark sits inside the tile, interpolated on the shifted quad, is its WGS84 position
    const fx = (gcj[0] - w) / (e - w);
    const fy = (gcj[1] - s) / (n - s);
    const drawn: [number, number] = [quad[0][0] + fx * (quad[3][0] - quad[0][0]), quad[0][1] + fy * (quad[1][1] - quad[0][1])];
    expect(approxDistanceM(drawn, MAY_FOURTH_SQUARE_WGS)).toBeLessThan(2);
    expect(approxDistanceM(drawn, gcjToWgs(gcj))).toBeLessThan(2);
  });

  it('loads the GCJ-02 tiles for the view moved into GCJ-02 as well as for the view itself', () => {
    const view: [number, number, number, number] = [120.3, 36.0, 120.45, 36.1];
    const plain = new Set(tilesCoveringBounds(view, 13).map((t) => `${t.x}/${t.y}`));
    const gcj = gcjTilesForView(view, 13).map((t) => `${t.x}/${t.y}`);
    for (const k of plain) expect(gcj).toContain(k);
    // the ≈ 500 m eastward offset needs one more column at the east edge
    expect(gcj.length).toBeGreaterThan(plain.size);
  });

  it('gives a basemap up after the configured number of failed tiles in a row, once', () => {
    const c = new TileFailureCounter(3);
    expect(c.fail()).toBe(false);
    expect(c.fail()).toBe(false);
    c.loaded();
    expect(c.fail()).toBe(false);
    expect(c.fail()).toBe(false);
    expect(c.fail()).toBe(true);
    expect(c.fail()).toBe(false);
  });
});

describe('basemap choice', () => {
  const basemaps = [{ id: 'tdt-vec' }, { id: 'amap' }] as BasemapSource[];
  it('shows the offline base when nothing is configured, whatever the URL says', () => {
    expect(resolveBasemapChoice(null, [])).toBe('offline');
    expect(resolveBasemapChoice('amap', [])).toBe('offline');
  });
  it('follows ?basemap= when it names a configured basemap or the offline base, else the first configured', () => {
    expect(resolveBasemapChoice('amap', basemaps)).toBe('amap');
    expect(resolveBasemapChoice('offline', basemaps)).toBe('offline');
    expect(resolveBasemapChoice('nope', basemaps)).toBe('tdt-vec');
    expect(resolveBasemapChoice(null, basemaps)).toBe('tdt-vec');
  });
});

describe('scene layers over a raster basemap', () => {
  const districts = { type: 'GeoJsonLayer', props: { id: 'districts', getFillColor: [14, 30, 52, 235] } } as unknown as LayerDescriptor;
  const devices = { type: 'ScatterplotLayer', props: { id: 'devices' } } as unknown as LayerDescriptor;
  it('turns the district fill into a light tint so that the tiles show, and leaves other layers alone', () => {
    const out = adaptSceneToRaster([districts, devices], true);
    expect((out[0]!.props as unknown as { getFillColor: unknown }).getFillColor).toEqual(RASTER_BASE_STYLE.districtFill);
    expect(out[1]).toBe(devices);
  });
  it('keeps the scene layers unchanged on the offline base', () => {
    const list = [districts, devices];
    expect(adaptSceneToRaster(list, false)).toBe(list);
  });
});
