/**
 * A day of contingency responses with known answers (the daily report of 2026-11-30, Beijing
 * time), played through the plan state machine. Shared by the figures' and the files' tests.
 *
 * | id | plan   | districts | started           | ended             | steps | in the day |
 * |----|--------|-----------|-------------------|-------------------|-------|------------|
 * | B  | fire   | 370203    | 29th 22:00 (o2)   | 02:00 (leader1)   | 1/1   | 2 h        |
 * | A  | flood  | 370202    | 08:00 (officer1)  | 11:30 (leader1)   | 2/4   | 3.5 h      |
 * | F  | bridge | 370211    | 09:00 (officer1)  | 10:00 (leader1)   | 0/2   | 1 h        |
 * | C  | flood  | city-wide | 20:00 (system, I) | running at 01:00  | 0/7   | 4 h        |
 * plus D (gas, 370202) proposed 12:00 and dismissed 12:10, and E (gas) that ran on the 29th only.
 */
import type { Actor } from '../incident-machine';
import { BRIDGE_PLAN, FIRE_PLAN, FLOOD_PLAN, GAS_PLAN } from '../plans/demo-plans';
import { applyPlanAction, proposePlan, type PlanAction } from '../plans/plan-instance';
import { storedInstance, type StoredPlanInstance } from '../plans/plan-protocol';
import type { ContingencyPlan, ResponseLevel } from '../plans/plan-schema';
import type { DistrictCode } from '../domain';
import { reportPeriod } from './report-period';

export const MIN = 60_000;
export const HOUR = 60 * MIN;
export const FIXTURE_DAY = reportPeriod('daily', '2026-11-30')!;
const T = FIXTURE_DAY.fromTs;
/** when the figures are made: 01:00 the next day (C still runs) */
export const FIXTURE_GENERATED_TS = T + 25 * HOUR;

const officer1: Actor = { username: 'officer1', role: 'officer' };
const officer2: Actor = { username: 'officer2', role: 'officer' };
const leader1: Actor = { username: 'leader1', role: 'leader' };

/** An instance proposed at `proposedTs`, then each step (action, actor, ts) applied in turn. */
export function playPlan(
  plan: ContingencyPlan,
  level: ResponseLevel,
  districts: DistrictCode[],
  proposedTs: number,
  steps: [PlanAction, Actor, number][],
): StoredPlanInstance {
  let instance = storedInstance(proposePlan(plan, { level, reasons: [] }, proposedTs), { districts, deviceIds: [] });
  for (const [action, actor, ts] of steps) {
    const r = applyPlanAction(instance, plan, action, actor, ts);
    if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
    instance = { ...instance, ...r.instance };
  }
  return instance;
}

export const FIXTURE_A = playPlan(FLOOD_PLAN, 'III', ['370202'], T + 7 * HOUR + 50 * MIN, [
  [{ type: 'start' }, officer1, T + 8 * HOUR],
  [{ type: 'tick_step', stepId: 'notify-districts' }, officer1, T + 8 * HOUR + 5 * MIN],
  [{ type: 'tick_step', stepId: 'start-pumps' }, officer1, T + 8 * HOUR + 20 * MIN],
  [{ type: 'end', note: '雨停' }, leader1, T + 11 * HOUR + 30 * MIN],
]);
export const FIXTURE_B = playPlan(FIRE_PLAN, 'IV', ['370203'], T - 2 * HOUR - 10 * MIN, [
  [{ type: 'start' }, officer2, T - 2 * HOUR],
  [{ type: 'tick_step', stepId: 'verify' }, officer2, T - HOUR],
  [{ type: 'end', note: '处置完毕' }, leader1, T + 2 * HOUR],
]);
/** level I reaches the flood plan's autoStartLevel: started by the system at once */
export const FIXTURE_C = playPlan(FLOOD_PLAN, 'I', [], T + 20 * HOUR, []);
export const FIXTURE_D = playPlan(GAS_PLAN, 'III', ['370202'], T + 12 * HOUR, [
  [{ type: 'dismiss', note: '误报' }, officer1, T + 12 * HOUR + 10 * MIN],
]);
export const FIXTURE_E = playPlan(GAS_PLAN, 'IV', ['370202'], T - 14 * HOUR, [
  [{ type: 'start' }, officer1, T - 14 * HOUR],
  [{ type: 'end', note: '已处置' }, leader1, T - 12 * HOUR],
]);
export const FIXTURE_F = playPlan(BRIDGE_PLAN, 'IV', ['370211'], T + 9 * HOUR, [
  [{ type: 'start' }, officer1, T + 9 * HOUR],
  [{ type: 'end', note: '已恢复' }, leader1, T + 10 * HOUR],
]);

export const FIXTURE_INSTANCES: readonly StoredPlanInstance[] = [FIXTURE_A, FIXTURE_B, FIXTURE_C, FIXTURE_D, FIXTURE_E, FIXTURE_F];
