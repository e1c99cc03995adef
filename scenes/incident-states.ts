/**
 * Which incident states count as open and as in progress — the leaf both the shared incident rules
 * (`incident-rules.ts`) and the SLA clock (`sla.ts`) import, so neither restates it and no import
 * cycle runs through the state machine (incident-rules → incident-machine → sla). Pure; types only.
 */
import type { Incident, IncidentState } from './domain';

/** States of an open work order: every state but closed (a resolved incident waits for an officer's close). */
export const OPEN_INCIDENT_STATES: readonly IncidentState[] = ['reported', 'dispatched', 'accepted', 'on_site', 'resolved'];

/** States in which the incident is still being worked on and its SLA clock runs: open and not yet resolved. */
export const IN_PROGRESS_INCIDENT_STATES: readonly IncidentState[] = ['reported', 'dispatched', 'accepted', 'on_site'];

/** The work order is open: it is not closed (resolved incidents are still open until an officer closes them). */
export function isIncidentOpen(incident: Pick<Incident, 'state'>): boolean {
  return OPEN_INCIDENT_STATES.includes(incident.state);
}

/** The incident still needs field work and its SLA clock runs: neither resolved nor closed. */
export function isIncidentInProgress(incident: Pick<Incident, 'state'>): boolean {
  return IN_PROGRESS_INCIDENT_STATES.includes(incident.state);
}

/**
 * Its assignees are at work on it: someone dispatched it and it is not yet resolved (a reported
 * incident has no one at work yet). The roster's 'busy' and a district's handler figures both read this.
 */
export function isIncidentBeingWorked(incident: Pick<Incident, 'state'>): boolean {
  return incident.state !== 'reported' && isIncidentInProgress(incident);
}
