import { describe, expect, it } from 'vitest';
import { CAMERA_LAYER_IDS } from './camera-layers';
import { DRILL_LAYER_IDS } from './district-layers';
import { defaultVisibility, layerGroupOf, withToggle } from './layer-groups';
import { createMapLayerBuilder } from './map-layer-builder';
import { MAP_TEST_CAMERA, mapLayerInput } from './map-layer-input.fixture';

const input = mapLayerInput;
const dataOf = (layers: { id: string; props: { data?: unknown } }[], id: string) => layers.find((l) => l.id === id)?.props.data;

describe('map layer builder', () => {
  it('keeps the device data identity across renders, and hands fresh copies in the rebuild peer', () => {
    const builder = createMapLayerBuilder();
    const first = dataOf(builder.build(input()).layers, 'devices');
    expect(Array.isArray(first)).toBe(true);
    expect(dataOf(builder.build(input()).layers, 'devices')).toBe(first);
    builder.setRenderMode('rebuild');
    const rebuilt = dataOf(builder.build(input()).layers, 'devices');
    expect(rebuilt).not.toBe(first);
    expect(rebuilt).toEqual(first);
  });

  it('leaves out the base’s own layers and the basemap from the legend when the basemap is off', () => {
    const builder = createMapLayerBuilder();
    const on = builder.build(input());
    expect(on.present.has('basemap')).toBe(true);
    expect(on.present.has('devices')).toBe(true);
    expect(on.layers.some((l) => layerGroupOf(l.id) === 'basemap')).toBe(true);
    const off = builder.build(input({ visibility: withToggle(defaultVisibility('wall'), 'basemap', false) }));
    expect(off.present.has('basemap')).toBe(false);
    expect(off.layers.some((l) => layerGroupOf(l.id) === 'basemap')).toBe(false);
    expect(off.layers.some((l) => l.id === 'devices')).toBe(true);
  });

  it('draws cameras right above the device dots: under the map’s names, the incidents and the people', () => {
    const ids = createMapLayerBuilder()
      .build(input({ cameras: [MAP_TEST_CAMERA] }))
      .layers.map((l) => l.id);
    const at = (id: string) => {
      expect(ids, id).toContain(id);
      return ids.indexOf(id);
    };
    expect(at(CAMERA_LAYER_IDS.wedges)).toBeGreaterThan(at('devices'));
    expect(at(CAMERA_LAYER_IDS.points)).toBeLessThan(at('district-labels'));
    expect(at(CAMERA_LAYER_IDS.points)).toBeLessThan(at('incidents'));
    expect(at(CAMERA_LAYER_IDS.points)).toBeLessThan(at('handlers'));
  });

  it('draws the drilled district’s highlight over the scene', () => {
    const builder = createMapLayerBuilder();
    const city = builder.build(input()).layers.map((l) => l.id);
    const drilled = builder.build(input({ district: '370202' })).layers.map((l) => l.id);
    expect(city).not.toContain(DRILL_LAYER_IDS.outline);
    expect(drilled.indexOf(DRILL_LAYER_IDS.outline)).toBeGreaterThan(drilled.indexOf('devices'));
  });
});
