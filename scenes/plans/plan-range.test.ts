import { describe, expect, it } from 'vitest';
import { DEMO_PLANS } from './demo-plans';
import { comparePlanInstancesByTime, planInstanceOverlaps, planInstancesInScope, PlanInstanceRangeQuerySchema } from './plan-range';
import { FIXTURE_A, FIXTURE_C, FIXTURE_D, FIXTURE_F } from '../reports/plan-responses.fixture';

const FROM = 1_000;
const TO = 2_000;

describe('which plan instances a time range concerns', () => {
  it.each([
    ['closed inside', { state: 'ended', proposedTs: 1_100, closedTs: 1_900 }, true],
    ['closed exactly when the range begins', { state: 'ended', proposedTs: 500, closedTs: FROM }, true],
    ['closed just before the range', { state: 'dismissed', proposedTs: 500, closedTs: FROM - 1 }, false],
    ['proposed when the range ends (excluded)', { state: 'ended', proposedTs: TO, closedTs: TO + 10 }, false],
    ['proposed before and still open', { state: 'active', proposedTs: 10 }, true],
    ['proposed after the range and open', { state: 'proposed', proposedTs: TO + 1 }, false],
    ['spanning the whole range', { state: 'ended', proposedTs: 0, closedTs: 5_000 }, true],
  ] as const)('%s: %s', (_name, instance, expected) => {
    expect(planInstanceOverlaps(instance, FROM, TO)).toBe(expected);
  });

  it('orders by proposal time, then id', () => {
    const sorted = [
      { id: 'b', proposedTs: 2 },
      { id: 'c', proposedTs: 1 },
      { id: 'a', proposedTs: 2 },
    ].sort(comparePlanInstancesByTime);
    expect(sorted.map((x) => x.id)).toEqual(['c', 'a', 'b']);
  });
});

describe('plan instances in a data scope', () => {
  const all = [FIXTURE_A, FIXTURE_C, FIXTURE_D, FIXTURE_F];
  it('shows the whole city everything and a district scope the instances touching its districts', () => {
    expect(planInstancesInScope(all, DEMO_PLANS, { kind: 'all' })).toEqual(all);
    // C is city-wide (no focus, a city-wide plan): whole-city information
    expect(planInstancesInScope(all, DEMO_PLANS, { kind: 'districts', districts: ['370202'] }).map((i) => i.id)).toEqual([
      FIXTURE_A.id,
      FIXTURE_D.id,
    ]);
    expect(planInstancesInScope(all, DEMO_PLANS, { kind: 'districts', districts: ['370211', '370212'] }).map((i) => i.id)).toEqual([FIXTURE_F.id]);
    expect(planInstancesInScope(all, DEMO_PLANS, { kind: 'handler', username: 'handler1' })).toEqual([]);
  });
});

describe('the range query of GET /api/plans/instances', () => {
  it('takes epoch ms or ISO 8601 with an offset, from not after to', () => {
    expect(PlanInstanceRangeQuerySchema.parse({ from: '1000', to: '2026-11-30T08:00:00+08:00' })).toEqual({
      from: 1_000,
      to: Date.parse('2026-11-30T00:00:00Z'),
    });
    expect(PlanInstanceRangeQuerySchema.safeParse({ from: '2000', to: '1000' }).success).toBe(false);
    expect(PlanInstanceRangeQuerySchema.safeParse({ from: '1000' }).success).toBe(false);
    expect(PlanInstanceRangeQuerySchema.safeParse({ from: 'yesterday', to: '1000' }).success).toBe(false);
    expect(PlanInstanceRangeQuerySchema.safeParse({ from: '1000', to: '2000', district: '370202' }).success).toBe(false);
  });
});
