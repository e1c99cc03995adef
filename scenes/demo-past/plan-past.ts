/**
 * The demo past's contingency plans (issue 16, "a couple of plans"), played through the plan state
 * machine (scenes/plans/plan-instance.ts) by the demo duty team:
 * - the plan triggers (scenes/plans/plan-triggers.ts) replayed over the past's alerts and
 *   incidents, evaluated whenever an alert was raised or an incident opened, as the live
 *   evaluation would have been: the rainstorm proposes the flood plan with the storm's red
 *   waterlogging incidents and alerts as its evidence;
 * - the responses the duty officer started by hand (`manualPlanResponses`: e.g. the fire plan's
 *   level IV for the week's longest smoke-alarm call), proposed as `plan.propose` would have.
 * The officer starts a proposal a few minutes later, or dismisses it when its triggers no longer
 * hold by then; the checklist at its level is ticked off; the leader ends the response once its
 * triggers stopped holding (the incident was resolved). A response that cannot end before now is
 * left out (nothing open in the live console), like an incident. Instance ids start with `demo-`.
 *
 * Each instance comes with every version the store held (created, then one update per step), so
 * the writer stores it as the live system would have.
 *
 * What the replay cannot see: the past keeps no area warnings and no river levels (those triggers
 * stay silent), and an alert counts at its peak level for its whole life. Pure and deterministic.
 */
import type { Alert, Incident, IncidentState } from '../domain';
import type { Actor } from '../incident-machine';
import { IN_PROGRESS_INCIDENT_STATES } from '../incident-states';
import { createRng, deriveSeed } from '../random';
import { applyPlanAction, proposePlan, type PlanAction } from '../plans/plan-instance';
import { stepsAtLevel, type ContingencyPlan, type HazardType, type ResponseLevel } from '../plans/plan-schema';
import { evaluatePlanTriggers, isPlanBlocked, type PlanProposal, type PlanSituation } from '../plans/plan-triggers';
import { manualProposal, storedInstance, type StoredPlanInstance } from '../plans/plan-protocol';
import { DEFAULT_DEMO_PAST_CONFIG, DEMO_ID_PREFIX, DEMO_LEADER, DEMO_OFFICERS, type DemoPastConfig } from './demo-past-config';

const MINUTE_MS = 60_000;

export interface DemoPastPlansInput {
  /** the plan definitions the server runs */
  plans: readonly ContingencyPlan[];
  /** the past's finished alerts and closed incidents (demoPastIncidents) */
  alerts: readonly Alert[];
  incidents: readonly Incident[];
  seed: number;
  /** end of the past, epoch ms */
  nowTs: number;
  config?: DemoPastConfig;
}

/** One past plan instance: as it ended, and every version the store held, oldest first (the last is `instance`). */
export interface DemoPastPlan {
  instance: StoredPlanInstance;
  versions: StoredPlanInstance[];
}

const END_NOTES: Readonly<Record<HazardType, string>> = {
  'flood-rainstorm': '雨势减弱，积水已排除，解除防汛应急响应',
  'bridge-overload': '超载车辆已处置，桥梁监测恢复正常，终止响应',
  'gas-leak': '漏点已封堵，复测浓度正常，终止响应',
  'community-fire': '现场核实处置完毕，人员安全，终止响应',
};
const DISMISS_NOTE = '经核实险情已消除，未达启动条件，继续监测';

function between(rng: () => number, range: readonly [number, number]): number {
  return Math.round(range[0] + rng() * (range[1] - range[0]));
}

/** The incident's state at `ts` (its history's last step by then). */
function stateAt(incident: Incident, ts: number): IncidentState {
  let state = incident.history[0]?.to ?? incident.state;
  for (const e of incident.history) {
    if (e.ts > ts) break;
    state = e.to;
  }
  return state;
}

/** When the incident stopped being in progress (resolved or closed), epoch ms. */
function inProgressUntil(incident: Incident): number {
  return incident.history.find((e) => !IN_PROGRESS_INCIDENT_STATES.includes(e.to))?.ts ?? Infinity;
}

/** What the trigger evaluation would have read at `ts`: alerts raised and not yet cleared, incidents opened and not yet closed. */
function situationAt(input: DemoPastPlansInput, ts: number): PlanSituation {
  return {
    alerts: input.alerts
      .filter((a) => a.firstTs <= ts && ts < (a.clearedTs ?? Infinity))
      .map((a) => ({ id: a.id, ruleId: a.ruleId, level: a.peakLevel, cleared: false, deviceId: a.deviceId, district: a.district })),
    incidents: input.incidents
      .filter((i) => i.createdTs <= ts && ts < (i.closedTs ?? Infinity))
      .map((i) => ({
        id: i.id,
        category: i.category,
        level: i.level,
        state: stateAt(i, ts),
        district: i.district,
        ...(i.deviceId !== undefined ? { deviceId: i.deviceId } : {}),
      })),
    areaWarnings: [],
    gauges: [],
  };
}

/** The first of `moments` after `fromTs` at which none of `plan`'s triggers holds (Infinity: it holds to the end). */
function triggersCalmAfter(input: DemoPastPlansInput, plan: ContingencyPlan, fromTs: number, moments: readonly number[]): number {
  for (const ts of moments) {
    if (ts > fromTs && evaluatePlanTriggers([plan], situationAt(input, ts), [], ts).length === 0) return ts;
  }
  return Infinity;
}

function must(result: ReturnType<typeof applyPlanAction>, what: string): StoredPlanInstance {
  if (!result.ok) throw new Error(`demo past: plan ${what} refused: ${result.error.code} ${result.error.message}`);
  // applyPlanAction spreads the instance: focus and sent device commands come along
  return result.instance as StoredPlanInstance;
}

interface PlanResponse {
  plan: ContingencyPlan;
  /** the instance as proposed (by the triggers or by hand) */
  proposed: StoredPlanInstance;
  officer: Actor;
  /** when the officer starts it (or dismisses it), epoch ms */
  decidedTs: number;
  /** when the reason for it stopped holding, epoch ms (Infinity: never in the past) */
  calmTs: number;
}

/** A proposal played to its end, or null when the past has no room left for the whole response. */
function playResponse(r: PlanResponse, rng: () => number, input: DemoPastPlansInput, config: DemoPastConfig): DemoPastPlan | null {
  const endBeforeTs = input.nowTs - config.closedBeforeNowMs;
  const versions: StoredPlanInstance[] = [{ ...r.proposed, id: `${DEMO_ID_PREFIX}${r.proposed.id}` }];
  const current = () => versions[versions.length - 1]!;
  const step = (action: PlanAction, actor: Actor, ts: number) =>
    void versions.push(must(applyPlanAction(current(), r.plan, action, actor, ts), action.type));

  if (current().state === 'proposed') {
    if (r.decidedTs > endBeforeTs) return null;
    if (r.calmTs <= r.decidedTs) {
      step({ type: 'dismiss', note: DISMISS_NOTE }, r.officer, r.decidedTs);
      return { instance: current(), versions };
    }
    step({ type: 'start' }, r.officer, r.decidedTs);
  }
  const startedTs = current().startedTs!;
  const [shortest, longest] = config.planStepDurationShare;
  const ticks = stepsAtLevel(r.plan, current().level)
    .map((s) => ({ stepId: s.id, ts: startedTs + Math.round(s.expectedDurationMin * MINUTE_MS * (shortest + rng() * (longest - shortest))) }))
    .sort((a, b) => a.ts - b.ts || (a.stepId < b.stepId ? -1 : 1));
  const endTs = Math.max(r.calmTs, ticks[ticks.length - 1]?.ts ?? startedTs) + between(rng, config.planEndDelayMs);
  if (endTs > endBeforeTs) return null;
  for (const t of ticks) step({ type: 'tick_step', stepId: t.stepId }, r.officer, t.ts);
  step({ type: 'end', note: END_NOTES[r.plan.hazard] }, { username: DEMO_LEADER, role: 'leader' }, endTs);
  return { instance: current(), versions };
}

/** A response the officer opens by hand for `incident` (its reason is the officer's note, as `plan.propose` stores it). */
interface ManualOpening {
  ts: number;
  plan: ContingencyPlan;
  level: ResponseLevel;
  incident: Incident;
}

/** Per configured manual response: the incident of its category that took longest to resolve (false alarms aside), proposed after its dispatch. */
function manualOpenings(input: DemoPastPlansInput, config: DemoPastConfig): ManualOpening[] {
  const out: ManualOpening[] = [];
  for (const m of config.manualPlanResponses) {
    const plan = input.plans.find((p) => p.id === m.planId);
    if (!plan) continue;
    const rng = createRng(deriveSeed(input.seed, `demo-past-plan-manual:${plan.id}`));
    const delayMs = between(rng, config.planDecisionDelayMs);
    // the longest step at the level, at its slowest: a response for an incident resolved too close to now could not end before it
    const slowestStepMs = Math.max(0, ...stepsAtLevel(plan, m.level).map((s) => s.expectedDurationMin * MINUTE_MS * config.planStepDurationShare[1]));
    const openings = input.incidents.flatMap((i): ManualOpening[] => {
      const dispatchedTs = i.history.find((e) => e.action === 'dispatch')?.ts;
      if (i.category !== m.category || i.outcome !== 'resolved' || i.resolvedTs === undefined || dispatchedTs === undefined) return [];
      const ts = dispatchedTs + delayMs;
      const latestEndTs = Math.max(i.resolvedTs, ts + MINUTE_MS + slowestStepMs) + config.planEndDelayMs[1];
      return latestEndTs <= input.nowTs - config.closedBeforeNowMs ? [{ ts, plan, level: m.level, incident: i }] : [];
    });
    const handlingMs = (o: ManualOpening) => o.incident.resolvedTs! - o.incident.createdTs;
    const longest = openings.sort((a, b) => handlingMs(b) - handlingMs(a) || (a.incident.id < b.incident.id ? -1 : 1))[0];
    if (longest) out.push(longest);
  }
  return out;
}

function manualResponse(o: ManualOpening, rng: () => number): PlanResponse | null {
  const officer: Actor = { username: DEMO_OFFICERS[Math.floor(rng() * DEMO_OFFICERS.length)]!, role: 'officer' };
  const note = `${o.incident.title}（工单 ${o.incident.id}），启动${o.level}级响应`;
  const made = manualProposal(o.plan, { level: o.level, note, districts: [o.incident.district] }, officer, { kind: 'all' }, o.ts);
  if (!made.ok) return null;
  // proposed and started by the same officer a minute apart; the response lasts while the incident is worked on
  return { plan: o.plan, proposed: made.instance, officer, decidedTs: o.ts + MINUTE_MS, calmTs: inProgressUntil(o.incident) };
}

function triggeredResponse(
  input: DemoPastPlansInput,
  plan: ContingencyPlan,
  proposal: PlanProposal,
  ts: number,
  moments: readonly number[],
  rng: () => number,
  config: DemoPastConfig,
): PlanResponse {
  return {
    plan,
    proposed: storedInstance(proposePlan(plan, proposal, ts), proposal.focus),
    officer: { username: DEMO_OFFICERS[Math.floor(rng() * DEMO_OFFICERS.length)]!, role: 'officer' },
    decidedTs: ts + between(rng, config.planDecisionDelayMs),
    calmTs: triggersCalmAfter(input, plan, ts, moments),
  };
}

/** The past's plan instances, oldest first (see the module comment). */
export function demoPastPlans(input: DemoPastPlansInput): DemoPastPlan[] {
  const config = input.config ?? DEFAULT_DEMO_PAST_CONFIG;
  const manual = manualOpenings(input, config);
  // a trigger starts to hold when an alert is raised or an incident opened; it stops when one clears or an incident moves on
  const starts = [...new Set([...input.alerts.map((a) => a.firstTs), ...input.incidents.map((i) => i.createdTs), ...manual.map((o) => o.ts)])].sort(
    (a, b) => a - b,
  );
  const moments = [
    ...new Set([
      ...starts,
      ...input.alerts.flatMap((a) => (a.clearedTs !== undefined ? [a.clearedTs] : [])),
      ...input.incidents.flatMap((i) => i.history.map((e) => e.ts)),
    ]),
  ].sort((a, b) => a - b);
  const out: DemoPastPlan[] = [];
  // every instance so far, each with its whole life: open ones and fresh cool-downs block their plan, as the store's slot does
  const blocked = (plan: ContingencyPlan, ts: number) =>
    isPlanBlocked(
      plan,
      out.map((p) => p.instance),
      ts,
    );
  for (const ts of starts) {
    for (const o of manual) {
      if (o.ts !== ts || blocked(o.plan, ts)) continue;
      const rng = createRng(deriveSeed(input.seed, `demo-past-plan:${o.plan.id}:${ts}`));
      const r = manualResponse(o, rng);
      const played = r ? playResponse(r, rng, input, config) : null;
      if (played) out.push(played);
    }
    for (const proposal of evaluatePlanTriggers(
      input.plans,
      situationAt(input, ts),
      out.map((p) => p.instance),
      ts,
    )) {
      const plan = input.plans.find((p) => p.id === proposal.planId)!;
      const rng = createRng(deriveSeed(input.seed, `demo-past-plan:${plan.id}:${ts}`));
      const played = playResponse(triggeredResponse(input, plan, proposal, ts, moments, rng, config), rng, input, config);
      if (played) out.push(played);
    }
  }
  return out;
}
