import { describe, expect, it } from 'vitest';
import { forRebuild, labelTextsOf, layerIdsOf } from './map-bench-hooks';

describe('the rebuild peer', () => {
  it('hands every list a fresh copy with the same items and leaves other data alone', () => {
    const list = [{ id: 'a' }];
    const geo = { type: 'FeatureCollection' };
    const [listed, other] = forRebuild([{ props: { id: 'x', data: list } }, { props: { id: 'y', data: geo } }]);
    expect(listed!.props.data).not.toBe(list);
    expect(listed!.props.data).toEqual(list);
    expect(other!.props.data).toBe(geo);
  });
});

describe('what the map draws, for tests', () => {
  const layers = [[{ id: 'devices', props: { data: [] } }, null], { id: 'district-labels', props: { data: [{ name: '市南区' }, {}] } }, false];

  it('lists the ids of nested layers and skips empty entries', () => {
    expect(layerIdsOf(layers)).toEqual(['devices', 'district-labels']);
    expect(layerIdsOf(undefined)).toEqual([]);
  });

  it('reads a label layer’s names, and null for a layer not on the map', () => {
    expect(labelTextsOf(layers, 'district-labels')).toEqual(['市南区', '']);
    expect(labelTextsOf(layers, 'handler-labels')).toBeNull();
  });
});
