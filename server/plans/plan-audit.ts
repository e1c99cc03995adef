/**
 * Audit records of contingency plans: `plan.command` for every command a person sends (applied
 * or refused; target `plan:<instanceId>`, or `plan-def:<planId>` for a proposal by hand), and
 * `plan.proposed` for a proposal the trigger tick opened (actor `system`, with the level and
 * whether it started at once).
 */
import type { AuditEntry } from '../audit/audit';
import type { Actor } from '../../scenes/incident-machine';
import type { IocError } from '../../scenes/protocol';
import type { StoredPlanInstance } from '../../scenes/plans/plan-protocol';

export const PLAN_COMMAND_AUDIT_ACTION = 'plan.command';
export const PLAN_PROPOSED_AUDIT_ACTION = 'plan.proposed';

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
