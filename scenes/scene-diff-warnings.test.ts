/** Area warnings (issue 14) travel in scene deltas like the other collections: put | remove by id. */
import { describe, expect, it } from 'vitest';
import { applySceneDelta, diffScene, isEmptyDelta } from './scene-diff';
import type { SceneDelta, SceneModel, WarningItem } from './scene-model';
import { sceneModelFixture } from './scene-model.fixture';

function warning(id: string, alertCount: number, level: WarningItem['level'] = 'orange'): WarningItem {
  return {
    id,
    ruleId: 'area.rainfall.district',
    scene: 'water',
    district: '370212',
    area: { kind: 'district', district: '370212' },
    level,
    title: '区域强降雨预警',
    titleEn: 'District rain warning',
    alertCount,
    deviceCount: alertCount,
    firstTs: 1000,
    lastTs: 2000,
    active: true,
  };
}

function model(warnings?: WarningItem[]): SceneModel {
  return sceneModelFixture({ scene: 'water', ...(warnings ? { warnings } : {}) });
}

const viaWire = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

describe('scene deltas carry area warnings', () => {
  it('puts a warning that grew and removes one that ended, and the round trip gives the next model', () => {
    const a = model([warning('aw:1', 3), warning('aw:2', 4)]);
    const b = { ...model([warning('aw:1', 5, 'red')]), generatedTs: 2 };
    const delta = diffScene(a, b)!;
    expect(delta.warnings).toEqual({ put: [b.warnings![0]], remove: ['aw:2'] });
    expect(applySceneDelta(a, viaWire(delta))).toEqual(b);
  });

  it('sends no warnings key when they did not change, and keeps their identity on apply', () => {
    const a = model([warning('aw:1', 3)]);
    const b = viaWire(a);
    b.kpis = [{ id: 'k', label: 'k', labelEn: 'k', value: 1, unit: '个' }];
    const delta = diffScene(a, b)!;
    expect(delta.warnings).toBeUndefined();
    expect(applySceneDelta(a, delta).warnings).toBe(a.warnings);
  });

  it('treats the first warning of a scene that had none as a put', () => {
    const a = model([]);
    const b = model([warning('aw:9', 3)]);
    const delta = diffScene(a, b)!;
    expect(isEmptyDelta(delta)).toBe(false);
    expect(applySceneDelta(a, delta)).toEqual(b);
  });

  it('refuses a reserved warning id from the wire', () => {
    const bad = JSON.parse('{"generatedTs":2,"warnings":{"remove":["__proto__"]}}') as SceneDelta;
    expect(() => applySceneDelta(model([]), bad)).toThrow(/reserved id/);
  });
});
