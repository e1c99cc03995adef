/**
 * Plan instances over a period (issue 16): which instances a time range concerns — the one rule the
 * two plan stores, the reports, the briefing and `GET /api/plans/instances?from=&to=` share — and
 * that route's query. Pure; no I/O.
 */
import { z } from 'zod';
import { HistoryTimeSchema } from '../history/history-query';
import type { DataScope } from '../scope';
import type { ContingencyPlan } from './plan-schema';
import { instanceDistricts, isPlanInstanceOpen, planInstanceVisible, type StoredPlanInstance } from './plan-protocol';
import type { PlanInstance } from './plan-instance';

/**
 * The instance was proposed (or started) before `toTs` (epoch ms, excluded) and ended or was
 * dismissed at or after `fromTs` (epoch ms), or it is still open.
 */
export function planInstanceOverlaps(instance: Pick<PlanInstance, 'state' | 'proposedTs' | 'closedTs'>, fromTs: number, toTs: number): boolean {
  if (instance.proposedTs >= toTs) return false;
  return isPlanInstanceOpen(instance) || (instance.closedTs ?? instance.proposedTs) >= fromTs;
}

/** Oldest proposal first, then by id: the order both stores answer a range in. */
export function comparePlanInstancesByTime(a: Pick<PlanInstance, 'proposedTs' | 'id'>, b: Pick<PlanInstance, 'proposedTs' | 'id'>): number {
  return a.proposedTs - b.proposedTs || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * The instances `scope` may see (planInstanceVisible on their districts, the plan's when the
 * instance has none); an instance of a plan no longer defined is seen by the whole city only.
 */
export function planInstancesInScope<T extends StoredPlanInstance>(
  instances: readonly T[],
  plans: readonly Pick<ContingencyPlan, 'id' | 'districts'>[],
  scope: DataScope,
): T[] {
  const byId = new Map(plans.map((p) => [p.id, p]));
  return instances.filter((i) => planInstanceVisible(scope, instanceDistricts(i, byId.get(i.planId))));
}

/**
 * `GET /api/plans/instances?from=&to=`: both times as epoch ms or ISO 8601 with its offset, both
 * included (as the history search reads them); closed and open instances overlapping them.
 */
export const PlanInstanceRangeQuerySchema = z
  .strictObject({ from: HistoryTimeSchema, to: HistoryTimeSchema })
  .refine((q) => q.from <= q.to, { message: 'from must not be after to', path: ['from'] });
export type PlanInstanceRangeQuery = z.infer<typeof PlanInstanceRangeQuerySchema>;
