import { describe, expect, it } from 'vitest';
import type { DistrictCode } from './domain';
import type { ChartData, SceneModel } from './scene-model';
import { buildEmergencyScene, buildOverviewScene } from './builders/index';
import { makeFusedState } from './test-fixtures/fused-state';
import { narrowScopeToDistrict } from './drill-scope';
import { scopeFusedState, scopeOf, WHOLE_CITY } from './scope';

describe('narrowScopeToDistrict', () => {
  it('keeps the viewer’s own scope when no district is asked for (the city view)', () => {
    expect(narrowScopeToDistrict(WHOLE_CITY, undefined)).toEqual({ ok: true, scope: WHOLE_CITY });
    const scoped = scopeOf({ role: 'officer', username: 'o', districts: ['370203', '370202'] });
    expect(narrowScopeToDistrict(scoped, undefined)).toEqual({ ok: true, scope: scoped });
  });

  it('narrows the whole city to the one district asked for', () => {
    expect(narrowScopeToDistrict(WHOLE_CITY, '370203')).toEqual({ ok: true, scope: { kind: 'districts', districts: ['370203'] } });
  });

  it('lets a district-scoped officer drill into one of their districts only', () => {
    const scoped = scopeOf({ role: 'officer', username: 'o', districts: ['370203', '370202'] });
    expect(narrowScopeToDistrict(scoped, '370202')).toEqual({ ok: true, scope: { kind: 'districts', districts: ['370202'] } });
    expect(narrowScopeToDistrict(scoped, '370212')).toEqual({ ok: false, reason: 'out_of_scope' });
  });

  it('refuses a field handler any district', () => {
    expect(narrowScopeToDistrict(scopeOf({ role: 'handler', username: 'h' }), '370203')).toEqual({ ok: false, reason: 'handler' });
  });
});

describe('a scene drilled into a district', () => {
  const SHINAN = '370202';
  const SHIBEI = '370203';
  const LAOSHAN = '370212';
  /** the fixture: h-wang at work on incidents in 市北, 李沧 and 市南; h-li idle in 市北; h-zhang off duty, nowhere */
  const drilled = (district: DistrictCode) => {
    const narrowed = narrowScopeToDistrict(WHOLE_CITY, district);
    if (!narrowed.ok) throw new Error(narrowed.reason);
    return scopeFusedState(makeFusedState(), narrowed.scope);
  };
  const kpis = (model: SceneModel) => Object.fromEntries(model.kpis.map((k) => [k.id, k.value]));
  const statusSlices = (model: SceneModel) => {
    const chart = model.charts.handlerStatus as Extract<ChartData, { kind: 'pie' }>;
    return Object.fromEntries(chart.slices.map((s) => [s.id, s.value]));
  };

  it('counts the district’s handlers only in its handler KPIs and status chart', () => {
    const city = buildEmergencyScene(makeFusedState());
    expect([kpis(city).handlersIdle, kpis(city).handlersBusy]).toEqual([1, 1]);

    const shibei = buildEmergencyScene(drilled(SHIBEI));
    expect([kpis(shibei).handlersIdle, kpis(shibei).handlersBusy]).toEqual([1, 1]);
    const shinan = buildEmergencyScene(drilled(SHINAN));
    expect([kpis(shinan).handlersIdle, kpis(shinan).handlersBusy]).toEqual([0, 1]);
    expect(statusSlices(shinan)).toEqual({ idle: 0, busy: 1, off_duty: 0 });
    const laoshan = buildEmergencyScene(drilled(LAOSHAN));
    expect([kpis(laoshan).handlersIdle, kpis(laoshan).handlersBusy]).toEqual([0, 0]);
    expect(kpis(buildOverviewScene(drilled(LAOSHAN))).activeHandlers).toBe(0);
    expect(kpis(buildOverviewScene(drilled(SHIBEI))).activeHandlers).toBe(2);
  });

  it('still offers the whole dispatch pool on the map', () => {
    expect(buildEmergencyScene(drilled(LAOSHAN)).handlers.map((h) => h.id)).toEqual(['h-li', 'h-wang', 'h-zhang']);
  });
});
