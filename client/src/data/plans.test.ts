import { describe, expect, it } from 'vitest';
import { BRIDGE_PLAN, FLOOD_PLAN } from '@scenes/plans/demo-plans';
import { applyPlanAction, proposePlan } from '@scenes/plans/plan-instance';
import { planInstanceView, storedInstance, type PlanInstanceView } from '@scenes/plans/plan-protocol';
import type { ContingencyPlan, ResponseLevel } from '@scenes/plans/plan-schema';
import { planBanner, planPermissions } from './plans';

const T0 = Date.UTC(2026, 6, 15, 2, 0, 0);

function view(plan: ContingencyPlan, level: ResponseLevel, started: boolean, ticks: string[] = []): PlanInstanceView {
  let i = proposePlan(plan, { level, reasons: [] }, T0);
  const actor = { username: 'officer1', role: 'officer' as const };
  if (started) {
    const r = applyPlanAction(i, plan, { type: 'start' }, actor, T0 + 1);
    if (!r.ok) throw new Error(r.error.message);
    i = r.instance;
  }
  for (const stepId of ticks) {
    const r = applyPlanAction(i, plan, { type: 'tick_step', stepId }, actor, T0 + 2);
    if (!r.ok) throw new Error(r.error.message);
    i = r.instance;
  }
  return planInstanceView(storedInstance(i, { districts: [], deviceIds: [] }), plan, [], T0 + 3);
}

describe('the wall banner', () => {
  it('shows nothing while no plan is active (a proposal is not a response)', () => {
    expect(planBanner([])).toBeNull();
    expect(planBanner([view(FLOOD_PLAN, 'II', false)])).toBeNull();
  });

  it('shows the most severe active response with its checklist progress and how many more are active', () => {
    const banner = planBanner([view(BRIDGE_PLAN, 'IV', true), view(FLOOD_PLAN, 'II', true, ['notify-districts', 'start-pumps'])]);
    expect(banner).toMatchObject({ level: 'II', name: FLOOD_PLAN.name, done: 2, total: 6, more: 1 });
  });
});

describe('plan buttons by role', () => {
  it('gives officers start, dismiss, tick and device commands; leaders also level and end; screens nothing', () => {
    expect(planPermissions('officer')).toEqual({ startDismiss: true, tick: true, level: false, end: false, devices: true, propose: true });
    expect(planPermissions('leader')).toMatchObject({ startDismiss: true, tick: true, level: true, end: true, devices: false });
    expect(Object.values(planPermissions('screen')).some(Boolean)).toBe(false);
    expect(Object.values(planPermissions(null)).some(Boolean)).toBe(false);
  });
});
