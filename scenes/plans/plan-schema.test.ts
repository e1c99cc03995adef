import { describe, expect, it } from 'vitest';
import { DEMO_PLANS, FLOOD_PLAN } from './demo-plans';
import { ContingencyPlanSchema, HAZARD_TYPES, stepsAtLevel } from './plan-schema';
import { QINGDAO_RESOURCES } from '../city/qingdao';

describe('contingency plans as data', () => {
  it('ships one valid demo plan per hazard type, with Chinese names', () => {
    for (const plan of DEMO_PLANS) {
      const parsed = ContingencyPlanSchema.safeParse(plan);
      expect(parsed.success, `${plan.id}: ${parsed.error?.message}`).toBe(true);
      expect(plan.name).toMatch(/[\u4e00-\u9fff]/);
    }
    expect(DEMO_PLANS.map((p) => p.hazard).sort()).toEqual([...HAZARD_TYPES].sort());
  });

  it('mobilises only resources that exist in the registry', () => {
    const known = new Set(QINGDAO_RESOURCES.map((r) => r.id));
    for (const plan of DEMO_PLANS) for (const id of plan.resourceIds) expect(known.has(id), `${plan.id}: ${id}`).toBe(true);
  });

  it('designates enough registry resources of each kind for the needs drawn from them', () => {
    const kindOf = new Map(QINGDAO_RESOURCES.map((r) => [r.id, r.kind]));
    for (const plan of DEMO_PLANS)
      for (const need of plan.resourceNeeds ?? []) {
        if (need.from !== 'designated') continue;
        const designated = plan.resourceIds.filter((id) => kindOf.get(id) === need.kind).length;
        expect(designated, `${plan.id}: ${need.kind}`).toBeGreaterThanOrEqual(need.count);
      }
    expect(FLOOD_PLAN.resourceNeeds?.map((n) => n.kind)).toEqual(['rescue-team', 'supply-depot', 'shelter']);
  });

  it('refuses a resource need without a positive count or amount', () => {
    const need = { kind: 'rescue-team', count: 1, amountEach: 5, from: 'designated', fromLevel: 'IV' };
    expect(ContingencyPlanSchema.safeParse({ ...FLOOD_PLAN, resourceNeeds: [need] }).success).toBe(true);
    expect(ContingencyPlanSchema.safeParse({ ...FLOOD_PLAN, resourceNeeds: [{ ...need, count: 0 }] }).success).toBe(false);
    expect(ContingencyPlanSchema.safeParse({ ...FLOOD_PLAN, resourceNeeds: [{ ...need, amountEach: 0 }] }).success).toBe(false);
    expect(ContingencyPlanSchema.safeParse({ ...FLOOD_PLAN, resourceNeeds: [{ ...need, kind: 'helicopter' }] }).success).toBe(false);
  });

  it('refuses a device command the catalogue does not know for the kind', () => {
    const bad = {
      ...FLOOD_PLAN,
      deviceCommands: [{ target: { by: 'kind', deviceKind: 'pump-station', within: 'city' }, name: 'release', fromLevel: 'IV', note: '' }],
    };
    expect(ContingencyPlanSchema.safeParse(bad).success).toBe(false);
  });

  it('refuses repeated levels and repeated step ids', () => {
    expect(ContingencyPlanSchema.safeParse({ ...FLOOD_PLAN, levels: [FLOOD_PLAN.levels[0], ...FLOOD_PLAN.levels.slice(0, 3)] }).success).toBe(false);
    expect(ContingencyPlanSchema.safeParse({ ...FLOOD_PLAN, steps: [FLOOD_PLAN.steps[0], FLOOD_PLAN.steps[0]] }).success).toBe(false);
  });

  it('puts more steps on the checklist the more severe the level', () => {
    const counts = (['IV', 'III', 'II', 'I'] as const).map((l) => stepsAtLevel(FLOOD_PLAN, l).length);
    expect(counts).toEqual([2, 4, 6, 7]);
  });
});
