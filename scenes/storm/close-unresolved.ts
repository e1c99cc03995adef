/**
 * Closing without resolving (a sensor's false alarm, a duplicate, a cancelled call) and the
 * statistics that keep such closes apart: SLA compliance counts resolved incidents only.
 * Pure: "now" and periods are arguments.
 */
import type { Incident, IncidentState, Role } from '../domain';
import type { Actor } from '../incident-machine';
import type { IocError, Result } from '../protocol';
import { onTimeRate } from '../incident-rules';
import { UNRESOLVED_OUTCOMES, withStormStep } from './storm-incident';
import type { IncidentOutcome, StormIncident, UnresolvedOutcome } from './storm-incident';

/** States from which an officer may close without resolving: before anyone accepted the task. */
export const CLOSE_UNRESOLVED_FROM: readonly IncidentState[] = ['reported', 'dispatched'];
export const CLOSE_UNRESOLVED_ROLES: readonly Role[] = ['officer', 'admin'];

export interface CloseUnresolvedInput {
  outcome: UnresolvedOutcome;
  /** mandatory, non-empty after trimming */
  reason: string;
  actor: Actor;
  /** epoch ms */
  ts: number;
  commandId: string;
}

function fail(code: IocError['code'], message: string, details?: unknown): { ok: false; error: IocError } {
  return { ok: false, error: details === undefined ? { code, message } : { code, message, details } };
}

/**
 * Close from `reported` or `dispatched` as false alarm, duplicate or cancelled. The assignees it
 * had are returned so the server can tell them (incidentAudience with previousAssignees).
 */
export function closeWithoutResolving<T extends StormIncident>(
  incident: T,
  input: CloseUnresolvedInput,
): Result<{ incident: T; toldAssignees: string[] }> {
  const { actor, ts, commandId } = input;
  if (!CLOSE_UNRESOLVED_ROLES.includes(actor.role)) return fail('E_FORBIDDEN', `role '${actor.role}' may not close an incident`);
  if (!(UNRESOLVED_OUTCOMES as readonly string[]).includes(input.outcome)) return fail('E_VALIDATION', `unknown outcome ${String(input.outcome)}`);
  const reason = input.reason.trim();
  if (reason === '') return fail('E_VALIDATION', 'a reason is required to close an incident without resolving it');
  if (!CLOSE_UNRESOLVED_FROM.includes(incident.state))
    return fail('E_CONFLICT', `cannot close an incident in state '${incident.state}' without resolving it`, { current: incident });
  if (incident.escalated) return fail('E_CONFLICT', 'cannot close an incident awaiting a leader decision on its escalation', { current: incident });
  const next: T = { ...incident, state: 'closed', closedTs: ts, outcome: input.outcome, outcomeReason: reason, assignees: [] };
  return {
    ok: true,
    incident: withStormStep(incident, next, {
      action: 'close_unresolved',
      actor: actor.username,
      ts,
      commandId,
      note: `${input.outcome}: ${reason}`,
    }),
    toldAssignees: [...incident.assignees],
  };
}

/** How an incident ended: its recorded outcome, 'resolved' once it was resolved, else null (still open or unknown). */
export function outcomeOf(incident: Pick<StormIncident, 'outcome' | 'resolvedTs'>): IncidentOutcome | null {
  if (incident.outcome !== undefined) return incident.outcome;
  return incident.resolvedTs !== undefined ? 'resolved' : null;
}

function isUnresolvedOutcome(outcome: IncidentOutcome | null): boolean {
  return outcome !== null && outcome !== 'resolved';
}

export interface SlaCompliance {
  /** % of the counted incidents resolved on time, one decimal; null when none was resolved in the period (never 100 %) */
  rate: number | null;
  /** incidents resolved in the period, counted */
  resolved: number;
  onTime: number;
  /** incidents closed in the period as false alarm / duplicate / cancelled (left out of the rate) */
  closedUnresolved: Record<UnresolvedOutcome, number>;
}

/**
 * 今日按时办结率 for `[dayStartTs, dayEndTs]` (epoch ms, both included, like onTimeRate — the wall and
 * the briefing use this one function). Incidents closed as false alarm, duplicate or cancelled are
 * counted apart and never in the rate.
 */
export function slaCompliance(incidents: readonly StormIncident[], dayStartTs: number, dayEndTs: number): SlaCompliance {
  const counted = incidents.filter((i) => !isUnresolvedOutcome(outcomeOf(i)));
  const inPeriod = counted.filter((i) => i.resolvedTs !== undefined && i.resolvedTs >= dayStartTs && i.resolvedTs <= dayEndTs);
  const closedUnresolved: Record<UnresolvedOutcome, number> = { false_alarm: 0, duplicate: 0, cancelled: 0 };
  for (const i of incidents) {
    const outcome = outcomeOf(i);
    if (outcome !== null && outcome !== 'resolved' && i.closedTs !== undefined && i.closedTs >= dayStartTs && i.closedTs <= dayEndTs)
      closedUnresolved[outcome]++;
  }
  return {
    rate: onTimeRate(counted, dayStartTs, dayEndTs),
    resolved: inPeriod.length,
    onTime: inPeriod.filter((i) => i.resolvedTs !== undefined && i.resolvedTs <= i.slaDueTs).length,
    closedUnresolved,
  };
}

/** A normal close records the outcome 'resolved' (apply to what the machine's `close` produced). */
export function withResolvedOutcome<T extends Pick<StormIncident, 'outcome'> & Pick<Incident, 'state'>>(incident: T): T {
  return incident.state === 'closed' && incident.outcome === undefined ? { ...incident, outcome: 'resolved' } : incident;
}
