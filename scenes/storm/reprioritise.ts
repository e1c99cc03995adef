/**
 * Incidents follow the danger: when a linked alert worsens, the incident's priority follows it
 * (priorityForLevel) and its SLA deadlines are recomputed for the new priority — as a system
 * transition `reprioritise` by actor `system`. Priority is never lowered automatically. An approved
 * escalation recomputes the deadlines the same way. Pure: "now" is an argument.
 *
 * Deadlines are recomputed from the incident's creation (slaDeadlines(newPriority, createdTs)) and
 * never loosened: each is the earlier of the current and the recomputed one. A worsening late in an
 * incident's life may therefore put it past its new deadline at once — the danger is worse, and
 * the escalation ladder then tells the duty officer.
 */
import type { AlertLevel, Incident, Priority } from '../domain';
import { SYSTEM_ACTOR_NAME } from '../incident-machine';
import { isIncidentInProgress } from '../incident-states';
import { ALERT_LEVEL_RANK } from '../domain';
import { DEFAULT_SLA, priorityForLevel, slaDeadlines } from '../sla';
import type { SlaPolicy } from '../sla';
import { isMoreUrgent, withStormStep } from './storm-incident';
import type { StormIncident } from './storm-incident';

export type SlaTable = Record<Priority, SlaPolicy>;

/** Deadlines for `priority`, from creation, never later than the current ones. */
export function tightenedDeadlines(
  incident: Pick<Incident, 'createdTs' | 'slaDueTs' | 'slaResponseDueTs'>,
  priority: Priority,
  sla: SlaTable = DEFAULT_SLA,
): { slaResponseDueTs: number; slaDueTs: number } {
  const fresh = slaDeadlines(priority, incident.createdTs, sla);
  return {
    slaResponseDueTs: Math.min(incident.slaResponseDueTs, fresh.slaResponseDueTs),
    slaDueTs: Math.min(incident.slaDueTs, fresh.slaDueTs),
  };
}

export interface ReprioritiseInput {
  /** the linked alert's new (current) level */
  alertLevel: AlertLevel;
  alertId: string;
  /** epoch ms */
  ts: number;
  /** idempotency key of the system step, e.g. `reprioritise:{incidentId}:{alertId}:{level}` */
  commandId: string;
  sla?: SlaTable;
}

/**
 * The incident after a linked alert reached `alertLevel`: raised to that level's priority with
 * tightened deadlines and a `reprioritise` history entry by `system`; null when nothing changes
 * (the priority is already as urgent, or the incident is resolved or closed).
 */
export function reprioritiseForAlert<T extends StormIncident>(incident: T, input: ReprioritiseInput): T | null {
  if (!isIncidentInProgress(incident) || !incident.alertIds.includes(input.alertId)) return null;
  const priority = priorityForLevel(input.alertLevel);
  if (!isMoreUrgent(priority, incident.priority)) return null;
  const level = incident.level === null || ALERT_LEVEL_RANK[input.alertLevel] < ALERT_LEVEL_RANK[incident.level] ? input.alertLevel : incident.level;
  const next: T = { ...incident, priority, level, ...tightenedDeadlines(incident, priority, input.sla) };
  return withStormStep(incident, next, {
    action: 'reprioritise',
    actor: SYSTEM_ACTOR_NAME,
    ts: input.ts,
    commandId: input.commandId,
    note: `${incident.priority} → ${priority} (alert ${input.alertLevel})`,
  });
}

/**
 * The deadlines after a leader approved an escalation (the state machine already raised the
 * priority): apply to the incident that `approve_escalation` produced. Today the machine leaves
 * the deadlines as they were, so neither the ring nor the overdue counts change — this fixes that.
 */
export function recomputeSlaAfterEscalation<T extends Pick<Incident, 'priority' | 'createdTs' | 'slaDueTs' | 'slaResponseDueTs'>>(
  incident: T,
  sla: SlaTable = DEFAULT_SLA,
): T {
  return { ...incident, ...tightenedDeadlines(incident, incident.priority, sla) };
}
