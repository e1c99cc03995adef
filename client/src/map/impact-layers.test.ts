import { describe, expect, it } from 'vitest';
import type { ImpactRange, ImpactResource } from '@scenes/impact/impact-types';
import { layerGroupOf } from './layer-groups';
import { IMPACT_LAYER_IDS, impactLabelZoomKey, impactLayers, linkLabel, placeLinkLabels, type ImpactLink, type ImpactMark } from './impact-layers';

const res = (id: string, kind: ImpactResource['kind'], distanceM: number, etaMin: number, location: [number, number]): ImpactResource => ({
  id,
  kind,
  name: id,
  nameEn: id,
  district: '370202',
  location,
  distanceM,
  etaMin,
  capacity: 10,
  available: 5,
});

const RANGE: ImpactRange = {
  center: [120.38, 36.07],
  category: 'gas-leak',
  radiusM: 500,
  computedTs: 0,
  polygon: {
    type: 'Polygon',
    coordinates: [
      [
        [120.38, 36.075],
        [120.375, 36.07],
        [120.38, 36.065],
        [120.385, 36.07],
        [120.38, 36.075],
      ],
    ],
  },
  assets: { countByKind: { community: 1 }, items: [] },
  communities: [{ id: 'c1', kind: 'community', name: 'c', nameEn: 'c', district: '370202', location: [120.381, 36.071], distanceM: 120 }],
  facilities: { known: false, items: [] },
  shelters: { items: [res('sh1', 'shelter', 300, 1, [120.383, 36.07])], freeCapacity: 5 },
  devices: {
    total: 3,
    countByKind: {},
    alerting: [{ id: 'd1', kind: 'gas-detector', name: 'd1', location: [120.379, 36.069], level: 'red' }],
    alertingTotal: 1,
  },
  nearest: {
    'rescue-team': [res('t1', 'rescue-team', 1240, 4, [120.39, 36.08])],
    'supply-depot': [res('dep', 'supply-depot', 850, 3, [120.37, 36.07])],
    shelter: [res('sh1', 'shelter', 300, 1, [120.383, 36.07])],
  },
};

const byId = (ds: ReturnType<typeof impactLayers>) => Object.fromEntries(ds.map((d) => [d.props.id, d]));

describe('impact layers', () => {
  it('draws nothing without a range', () => {
    expect(impactLayers(null, { lang: 'zh' })).toEqual([]);
  });

  it('puts every layer in the impact group (the layer panel can hide them)', () => {
    for (const d of impactLayers(RANGE, { lang: 'zh' })) expect(layerGroupOf(d.props.id)).toBe('impact');
  });

  it('draws the circle, the places inside and a labelled line to each nearest resource', () => {
    const ds = byId(impactLayers(RANGE, { lang: 'zh' }));
    expect(ds[IMPACT_LAYER_IDS.area]!.props.data).toEqual([{ polygon: RANGE.polygon.coordinates }]);
    const marks = ds[IMPACT_LAYER_IDS.inside]!.props.data as ImpactMark[];
    expect(marks.map((m) => [m.id, m.role])).toEqual([
      ['c1', 'community'],
      ['sh1', 'shelter'],
      ['d1', 'alerting'],
    ]);
    const links = ds[IMPACT_LAYER_IDS.links]!.props.data as ImpactLink[];
    expect(links.map((l) => [l.id, l.label])).toEqual([
      ['t1', '1.2 km · 4 分'],
      ['dep', '850 m · 3 分'],
      ['sh1', '300 m · 1 分'],
    ]);
    expect(links[0]!.path).toEqual([RANGE.center, [120.39, 36.08]]);
    expect(links[0]!.labelAt[0]).toBeCloseTo(120.385, 9);
    expect(links[0]!.labelAt[1]).toBeCloseTo(36.075, 9);
    const labels = ds[IMPACT_LAYER_IDS.linkLabels]!.props;
    expect(labels.characterSet as string).toContain('分');
  });

  it('labels in English, and keeps the same data while the range is the same', () => {
    expect(linkLabel({ distanceM: 999, etaMin: 3 }, 'en')).toBe('999 m · 3 min');
    const a = byId(impactLayers(RANGE, { lang: 'en' }));
    const b = byId(impactLayers(RANGE, { lang: 'en', pixelScale: 2 }));
    expect(b[IMPACT_LAYER_IDS.links]!.props.data).toBe(a[IMPACT_LAYER_IDS.links]!.props.data);
    expect((a[IMPACT_LAYER_IDS.links]!.props.data as ImpactLink[])[0]!.label).toBe('1.2 km · 4 min');
    expect(byId(impactLayers({ ...RANGE }, { lang: 'en' }))[IMPACT_LAYER_IDS.links]!.props.data).not.toBe(a[IMPACT_LAYER_IDS.links]!.props.data);
  });

  describe('distance labels at the city zoom (they crowd the centre)', () => {
    const labelIds = (zoom: number | undefined) =>
      (
        byId(impactLayers(RANGE, { lang: 'zh', ...(zoom !== undefined ? { zoom } : {}) }))[IMPACT_LAYER_IDS.linkLabels]!.props.data as ImpactLink[]
      ).map((l) => l.id);

    it('draws none where every line is a few px long, all at the incident zoom', () => {
      // 270 m – 1.4 km lines: at zoom 10 (the whole city) 4–23 px long, at 16 ≈ 280–1,480 px
      expect(labelIds(10)).toEqual([]);
      expect(labelIds(16)).toEqual(['t1', 'dep', 'sh1']);
      // without a zoom (a caller that does not know it) every label is drawn, as before
      expect(labelIds(undefined)).toEqual(['t1', 'dep', 'sh1']);
    });

    it('leaves out a label that would overlap one already placed, nearest first', () => {
      const c: [number, number] = [120.38, 36.07];
      const link = (id: string, to: [number, number]): ImpactLink => ({
        id,
        kind: 'rescue-team',
        path: [c, to],
        labelAt: [(c[0] + to[0]) / 2, (c[1] + to[1]) / 2],
        label: '1.2 km · 4 分',
      });
      // two resources almost in one direction: their midpoints' labels overlap; the third lies opposite
      const near = link('near', [120.39, 36.0705]);
      const far = link('far', [120.3905, 36.0705]);
      const west = link('west', [120.37, 36.07]);
      const kept = placeLinkLabels([far, west, near], c, 16, 15);
      expect(kept.map((l) => l.id)).toEqual(['west', 'near']);
      // zoomed in far enough, the two midpoints stand apart
      expect(placeLinkLabels([far, west, near], c, 20, 15).map((l) => l.id)).toEqual(['far', 'west', 'near']);
    });

    it('keeps the same label data within one zoom step (deck.gl does not re-lay the text while panning)', () => {
      const at = (zoom: number) => byId(impactLayers(RANGE, { lang: 'zh', zoom }))[IMPACT_LAYER_IDS.linkLabels]!.props.data;
      expect(impactLabelZoomKey(16.1)).toBe(impactLabelZoomKey(16.2));
      expect(at(16.1)).toBe(at(16.2));
      expect(at(16.3)).not.toBe(at(16.1));
    });
  });
});
