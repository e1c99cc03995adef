/**
 * The shared rules about incidents, answered once: is it open, is its SLA clock running, when is
 * its SLA due, how many were resolved on time, who may see it and who is told of a change.
 * Every screen, route and push imports these instead of restating them (issue 11). Pure: "now" and
 * windows are arguments.
 */
import type { DistrictCode, Incident, IncidentState, Role } from './domain';
import { SYSTEM_ACTOR_NAME } from './incident-machine';
import { isIncidentInProgress } from './incident-states';
import { incidentInScope, scopeOf } from './scope';

// "open" and "in progress" live in the leaf module incident-states.ts (sla.ts needs them too)
export { IN_PROGRESS_INCIDENT_STATES, OPEN_INCIDENT_STATES, isIncidentBeingWorked, isIncidentInProgress, isIncidentOpen } from './incident-states';

/** States before anyone accepted the task: the response deadline applies. */
const AWAITING_RESPONSE_STATES: readonly IncidentState[] = ['reported', 'dispatched'];

export type SlaDeadlineKind = 'response' | 'resolve';

/**
 * The deadline that matters next: the response deadline until someone accepted the task, then the
 * resolution deadline; null once resolved or closed (the clock stopped).
 */
export function nextSlaDeadline(
  incident: Pick<Incident, 'state' | 'slaDueTs' | 'slaResponseDueTs'>,
): { kind: SlaDeadlineKind; dueTs: number } | null {
  if (!isIncidentInProgress(incident)) return null;
  if (AWAITING_RESPONSE_STATES.includes(incident.state)) return { kind: 'response', dueTs: incident.slaResponseDueTs };
  return { kind: 'resolve', dueTs: incident.slaDueTs };
}

/** When the incident's SLA is next due, epoch ms; null once the clock stopped (resolved or closed). */
export function slaDueTs(incident: Pick<Incident, 'state' | 'slaDueTs' | 'slaResponseDueTs'>): number | null {
  return nextSlaDeadline(incident)?.dueTs ?? null;
}

/** The incident is still in progress and past its resolution deadline at `nowTs` (epoch ms). */
export function isResolutionOverdue(incident: Pick<Incident, 'state' | 'slaDueTs'>, nowTs: number): boolean {
  return isIncidentInProgress(incident) && nowTs > incident.slaDueTs;
}

/** Resolved by its resolution deadline (false while unresolved). */
export function wasResolvedOnTime(incident: Pick<Incident, 'resolvedTs' | 'slaDueTs'>): boolean {
  return incident.resolvedTs !== undefined && incident.resolvedTs <= incident.slaDueTs;
}

/**
 * Share of the incidents resolved within `[fromTs, toTs]` (epoch ms, both included) that were
 * resolved by their deadline, %, one decimal; null when none was resolved in the window — no data,
 * never 100 % (shown as '—' / '暂无数据').
 */
export function onTimeRate(incidents: Iterable<Pick<Incident, 'resolvedTs' | 'slaDueTs'>>, fromTs: number, toTs: number): number | null {
  let resolved = 0;
  let onTime = 0;
  for (const incident of incidents) {
    const ts = incident.resolvedTs;
    if (ts === undefined || ts < fromTs || ts > toTs) continue;
    resolved++;
    if (wasResolvedOnTime(incident)) onTime++;
  }
  return resolved === 0 ? null : Math.round((onTime / resolved) * 1000) / 10;
}

/**
 * Who asks: a verified session's username and role (never a client's claim), and the districts an
 * officer or leader is limited to — read from the stored user, never from the token.
 */
export interface IncidentViewer {
  username: string;
  role: Role;
  /** absent or empty = the whole city */
  districts?: readonly DistrictCode[] | undefined;
}

/**
 * May this person see the incident? Handlers see their own tasks only — those they are assigned
 * to and those they reported; officers and leaders limited to districts see those districts'
 * incidents; everyone else sees every incident (scenes/scope.ts).
 */
export function canSeeIncident(viewer: IncidentViewer, incident: Pick<Incident, 'assignees' | 'reportedBy' | 'district'>): boolean {
  return incidentInScope(scopeOf(viewer), incident);
}

/** Roles told of every incident change. */
export const INCIDENT_AUDIENCE_ROLES: readonly Role[] = ['officer', 'leader', 'admin'];

/** Who is told of an incident change: by role (whole-city, and limited to the incident's district), and by username. */
export interface IncidentAudience {
  roles: Role[];
  /** the incident's district: people of `roles` limited to districts hear of it only when it is one of theirs */
  district: DistrictCode;
  /** sorted, without duplicates */
  usernames: string[];
}

/**
 * Who is told of a change: the dispatching and supervising roles, the current assignees, those
 * assigned before this change (so the task leaves their list) and the reporter (a handler's own
 * field report reaches that handler; the system, reporter of automatic incidents, is nobody).
 */
export function incidentAudience(
  incident: Pick<Incident, 'assignees' | 'reportedBy' | 'district'>,
  previousAssignees: readonly string[] = [],
): IncidentAudience {
  const people = new Set([...incident.assignees, ...previousAssignees]);
  if (incident.reportedBy !== SYSTEM_ACTOR_NAME) people.add(incident.reportedBy);
  return { roles: [...INCIDENT_AUDIENCE_ROLES], district: incident.district, usernames: [...people].sort() };
}
