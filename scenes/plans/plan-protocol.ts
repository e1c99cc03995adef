/**
 * The wire side of contingency plans (应急预案): the commands people send (REST
 * `POST /api/plans/commands`, `/live` `plan:command`), the instance as it is stored (with where
 * its trigger happened), the view the console, wall and briefing receive (`/live` `plans`), and
 * who may see and act on an instance by data scope. Pure; no I/O.
 */
import { z } from 'zod';
import { DistrictCodeSchema, IdSchema, type DistrictCode, type Role } from '../domain';
import type { IocError } from '../protocol';
import type { DataScope } from '../scope';
import { planChecklist, proposePlan, PLAN_ACTION_ROLES, type ChecklistItem, type PlanAction, type PlanInstance } from './plan-instance';
import { ResponseLevelSchema, type ContingencyPlan, type HazardType, type ResponseLevel } from './plan-schema';
import type { PlanProposal, ProposedDeviceCommand } from './plan-triggers';
import type { PlanResourceHolding, PlanResourceShortfall } from './plan-resources';

/** Same idempotency key rule as incident commands (scenes/protocol.ts commandBase). */
const CommandIdSchema = z
  .string()
  .min(8)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/);
const NoteSchema = z.string().trim().min(1).max(300);
const base = { commandId: CommandIdSchema };
const onInstance = { ...base, instanceId: IdSchema };

/** Most device commands an officer confirms in one go (a plan proposes a district's pump stations). */
export const PLAN_DEVICE_COMMANDS_MAX = 50;

export const PlanCommandSchema = z.discriminatedUnion('type', [
  /** by hand: open a proposal of a plan (optionally for some districts; scoped people: theirs) */
  z.strictObject({
    ...base,
    type: z.literal('plan.propose'),
    planId: IdSchema,
    level: ResponseLevelSchema,
    note: NoteSchema,
    districts: z.array(DistrictCodeSchema).max(20).optional(),
  }),
  z.strictObject({ ...onInstance, type: z.literal('plan.start'), level: ResponseLevelSchema.optional() }),
  z.strictObject({ ...onInstance, type: z.literal('plan.dismiss'), note: NoteSchema }),
  z.strictObject({ ...onInstance, type: z.literal('plan.tick_step'), stepId: IdSchema, note: z.string().trim().max(300).optional() }),
  z.strictObject({ ...onInstance, type: z.literal('plan.change_level'), level: ResponseLevelSchema, note: NoteSchema }),
  z.strictObject({ ...onInstance, type: z.literal('plan.end'), note: NoteSchema }),
  /** the officer confirms some of the device commands the active plan proposes; each goes through remote control */
  z.strictObject({
    ...onInstance,
    type: z.literal('plan.send_device_commands'),
    deviceCommandIds: z.array(IdSchema).min(1).max(PLAN_DEVICE_COMMANDS_MAX),
  }),
]);
export type PlanCommand = z.infer<typeof PlanCommandSchema>;
export type PlanCommandType = PlanCommand['type'];

/** Who may send each command (the instance actions' roles come from PLAN_ACTION_ROLES). */
export const PLAN_COMMAND_ROLES: Readonly<Record<PlanCommandType, readonly Role[]>> = {
  'plan.propose': ['officer', 'leader', 'admin'],
  'plan.start': PLAN_ACTION_ROLES.start,
  'plan.dismiss': PLAN_ACTION_ROLES.dismiss,
  'plan.tick_step': PLAN_ACTION_ROLES.tick_step,
  'plan.change_level': PLAN_ACTION_ROLES.change_level,
  'plan.end': PLAN_ACTION_ROLES.end,
  // the remote-control path checks its own roles (officers, admins) too
  'plan.send_device_commands': ['officer', 'admin'],
};

/** Roles that receive `plans` and may list instances (the wall too, read-only). */
export const PLAN_VIEW_ROLES: readonly Role[] = ['officer', 'leader', 'admin', 'screen'];
/** Roles that may read plan definitions (`GET /api/plans`). */
export const PLAN_DEFINITION_ROLES: readonly Role[] = ['officer', 'leader', 'admin'];

/** The instance action a command asks for (null: not an instance action). */
export function planActionOf(command: PlanCommand): PlanAction | null {
  switch (command.type) {
    case 'plan.start':
      return { type: 'start', ...(command.level ? { level: command.level } : {}) };
    case 'plan.dismiss':
      return { type: 'dismiss', note: command.note };
    case 'plan.tick_step':
      return { type: 'tick_step', stepId: command.stepId, ...(command.note ? { note: command.note } : {}) };
    case 'plan.change_level':
      return { type: 'change_level', level: command.level, note: command.note };
    case 'plan.end':
      return { type: 'end', note: command.note };
    case 'plan.propose':
    case 'plan.send_device_commands':
      return null;
    default: {
      const unreachable: never = command;
      return unreachable;
    }
  }
}

/**
 * An instance as stored: the pure PlanInstance plus where its trigger happened (districts and
 * devices, for scope and for resolving device commands) and the device commands already sent.
 */
export interface StoredPlanInstance extends PlanInstance {
  focus: PlanProposal['focus'];
  /** deviceCommandId → who confirmed it and when (epoch ms) */
  sentDeviceCommands: Record<string, { by: string; ts: number }>;
  /** live resources the instance holds since it started (plan-resources.ts); absent: its plan needs none */
  resources?: PlanResourceHolding[];
  /** what its needs called for that was not free when it started or was raised */
  resourceShortfalls?: PlanResourceShortfall[];
}

/** A fresh stored instance from the pure one. */
export function storedInstance(instance: PlanInstance, focus: PlanProposal['focus']): StoredPlanInstance {
  return { ...instance, focus: { districts: [...focus.districts], deviceIds: [...focus.deviceIds] }, sentDeviceCommands: {} };
}

/**
 * A proposal by hand (`plan.propose`): for the given districts, else the proposer's own (a
 * district scope) or the plan's; refused outside the plan's districts (E_VALIDATION) or the
 * proposer's scope (E_FORBIDDEN). The proposer is the first timeline entry's actor; a level that
 * reaches the plan's autoStartLevel starts at once (that step stays the system's).
 */
export function manualProposal(
  plan: ContingencyPlan,
  command: { level: ResponseLevel; note: string; districts?: readonly DistrictCode[] | undefined },
  actor: { username: string },
  scope: DataScope,
  nowTs: number,
): { ok: true; instance: StoredPlanInstance } | { ok: false; error: IocError } {
  const districts = [...new Set(command.districts ?? (scope.kind === 'districts' ? scope.districts : plan.districts))].sort();
  const outsidePlan = plan.districts.length > 0 ? districts.filter((d) => !plan.districts.includes(d)) : [];
  if (outsidePlan.length > 0)
    return { ok: false, error: { code: 'E_VALIDATION', message: `plan ${plan.id} does not cover ${outsidePlan.join(', ')}` } };
  const refused = planActionRefusal(scope, districts, 'plan.propose');
  if (refused) return { ok: false, error: refused };
  const reasons = [{ trigger: 'manual' as const, level: command.level, evidence: [], text: command.note }];
  const pure = proposePlan(plan, { level: command.level, reasons }, nowTs);
  const timeline = pure.timeline.map((e, i) => (i === 0 ? { ...e, actor: actor.username, note: command.note } : e));
  return { ok: true, instance: storedInstance({ ...pure, timeline }, { districts, deviceIds: [] }) };
}

/** The instance is proposed or active (holds its plan's one open slot). */
export function isPlanInstanceOpen(instance: Pick<PlanInstance, 'state'>): boolean {
  return instance.state === 'proposed' || instance.state === 'active';
}

/** Districts an instance concerns: its focus, else the plan's districts; empty = the whole city. */
export function instanceDistricts(instance: Pick<StoredPlanInstance, 'focus'>, plan: Pick<ContingencyPlan, 'districts'> | undefined): DistrictCode[] {
  return instance.focus.districts.length > 0 ? [...instance.focus.districts] : [...(plan?.districts ?? [])];
}

/**
 * Seeing an instance: the whole city sees every one; a district scope sees those touching one of
 * its districts (a city-wide instance is whole-city information, like an event without a place);
 * handlers see none.
 */
export function planInstanceVisible(scope: DataScope, districts: readonly DistrictCode[]): boolean {
  if (scope.kind === 'all') return true;
  if (scope.kind === 'handler') return false;
  return districts.some((d) => scope.districts.includes(d));
}

/**
 * Acting on an instance: the whole city may act on any; a district scope only on instances all of
 * whose districts it holds (a city-wide response is not one district's to start, end or regrade).
 * Ticking a step needs only visibility: a district's officer reports their part of the checklist.
 */
export function planActionRefusal(scope: DataScope, districts: readonly DistrictCode[], type: PlanCommandType): IocError | null {
  if (scope.kind === 'all') return null;
  if (scope.kind === 'handler') return { code: 'E_FORBIDDEN', message: 'field handlers may not act on plans' };
  if (type === 'plan.tick_step') {
    return planInstanceVisible(scope, districts) ? null : { code: 'E_FORBIDDEN', message: 'this plan is outside your data scope' };
  }
  if (districts.length === 0) return { code: 'E_FORBIDDEN', message: 'a city-wide plan needs a city-wide role' };
  const outside = districts.filter((d) => !scope.districts.includes(d));
  return outside.length === 0 ? null : { code: 'E_FORBIDDEN', message: `districts ${outside.join(', ')} are outside your data scope` };
}

/** One device command of the view: what the plan proposes and whether it was sent. */
export interface PlanDeviceCommandView extends ProposedDeviceCommand {
  sent: { by: string; ts: number } | null;
}

/** What the console, wall and briefing show of an instance (`/live` `plans`, `GET /api/plans/instances`). */
export interface PlanInstanceView {
  instance: StoredPlanInstance;
  plan: { id: string; name: string; nameEn: string; hazard: HazardType };
  /** what the current level means */
  levelMeaning: { zh: string; en: string };
  districts: DistrictCode[];
  checklist: { items: ChecklistItem[]; done: number; total: number };
  /** device commands the plan proposes at its level (confirm to send) */
  deviceCommands: PlanDeviceCommandView[];
}

/** The `plans` push: every open instance in the receiver's scope, most severe level first. */
export interface PlansMessage {
  /** epoch ms (server clock) */
  ts: number;
  instances: PlanInstanceView[];
}

const LEVEL_ORDER: Readonly<Record<ResponseLevel, number>> = { I: 1, II: 2, III: 3, IV: 4 };

/** The view of one instance; device commands come resolved (resolvePlanDeviceCommands). */
export function planInstanceView(
  instance: StoredPlanInstance,
  plan: ContingencyPlan,
  deviceCommands: readonly ProposedDeviceCommand[],
  nowTs: number,
): PlanInstanceView {
  const level = plan.levels.find((l) => l.level === instance.level);
  return {
    instance,
    plan: { id: plan.id, name: plan.name, nameEn: plan.nameEn, hazard: plan.hazard },
    levelMeaning: { zh: level?.meaning ?? '', en: level?.meaningEn ?? '' },
    districts: instanceDistricts(instance, plan),
    checklist: planChecklist(instance, plan, nowTs),
    deviceCommands: deviceCommands.map((c) => ({ ...c, sent: instance.sentDeviceCommands[c.commandId] ?? null })),
  };
}

/** Active before proposed, then most severe level, then newest. */
export function comparePlanViews(a: PlanInstanceView, b: PlanInstanceView): number {
  const state = (v: PlanInstanceView) => (v.instance.state === 'active' ? 0 : 1);
  return (
    state(a) - state(b) ||
    LEVEL_ORDER[a.instance.level] - LEVEL_ORDER[b.instance.level] ||
    b.instance.proposedTs - a.instance.proposedTs ||
    (a.instance.id < b.instance.id ? -1 : a.instance.id > b.instance.id ? 1 : 0)
  );
}
