/**
 * An incident with its history, rebuilt from the event log. Since issue 10 an incident event
 * carries the incident WITHOUT its history plus the step it records (`transition`), so the history
 * is the transitions of the incident's events in log order; events written before that carry a full
 * `history`, which is taken as it is and extended by later transitions.
 */
import type { Incident, IncidentTransition } from '@scenes/domain';
import type { LogEvent, LoggedIncident } from '@scenes/protocol';
import { compareEvents } from './replay-state-at';

function sameStep(a: IncidentTransition, b: IncidentTransition): boolean {
  return a.commandId === b.commandId && a.ts === b.ts && a.action === b.action;
}

/**
 * The newest state of `incidentId` among `events` (any order) with the history its events record,
 * or null when no event is about it. A history is only as complete as the events given: a range that
 * starts after the incident was created, or a log trimmed by its cap, yields the later steps only.
 */
export function incidentFromEvents(events: readonly LogEvent[], incidentId: string): Incident | null {
  const mine = events.filter((e) => e.incident?.id === incidentId).sort(compareEvents);
  let newest: LoggedIncident | null = null;
  let history: IncidentTransition[] = [];
  for (const e of mine) {
    const incident = e.incident!;
    if (incident.history) history = [...incident.history];
    else if (e.transition && !history.some((h) => sameStep(h, e.transition!))) history.push(e.transition);
    if (!newest || incident.version >= newest.version) newest = incident;
  }
  if (!newest) return null;
  const { history: _legacy, ...fields } = newest;
  return { ...fields, history };
}
