/**
 * 应急预案响应 of a report or briefing period (issue 16): which contingency responses ran, at what
 * level, where, from when to when, how far their checklist got and who started and ended them,
 * with totals per plan. Pure: the caller reads the instances overlapping the period from the plan
 * store (plan-range.ts), filters them to the reader's scope and says when the figures are made.
 *
 * Which instances count:
 * - a response is an instance that was started (active or ended) and ran during the period: started
 *   before the period's end and ended at or after its start, or still running;
 * - a proposal dismissed in the period (never started) is counted apart (`dismissed`), not listed;
 * - durations run from the start to the end, or to `generatedTs` while the response still runs;
 *   the totals count only the part inside the period, so consecutive reports never count an hour twice.
 */
import type { DistrictCode } from '../domain';
import { SYSTEM_ACTOR_NAME } from '../incident-machine';
import { planChecklist, type PlanTimelineAction } from '../plans/plan-instance';
import { instanceDistricts, planInstanceVisible, type StoredPlanInstance } from '../plans/plan-protocol';
import type { ContingencyPlan, HazardType, ResponseLevel } from '../plans/plan-schema';
import type { ReportPeriod } from './report-period';

/** One response of the period. */
export interface PlanResponseRow {
  instanceId: string;
  planId: string;
  /** the plan's name; its id when the plan is no longer defined */
  planName: string;
  planNameEn: string;
  hazard: HazardType | null;
  /** the level as the response stands (or stood when it ended) */
  level: ResponseLevel;
  /** `active`: still running when the figures were made */
  state: 'active' | 'ended';
  /** empty = the whole city */
  districts: DistrictCode[];
  /** epoch ms */
  startedTs: number;
  /** epoch ms; null while running */
  endedTs: number | null;
  /** ms from start to end, or to `generatedTs` while running */
  durationMs: number;
  /** checklist steps done at the response's level */
  stepsDone: number;
  /** steps on the checklist at its level; null when the plan is no longer defined */
  stepsTotal: number | null;
  /** username, or 'system' (auto-start) */
  startedBy: string;
  /** username; null while running */
  endedBy: string | null;
}

export interface PlanResponsesByPlan {
  planId: string;
  name: string;
  nameEn: string;
  /** responses of the period */
  count: number;
  /** ms of response inside the period (clipped to the period and to `generatedTs`) */
  responseMsInPeriod: number;
}

export interface PlanResponses {
  /** responses that ran in the period */
  count: number;
  /** ms of response inside the period, all responses summed (two at once count twice) */
  responseMsInPeriod: number;
  /** most responses first, then by plan id */
  byPlan: PlanResponsesByPlan[];
  /** oldest start first, at most `listCount` (the counts above include the rest) */
  rows: PlanResponseRow[];
  /** proposals dismissed in the period without being started */
  dismissed: number;
}

export interface PlanResponsesInput {
  /** instances overlapping the period, already in the reader's scope */
  instances: readonly StoredPlanInstance[];
  plans: readonly ContingencyPlan[];
  period: Pick<ReportPeriod, 'fromTs' | 'toTs'>;
  /** only responses concerning this district (planInstanceVisible); absent = all given */
  district?: DistrictCode;
  /** epoch ms: the end of a response still running */
  generatedTs: number;
  /** rows listed at most (default: all) */
  listCount?: number;
}

function actorOf(instance: StoredPlanInstance, action: PlanTimelineAction): string | null {
  return instance.timeline.findLast((e) => e.action === action)?.actor ?? null;
}

function rowOf(instance: StoredPlanInstance & { startedTs: number }, plan: ContingencyPlan | undefined, generatedTs: number): PlanResponseRow {
  const ended = instance.state === 'ended';
  const endedTs = ended ? (instance.closedTs ?? generatedTs) : null;
  const checklist = plan ? planChecklist(instance, plan, generatedTs) : null;
  return {
    instanceId: instance.id,
    planId: instance.planId,
    planName: plan?.name ?? instance.planId,
    planNameEn: plan?.nameEn ?? instance.planId,
    hazard: plan?.hazard ?? null,
    level: instance.level,
    state: ended ? 'ended' : 'active',
    districts: instanceDistricts(instance, plan),
    startedTs: instance.startedTs,
    endedTs,
    durationMs: Math.max(0, (endedTs ?? generatedTs) - instance.startedTs),
    stepsDone: checklist ? checklist.done : Object.keys(instance.ticked).length,
    stepsTotal: checklist ? checklist.total : null,
    startedBy: actorOf(instance, 'start') ?? SYSTEM_ACTOR_NAME,
    endedBy: ended ? actorOf(instance, 'end') : null,
  };
}

const isResponse = (i: StoredPlanInstance): i is StoredPlanInstance & { startedTs: number } =>
  i.startedTs !== undefined && (i.state === 'active' || i.state === 'ended');

export function buildPlanResponses(input: PlanResponsesInput): PlanResponses {
  const { period, generatedTs } = input;
  const plans = new Map(input.plans.map((p) => [p.id, p]));
  const concerns = (i: StoredPlanInstance): boolean =>
    input.district === undefined ||
    planInstanceVisible({ kind: 'districts', districts: [input.district] }, instanceDistricts(i, plans.get(i.planId)));
  const mine = input.instances.filter(concerns);

  const rows = mine
    .filter(isResponse)
    .map((i) => rowOf(i, plans.get(i.planId), generatedTs))
    .filter((r) => r.startedTs < period.toTs && (r.endedTs ?? generatedTs) >= period.fromTs)
    .sort((a, b) => a.startedTs - b.startedTs || (a.instanceId < b.instanceId ? -1 : 1));
  const inPeriodMs = (r: PlanResponseRow): number =>
    Math.max(0, Math.min(r.endedTs ?? generatedTs, generatedTs, period.toTs) - Math.max(r.startedTs, period.fromTs));

  const byPlan = new Map<string, PlanResponsesByPlan>();
  for (const r of rows) {
    const p = byPlan.get(r.planId) ?? { planId: r.planId, name: r.planName, nameEn: r.planNameEn, count: 0, responseMsInPeriod: 0 };
    p.count += 1;
    p.responseMsInPeriod += inPeriodMs(r);
    byPlan.set(r.planId, p);
  }
  const dismissed = mine.filter(
    (i) => i.state === 'dismissed' && i.closedTs !== undefined && i.closedTs >= period.fromTs && i.closedTs < period.toTs,
  );
  return {
    count: rows.length,
    responseMsInPeriod: rows.reduce((sum, r) => sum + inPeriodMs(r), 0),
    byPlan: [...byPlan.values()].sort((a, b) => b.count - a.count || a.planId.localeCompare(b.planId)),
    rows: rows.slice(0, input.listCount ?? rows.length),
    dismissed: dismissed.length,
  };
}
