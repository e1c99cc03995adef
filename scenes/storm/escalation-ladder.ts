/**
 * The SLA escalation ladder and supervision (督办), as data plus pure "what is due now" functions.
 * The server keeps the keys of the steps it fired in its event log and passes them back in, so a
 * restart recomputes the same due steps and never fires one twice. Pure: "now" is an argument.
 *
 * Ladder per priority: at X % of the resolution time remind the assignees; at breach tell the duty
 * officer and mark the incident overdue; at breach + Y tell the leader. Step ids carry the priority
 * ('P1.remind'), so an incident raised from P2 to P1 climbs the P1 ladder afresh.
 */
import { z } from 'zod';
import { PRIORITIES } from '../domain';
import type { Incident, Priority, Role } from '../domain';
import type { Actor } from '../incident-machine';
import { isIncidentInProgress } from '../incident-states';
import type { IocError, Result } from '../protocol';

const MINUTE_MS = 60_000;

export const LADDER_AUDIENCES = ['assignees', 'duty_officer', 'leader'] as const;
export type LadderAudience = (typeof LADDER_AUDIENCES)[number];

export const LadderStepSchema = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/),
  when: z.discriminatedUnion('at', [
    /** at this share of the resolution time (createdTs → slaDueTs), 0 < fraction < 1 */
    z.strictObject({ at: z.literal('fraction'), fraction: z.number().gt(0).lt(1) }),
    /** this long after the resolution deadline, ms (0 = at breach) */
    z.strictObject({ at: z.literal('breach'), afterMs: z.number().int().gte(0) }),
  ]),
  notify: z.enum(LADDER_AUDIENCES),
  /** the step marks the incident overdue on every screen */
  markOverdue: z.boolean().default(false),
});
export type LadderStep = z.infer<typeof LadderStepSchema>;

export const EscalationLadderSchema = z.record(z.enum(PRIORITIES), z.array(LadderStepSchema));
export type EscalationLadder = Record<Priority, LadderStep[]>;

function ladderFor(p: Priority, remindFraction: number, leaderAfterMs: number): LadderStep[] {
  return [
    { id: `${p}.remind`, when: { at: 'fraction', fraction: remindFraction }, notify: 'assignees', markOverdue: false },
    { id: `${p}.breach`, when: { at: 'breach', afterMs: 0 }, notify: 'duty_officer', markOverdue: true },
    { id: `${p}.leader`, when: { at: 'breach', afterMs: leaderAfterMs }, notify: 'leader', markOverdue: true },
  ];
}

/** Defaults: remind at 50 % (P1) / 75 % (others); the leader hears 15 min (P1) … 8 h (P4) after breach. */
export const DEFAULT_ESCALATION_LADDER: EscalationLadder = {
  P1: ladderFor('P1', 0.5, 15 * MINUTE_MS),
  P2: ladderFor('P2', 0.75, 30 * MINUTE_MS),
  P3: ladderFor('P3', 0.75, 2 * 60 * MINUTE_MS),
  P4: ladderFor('P4', 0.75, 8 * 60 * MINUTE_MS),
};

export interface DueLadderStep {
  /** `${incidentId}:${stepId}` — the idempotency key to record once fired */
  key: string;
  incidentId: string;
  stepId: string;
  notify: LadderAudience;
  markOverdue: boolean;
  /** epoch ms the step became due */
  dueTs: number;
}

/** Key under which a fired step is recorded. */
export function ladderStepKey(incidentId: string, stepId: string): string {
  return `${incidentId}:${stepId}`;
}

/** Epoch ms at which a step of this incident is due. */
export function ladderStepDueTs(incident: Pick<Incident, 'createdTs' | 'slaDueTs'>, step: LadderStep): number {
  switch (step.when.at) {
    case 'fraction':
      return incident.createdTs + Math.round((incident.slaDueTs - incident.createdTs) * step.when.fraction);
    case 'breach':
      return incident.slaDueTs + step.when.afterMs;
    default: {
      const unreachable: never = step.when;
      return unreachable;
    }
  }
}

/**
 * The steps of the incident's current priority that are due at `nowTs` and not yet fired, in
 * due order. None once the incident is resolved or closed (its clock stopped). After downtime
 * every step that fell due meanwhile is returned once, each with its own dueTs.
 */
export function dueLadderSteps(
  incident: Pick<Incident, 'id' | 'state' | 'priority' | 'createdTs' | 'slaDueTs'>,
  ladder: EscalationLadder,
  firedStepKeys: ReadonlySet<string>,
  nowTs: number,
): DueLadderStep[] {
  if (!isIncidentInProgress(incident)) return [];
  return ladder[incident.priority]
    .map((step) => ({
      key: ladderStepKey(incident.id, step.id),
      incidentId: incident.id,
      stepId: step.id,
      notify: step.notify,
      markOverdue: step.markOverdue,
      dueTs: ladderStepDueTs(incident, step),
    }))
    .filter((s) => s.dueTs <= nowTs && !firedStepKeys.has(s.key))
    .sort((a, b) => a.dueTs - b.dueTs);
}

// ---------------------------------------------------------------------------------------------
// Supervision (督办)

export interface Supervision {
  incidentId: string;
  /** leader's username */
  by: string;
  note: string;
  /** epoch ms by which the leader expects it handled */
  deadlineTs: number;
  /** epoch ms */
  startedTs: number;
}

export const SUPERVISION_ROLES: readonly Role[] = ['leader', 'admin'];

function fail(code: IocError['code'], message: string): { ok: false; error: IocError } {
  return { ok: false, error: { code, message } };
}

/** A leader starts 督办 on an incident still in progress, with a note and a future deadline. */
export function startSupervision(
  incident: Pick<Incident, 'id' | 'state'>,
  input: { actor: Actor; note: string; deadlineTs: number; nowTs: number },
): Result<{ supervision: Supervision }> {
  if (!SUPERVISION_ROLES.includes(input.actor.role)) return fail('E_FORBIDDEN', `role '${input.actor.role}' may not supervise incidents`);
  if (!isIncidentInProgress(incident)) return fail('E_CONFLICT', 'only an incident in progress can be supervised');
  const note = input.note.trim();
  if (note === '') return fail('E_VALIDATION', 'a note is required to supervise an incident');
  if (!Number.isFinite(input.deadlineTs) || input.deadlineTs <= input.nowTs) return fail('E_VALIDATION', 'the deadline must be in the future');
  return { ok: true, supervision: { incidentId: incident.id, by: input.actor.username, note, deadlineTs: input.deadlineTs, startedTs: input.nowTs } };
}

/** 督办 shows on the incident until its deadline or until the incident is resolved. */
export function isSupervisionActive(supervision: Supervision, incident: Pick<Incident, 'state'>, nowTs: number): boolean {
  return isIncidentInProgress(incident) && nowTs < supervision.deadlineTs;
}

/** Key of the notice that a supervision deadline passed unresolved (tell the leader who started it, once). */
export function supervisionLapseKey(s: Supervision): string {
  return `${s.incidentId}:dubang:${s.startedTs}`;
}

/** Supervisions whose deadline passed while the incident is still in progress and not yet reported. */
export function lapsedSupervisions(
  supervisions: readonly Supervision[],
  incidents: ReadonlyMap<string, Pick<Incident, 'state'>>,
  firedKeys: ReadonlySet<string>,
  nowTs: number,
): Supervision[] {
  return supervisions.filter((s) => {
    const incident = incidents.get(s.incidentId);
    return incident !== undefined && isIncidentInProgress(incident) && nowTs >= s.deadlineTs && !firedKeys.has(supervisionLapseKey(s));
  });
}
