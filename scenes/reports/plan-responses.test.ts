import { describe, expect, it } from 'vitest';
import { DEMO_PLANS } from '../plans/demo-plans';
import { buildPlanResponses, type PlanResponsesInput } from './plan-responses';
import {
  FIXTURE_A,
  FIXTURE_B,
  FIXTURE_C,
  FIXTURE_DAY,
  FIXTURE_F,
  FIXTURE_GENERATED_TS,
  FIXTURE_INSTANCES,
  HOUR,
  MIN,
} from './plan-responses.fixture';

const T = FIXTURE_DAY.fromTs;
const input = (over: Partial<PlanResponsesInput> = {}): PlanResponsesInput => ({
  instances: FIXTURE_INSTANCES,
  plans: DEMO_PLANS,
  period: FIXTURE_DAY,
  generatedTs: FIXTURE_GENERATED_TS,
  ...over,
});

describe('contingency responses of a period (应急预案响应)', () => {
  it('lists the responses that ran in the day, oldest start first, with level, place, times, steps and people', () => {
    const r = buildPlanResponses(input());
    expect(r.rows.map((x) => x.instanceId)).toEqual([FIXTURE_B.id, FIXTURE_A.id, FIXTURE_F.id, FIXTURE_C.id]);
    expect(r.rows[1]).toEqual({
      instanceId: FIXTURE_A.id,
      planId: 'plan-flood-rainstorm',
      planName: '青岛市城区防汛（暴雨内涝）应急预案',
      planNameEn: 'Qingdao urban flood and rainstorm waterlogging plan',
      hazard: 'flood-rainstorm',
      level: 'III',
      state: 'ended',
      districts: ['370202'],
      startedTs: T + 8 * HOUR,
      endedTs: T + 11 * HOUR + 30 * MIN,
      durationMs: 3.5 * HOUR,
      stepsDone: 2,
      stepsTotal: 4,
      startedBy: 'officer1',
      endedBy: 'leader1',
    });
  });

  it('runs a response still open to the time the figures were made, started by the system when it auto-started', () => {
    const c = buildPlanResponses(input()).rows.find((x) => x.instanceId === FIXTURE_C.id)!;
    expect(c).toMatchObject({ state: 'active', level: 'I', districts: [], endedTs: null, endedBy: null, startedBy: 'system' });
    expect(c.durationMs).toBe(5 * HOUR);
    expect([c.stepsDone, c.stepsTotal]).toEqual([0, 7]);
  });

  it('totals the count per plan and the response hours inside the day only', () => {
    const r = buildPlanResponses(input());
    expect(r.count).toBe(4);
    // B 2 h of its 4 (from midnight), A 3.5 h, F 1 h, C 4 h of its 5 (until midnight)
    expect(r.responseMsInPeriod).toBe(10.5 * HOUR);
    expect(r.byPlan.map((p) => [p.planId, p.count, p.responseMsInPeriod / HOUR])).toEqual([
      ['plan-flood-rainstorm', 2, 7.5],
      ['plan-bridge-overload', 1, 1],
      ['plan-community-fire', 1, 2],
    ]);
    // D was dismissed without starting; E ran the day before only
    expect(r.dismissed).toBe(1);
  });

  it('keeps to one district when asked (a city-wide response is not one district’s)', () => {
    const r = buildPlanResponses(input({ district: '370202' }));
    expect(r.rows.map((x) => x.instanceId)).toEqual([FIXTURE_A.id]);
    expect(r).toMatchObject({ count: 1, responseMsInPeriod: 3.5 * HOUR, dismissed: 1 });
  });

  it('lists at most listCount rows while the totals count every response', () => {
    const r = buildPlanResponses(input({ listCount: 2 }));
    expect(r.rows.map((x) => x.instanceId)).toEqual([FIXTURE_B.id, FIXTURE_A.id]);
    expect(r.count).toBe(4);
  });

  it('still lists a response of a plan no longer defined, by its id, without a step total', () => {
    const r = buildPlanResponses(input({ plans: DEMO_PLANS.filter((p) => p.id !== 'plan-community-fire') }));
    expect(r.rows[0]).toMatchObject({ instanceId: FIXTURE_B.id, planName: 'plan-community-fire', hazard: null, stepsDone: 1, stepsTotal: null });
  });

  it('is empty, with zero totals, for a period without responses', () => {
    const r = buildPlanResponses(input({ period: { fromTs: T - 30 * 24 * HOUR, toTs: T - 29 * 24 * HOUR } }));
    expect(r).toEqual({ count: 0, responseMsInPeriod: 0, byPlan: [], rows: [], dismissed: 0 });
  });
});
