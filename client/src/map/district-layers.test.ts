import { describe, expect, it } from 'vitest';
import { DISTRICT_CODES } from '@scenes/domain';
import { districtOf, QINGDAO_DISTRICTS } from '@scenes/geo/districts';
import { districtBounds, districtFromPick, districtHighlightLayers, DRILL_LAYER_IDS, parseDistrictParam, withDistrictQuery } from './district-layers';
import { layerGroupOf, visibleDescriptors } from './layer-groups';
import type { LayerToggleId, LayerVisibility } from './layer-groups';
import { LAYER_IDS } from './scene-to-layer-props';

const featureOf = (code: string) => QINGDAO_DISTRICTS.features.find((f) => f.properties.code === code)!;

describe('district drill-down layers', () => {
  it('draws nothing for the city view', () => {
    expect(districtHighlightLayers(null)).toEqual([]);
  });

  it('outlines the chosen district and dims every other one, without catching clicks', () => {
    const [dim, outline] = districtHighlightLayers('370203');
    expect(dim.props.id).toBe(DRILL_LAYER_IDS.dim);
    const dimmed = (dim.props.data as typeof QINGDAO_DISTRICTS).features.map((f) => f.properties.code);
    expect(dimmed).toHaveLength(DISTRICT_CODES.length - 1);
    expect(dimmed).not.toContain('370203');
    expect(outline.props.id).toBe(DRILL_LAYER_IDS.outline);
    expect((outline.props.data as { properties: { code: string } }[]).map((f) => f.properties.code)).toEqual(['370203']);
    expect([dim.props.pickable, outline.props.pickable]).toEqual([false, false]);
  });

  it('keeps the same data objects for the same district (deck.gl reuses its attributes)', () => {
    const a = districtHighlightLayers('370203');
    const b = districtHighlightLayers('370203', { pixelScale: 2 });
    expect(b[0].props.data).toBe(a[0].props.data);
    expect(b[1].props.data).toBe(a[1].props.data);
    expect(b[1].props.getLineWidth).toBe(2 * (a[1].props.getLineWidth as number));
  });

  it('stays drawn whatever layer groups the viewer switches off', () => {
    const layers = districtHighlightLayers('370212');
    for (const l of layers) expect(layerGroupOf(l.props.id)).toBeNull();
    const everythingOff: LayerVisibility = { hidden: new Set<LayerToggleId>(['districts', 'devices', 'assets', 'basemap']) };
    expect(visibleDescriptors(layers, everythingOff).map((l) => l.props.id)).toEqual([DRILL_LAYER_IDS.dim, DRILL_LAYER_IDS.outline]);
  });
});

describe('districtFromPick', () => {
  it('names the district a click on the district polygons picked', () => {
    expect(districtFromPick(LAYER_IDS.districts, featureOf('370203'))).toBe('370203');
  });
  it('is null for other layers and for objects without a district code', () => {
    expect(districtFromPick(LAYER_IDS.devices, featureOf('370203'))).toBeNull();
    expect(districtFromPick(LAYER_IDS.districts, { properties: { code: '999999' } })).toBeNull();
    expect(districtFromPick(LAYER_IDS.districts, null)).toBeNull();
    expect(districtFromPick(undefined, featureOf('370203'))).toBeNull();
  });
});

describe('parseDistrictParam', () => {
  it('reads a district code from ?district=, the first of repeated ones', () => {
    expect(parseDistrictParam('370203')).toBe('370203');
    expect(parseDistrictParam(['370212', '370203'])).toBe('370212');
  });
  it('is null for a missing, empty or unknown value', () => {
    for (const v of [undefined, null, '', '999999', '370203 ', 370203, ['x']]) expect(parseDistrictParam(v)).toBeNull();
  });
});

describe('districtBounds', () => {
  it('frames each district around its own land: the bounds’ centre lies in or near it', () => {
    for (const code of DISTRICT_CODES) {
      const b = districtBounds(code)!;
      expect(b[0][0]).toBeLessThan(b[1][0]);
      expect(b[0][1]).toBeLessThan(b[1][1]);
      // a corner-to-corner box of a real district: at least ~2 km across, at most ~1.5°
      expect(b[1][0] - b[0][0]).toBeGreaterThan(0.02);
      expect(b[1][0] - b[0][0]).toBeLessThan(1.5);
    }
    const shibei = districtBounds('370203')!;
    const centre: [number, number] = [(shibei[0][0] + shibei[1][0]) / 2, (shibei[0][1] + shibei[1][1]) / 2];
    expect(districtOf(centre)).toBe('370203');
  });
});

describe('withDistrictQuery', () => {
  it('sets or removes ?district= and keeps every other key', () => {
    const q = { rotate: '60', layers: '-heat' };
    expect(withDistrictQuery(q, '370203')).toEqual({ rotate: '60', layers: '-heat', district: '370203' });
    expect(withDistrictQuery({ ...q, district: '370203' }, null)).toEqual(q);
    expect(q).toEqual({ rotate: '60', layers: '-heat' }); // not mutated
  });
});
