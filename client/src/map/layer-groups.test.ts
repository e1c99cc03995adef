import { describe, expect, it } from 'vitest';
import type { DevicePoint } from '@scenes/scene-model';
import {
  decodeVisibility,
  defaultVisibility,
  DEVICE_SCENE_TOGGLES,
  encodeVisibility,
  LAYER_GROUP_IDS,
  LAYER_GROUP_LABELS,
  layerGroupOf,
  presentLayerGroups,
  sameLayerGroups,
  visibleDescriptors,
  withToggle,
} from './layer-groups';
import type { LayerGroupId, MapPageKind } from './layer-groups';
import { LEGEND_BY_GROUP, legendSections } from './layer-legend';
import { createDeviceLayerCache, LAYER_IDS, sceneToLayerProps } from './scene-to-layer-props';
import { sceneModelFixture } from '@scenes/scene-model.fixture';

const PAGES: MapPageKind[] = ['wall', 'console', 'brief'];

const EXPECTED_GROUP: Record<(typeof LAYER_IDS)[keyof typeof LAYER_IDS], LayerGroupId> = {
  districts: 'districts',
  'district-labels': 'districts',
  'asset-lines': 'assets',
  'asset-areas': 'assets',
  'asset-points': 'assets',
  devices: 'devices',
  'devices-hexagon': 'heat',
  'devices-maintenance': 'devices',
  'alert-pulse': 'alerts',
  'incident-sla-track': 'incidents',
  'incident-sla-ring': 'incidents',
  incidents: 'incidents',
  resources: 'resources',
  shelters: 'shelters',
  handlers: 'handlers',
  'handler-labels': 'handlers',
};

const model = sceneModelFixture;
const device = (id: string, kind: DevicePoint['kind']): DevicePoint => ({ id, kind, p: [120.4, 36.1], s: 'normal' });

describe('layer groups', () => {
  it('puts every scene layer id into its group', () => {
    for (const id of Object.values(LAYER_IDS)) expect(layerGroupOf(id), id).toBe(EXPECTED_GROUP[id]);
  });

  it('groups the base and the other overlays by id prefix, and keeps the sea and unknown layers always on', () => {
    expect(layerGroupOf('offline-place-labels')).toBe('basemap');
    expect(layerGroupOf('basemap-tdt-annotation')).toBe('basemap');
    expect(layerGroupOf('basemap-tint')).toBe('basemap');
    expect(layerGroupOf('camera-points')).toBe('cameras');
    expect(layerGroupOf('impact-ring')).toBe('impact');
    expect(layerGroupOf('district-highlight')).toBe('districts');
    expect(layerGroupOf('offline-sea')).toBeNull();
    expect(layerGroupOf('something-else')).toBeNull();
  });

  it('has a label in both languages and legend entries for every group', () => {
    for (const g of LAYER_GROUP_IDS) {
      expect(LAYER_GROUP_LABELS[g].zh).toMatch(/\p{Script=Han}/u);
      expect(LAYER_GROUP_LABELS[g].en).toMatch(/[A-Za-z]/);
      expect(LEGEND_BY_GROUP[g].length, g).toBeGreaterThan(0);
    }
  });

  it('offers a device toggle per scene with its kinds', () => {
    expect(DEVICE_SCENE_TOGGLES.map((s) => s.scene)).toEqual(['emergency', 'bridge', 'water', 'community']);
    expect(DEVICE_SCENE_TOGGLES.find((s) => s.scene === 'water')!.kinds.map((k) => k.kind)).toContain('water-level');
  });
});

describe('visibleDescriptors', () => {
  const m = model({
    devices: [device('d1', 'water-level'), device('d2', 'gas-detector'), device('d3', 'strain-gauge')],
    handlers: [{ id: 'h1', name: '王芳', team: 't', status: 'idle', p: [120.4, 36.1], locationTs: 0 }],
  });
  const descriptors = sceneToLayerProps(m, { nowTs: 0, pulseTs: 0, zoom: 12, lang: 'zh', deviceCache: createDeviceLayerCache() });

  it('drops the layers of hidden groups and nothing else', () => {
    const vis = withToggle(withToggle(defaultVisibility('wall'), 'handlers', false), 'districts', false);
    const ids = visibleDescriptors(descriptors, vis).map((d) => d.props.id);
    expect(ids).not.toContain('handlers');
    expect(ids).not.toContain('handler-labels');
    expect(ids).not.toContain('districts');
    expect(ids).not.toContain('district-labels');
    expect(ids).toContain('devices');
    expect(ids).toHaveLength(descriptors.length - 4);
  });

  it('returns the same descriptor objects and data arrays for unchanged layers (the incremental path stays cheap)', () => {
    const shown = visibleDescriptors(descriptors, defaultVisibility('wall'));
    expect(shown).toHaveLength(descriptors.length);
    shown.forEach((d, i) => expect(d).toBe(descriptors[i]));
  });

  it('filters devices by scene and kind with a data array that is the same object on every render', () => {
    const vis = withToggle(withToggle(defaultVisibility('console'), 'devices.emergency', false), 'devices.strain-gauge', false);
    const dataOf = (list: ReturnType<typeof visibleDescriptors>) => list.find((d) => d.props.id === 'devices')!.props.data as DevicePoint[];
    const first = dataOf(visibleDescriptors(descriptors, vis));
    expect(first.map((d) => d.id)).toEqual(['d1']);
    // a new but equal visibility (the route re-parsed) keeps the array
    const again = dataOf(visibleDescriptors(descriptors, decodeVisibility(encodeVisibility(vis, 'console'), 'console')));
    expect(again).toBe(first);
  });

  it('draws dots instead of hexagons when the hexagon view is off', () => {
    const many = model({ devices: Array.from({ length: 6_000 }, (_, i) => device(`d${i}`, 'water-level')) });
    const withHex = sceneToLayerProps(many, { nowTs: 0, pulseTs: 0, zoom: 9, lang: 'zh' });
    const noHex = sceneToLayerProps(many, { nowTs: 0, pulseTs: 0, zoom: 9, lang: 'zh', aggregateDevices: false });
    expect(withHex.find((d) => d.props.id === 'devices')!.props.visible).toBe(false);
    expect(noHex.find((d) => d.props.id === 'devices')!.props.visible).toBe(true);
  });
});

describe('layers= URL parameter', () => {
  it('round-trips any visibility on every page', () => {
    for (const page of PAGES) {
      let vis = defaultVisibility(page);
      vis = withToggle(vis, 'heat', false);
      vis = withToggle(vis, 'handlers', page === 'brief');
      vis = withToggle(vis, 'devices.water-level', false);
      const back = decodeVisibility(encodeVisibility(vis, page), page);
      expect([...back.hidden].sort()).toEqual([...vis.hidden].sort());
    }
  });

  it('writes nothing for the defaults and only the differences otherwise', () => {
    expect(encodeVisibility(defaultVisibility('wall'), 'wall')).toBeNull();
    expect(encodeVisibility(withToggle(defaultVisibility('wall'), 'heat', false), 'wall')).toBe('-heat');
    expect(encodeVisibility(withToggle(defaultVisibility('brief'), 'handlers', true), 'brief')).toBe('+handlers');
  });

  it('reads a hand-written list of groups as exactly those groups', () => {
    const vis = decodeVisibility('devices,alerts', 'wall');
    const on = LAYER_GROUP_IDS.filter((g) => !vis.hidden.has(g));
    expect(on).toEqual(['devices', 'alerts']);
  });

  it('ignores garbage and falls back to the defaults', () => {
    for (const junk of [undefined, null, 42, {}, '', ',,,', '-nope,+__proto__,constructor', 'x'.repeat(5_000), ['-', null]]) {
      expect([...decodeVisibility(junk, 'brief').hidden].sort()).toEqual(['handlers', 'heat']);
    }
    expect([...decodeVisibility(' -heat , -bogus ,', 'wall').hidden]).toEqual(['heat']);
    expect([...decodeVisibility(['-heat', '-alerts'], 'wall').hidden].sort()).toEqual(['alerts', 'heat']);
  });
});

describe('legend', () => {
  it('explains the visible groups that have something drawn', () => {
    const vis = withToggle(defaultVisibility('wall'), 'handlers', false);
    const sections = legendSections(vis, new Set<LayerGroupId>(['devices', 'handlers', 'alerts']));
    expect(sections.map((s) => s.group)).toEqual(['devices', 'alerts']);
    expect(sections[0]!.entries.map((e) => e.label.zh)).toContain('维护中');
  });
});

describe('groups present on the map', () => {
  const d = (id: string, data: unknown, visible = true) => ({ props: { id, data, visible } });

  it('counts a group only when one of its layers is visible and has something to draw', () => {
    const present = presentLayerGroups(
      [d('devices', [1]), d('handlers', []), d('incidents', [1], false), d('districts', { type: 'FeatureCollection' }), d('sea', [1])],
      false,
    );
    expect([...present].sort()).toEqual(['devices', 'districts']);
  });

  it('counts the basemap while it is shown', () => {
    expect(presentLayerGroups([], true)).toEqual(new Set(['basemap']));
    expect(presentLayerGroups([], false).size).toBe(0);
  });

  it('compares group sets by their members', () => {
    expect(sameLayerGroups(new Set<LayerGroupId>(['devices', 'alerts']), new Set<LayerGroupId>(['alerts', 'devices']))).toBe(true);
    expect(sameLayerGroups(new Set<LayerGroupId>(['devices']), new Set<LayerGroupId>(['devices', 'alerts']))).toBe(false);
    expect(sameLayerGroups(new Set<LayerGroupId>(['devices', 'handlers']), new Set<LayerGroupId>(['devices', 'alerts']))).toBe(false);
  });
});
