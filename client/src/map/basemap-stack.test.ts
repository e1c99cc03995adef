import { describe, expect, it } from 'vitest';
import type { Layer } from '@deck.gl/core';
import { stackMapLayers } from './basemap-stack';

const layers = (...ids: string[]) => ids.map((id) => ({ id }) as unknown as Layer);
const ids = (ls: Layer[]) => ls.map((l) => l.id);

describe('stackMapLayers', () => {
  const scene = layers(
    'districts',
    'district-labels',
    'asset-points',
    'devices',
    'devices-maintenance',
    'alert-pulse',
    'incidents',
    'handlers',
    'handler-labels',
  );
  const detail = layers('offline-rivers', 'offline-bridges', 'offline-place-labels');

  it('puts the static part (sea, district fill, offline detail without names) in the base', () => {
    expect(ids(stackMapLayers(layers('offline-sea'), detail, scene).base)).toEqual(['offline-sea', 'districts', 'offline-rivers', 'offline-bridges']);
  });

  it('draws the map’s names above the device dots but under alerts, incidents and people', () => {
    expect(ids(stackMapLayers(layers('offline-sea'), detail, scene).live)).toEqual([
      'asset-points',
      'devices',
      'devices-maintenance',
      'offline-place-labels',
      'district-labels',
      'alert-pulse',
      'incidents',
      'handlers',
      'handler-labels',
    ]);
  });

  it('keeps the order as it is on a map without device layers (e.g. the district drill’s mini map)', () => {
    const s = layers('districts', 'district-labels', 'incidents');
    expect(ids(stackMapLayers([], detail, s).live)).toEqual(['offline-place-labels', 'district-labels', 'incidents']);
  });

  it('puts them above the hexagon aggregation at the city zoom', () => {
    const s = layers('districts', 'district-labels', 'devices-hexagon', 'incidents');
    expect(ids(stackMapLayers([], [], s).live)).toEqual(['devices-hexagon', 'district-labels', 'incidents']);
  });
});
