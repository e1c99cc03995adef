/**
 * A plan instance (预案实例) and its state machine: proposed → active (started at a level) → ended,
 * or proposed → dismissed. While active, checklist steps are ticked off by who and when, and a
 * leader raises or lowers the level. Every change appends to the timeline and bumps `version`.
 * Pure: time comes in as `ts`, inputs are never mutated, errors are values with stable codes.
 */
import type { Role } from '../domain';
import type { Actor } from '../incident-machine';
import { SYSTEM_ACTOR_NAME } from '../incident-machine';
import type { IocError, Result } from '../protocol';
import { RESPONSE_LEVEL_RANK, isAtLeastLevel, stepsAtLevel } from './plan-schema';
import type { ContingencyPlan, ResponseLevel } from './plan-schema';

export const PLAN_INSTANCE_STATES = ['proposed', 'active', 'dismissed', 'ended'] as const;
export type PlanInstanceState = (typeof PLAN_INSTANCE_STATES)[number];

export type PlanTimelineAction = 'propose' | 'start' | 'dismiss' | 'tick_step' | 'change_level' | 'end';

export interface PlanTimelineEntry {
  action: PlanTimelineAction;
  /** username, or 'system' */
  actor: string;
  /** epoch ms */
  ts: number;
  level?: ResponseLevel;
  stepId?: string;
  note?: string;
}

/** Why a plan was proposed: one line per fired trigger, with the ids that made it fire. */
export interface PlanReason {
  trigger: 'incidents' | 'alerts' | 'water-over-guarantee' | 'area-warning' | 'manual';
  level: ResponseLevel;
  /** alert, incident, warning or device ids */
  evidence: string[];
  /** English (and the text of a proposal by hand, as its proposer wrote it) */
  text: string;
  /** Chinese, for the default UI (absent on proposals stored before it, and on proposals by hand) */
  textZh?: string;
}

export interface PlanInstance {
  id: string;
  planId: string;
  state: PlanInstanceState;
  level: ResponseLevel;
  reasons: PlanReason[];
  /** stepId → who ticked it and when (epoch ms) */
  ticked: Record<string, { by: string; ts: number; note?: string }>;
  proposedTs: number;
  startedTs?: number;
  /** epoch ms the instance was dismissed or ended */
  closedTs?: number;
  version: number;
  timeline: PlanTimelineEntry[];
}

export type PlanAction =
  | { type: 'start'; level?: ResponseLevel }
  | { type: 'dismiss'; note: string }
  | { type: 'tick_step'; stepId: string; note?: string }
  | { type: 'change_level'; level: ResponseLevel; note: string }
  | { type: 'end'; note: string };

/** Who may do what (server-side check; leaders alone change the level and end a response). */
export const PLAN_ACTION_ROLES: Readonly<Record<PlanAction['type'], readonly Role[]>> = {
  start: ['officer', 'leader', 'admin'],
  dismiss: ['officer', 'leader', 'admin'],
  tick_step: ['officer', 'leader', 'admin'],
  change_level: ['leader', 'admin'],
  end: ['leader', 'admin'],
};

const ACTION_FROM: Readonly<Record<PlanAction['type'], PlanInstanceState>> = {
  start: 'proposed',
  dismiss: 'proposed',
  tick_step: 'active',
  change_level: 'active',
  end: 'active',
};

/** Deterministic instance id: one plan, one proposal time. */
export function planInstanceId(planId: string, proposedTs: number): string {
  return `pi:${planId}:${proposedTs}`;
}

/** Open a proposal; a plan whose autoStartLevel the proposal reaches starts at once (actor system). */
export function proposePlan(plan: ContingencyPlan, proposal: { level: ResponseLevel; reasons: PlanReason[] }, ts: number): PlanInstance {
  const proposed: PlanInstance = {
    id: planInstanceId(plan.id, ts),
    planId: plan.id,
    state: 'proposed',
    level: proposal.level,
    reasons: proposal.reasons.map((r) => ({ ...r, evidence: [...r.evidence] })),
    ticked: {},
    proposedTs: ts,
    version: 1,
    timeline: [{ action: 'propose', actor: SYSTEM_ACTOR_NAME, ts, level: proposal.level }],
  };
  if (plan.autoStartLevel === undefined || !isAtLeastLevel(proposal.level, plan.autoStartLevel)) return proposed;
  return {
    ...proposed,
    state: 'active',
    startedTs: ts,
    version: 2,
    timeline: [...proposed.timeline, { action: 'start', actor: SYSTEM_ACTOR_NAME, ts, level: proposal.level, note: 'auto-start' }],
  };
}

function fail(code: IocError['code'], message: string): { ok: false; error: IocError } {
  return { ok: false, error: { code, message } };
}

function requireNote(note: string | undefined, what: string): IocError | null {
  return note === undefined || note.trim() === '' ? { code: 'E_VALIDATION', message: `a note is required to ${what}` } : null;
}

/** The instance after one action, or why not: role (E_FORBIDDEN), state (E_CONFLICT), input (E_VALIDATION). */
export function applyPlanAction(
  instance: PlanInstance,
  plan: ContingencyPlan,
  action: PlanAction,
  actor: Actor,
  ts: number,
): Result<{ instance: PlanInstance }> {
  if (plan.id !== instance.planId) return fail('E_VALIDATION', `instance ${instance.id} is not of plan ${plan.id}`);
  if (!PLAN_ACTION_ROLES[action.type].includes(actor.role)) return fail('E_FORBIDDEN', `role '${actor.role}' may not ${action.type} a plan`);
  if (instance.state !== ACTION_FROM[action.type]) return fail('E_CONFLICT', `cannot ${action.type} a plan instance that is ${instance.state}`);
  const entry: PlanTimelineEntry = { action: action.type, actor: actor.username, ts };
  let next: PlanInstance;
  switch (action.type) {
    case 'start': {
      const level = action.level ?? instance.level;
      next = { ...instance, state: 'active', level, startedTs: ts };
      entry.level = level;
      break;
    }
    case 'dismiss': {
      const invalid = requireNote(action.note, 'dismiss a plan');
      if (invalid) return { ok: false, error: invalid };
      next = { ...instance, state: 'dismissed', closedTs: ts };
      entry.note = action.note.trim();
      break;
    }
    case 'tick_step': {
      if (!stepsAtLevel(plan, instance.level).some((s) => s.id === action.stepId))
        return fail('E_VALIDATION', `step ${action.stepId} is not on the level ${instance.level} checklist`);
      if (Object.hasOwn(instance.ticked, action.stepId)) return fail('E_CONFLICT', `step ${action.stepId} is already done`);
      const note = action.note?.trim();
      next = { ...instance, ticked: { ...instance.ticked, [action.stepId]: { by: actor.username, ts, ...(note ? { note } : {}) } } };
      entry.stepId = action.stepId;
      if (note) entry.note = note;
      break;
    }
    case 'change_level': {
      const invalid = requireNote(action.note, 'change the response level');
      if (invalid) return { ok: false, error: invalid };
      if (action.level === instance.level) return fail('E_CONFLICT', `the response is already at level ${action.level}`);
      next = { ...instance, level: action.level };
      entry.level = action.level;
      entry.note = `${instance.level} → ${action.level}: ${action.note.trim()}`;
      break;
    }
    case 'end': {
      const invalid = requireNote(action.note, 'end a response');
      if (invalid) return { ok: false, error: invalid };
      next = { ...instance, state: 'ended', closedTs: ts };
      entry.note = action.note.trim();
      break;
    }
    default: {
      const unreachable: never = action;
      return fail('E_VALIDATION', `unknown plan action ${(unreachable as { type: string }).type}`);
    }
  }
  return { ok: true, instance: { ...next, version: instance.version + 1, timeline: [...instance.timeline, entry] } };
}

export interface ChecklistItem {
  stepId: string;
  title: string;
  responsible: string;
  /** epoch ms: start + expected duration (null before the plan started) */
  dueTs: number | null;
  done: { by: string; ts: number; note?: string } | null;
  /** not done and past dueTs at `nowTs` */
  late: boolean;
}

/** The checklist at the instance's current level with progress (for the console and the wall banner). */
export function planChecklist(instance: PlanInstance, plan: ContingencyPlan, nowTs: number): { items: ChecklistItem[]; done: number; total: number } {
  const items = stepsAtLevel(plan, instance.level).map((s): ChecklistItem => {
    const done = Object.hasOwn(instance.ticked, s.id) ? instance.ticked[s.id] : null;
    const dueTs = instance.startedTs === undefined ? null : instance.startedTs + s.expectedDurationMin * 60_000;
    return { stepId: s.id, title: s.title, responsible: s.responsible, dueTs, done, late: done === null && dueTs !== null && nowTs > dueTs };
  });
  return { items, done: items.filter((i) => i.done !== null).length, total: items.length };
}

/** The most severe level among active instances (the wall's banner), or null when none is active. */
export function activeResponseLevel(instances: readonly PlanInstance[]): ResponseLevel | null {
  let best: ResponseLevel | null = null;
  for (const i of instances) if (i.state === 'active' && (best === null || RESPONSE_LEVEL_RANK[i.level] < RESPONSE_LEVEL_RANK[best])) best = i.level;
  return best;
}
