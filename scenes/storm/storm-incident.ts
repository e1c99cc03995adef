/**
 * The incident history actions issue 14 added, and tiny helpers the storm rules share.
 * Pure; types and tiny helpers only.
 */
import type { Incident, IncidentAction, IncidentState, IncidentTransition, Priority } from '../domain';
import { PRIORITIES } from '../domain';

/** System and officer steps of issue 14 (now part of INCIDENT_ACTIONS). */
export const STORM_INCIDENT_ACTIONS = [
  'reprioritise',
  'merge',
  'merged_into',
  'split',
  'close_unresolved',
  'supervise',
] as const satisfies readonly IncidentAction[];
export type StormIncidentAction = (typeof STORM_INCIDENT_ACTIONS)[number];

export { UNRESOLVED_OUTCOMES } from '../domain';
export type { UnresolvedOutcome, IncidentOutcome } from '../domain';

/** A history entry of an issue-14 step. */
export type StormTransition = IncidentTransition;

/** Fields issue 14 added to Incident. */
export type IncidentStormFields = Pick<Incident, 'outcome' | 'outcomeReason' | 'mergedInto'>;

/** Incidents as the storm rules take them (= Incident since the fields moved into domain.ts). */
export type StormIncident = Incident;

/** The more urgent of two priorities (P1 beats P2). */
export function moreUrgentPriority(a: Priority, b: Priority): Priority {
  return PRIORITIES.indexOf(a) <= PRIORITIES.indexOf(b) ? a : b;
}

/** Whether `candidate` is strictly more urgent than `current`. */
export function isMoreUrgent(candidate: Priority, current: Priority): boolean {
  return PRIORITIES.indexOf(candidate) < PRIORITIES.indexOf(current);
}

/** The incident after one storm step: version + 1, updatedTs, one history entry appended. */
export function withStormStep<T extends StormIncident>(
  incident: T,
  next: T,
  entry: { action: StormIncidentAction; actor: string; ts: number; commandId: string; note?: string; to?: IncidentState },
): T {
  const transition: StormTransition = {
    action: entry.action,
    from: incident.state,
    to: entry.to ?? next.state,
    actor: entry.actor,
    ts: entry.ts,
    commandId: entry.commandId,
    ...(entry.note !== undefined ? { note: entry.note } : {}),
  };
  return { ...next, version: incident.version + 1, updatedTs: entry.ts, history: [...incident.history, transition] };
}
