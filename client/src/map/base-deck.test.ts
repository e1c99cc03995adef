import { describe, expect, it } from 'vitest';
import { PathLayer, ScatterplotLayer } from '@deck.gl/layers';
import type { Layer } from '@deck.gl/core';
import { sameLayers } from './base-deck';
import { createMapLayerBuilder } from './map-layer-builder';
import { MAP_TEST_MODEL, mapLayerInput as input, mapTestDevice } from './map-layer-input.fixture';
import { defaultVisibility, withToggle } from './layer-groups';
import { LABEL_ROLE_BY_LAYER_ID } from './label-collisions';

const DATA: { path: [number, number][] }[] = [
  {
    path: [
      [120, 36],
      [120.1, 36.1],
    ],
  },
];
const pathOf = (d: { path: [number, number][] }) => d.path;
const path = (props: Record<string, unknown> = {}) => new PathLayer({ id: 'p', data: DATA, getPath: pathOf, getWidth: 2, ...props });

describe('the base deck’s change test', () => {
  it('takes freshly built layers with the same props for the same layers, and any changed prop, data or class for a change', () => {
    expect(sameLayers([path()], [path()])).toBe(true);
    expect(sameLayers([path()], [path({ getWidth: 3 })])).toBe(false);
    expect(sameLayers([path()], [path({ data: [...DATA] })])).toBe(false);
    expect(sameLayers([path()], [path({ getPath: (d: { path: [number, number][] }) => d.path })])).toBe(false);
    expect(sameLayers([path()], [new ScatterplotLayer({ id: 'p', data: DATA })])).toBe(false);
    expect(sameLayers([path()], [path(), path({ id: 'q' })])).toBe(false);
  });

  it('sees no change in a map’s base between two renders with new live data, and a change when the basemap is switched off', () => {
    const builder = createMapLayerBuilder();
    const first = builder.build(input());
    expect(first.base.map((l) => l.id)).toContain('districts');
    expect(first.live.map((l) => l.id)).toContain('devices');
    const next = builder.build(input({ nowTs: 60_000, model: { ...MAP_TEST_MODEL, devices: [mapTestDevice('d1')] } }));
    expect(sameLayers(first.base, next.base)).toBe(true);
    const off = builder.build(input({ visibility: withToggle(defaultVisibility('wall'), 'basemap', false) }));
    expect(sameLayers(first.base, off.base)).toBe(false);
  });

  it('keeps every label in the live part, where labels avoid each other', () => {
    const built = createMapLayerBuilder().build(input({ zoom: 13 }));
    expect(built.base.some((l: Layer) => l.id in LABEL_ROLE_BY_LAYER_ID)).toBe(false);
    expect(built.live.some((l: Layer) => l.id === 'offline-place-labels')).toBe(true);
    expect(built.layers.map((l) => l.id)).toEqual([...built.base, ...built.live].map((l) => l.id));
  });
});
