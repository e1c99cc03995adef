import { describe, expect, it } from 'vitest';
import type { SceneModel } from '@scenes/scene-model';
import { sceneModelFixture } from '@scenes/scene-model.fixture';
import type { LngLat } from '@scenes/domain';
import { LAYER_IDS, sceneToLayerProps } from './scene-to-layer-props';
import { createCoveredLabelFilter } from './covered-labels';
import { boxesMeet, labelBox, labelsOnOthers, textWidthEm } from './name-clearance';

/** a plain view: 10,000 px per degree around the city, north up */
const project = (p: [number, number]) => [(p[0] - 120) * 10_000, (37 - p[1]) * 10_000];
const PX = 1 / 10_000;

function layersWith(handlerPositions: LngLat[], pixelScale = 1) {
  const probe = sceneToLayerProps(sceneModelFixture({}), { nowTs: 0, pulseTs: 0, zoom: 11, lang: 'zh' });
  const district = (probe.find((l) => l.props.id === LAYER_IDS.districtLabels)!.props.data as { position: LngLat }[])[0]!.position;
  const model: SceneModel = sceneModelFixture({
    handlers: handlerPositions.map((d, i) => ({
      id: `h${i}`,
      name: '王芳',
      team: 't',
      status: 'busy' as const,
      p: [district[0] + d[0], district[1] + d[1]] as LngLat,
      locationTs: 0,
    })),
  });
  return sceneToLayerProps(model, { nowTs: 0, pulseTs: 0, zoom: 11, lang: 'zh', pixelScale });
}
const byId = (layers: ReturnType<typeof layersWith>, id: string) => layers.find((l) => l.props.id === id);
const names = (layers: ReturnType<typeof layersWith>) => (byId(layers, LAYER_IDS.handlerLabels)!.props.data as { id: string }[]).map((h) => h.id);

describe('name clearance', () => {
  it('measures CJK characters as one em and Latin ones as 0.6', () => {
    expect(textWidthEm('市北区')).toBe(3);
    expect(textWidthEm('Shibei')).toBeCloseTo(3.6);
    expect(boxesMeet(labelBox([0, 0], '王芳', 13), labelBox([30, 0], '王芳', 13))).toBe(false);
    expect(boxesMeet(labelBox([0, 0], '王芳', 13), labelBox([20, 0], '王芳', 13))).toBe(true);
  });

  it('finds a person whose name (drawn 16 px above them) would sit on a district name, and only them', () => {
    // h0 stands 12 px under the district name's centre: their name is drawn right on it; h1 is 300 px east
    const layers = layersWith([
      [0, -12 * PX],
      [300 * PX, 0],
    ]);
    expect(labelsOnOthers(byId(layers, LAYER_IDS.handlerLabels), byId(layers, LAYER_IDS.districtLabels), project)).toEqual([0]);
    // on a 4K wall (sizeScale 2) the boxes are twice as big: 60 px east is still on the name
    const wall = layersWith([[60 * PX, -12 * PX]], 2);
    expect(labelsOnOthers(byId(wall, LAYER_IDS.handlerLabels), byId(wall, LAYER_IDS.districtLabels), project)).toEqual([0]);
    const desk = layersWith([[60 * PX, -12 * PX]], 1);
    expect(labelsOnOthers(byId(desk, LAYER_IDS.handlerLabels), byId(desk, LAYER_IDS.districtLabels), project)).toEqual([]);
  });

  it('keeps the first of two people whose names would overlap, and both once they are apart', () => {
    const side = layersWith([
      [200 * PX, 0],
      [215 * PX, 2 * PX],
      [260 * PX, 0],
    ]);
    expect(labelsOnOthers(byId(side, LAYER_IDS.handlerLabels), byId(side, LAYER_IDS.districtLabels), project)).toEqual([1]);
    expect(labelsOnOthers(byId(side, LAYER_IDS.handlerLabels), undefined, project)).toEqual([1]);
  });

  it('leaves that name out on every map (no covered band needed), keeping the array while nothing moves', () => {
    const layers = layersWith([
      [0, -12 * PX],
      [300 * PX, 0],
    ]);
    const filter = createCoveredLabelFilter();
    const first = filter.apply(layers, project, 0);
    expect(names(first)).toEqual(['h1']);
    // the dots stay: only the name is left out
    expect((byId(first, LAYER_IDS.handlers)!.props.data as unknown[]).length).toBe(2);
    expect(byId(filter.apply(layers, project, 0), LAYER_IDS.handlerLabels)!.props.data).toBe(byId(first, LAYER_IDS.handlerLabels)!.props.data);
    expect(filter.changed(project, 0)).toBe(false);
    // zoomed in: the same people are far apart on screen, and both names come back
    const zoomed = (p: [number, number]) => project(p).map((v) => v * 8);
    expect(filter.changed(zoomed, 0)).toBe(true);
  });

  it('leaves out district names that would run into one another on a small map, the city’s first districts kept', () => {
    const layers = layersWith([]);
    const districts = byId(layers, LAYER_IDS.districtLabels)!;
    // 300 px per degree: the urban districts' names overlap
    const small = (p: [number, number]) => [(p[0] - 120) * 300, (37 - p[1]) * 300];
    const hidden = labelsOnOthers(districts, undefined, small);
    expect(hidden.length).toBeGreaterThan(0);
    expect(hidden).not.toContain(0);
    // the filter leaves them out of the layer; at the usual scale none is left out
    const filter = createCoveredLabelFilter();
    const kept = byId(filter.apply(layers, small, 0), LAYER_IDS.districtLabels)!.props.data as unknown[];
    expect(kept.length).toBe((districts.props.data as unknown[]).length - hidden.length);
    expect(labelsOnOthers(districts, undefined, project)).toEqual([]);
  });
});
