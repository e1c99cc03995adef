/**
 * The incident fields and history actions issue 14 adds, declared here until they move into
 * scenes/domain.ts (INCIDENT_ACTIONS gains STORM_INCIDENT_ACTIONS; Incident gains
 * IncidentStormFields). `Incident` is assignable to `StormIncident`, so every storm rule accepts
 * today's incidents and returns values that become plain `Incident`s once domain.ts has the fields.
 * Pure; types and tiny helpers only.
 */
import type { Incident, IncidentState, IncidentTransition, Priority } from '../domain';
import { PRIORITIES } from '../domain';

/** System and officer steps of issue 14 that are not (yet) in INCIDENT_ACTIONS. */
export const STORM_INCIDENT_ACTIONS = ['reprioritise', 'merge', 'merged_into', 'split', 'close_unresolved', 'supervise'] as const;
export type StormIncidentAction = (typeof STORM_INCIDENT_ACTIONS)[number];

/** How an incident ended without being resolved; SLA compliance leaves these out. */
export const UNRESOLVED_OUTCOMES = ['false_alarm', 'duplicate', 'cancelled'] as const;
export type UnresolvedOutcome = (typeof UNRESOLVED_OUTCOMES)[number];
export type IncidentOutcome = 'resolved' | UnresolvedOutcome;

/** A history entry of an issue-14 step: same shape as IncidentTransition, wider action. */
export type StormTransition = Omit<IncidentTransition, 'action'> & { action: StormIncidentAction };

/** Fields issue 14 adds to Incident (all optional, so stored incidents stay valid). */
export interface IncidentStormFields {
  /** set when closed: 'resolved' after a normal close, else why it was closed unresolved */
  outcome?: IncidentOutcome;
  /** mandatory reason of an unresolved close */
  outcomeReason?: string;
  /** id of the incident this one was merged into (this one is then closed as 'duplicate') */
  mergedInto?: string;
}

export type StormIncident = Omit<Incident, 'history'> & IncidentStormFields & { history: (IncidentTransition | StormTransition)[] };

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
