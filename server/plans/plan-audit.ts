/**
 * Audit records of contingency plans: `plan.command` for every command a person sends (applied
 * or refused; target `plan:<instanceId>`, or `plan-def:<planId>` for a proposal by hand), and
 * `plan.proposed` for a proposal the trigger tick opened (actor `system`, with the level and
 * whether it started at once), and `plan.resources` when a started instance takes live resources
 * or gives them back (actor: who started, raised or ended it, or `system`).
 */
import type { AuditEntry } from '../audit/audit';
import type { Actor } from '../../scenes/incident-machine';
import type { IocError } from '../../scenes/protocol';
import type { StoredPlanInstance } from '../../scenes/plans/plan-protocol';
import type { PlanResourceShortfall } from '../../scenes/plans/plan-resources';

export const PLAN_COMMAND_AUDIT_ACTION = 'plan.command';
export const PLAN_PROPOSED_AUDIT_ACTION = 'plan.proposed';
export const PLAN_RESOURCES_AUDIT_ACTION = 'plan.resources';

/** longest reason kept, characters */
const AUDIT_REASON_MAX_CHARS = 300;
const AUDIT_ID_MAX_CHARS = 128;

export interface PlanCommandContext {
  /** source address (server/guard.ts sourceOf) */
  source?: string;
  userAgent?: string;
}

/** The fields of a command worth recording, read defensively (a refused payload may be anything). */
export function planCommandFacts(raw: unknown): { type?: string; commandId?: string; instanceId?: string; planId?: string } {
  try {
    const r = (raw ?? {}) as Record<string, unknown>;
    const str = (v: unknown) => (typeof v === 'string' ? v.slice(0, AUDIT_ID_MAX_CHARS) : undefined);
    const out: { type?: string; commandId?: string; instanceId?: string; planId?: string } = {};
    for (const k of ['type', 'commandId', 'instanceId', 'planId'] as const) {
      const v = str(r[k]);
      if (v !== undefined) out[k] = v;
    }
    return out;
  } catch {
    return {};
  }
}

export function planCommandAuditEntry(
  raw: unknown,
  actor: Actor,
  context: PlanCommandContext,
  outcome: { instance: StoredPlanInstance; duplicate?: boolean; sentDeviceCommands?: string[] } | { error: IocError },
): AuditEntry {
  const facts = planCommandFacts(raw);
  const error = 'error' in outcome ? outcome.error : null;
  const instance = 'instance' in outcome ? outcome.instance : null;
  const denied = error && (error.code === 'E_FORBIDDEN' || error.code === 'E_UNAUTHORIZED' || error.code === 'E_RATE_LIMIT');
  const instanceId = instance?.id ?? facts.instanceId;
  const target = instanceId !== undefined ? `plan:${instanceId}` : facts.planId !== undefined ? `plan-def:${facts.planId}` : undefined;
  return {
    actor: actor.username,
    role: actor.role,
    ...(context.source !== undefined ? { source: context.source } : {}),
    ...(context.userAgent !== undefined ? { userAgent: context.userAgent } : {}),
    action: PLAN_COMMAND_AUDIT_ACTION,
    ...(target !== undefined ? { target } : {}),
    outcome: error ? (denied ? 'denied' : 'failure') : 'success',
    ...(error ? { reason: `${error.code}: ${error.message}`.slice(0, AUDIT_REASON_MAX_CHARS) } : {}),
    details: {
      ...(facts.type !== undefined ? { type: facts.type } : {}),
      ...(facts.commandId !== undefined ? { commandId: facts.commandId } : {}),
      ...(instance ? { planId: instance.planId, state: instance.state, level: instance.level, version: instance.version } : {}),
      ...('duplicate' in outcome && outcome.duplicate ? { duplicate: true } : {}),
      ...('sentDeviceCommands' in outcome && outcome.sentDeviceCommands ? { deviceCommands: outcome.sentDeviceCommands } : {}),
    },
  };
}

/** A proposal the trigger tick opened (and maybe started: autoStartLevel). */
export function planProposedAuditEntry(instance: StoredPlanInstance): AuditEntry {
  return {
    actor: 'system',
    role: 'system',
    action: PLAN_PROPOSED_AUDIT_ACTION,
    target: `plan:${instance.id}`,
    outcome: 'success',
    details: {
      planId: instance.planId,
      level: instance.level,
      state: instance.state,
      reasons: instance.reasons.map((r) => r.text.slice(0, AUDIT_REASON_MAX_CHARS)),
      districts: instance.focus.districts,
    },
  };
}

/** What a change of an instance's resources did: units taken or given back per resource, and what was missing. */
export interface PlanResourceChange {
  op: 'take' | 'release';
  resources: readonly { resourceId: string; amount: number }[];
  shortfalls?: readonly PlanResourceShortfall[];
  /** why resources were given back (`ended`, `dismissed`, `start not stored`) */
  why?: string;
}

/** A started instance took live resources, or gave them back. */
export function planResourcesAuditEntry(
  instance: Pick<StoredPlanInstance, 'id' | 'planId' | 'level'>,
  actor: { username: string; role: string },
  context: PlanCommandContext,
  change: PlanResourceChange,
): AuditEntry {
  const list = (items: readonly { id: string; n: number }[]) =>
    items
      .map((i) => `${i.id}×${i.n}`)
      .join(',')
      .slice(0, AUDIT_REASON_MAX_CHARS);
  const short = change.shortfalls ?? [];
  return {
    actor: actor.username,
    role: actor.role,
    ...(context.source !== undefined ? { source: context.source } : {}),
    ...(context.userAgent !== undefined ? { userAgent: context.userAgent } : {}),
    action: PLAN_RESOURCES_AUDIT_ACTION,
    target: `plan:${instance.id}`,
    // taken as far as resources were free: what was missing is the reason, not a failure of the action
    outcome: 'success',
    ...(short.length > 0 ? { reason: `not enough free: ${list(short.map((s) => ({ id: s.kind, n: s.missing })))}` } : {}),
    details: {
      op: change.op,
      planId: instance.planId,
      level: instance.level,
      resources: list(change.resources.map((r) => ({ id: r.resourceId, n: r.amount }))),
      ...(short.length > 0 ? { shortfalls: list(short.map((s) => ({ id: s.kind, n: s.missing }))) } : {}),
      ...(change.why !== undefined ? { why: change.why.slice(0, AUDIT_REASON_MAX_CHARS) } : {}),
    },
  };
}
