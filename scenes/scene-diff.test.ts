import { describe, expect, it } from 'vitest';
import { applySceneDelta, diffScene, isEmptyDelta, jsonValueEqual } from './scene-diff';
import type { AlertItem, ChartData, DevicePoint, IncidentItem, Kpi, SceneDelta, SceneModel } from './scene-model';
import type { AlertLevel, DeviceStatus } from './domain';
import { sceneModelFixture } from './scene-model.fixture';

/** Small deterministic PRNG (mulberry32) so the property test is reproducible. */
function makeRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const STATUSES: DeviceStatus[] = ['normal', 'red', 'orange', 'yellow', 'blue', 'offline'];
const LEVELS: AlertLevel[] = ['red', 'orange', 'yellow', 'blue'];

function pick<T>(rnd: () => number, items: readonly T[]): T {
  return items[Math.floor(rnd() * items.length)];
}

/** A random subset of `0..n-1` in random order. */
function randomIds(rnd: () => number, prefix: string, n: number): string[] {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) if (rnd() < 0.7) ids.push(`${prefix}-${i}`);
  if (rnd() < 0.5) {
    for (let i = ids.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [ids[i], ids[j]] = [ids[j], ids[i]];
    }
  }
  return ids;
}

function randomModel(rnd: () => number): SceneModel {
  const devices: DevicePoint[] = randomIds(rnd, 'd', 12).map((id) => ({
    id,
    kind: 'strain-gauge',
    p: [120 + Math.floor(rnd() * 3), 36],
    s: pick(rnd, STATUSES),
    ...(rnd() < 0.5 ? { a: 'bridge-1' } : {}),
  }));
  const alerts: AlertItem[] = randomIds(rnd, 'a', 6).map((id) => ({
    id,
    deviceId: 'd-1',
    deviceKind: 'strain-gauge',
    scene: 'bridge',
    district: '370202',
    p: [120, 36],
    level: pick(rnd, LEVELS),
    cleared: rnd() < 0.3,
    acknowledged: rnd() < 0.3,
    firstTs: 1000,
    lastTs: 1000 + Math.floor(rnd() * 3),
    count: 1,
    title: '应变超限',
    titleEn: 'Strain',
  }));
  const incidents: IncidentItem[] = randomIds(rnd, 'i', 5).map((id) => ({
    id,
    version: 1 + Math.floor(rnd() * 2),
    state: 'reported',
    priority: 'P2',
    level: 'orange',
    scene: 'water',
    category: 'waterlogging',
    title: '积水',
    district: '370203',
    p: [120, 36],
    assignees: rnd() < 0.5 ? ['h1'] : ['h1', 'h2'],
    escalated: false,
    createdTs: 1,
    updatedTs: 2,
    slaDueTs: 3,
  }));
  const kpis: Kpi[] = [{ id: 'k1', label: '在线', labelEn: 'Online', value: Math.floor(rnd() * 3), unit: '个' }];
  const charts: Record<string, ChartData> = {};
  for (const key of ['c1', 'c2', 'c3']) {
    if (rnd() < 0.6) {
      charts[key] = {
        kind: 'pie',
        title: key,
        titleEn: key,
        unit: '个',
        slices: [{ id: 's', name: 's', nameEn: 's', value: Math.floor(rnd() * 3) }],
        dataTs: 0,
        expectedIntervalMs: 60_000,
      };
    }
  }
  return {
    scene: 'bridge',
    generatedTs: Math.floor(rnd() * 1000),
    kpis,
    devices,
    alerts,
    incidents,
    handlers: [],
    assets: [],
    resources: [],
    charts,
  };
}

/** A deep copy through JSON, as the model would look after crossing the wire. */
function viaWire<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

function emptyModel(): SceneModel {
  return sceneModelFixture({
    scene: 'bridge',
    devices: [
      { id: 'd1', kind: 'strain-gauge', p: [120.1, 36.1], s: 'normal' },
      { id: 'd2', kind: 'strain-gauge', p: [120.2, 36.2], s: 'normal', a: 'b1' },
      { id: 'd3', kind: 'deflection', p: [120.3, 36.3], s: 'normal' },
    ],
  });
}

describe('diffScene / applySceneDelta', () => {
  it('round-trips 200 random model pairs exactly, including collection order', () => {
    const rnd = makeRandom(20240601);
    for (let n = 0; n < 200; n++) {
      const a = randomModel(rnd);
      const b = randomModel(rnd);
      const delta = diffScene(a, b) ?? { generatedTs: b.generatedTs };
      // The delta also survives the wire (JSON) and still applies to the same result.
      expect(applySceneDelta(a, delta)).toEqual(b);
      expect(applySceneDelta(a, viaWire(delta))).toEqual(b);
    }
  });

  it('returns null when nothing but generatedTs changed', () => {
    const a = emptyModel();
    const b = { ...viaWire(a), generatedTs: 99 };
    expect(diffScene(a, b)).toBeNull();
    expect(diffScene(a, a)).toBeNull();
  });

  it('puts only the device whose status changed', () => {
    const a = emptyModel();
    const b = viaWire(a);
    b.devices[1].s = 'red';
    const delta = diffScene(a, b);
    expect(delta?.devices).toEqual({ put: [b.devices[1]] });
    expect(delta?.alerts).toBeUndefined();
    expect(delta?.kpis).toBeUndefined();
    expect(delta?.charts).toBeUndefined();
  });

  it('removes dropped items and appends new ones', () => {
    const a = emptyModel();
    const b = viaWire(a);
    b.devices.splice(0, 1);
    b.devices.push({ id: 'd4', kind: 'deflection', p: [120.4, 36.4], s: 'yellow' });
    const delta = diffScene(a, b);
    expect(delta?.devices).toEqual({ remove: ['d1'], put: [b.devices[2]] });
    expect(applySceneDelta(a, delta!)).toEqual(b);
  });

  it('keeps the identity of collections the delta does not touch', () => {
    const a = emptyModel();
    const b = viaWire(a);
    b.devices[0].s = 'offline';
    const applied = applySceneDelta(a, diffScene(a, b)!);
    expect(applied.devices).not.toBe(a.devices);
    expect(applied.devices[1]).toBe(a.devices[1]);
    expect(applied.alerts).toBe(a.alerts);
    expect(applied.kpis).toBe(a.kpis);
    expect(applied.charts).toBe(a.charts);
  });

  it('does not mutate the model it applies to', () => {
    const a = emptyModel();
    const before = viaWire(a);
    const b = viaWire(a);
    b.devices.reverse();
    applySceneDelta(a, diffScene(a, b)!);
    expect(a).toEqual(before);
  });

  it('replaces kpis whole when any kpi changed, and diffs charts per key', () => {
    const a = emptyModel();
    a.kpis = [
      { id: 'k1', label: 'a', labelEn: 'a', value: 1, unit: '个' },
      { id: 'k2', label: 'b', labelEn: 'b', value: 2, unit: '个' },
    ];
    const chart: ChartData = { kind: 'pie', title: 't', titleEn: 't', unit: '', slices: [], dataTs: 1, expectedIntervalMs: 1 };
    a.charts = { keep: chart, drop: chart, change: chart };
    const b = viaWire(a);
    b.kpis[1].value = 3;
    delete b.charts.drop;
    (b.charts.change as Extract<ChartData, { kind: 'pie' }>).dataTs = 2;
    const delta = diffScene(a, b)!;
    expect(delta.kpis).toEqual(b.kpis);
    expect(delta.charts).toEqual({ put: { change: b.charts.change }, remove: ['drop'] });
    expect(applySceneDelta(a, delta)).toEqual(b);
  });

  it.each(['__proto__', 'constructor', 'prototype'])('refuses the reserved id %s when applying', (id) => {
    const a = emptyModel();
    const putDevice = JSON.parse(`{"generatedTs":2,"devices":{"put":[{"id":"${id}","kind":"deflection","p":[1,1],"s":"normal"}]}}`) as SceneDelta;
    expect(() => applySceneDelta(a, putDevice)).toThrow(/reserved id/);
    const removeDevice: SceneDelta = { generatedTs: 2, devices: { remove: [id] } };
    expect(() => applySceneDelta(a, removeDevice)).toThrow(/reserved id/);
    const putChart = JSON.parse(`{"generatedTs":2,"charts":{"put":{"${id}":{"kind":"pie"}}}}`) as SceneDelta;
    expect(() => applySceneDelta(a, putChart)).toThrow(/reserved id/);
    expect(Object.prototype.hasOwnProperty.call(Object.prototype, 'kind')).toBe(false);
  });

  it('reports a delta with no puts or removes as empty', () => {
    expect(isEmptyDelta({ generatedTs: 1 })).toBe(true);
    expect(isEmptyDelta({ generatedTs: 1, devices: { put: [] }, charts: { put: {} } })).toBe(true);
    expect(isEmptyDelta({ generatedTs: 1, devices: { remove: ['d1'] } })).toBe(false);
    expect(isEmptyDelta({ generatedTs: 1, kpis: [] })).toBe(false);
  });

  it('handles 100k devices with one change in well under a second', () => {
    const devices: DevicePoint[] = [];
    for (let i = 0; i < 100_000; i++) devices.push({ id: `d${i}`, kind: 'water-level', p: [120 + i * 1e-6, 36], s: 'normal' });
    const a: SceneModel = { ...emptyModel(), devices };
    const nextDevices = devices.slice();
    nextDevices[5000] = { ...devices[5000], s: 'orange' };
    const b: SceneModel = { ...a, devices: nextDevices, generatedTs: 2 };
    const started = performance.now();
    const delta = diffScene(a, b)!;
    const applied = applySceneDelta(a, delta);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(delta.devices?.put).toHaveLength(1);
    expect(applied.devices[5000].s).toBe('orange');
  });
});

describe('jsonValueEqual', () => {
  it('treats an absent key and an undefined value as equal, like JSON does', () => {
    expect(jsonValueEqual({ a: 1, b: undefined }, { a: 1 })).toBe(true);
    expect(jsonValueEqual({ a: [1, { b: 2 }] }, { a: [1, { b: 3 }] })).toBe(false);
    expect(jsonValueEqual([1, 2], { 0: 1, 1: 2 })).toBe(false);
  });
});
