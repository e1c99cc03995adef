import { describe, expect, it } from 'vitest';
import { BRIDGE_PLAN, DEMO_PLANS, FIRE_PLAN, FLOOD_PLAN, GAS_PLAN } from './demo-plans';
import { evaluatePlanTriggers, isPlanBlocked, resolvePlanDeviceCommands } from './plan-triggers';
import type { PlanSituation } from './plan-triggers';
import { applyPlanAction, proposePlan } from './plan-instance';
import type { PlanInstance } from './plan-instance';
import { generateFleet } from '../fleet';
import { drillAlerts } from '../storm/fixtures/drill-alerts';
import type { DrillName } from '../../mock-devices/drills';

const T0 = Date.UTC(2025, 6, 15, 0, 0, 0);
const MIN = 60_000;
const empty: PlanSituation = { alerts: [], incidents: [], areaWarnings: [], gauges: [] };
const redWaterlogging = (id: string) => ({
  id,
  category: 'waterlogging',
  level: 'red' as const,
  state: 'reported' as const,
  district: '370203' as const,
});

describe('plan triggers', () => {
  it('proposes nothing in a quiet city', () => {
    expect(evaluatePlanTriggers(DEMO_PLANS, empty, [], T0)).toEqual([]);
  });

  it("proposes the flood plan for two red waterlogging incidents, at the trigger's level", () => {
    const [p] = evaluatePlanTriggers([FLOOD_PLAN], { ...empty, incidents: [redWaterlogging('I1'), redWaterlogging('I2')] }, [], T0);
    expect(p).toMatchObject({ planId: FLOOD_PLAN.id, level: 'III', focus: { districts: ['370203'] } });
    expect(p.reasons[0]).toMatchObject({ trigger: 'incidents', evidence: ['I1', 'I2'] });
  });

  it('does not count one incident, resolved ones or milder ones', () => {
    const s = {
      ...empty,
      incidents: [
        redWaterlogging('I1'),
        { ...redWaterlogging('I2'), state: 'resolved' as const },
        { ...redWaterlogging('I3'), level: 'orange' as const },
      ],
    };
    expect(evaluatePlanTriggers([FLOOD_PLAN], s, [], T0)).toEqual([]);
  });

  it('takes the most severe level of the fired triggers (a river over its guarantee level → II)', () => {
    const s = {
      ...empty,
      incidents: [redWaterlogging('I1'), redWaterlogging('I2')],
      gauges: [{ deviceId: 'wl-licun-01', assetId: 'river-licun', levelM: 5.1, guaranteeLevelM: 4.8 }],
    };
    expect(evaluatePlanTriggers([FLOOD_PLAN], s, [], T0)[0].level).toBe('II');
  });

  it('words its reasons in Chinese for the default UI and in English, naming the river', () => {
    const s = {
      ...empty,
      incidents: [redWaterlogging('I1'), redWaterlogging('I2')],
      gauges: [
        { deviceId: 'wl-licun-01', assetId: 'river-licun', assetName: '李村河', assetNameEn: 'Licun River', levelM: 6.083, guaranteeLevelM: 4.8 },
      ],
    };
    const reasons = evaluatePlanTriggers([FLOOD_PLAN], s, [], T0)[0].reasons;
    const water = reasons.find((r) => r.trigger === 'water-over-guarantee')!;
    expect(water.textZh).toBe('李村河水位 6.08 m，超过保证水位 4.8 m');
    expect(water.text).toBe('Licun River 6.08 m > guarantee level 4.8 m');
    const incidents = reasons.find((r) => r.trigger === 'incidents')!;
    expect(incidents.textZh).toMatch(/^2 起城市内涝事件达到.+及以上$/);
  });

  it('never re-proposes a plan that is proposed or active, nor within its cool-down after it was dismissed', () => {
    const s = { ...empty, incidents: [redWaterlogging('I1'), redWaterlogging('I2')] };
    const proposed = proposePlan(FLOOD_PLAN, { level: 'III', reasons: [] }, T0);
    expect(evaluatePlanTriggers([FLOOD_PLAN], s, [proposed], T0 + MIN)).toEqual([]);
    const r = applyPlanAction(proposed, FLOOD_PLAN, { type: 'dismiss', note: '雨势减弱' }, { username: 'o', role: 'officer' }, T0 + MIN);
    const dismissed = (r as { instance: PlanInstance }).instance;
    expect(evaluatePlanTriggers([FLOOD_PLAN], s, [dismissed], T0 + MIN + FLOOD_PLAN.coolDownMs - 1)).toEqual([]);
    expect(evaluatePlanTriggers([FLOOD_PLAN], s, [dismissed], T0 + MIN + FLOOD_PLAN.coolDownMs)).toHaveLength(1);
    expect(isPlanBlocked(GAS_PLAN, [dismissed], T0)).toBe(false);
  });

  it("ignores what happens outside the plan's districts", () => {
    const local = { ...FLOOD_PLAN, districts: ['370211' as const] };
    expect(evaluatePlanTriggers([local], { ...empty, incidents: [redWaterlogging('I1'), redWaterlogging('I2')] }, [], T0)).toEqual([]);
  });

  it('resolves device commands by id, skipping unknown and retired devices', () => {
    const plan = {
      deviceCommands: [
        { target: { by: 'ids' as const, deviceIds: ['p1', 'p2', 'nope'] }, name: 'start' as const, fromLevel: 'III' as const, note: 'n' },
      ],
    };
    const devices = [
      {
        id: 'p1',
        kind: 'pump-station' as const,
        scene: 'water' as const,
        name: 'p1',
        location: [120.3, 36.1] as [number, number],
        district: '370202' as const,
      },
      {
        id: 'p2',
        kind: 'pump-station' as const,
        scene: 'water' as const,
        name: 'p2',
        location: [120.3, 36.1] as [number, number],
        district: '370202' as const,
        status: 'retired' as const,
      },
    ];
    const focus = { districts: [], deviceIds: [] };
    expect(resolvePlanDeviceCommands(plan, 'II', 'pi:x:1', devices, focus).map((c) => c.commandId)).toEqual(['pi:x:1:p1:start']);
    expect(resolvePlanDeviceCommands(plan, 'IV', 'pi:x:1', devices, focus)).toEqual([]);
  });
});

describe('each drill proposes its plan', () => {
  const fleet = generateFleet();
  const situationOf = (drill: DrillName): PlanSituation => ({ ...empty, alerts: drillAlerts(drill, fleet, T0).alerts });

  it.each([
    ['bridge-overload', BRIDGE_PLAN.id, 'III'],
    ['gas-leak', GAS_PLAN.id, 'III'],
    ['community-fire', FIRE_PLAN.id, 'II'],
  ] as const)('the %s drill proposes %s at level %s, and no other plan', (drill, planId, level) => {
    const proposals = evaluatePlanTriggers(DEMO_PLANS, situationOf(drill), [], T0 + 10 * MIN);
    expect(proposals.map((p) => [p.planId, p.level])).toEqual([[planId, level]]);
  });

  it('the community fire plan proposes releasing the fire-exit doors of the burning community only', () => {
    const [p] = evaluatePlanTriggers([FIRE_PLAN], situationOf('community-fire'), [], T0 + 10 * MIN);
    const commands = resolvePlanDeviceCommands(FIRE_PLAN, p.level, 'pi:fire:1', fleet, p.focus);
    const byId = new Map(fleet.map((d) => [d.id, d]));
    const assets = new Set(p.focus.deviceIds.map((id) => byId.get(id)?.assetId));
    expect(commands.length).toBeGreaterThan(0);
    for (const c of commands) {
      expect(c.name).toBe('release');
      expect(assets.has(byId.get(c.deviceId)?.assetId)).toBe(true);
    }
  });
});
