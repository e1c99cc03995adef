import { describe, expect, it } from 'vitest';
import type { AlertItem, DevicePoint, IncidentItem, SceneModel } from '@scenes/scene-model';
import type { DeviceStatus } from '@scenes/domain';
import {
  HEXAGON_REFRESH_MS,
  createDeviceLayerCache,
  alertPulseRadiusPixels,
  districtsForZoom,
  zoomBand,
  LAYER_IDS,
  MAINTENANCE_STYLE,
  sceneToLayerProps,
  selectionFromPick,
  shouldAggregateDevices,
  statusColor,
} from './scene-to-layer-props';
import type { LayerDescriptor, LayerOptions } from './scene-to-layer-props';
import { MAP_CONFIG } from './map-config';
import { slaArcPath, slaColor } from './sla-ring';
import { STATUS_RGB } from '../theme/palette';
import { sceneModelFixture } from '@scenes/scene-model.fixture';

const opts: LayerOptions = { nowTs: 1_000_000, pulseTs: 0, zoom: 10, lang: 'zh' };

const model = sceneModelFixture;

const dev = (id: string, s: DeviceStatus): DevicePoint => ({ id, kind: 'water-level', p: [120.4, 36.1], s });

const alert = (id: string, level: AlertItem['level'], cleared = false): AlertItem => ({
  id,
  deviceId: 'd',
  deviceKind: 'water-level',
  scene: 'water',
  district: '370202',
  p: [120.4, 36.1],
  level,
  cleared,
  acknowledged: false,
  firstTs: 0,
  lastTs: 0,
  count: 1,
  title: '水位超警',
  titleEn: 'Water level',
});

const incident = (id: string, createdTs: number, slaDueTs: number): IncidentItem => ({
  id,
  version: 1,
  state: 'dispatched',
  priority: 'P1',
  level: 'red',
  scene: 'water',
  category: 'waterlogging',
  title: '积水',
  district: '370202',
  p: [120.4, 36.1],
  assignees: [],
  escalated: false,
  createdTs,
  updatedTs: createdTs,
  slaDueTs,
});

const layer = (layers: LayerDescriptor[], id: string) => {
  const found = layers.find((l) => l.props.id === id);
  if (!found) throw new Error(`no layer ${id}`);
  return found;
};

describe('sceneToLayerProps', () => {
  it('colours devices by status: normal teal, four warning colours, offline grey', () => {
    const statuses: DeviceStatus[] = ['normal', 'blue', 'yellow', 'orange', 'red', 'offline'];
    const layers = sceneToLayerProps(model({ devices: statuses.map((s) => dev(s, s)) }), opts);
    const devices = layer(layers, LAYER_IDS.devices);
    const getFillColor = devices.props.getFillColor as (d: DevicePoint) => number[];
    for (const s of statuses) expect(getFillColor(dev('x', s))).toEqual(STATUS_RGB[s]);
    expect(statusColor('offline')).toEqual(STATUS_RGB.offline);
    const [r, g, b] = STATUS_RGB.offline;
    expect(r === g || Math.abs(r - b) < 30).toBe(true); // grey: channels close together
    expect(STATUS_RGB.red[0]).toBeGreaterThan(200);
  });

  it('passes the same devices array to deck.gl when the model’s devices did not change', () => {
    const devices = [dev('a', 'normal')];
    const m1 = model({ devices, alerts: [alert('a1', 'red')] });
    const m2 = { ...m1, kpis: [], alerts: [alert('a1', 'red'), alert('a2', 'blue')] };
    const l1 = sceneToLayerProps(m1, opts);
    const l2 = sceneToLayerProps(m2, { ...opts, pulseTs: 500 });
    expect(layer(l2, LAYER_IDS.devices).props.data).toBe(layer(l1, LAYER_IDS.devices).props.data);
    expect(layer(l2, LAYER_IDS.assetLines).props.data).toBe(layer(l1, LAYER_IDS.assetLines).props.data);
    // derived arrays are memoised by their source: same alerts array → same filtered array
    const l3 = sceneToLayerProps(m2, { ...opts, pulseTs: 900 });
    expect(layer(l3, LAYER_IDS.alertPulse).props.data).toBe(layer(l2, LAYER_IDS.alertPulse).props.data);
  });

  it('keeps the same layer ids across renders and across scenes', () => {
    const ids1 = sceneToLayerProps(model(), opts).map((l) => l.props.id);
    const ids2 = sceneToLayerProps(model({ scene: 'bridge', devices: [dev('a', 'red')] }), { ...opts, pulseTs: 300 }).map((l) => l.props.id);
    expect(ids2).toEqual(ids1);
    expect(new Set(ids1).size).toBe(ids1.length);
  });

  it('pulses active alerts only, red fastest, and names the update trigger after the accessor', () => {
    const layers = sceneToLayerProps(model({ alerts: [alert('a', 'red'), alert('b', 'blue'), alert('c', 'red', true)] }), {
      ...opts,
      pulseTs: 400,
    });
    const pulse = layer(layers, LAYER_IDS.alertPulse);
    expect((pulse.props.data as AlertItem[]).map((a) => a.id)).toEqual(['b', 'a']); // cleared dropped, red on top
    expect(pulse.props.updateTriggers).toEqual({ getRadius: 400, getLineColor: 400 });
    const periods = Object.values(MAP_CONFIG.alertPulse).map((p) => p.periodMs);
    expect(MAP_CONFIG.alertPulse.red.periodMs).toBe(Math.min(...periods));
    // radius stays within base .. base + growth and moves with time
    for (const t of [0, 100, 250, 799]) {
      const r = alertPulseRadiusPixels('red', t);
      expect(r).toBeGreaterThanOrEqual(MAP_CONFIG.alertPulse.red.baseRadiusPixels);
      expect(r).toBeLessThan(MAP_CONFIG.alertPulse.red.baseRadiusPixels + MAP_CONFIG.alertPulse.red.growthPixels);
    }
    expect(alertPulseRadiusPixels('red', 400)).toBeGreaterThan(alertPulseRadiusPixels('red', 0));
    // a red alert is bigger than a blue one at the start of their pulse
    expect(alertPulseRadiusPixels('red', 0)).toBeGreaterThan(alertPulseRadiusPixels('blue', 0));
  });

  it('draws the SLA ring as the used fraction of a circle, green → red', () => {
    const createdTs = 0;
    const dueTs = 1_000_000;
    const layers = sceneToLayerProps(model({ incidents: [incident('i1', createdTs, dueTs)] }), { ...opts, nowTs: 500_000 });
    const ring = layer(layers, LAYER_IDS.slaRing);
    const getPath = ring.props.getPath as (i: IncidentItem) => [number, number][];
    const path = getPath(incident('i1', createdTs, dueTs));
    const [lng, lat] = [120.4, 36.1];
    // half used: starts due north, ends due south
    expect(path[0][1]).toBeGreaterThan(lat);
    expect(path.at(-1)![1]).toBeLessThan(lat);
    expect(Math.abs(path.at(-1)![0] - lng)).toBeLessThan(1e-9);
    expect(ring.props.updateTriggers).toEqual({ getPath: 500_000, getColor: 500_000 });
    expect(slaColor(0, false)[0]).toBeLessThan(100); // green
    expect(slaColor(1, false)).toEqual([255, 48, 64, 255]); // red
    expect(slaColor(0.1, true)).toEqual([255, 48, 64, 255]); // breached = red
    expect(slaArcPath([lng, lat], 0.25, 450, 48)).toHaveLength(13);
  });

  it('offers a hexagon aggregation above 5,000 devices at low zoom only', () => {
    expect(shouldAggregateDevices(5_001, 9)).toBe(true);
    expect(shouldAggregateDevices(5_001, 13)).toBe(false);
    expect(shouldAggregateDevices(4_000, 9)).toBe(false);
    const many = Array.from({ length: 5_001 }, (_, i) => dev(`d${i}`, 'normal'));
    const low = sceneToLayerProps(model({ devices: many }), { ...opts, zoom: 9 });
    expect(layer(low, LAYER_IDS.devicesHexagon).props.visible).toBe(true);
    expect(layer(low, LAYER_IDS.devices).props.visible).toBe(false);
    const high = sceneToLayerProps(model({ devices: many }), { ...opts, zoom: 13 });
    expect(layer(high, LAYER_IDS.devicesHexagon).props.visible).toBe(false);
    expect(layer(high, LAYER_IDS.devices).props.visible).toBe(true);
    expect(sceneToLayerProps(model({ devices: many.slice(0, 10) }), opts).some((l) => l.props.id === LAYER_IDS.devicesHexagon)).toBe(false);
  });

  it('gives the district label layer a character set holding every Chinese name it renders', () => {
    const labels = layer(sceneToLayerProps(model(), opts), LAYER_IDS.districtLabels);
    const characterSet = labels.props.characterSet as string;
    for (const ch of '市南区崂山区黄岛区') expect(characterSet).toContain(ch);
    const getText = labels.props.getText as (d: { name: string; nameEn: string }) => string;
    expect(getText({ name: '市南区', nameEn: 'Shinan' })).toBe('市南区');
    const en = layer(sceneToLayerProps(model(), { ...opts, lang: 'en' }), LAYER_IDS.districtLabels);
    expect((en.props.getText as typeof getText)({ name: '市南区', nameEn: 'Shinan' })).toBe('Shinan');
    expect(en.props.updateTriggers).toEqual({ getText: 'en' });
  });

  it('scales screen-px symbols with the panel layer on big walls', () => {
    const layers = sceneToLayerProps(model({ devices: [dev('a', 'red')] }), { ...opts, pixelScale: 2 });
    expect(layer(layers, LAYER_IDS.devices).props.radiusScale).toBe(2);
    expect(layer(layers, LAYER_IDS.slaRing).props.widthScale).toBe(2);
    expect(layer(layers, LAYER_IDS.districtLabels).props.sizeScale).toBe(2);
    expect(layer(sceneToLayerProps(model(), opts), LAYER_IDS.devices).props.radiusScale).toBeUndefined();
    // a person's name stays above their (twice as big) dot
    expect(layer(layers, LAYER_IDS.handlerLabels).props.getPixelOffset).toEqual([0, -32]);
    expect(layer(sceneToLayerProps(model(), opts), LAYER_IDS.handlerLabels).props.getPixelOffset).toEqual([0, -16]);
  });

  it('draws shelters in their own layer (a layer-panel group of their own), picked as resources', () => {
    const shelter = { id: 's1', kind: 'shelter', name: '避难所', location: [120.4, 36.1] } as unknown as SceneModel['resources'][number];
    const team = { id: 't1', kind: 'rescue-team', name: '救援队', location: [120.5, 36.2] } as unknown as SceneModel['resources'][number];
    const layers = sceneToLayerProps(model({ resources: [shelter, team] }), opts);
    expect(layer(layers, LAYER_IDS.shelters).props.data).toEqual([shelter]);
    expect(layer(layers, LAYER_IDS.resources).props.data).toEqual([team]);
    expect(selectionFromPick(LAYER_IDS.shelters, shelter)).toMatchObject({ kind: 'resource', id: 's1' });
  });

  it('turns a pick on the devices or incident layers into a selection', () => {
    expect(selectionFromPick(LAYER_IDS.devices, dev('d7', 'red'))).toMatchObject({ kind: 'device', id: 'd7' });
    expect(selectionFromPick(LAYER_IDS.slaRing, incident('i9', 0, 1))).toMatchObject({ kind: 'incident', id: 'i9' });
    expect(selectionFromPick(LAYER_IDS.districts, {})).toBeNull();
    expect(selectionFromPick(undefined, null)).toBeNull();
  });
});

describe('device layer across status-only changes', () => {
  const byId = (layers: LayerDescriptor[], id: string) => layers.find((l) => l.props.id === id)!.props as Record<string, any>;

  it('keeps the data array (positions stay on the GPU) and bumps only the colour trigger when a status changes', () => {
    const cache = createDeviceLayerCache();
    const a = [dev('d1', 'normal'), dev('d2', 'normal')];
    const first = byId(sceneToLayerProps(model({ devices: a }), { ...opts, deviceCache: cache }), LAYER_IDS.devices);
    const b = [a[0]!, dev('d2', 'red')];
    const second = byId(sceneToLayerProps(model({ devices: b }), { ...opts, deviceCache: cache }), LAYER_IDS.devices);
    expect(second.data).toBe(first.data);
    expect(second.updateTriggers.getFillColor).not.toBe(first.updateTriggers.getFillColor);
    expect(second.getFillColor(second.data[1])).toEqual(statusColor('red'));
    expect(second.getRadius(second.data[1])).toBe(MAP_CONFIG.deviceRadiusPixels.red);
  });

  it('hands deck.gl new data when devices are added, removed or moved', () => {
    const cache = createDeviceLayerCache();
    const a = [dev('d1', 'normal')];
    const first = byId(sceneToLayerProps(model({ devices: a }), { ...opts, deviceCache: cache }), LAYER_IDS.devices);
    const b = [dev('d1', 'normal'), dev('d2', 'blue')];
    const second = byId(sceneToLayerProps(model({ devices: b }), { ...opts, deviceCache: cache }), LAYER_IDS.devices);
    expect(second.data).not.toBe(first.data);
    expect(second.data).toHaveLength(2);
    const moved = [{ ...b[0]!, p: [120.5, 36.2] as [number, number] }, b[1]!];
    const third = byId(sceneToLayerProps(model({ devices: moved }), { ...opts, deviceCache: cache }), LAYER_IDS.devices);
    expect(third.data).not.toBe(second.data);
  });
});

describe('aggregated view at low zoom', () => {
  const byId = (layers: LayerDescriptor[], id: string) => layers.find((l) => l.props.id === id)!.props as Record<string, any>;
  const many = (s: DeviceStatus) => Array.from({ length: MAP_CONFIG.aggregateAboveDeviceCount + 1 }, (_, i) => dev(`d${i}`, s));

  it('re-weights hexagons at most every HEXAGON_REFRESH_MS and leaves the hidden dot layer alone', () => {
    const cache = createDeviceLayerCache();
    const low = { ...opts, zoom: MAP_CONFIG.aggregateBelowZoom - 1, deviceCache: cache };
    const a = many('normal');
    const first = sceneToLayerProps(model({ devices: a }), { ...low, nowTs: 10_000 });
    const b = [...a];
    b[0] = dev('d0', 'red');
    const soon = sceneToLayerProps(model({ devices: b }), { ...low, nowTs: 10_000 + HEXAGON_REFRESH_MS / 2 });
    expect(byId(soon, LAYER_IDS.devicesHexagon).updateTriggers.getColorWeight).toBe(
      byId(first, LAYER_IDS.devicesHexagon).updateTriggers.getColorWeight,
    );
    expect(byId(soon, LAYER_IDS.devices).updateTriggers.getFillColor).toBe(byId(first, LAYER_IDS.devices).updateTriggers.getFillColor);
    const later = sceneToLayerProps(model({ devices: b }), { ...low, nowTs: 10_000 + HEXAGON_REFRESH_MS });
    expect(byId(later, LAYER_IDS.devicesHexagon).updateTriggers.getColorWeight).not.toBe(
      byId(first, LAYER_IDS.devicesHexagon).updateTriggers.getColorWeight,
    );
    // zooming in shows the dots, which then take the current colours
    const zoomed = sceneToLayerProps(model({ devices: b }), { ...low, zoom: MAP_CONFIG.aggregateBelowZoom + 1, nowTs: 10_000 + HEXAGON_REFRESH_MS });
    expect(byId(zoomed, LAYER_IDS.devices).updateTriggers.getFillColor).not.toBe(byId(first, LAYER_IDS.devices).updateTriggers.getFillColor);
  });
});

describe('devices in maintenance', () => {
  it('draws a device in maintenance dimmed with a service ring, and redraws when it enters or leaves maintenance', () => {
    const cache = createDeviceLayerCache();
    const active = [dev('a', 'normal'), dev('b', 'normal')];
    const first = sceneToLayerProps(model({ devices: active }), { ...opts, deviceCache: cache });
    expect(layer(first, LAYER_IDS.devicesMaintenance).props.data).toEqual([]);
    const inMaintenance: DevicePoint[] = [active[0]!, { ...active[1]!, m: true }];
    const second = sceneToLayerProps(model({ devices: inMaintenance }), { ...opts, deviceCache: cache });
    const ring = layer(second, LAYER_IDS.devicesMaintenance);
    expect((ring.props.data as DevicePoint[]).map((d) => d.id)).toEqual(['b']);
    expect(ring.props.getLineColor).toEqual(MAINTENANCE_STYLE.ring);
    const dots = layer(second, LAYER_IDS.devices);
    const fill = dots.props.getFillColor as (d: DevicePoint) => number[];
    expect(fill(inMaintenance[1]!)).toEqual(MAINTENANCE_STYLE.fill);
    expect(fill(inMaintenance[0]!)).toEqual(STATUS_RGB.normal);
    // the flip alone (same ids, positions and statuses) must reach deck.gl
    expect(dots.props.data).not.toBe(layer(first, LAYER_IDS.devices).props.data);
  });
});

describe('district boundaries by zoom', () => {
  const vertices = (fc: ReturnType<typeof districtsForZoom>) =>
    fc.features.reduce((n, f) => n + JSON.stringify(f.geometry.coordinates).split('],[').length, 0);
  const districtsLayer = (zoom: number) => sceneToLayerProps(model(), { ...opts, zoom }).find((l) => l.props.id === LAYER_IDS.districts)!;

  it('draws simplified boundaries at the city-wide zoom (far fewer vertices, every district kept) and the full ones when zoomed in', () => {
    const low = districtLayerData(districtsLayer(10));
    const full = districtLayerData(districtsLayer(MAP_CONFIG.districtLod.belowZoom));
    expect(low.features.map((f) => f.properties.code)).toEqual(full.features.map((f) => f.properties.code));
    expect(vertices(low)).toBeLessThan(vertices(full) / 3);
  });

  it('hands deck.gl the same data object on every render at one zoom band (its buffers are kept)', () => {
    expect(districtLayerData(districtsLayer(10))).toBe(districtLayerData(districtsLayer(10.8)));
    expect(zoomBand(10)).toBe(zoomBand(10.8));
    expect(zoomBand(10)).not.toBe(zoomBand(MAP_CONFIG.districtLod.belowZoom));
  });

  function districtLayerData(l: LayerDescriptor) {
    return l.props.data as ReturnType<typeof districtsForZoom>;
  }
});
