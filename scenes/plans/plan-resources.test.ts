import { describe, expect, it } from 'vitest';
import type { EmergencyResource, LngLat } from '../domain';
import { QINGDAO_RESOURCES } from '../city/qingdao';
import { districtFeature, QINGDAO_CENTER } from '../geo/districts';
import { metresBetween } from '../impact/impact-range';
import { FLOOD_PLAN } from './demo-plans';
import type { PlanResourceNeed } from './plan-schema';
import { describeHoldings, needsAtLevel, planAreaCenter, planTakesResources, selectPlanResources, type PlanResourceQuery } from './plan-resources';

/** 市北 (370203), beside the drainage crew and the Shibei depot */
const SHIBEI: LngLat = [120.35, 36.115];
const team = (n: number, from: PlanResourceNeed['from'] = 'designated'): PlanResourceNeed => ({
  kind: 'rescue-team',
  count: n,
  amountEach: 10,
  from,
  fromLevel: 'IV',
});
const query = (over: Partial<PlanResourceQuery> = {}): PlanResourceQuery => ({
  needs: FLOOD_PLAN.resourceNeeds!,
  level: 'III',
  designated: FLOOD_PLAN.resourceIds,
  districts: ['370203'],
  center: SHIBEI,
  resources: QINGDAO_RESOURCES,
  held: [],
  ...over,
});
const ids = (picks: { resourceId: string }[]) => picks.map((p) => p.resourceId);
const withAvailable = (id: string, available: number): EmergencyResource[] => QINGDAO_RESOURCES.map((r) => (r.id === id ? { ...r, available } : r));

describe('the resources a started plan takes', () => {
  it('takes the nearest designated teams and depot at level III, and no shelters before level II', () => {
    const { picks, shortfalls } = selectPlanResources(query());
    expect(ids(picks)).toEqual(['team-drainage', 'team-municipal', 'depot-shibei']);
    expect(picks.map((p) => [p.kind, p.amount])).toEqual([
      ['rescue-team', 10],
      ['rescue-team', 10],
      ['supply-depot', 200],
    ]);
    expect(picks[0]!.distanceM).toBeLessThan(picks[1]!.distanceM);
    expect(shortfalls).toEqual([]);
  });

  it('opens shelters at level II: the affected districts first, then the nearest outside them', () => {
    const inLicang = selectPlanResources(query({ level: 'II', districts: ['370213'], center: [120.43, 36.17] }));
    expect(ids(inLicang.picks.filter((p) => p.kind === 'shelter'))).toEqual(['shelter-licunpark', 'shelter-shiyuan']);
    // 市北 has no shelter of its own: the two nearest elsewhere, nearest first
    const inShibei = selectPlanResources(query({ level: 'II' }));
    const shelters = inShibei.picks.filter((p) => p.kind === 'shelter');
    expect(shelters).toHaveLength(2);
    const nearestTwo = QINGDAO_RESOURCES.filter((r) => r.kind === 'shelter')
      .sort((a, b) => metresBetween(SHIBEI, a.location) - metresBetween(SHIBEI, b.location))
      .slice(0, 2)
      .map((r) => r.id);
    expect(ids(shelters)).toEqual(nearestTwo);
  });

  it('skips resources with nothing free, takes what is free when less than the need, and reports what is missing', () => {
    const resources = withAvailable('team-drainage', 0).map((r) => (r.id === 'team-municipal' ? { ...r, available: 4 } : r));
    const { picks, shortfalls } = selectPlanResources(query({ resources }));
    expect(picks.filter((p) => p.kind === 'rescue-team').map((p) => [p.resourceId, p.amount])).toEqual([['team-municipal', 4]]);
    expect(shortfalls).toEqual([{ kind: 'rescue-team', missing: 1 }]);
  });

  it('counts what the instance holds toward its needs: a retry picks nothing twice', () => {
    const first = selectPlanResources(query());
    const again = selectPlanResources(query({ held: first.picks }));
    expect(again).toEqual({ picks: [], shortfalls: [] });
    // one team held: only the second is picked
    const half = selectPlanResources(query({ held: [{ resourceId: 'team-drainage', kind: 'rescue-team' }] }));
    expect(ids(half.picks)).toEqual(['team-municipal', 'depot-shibei']);
  });

  it('never picks an excluded resource (refused a moment ago) and falls back to the next one', () => {
    const { picks, shortfalls } = selectPlanResources(query({ needs: [team(1, 'nearest')], exclude: new Set(['team-drainage']), designated: [] }));
    expect(ids(picks)).toEqual(['team-gas']);
    expect(shortfalls).toEqual([]);
  });

  it('picks a resource once across needs of the same kind', () => {
    const { picks } = selectPlanResources(query({ needs: [team(1), team(1)], designated: ['team-drainage'] }));
    expect(ids(picks)).toEqual(['team-drainage']);
  });

  it('takes more when raised to a more severe level, nothing when lowered or not active', () => {
    expect(planTakesResources({ state: 'proposed', level: 'III' }, { state: 'active', level: 'III' })).toBe(true);
    expect(planTakesResources({ state: 'active', level: 'III' }, { state: 'active', level: 'II' })).toBe(true);
    expect(planTakesResources({ state: 'active', level: 'II' }, { state: 'active', level: 'III' })).toBe(false);
    expect(planTakesResources({ state: 'active', level: 'III' }, { state: 'ended', level: 'III' })).toBe(false);
    expect(planTakesResources({ state: 'proposed', level: 'III' }, { state: 'dismissed', level: 'III' })).toBe(false);
    expect(needsAtLevel(FLOOD_PLAN, 'III').map((n) => n.kind)).toEqual(['rescue-team', 'supply-depot']);
    expect(needsAtLevel(FLOOD_PLAN, 'I').map((n) => n.kind)).toEqual(['rescue-team', 'supply-depot', 'shelter']);
  });

  it('measures from the triggering devices, else the districts, else the city centre', () => {
    expect(
      planAreaCenter(
        [
          [120, 36],
          [120.2, 36.2],
        ],
        ['370202'],
      ),
    ).toEqual([120.1, 36.1]);
    expect(planAreaCenter([], ['370213'])).toEqual(districtFeature('370213')!.properties.center);
    expect(planAreaCenter([], [])).toEqual(QINGDAO_CENTER);
  });

  it('records holdings with names from the registry, and keeps a resource it no longer lists by the previous record', () => {
    const { picks } = selectPlanResources(query());
    const held = picks.map((p) => ({ resourceId: p.resourceId, amount: p.amount }));
    const record = describeHoldings(held, SHIBEI, QINGDAO_RESOURCES, []);
    expect(record.map((r) => [r.resourceId, r.kind, r.name, r.amount])).toEqual([
      ['team-drainage', 'rescue-team', '排水应急队', 10],
      ['team-municipal', 'rescue-team', '市政抢修队', 10],
      ['depot-shibei', 'supply-depot', '市北应急物资储备库', 200],
    ]);
    const without = QINGDAO_RESOURCES.filter((r) => r.id !== 'team-municipal');
    expect(describeHoldings(held, SHIBEI, without, record).map((r) => r.resourceId)).toEqual(['team-drainage', 'team-municipal', 'depot-shibei']);
    expect(describeHoldings(held, SHIBEI, without, []).map((r) => r.resourceId)).toEqual(['team-drainage', 'depot-shibei']);
  });
});
