/**
 * Service-level deadlines of incidents, per priority. Pure: "now" is always an argument.
 */
import { PRIORITIES } from './domain';
import type { AlertLevel, Incident, Priority } from './domain';
import { isIncidentInProgress } from './incident-states';

export interface SlaPolicy {
  /** ms from creation to accept / arrive on site */
  responseMs: number;
  /** ms from creation to resolution */
  resolveMs: number;
}

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

/** Default deadlines: P1 15 min / 2 h, P2 30 min / 4 h, P3 2 h / 24 h, P4 8 h / 72 h. */
export const DEFAULT_SLA: Record<Priority, SlaPolicy> = {
  P1: { responseMs: 15 * MINUTE_MS, resolveMs: 2 * HOUR_MS },
  P2: { responseMs: 30 * MINUTE_MS, resolveMs: 4 * HOUR_MS },
  P3: { responseMs: 2 * HOUR_MS, resolveMs: 24 * HOUR_MS },
  P4: { responseMs: 8 * HOUR_MS, resolveMs: 72 * HOUR_MS },
};

const PRIORITY_BY_LEVEL: Record<AlertLevel, Priority> = { red: 'P1', orange: 'P2', yellow: 'P3', blue: 'P4' };

/** Alert level → incident priority: red → P1 … blue → P4. */
export function priorityForLevel(level: AlertLevel): Priority {
  return PRIORITY_BY_LEVEL[level];
}

/** One step more urgent (P3 → P2); P1 stays P1. */
export function raisePriority(priority: Priority): Priority {
  const index = PRIORITIES.indexOf(priority);
  return PRIORITIES[Math.max(0, index - 1)];
}

/** Deadlines of an incident created at `createdTs` (epoch ms) with this priority. */
export function slaDeadlines(
  priority: Priority,
  createdTs: number,
  sla: Record<Priority, SlaPolicy> = DEFAULT_SLA,
): { slaResponseDueTs: number; slaDueTs: number } {
  const policy = sla[priority];
  return { slaResponseDueTs: createdTs + policy.responseMs, slaDueTs: createdTs + policy.resolveMs };
}

/**
 * How much of the resolution time is used. The clock runs while the incident is in progress
 * (`isIncidentInProgress`) and stops once it is resolved or closed.
 * - fraction: used / allowed, clamped to 0..1
 * - breached: the stop time (or now) is past the deadline
 * - remainingMs: ms left until the deadline; negative = overdue by that much
 */
export function slaProgress(
  incident: Pick<Incident, 'createdTs' | 'slaDueTs' | 'resolvedTs' | 'closedTs' | 'state'>,
  nowTs: number,
): { fraction: number; breached: boolean; remainingMs: number } {
  const stopped = !isIncidentInProgress(incident);
  const endTs = stopped ? (incident.resolvedTs ?? incident.closedTs ?? nowTs) : nowTs;
  const allowedMs = incident.slaDueTs - incident.createdTs;
  const usedMs = endTs - incident.createdTs;
  const remainingMs = incident.slaDueTs - endTs;
  const fraction = allowedMs <= 0 ? (remainingMs < 0 ? 1 : 0) : Math.min(1, Math.max(0, usedMs / allowedMs));
  return { fraction, breached: remainingMs < 0, remainingMs };
}
