import { describe, expect, it } from 'vitest';
import { TextLayer } from '@deck.gl/layers';
import type { SceneModel } from '@scenes/scene-model';
import { sceneModelFixture } from '@scenes/scene-model.fixture';
import { LABEL_COLLISION_GROUP, LABEL_PRIORITY, labelCollisionProps, withLabelCollisions } from './label-collisions';
import { LAYER_IDS, sceneToLayerProps } from './scene-to-layer-props';
import { createCoveredLabelFilter } from './covered-labels';
import { offlineDetailLayers } from './offline-base';

const model: SceneModel = sceneModelFixture({
  handlers: [{ id: 'h1', name: '王芳', team: 't', status: 'busy', p: [120.38, 36.09], locationTs: 0 }],
});

describe('label collisions', () => {
  it('ranks district names over place names', () => {
    expect(LABEL_PRIORITY.district).toBeGreaterThan(LABEL_PRIORITY.place);
    for (const p of Object.values(LABEL_PRIORITY)) expect(Math.abs(p)).toBeLessThanOrEqual(1000);
  });

  it('puts the district names of a scene into the collision group, and people’s names (drawn off their dot) not', () => {
    const layers = sceneToLayerProps(model, { nowTs: 0, pulseTs: 0, zoom: 11, lang: 'zh', pixelScale: 2 });
    const props = (id: string) => layers.find((l) => l.props.id === id)!.props;
    expect(props(LAYER_IDS.districtLabels).collisionGroup).toBe(LABEL_COLLISION_GROUP);
    expect(props(LAYER_IDS.districtLabels).getCollisionPriority).toBe(LABEL_PRIORITY.district);
    // the collision box follows the wall's label scale
    expect((props(LAYER_IDS.districtLabels).collisionTestProps as { sizeScale: number }).sizeScale).toBeGreaterThan(2);
    expect(props(LAYER_IDS.handlerLabels).collisionGroup).toBeUndefined();
  });

  it('has no label in the group drawn away from its anchor (deck.gl would hide it always: visgl/deck.gl#8104)', () => {
    const layers = sceneToLayerProps(model, { nowTs: 0, pulseTs: 0, zoom: 11, lang: 'zh' });
    const grouped = layers.filter((l) => l.props.collisionGroup === LABEL_COLLISION_GROUP);
    expect(grouped.length).toBeGreaterThan(0);
    for (const l of grouped) expect([undefined, 0]).toContain((l.props.getPixelOffset as number[] | undefined)?.find((v) => v !== 0));
    const base = offlineDetailLayers({ zoom: 14, lang: 'zh', pixelScale: 1 });
    for (const l of withLabelCollisions(base).filter((x) => (x.props as { collisionGroup?: string }).collisionGroup === LABEL_COLLISION_GROUP))
      expect((l.props as { getPixelOffset?: unknown }).getPixelOffset ?? [0, 0]).toEqual([0, 0]);
  });

  it('hands deck.gl the same props objects on every render (no re-initialisation)', () => {
    expect(labelCollisionProps('district', 2)).toBe(labelCollisionProps('district', 2));
    expect(labelCollisionProps('place', 2).extensions).toBe(labelCollisionProps('district', 1).extensions);
  });

  it('adds the offline base place names to the group at the lowest priority and leaves other layers alone', () => {
    const place = new TextLayer({ id: 'offline-place-labels', data: [] });
    const other = new TextLayer({ id: 'something', data: [] });
    const [p, o] = withLabelCollisions([place, other]);
    expect((p!.props as unknown as { collisionGroup: string }).collisionGroup).toBe(LABEL_COLLISION_GROUP);
    expect((p!.props as unknown as { getCollisionPriority: number }).getCollisionPriority).toBe(LABEL_PRIORITY.place);
    expect(o).toBe(other);
  });
});

describe('labels under the KPI strip', () => {
  const layers = sceneToLayerProps(model, { nowTs: 0, pulseTs: 0, zoom: 11, lang: 'zh' });
  const districtData = (list: typeof layers) => list.find((l) => l.props.id === LAYER_IDS.districtLabels)!.props.data as { name: string }[];
  /** a fake view: north of 36.2° is the top 100 px; names far apart sideways (none runs into another) */
  const x = (p: [number, number]) => (p[0] - 120) * 10_000;
  const project = (p: [number, number]) => [x(p), p[1] > 36.2 ? 50 : 500];

  it('leaves out the district names the strip would cover, keeping the array while nothing moves', () => {
    const filter = createCoveredLabelFilter();
    const first = districtData(filter.apply(layers, project, 100));
    const all = districtData(layers);
    expect(first.length).toBeLessThan(all.length);
    expect(first.map((d) => d.name)).toContain('市南区');
    expect(districtData(filter.apply(layers, project, 100))).toBe(first);
    expect(filter.changed(project, 100)).toBe(false);
    expect(filter.changed((p) => [x(p), 500], 100)).toBe(true);
  });

  it('changes nothing on a page that covers nothing', () => {
    const filter = createCoveredLabelFilter();
    filter.apply(layers, null, 0).forEach((d, i) => expect(d).toBe(layers[i]));
  });
});
