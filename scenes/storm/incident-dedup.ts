/**
 * Incident de-duplication (查重): before an incident is opened, find an open incident of the same
 * category nearby and recent enough to take the new alert instead; officers merge two incidents
 * and split an alert out again, with history kept on both. Pure: "now" and ids are arguments.
 *
 * Invariants:
 * - only incidents still in progress (not resolved, not closed) take new alerts;
 * - a category without a radius is never de-duplicated;
 * - a merge never lowers the survivor's priority and never loosens its deadlines;
 * - every alert stays reachable: merged alerts move to the survivor, a split alert gets its own incident.
 */
import { distance } from '@turf/distance';
import { z } from 'zod';
import type { Alert, LngLat, Role } from '../domain';
import type { Actor } from '../incident-machine';
import { isIncidentInProgress } from '../incident-states';
import type { IocError, Result } from '../protocol';
import { ALERT_LEVEL_RANK } from '../domain';
import { DEFAULT_SLA, priorityForLevel, slaDeadlines } from '../sla';
import { moreUrgentPriority, withStormStep } from './storm-incident';
import type { StormIncident } from './storm-incident';
import { tightenedDeadlines } from './reprioritise';
import type { SlaTable } from './reprioritise';

const MINUTE_MS = 60_000;

export const DedupConfigSchema = z.strictObject({
  /** incident category → search radius, m; a category not listed is never de-duplicated */
  radiusMByCategory: z.record(z.string().min(1), z.number().positive().max(50_000)),
  /** ms: an open incident takes a new alert when it was created at most this long before (or after) it */
  windowMs: z.number().int().positive(),
});
export type DedupConfig = z.infer<typeof DedupConfigSchema>;

/**
 * Defaults: waterlogging spreads over streets (3 km catches the storm's neighbouring underpasses),
 * a river's flood over a reach (2 km); a gas leak or a fire is one place (a few hundred metres).
 */
export const DEFAULT_DEDUP_CONFIG: DedupConfig = {
  radiusMByCategory: {
    waterlogging: 3000,
    flood: 2000,
    'gas-leak': 500,
    fire: 300,
    'bridge-overload': 1000,
    'bridge-structure': 1000,
    'pipe-burst': 500,
    manhole: 100,
  },
  windowMs: 6 * 60 * MINUTE_MS,
};

export interface DedupCandidate {
  category: string;
  location: LngLat;
  /** epoch ms of the alert or report */
  ts: number;
}

/** The nearest open incident of the same category within the category's radius and the window, or null. */
export function findDuplicateIncident<T extends StormIncident>(
  candidate: DedupCandidate,
  openIncidents: readonly T[],
  config: DedupConfig = DEFAULT_DEDUP_CONFIG,
): { incident: T; distanceM: number } | null {
  const radiusM = Object.hasOwn(config.radiusMByCategory, candidate.category) ? config.radiusMByCategory[candidate.category] : undefined;
  if (radiusM === undefined) return null;
  let best: { incident: T; distanceM: number } | null = null;
  for (const incident of openIncidents) {
    if (incident.category !== candidate.category || !isIncidentInProgress(incident)) continue;
    if (Math.abs(candidate.ts - incident.createdTs) > config.windowMs) continue;
    const distanceM = distance(candidate.location, incident.location, { units: 'meters' });
    if (distanceM > radiusM) continue;
    const better =
      best === null ||
      distanceM < best.distanceM ||
      (distanceM === best.distanceM &&
        (incident.createdTs < best.incident.createdTs || (incident.createdTs === best.incident.createdTs && incident.id < best.incident.id)));
    if (better) best = { incident, distanceM };
  }
  return best;
}

/** Roles that may merge and split incidents. */
export const DEDUP_ROLES: readonly Role[] = ['officer', 'admin'];

function fail(code: IocError['code'], message: string): { ok: false; error: IocError } {
  return { ok: false, error: { code, message } };
}

function worse(a: StormIncident['level'], b: StormIncident['level']): StormIncident['level'] {
  if (a === null) return b;
  if (b === null) return a;
  return ALERT_LEVEL_RANK[a] <= ALERT_LEVEL_RANK[b] ? a : b;
}

export interface MergeInput {
  actor: Actor;
  /** epoch ms */
  ts: number;
  commandId: string;
  sla?: SlaTable;
}

/**
 * Merge `merged` into `survivor`: the survivor takes its alerts (and the more urgent priority,
 * the worse level, the tighter deadlines); `merged` is closed as a duplicate pointing at the survivor.
 * Both get a history entry. Refused for the same incident twice, and unless both are in progress.
 */
export function mergeIncidents<T extends StormIncident>(
  survivor: T,
  merged: T,
  input: MergeInput,
): Result<{ survivor: T; merged: T; movedAlertIds: string[] }> {
  const { actor, ts, commandId } = input;
  if (!DEDUP_ROLES.includes(actor.role)) return fail('E_FORBIDDEN', `role '${actor.role}' may not merge incidents`);
  if (survivor.id === merged.id) return fail('E_VALIDATION', 'cannot merge an incident into itself');
  if (!isIncidentInProgress(survivor) || !isIncidentInProgress(merged)) return fail('E_CONFLICT', 'only incidents in progress can be merged');
  const movedAlertIds = merged.alertIds.filter((id) => !survivor.alertIds.includes(id));
  const priority = moreUrgentPriority(survivor.priority, merged.priority);
  const grown: T = {
    ...survivor,
    alertIds: [...survivor.alertIds, ...movedAlertIds],
    priority,
    level: worse(survivor.level, merged.level),
    assignees: [...new Set([...survivor.assignees, ...merged.assignees])],
    ...tightenedDeadlines(survivor, priority, input.sla),
  };
  const closed: T = {
    ...merged,
    state: 'closed',
    closedTs: ts,
    outcome: 'duplicate',
    outcomeReason: `merged into ${survivor.id}`,
    mergedInto: survivor.id,
  };
  return {
    ok: true,
    survivor: withStormStep(survivor, grown, { action: 'merge', actor: actor.username, ts, commandId, note: `merged ${merged.id}` }),
    merged: withStormStep(merged, closed, { action: 'merged_into', actor: actor.username, ts, commandId, note: `merged into ${survivor.id}` }),
    movedAlertIds,
  };
}

export interface SplitInput extends MergeInput {
  /** id of the incident the alert moves to */
  newIncidentId: string;
  category: string;
}

/**
 * Split one alert out of an incident into a new incident of its own (reported, created by the
 * officer from the alert, priority from its level). The source keeps its priority (never lowered
 * automatically) and records the split. Refused when the alert is not linked, or is its only alert.
 */
export function splitAlert<T extends StormIncident>(incident: T, alert: Alert, input: SplitInput): Result<{ incident: T; split: StormIncident }> {
  const { actor, ts, commandId } = input;
  if (!DEDUP_ROLES.includes(actor.role)) return fail('E_FORBIDDEN', `role '${actor.role}' may not split incidents`);
  if (!isIncidentInProgress(incident)) return fail('E_CONFLICT', 'only an incident in progress can be split');
  if (!incident.alertIds.includes(alert.id)) return fail('E_VALIDATION', `alert ${alert.id} is not linked to ${incident.id}`);
  if (incident.alertIds.length === 1) return fail('E_CONFLICT', 'cannot split the only alert out of an incident');
  const priority = priorityForLevel(alert.level);
  const split: StormIncident = {
    id: input.newIncidentId,
    version: 1,
    state: 'reported',
    priority,
    level: alert.level,
    scene: alert.scene,
    category: input.category,
    title: alert.title,
    titleEn: alert.titleEn,
    district: alert.district,
    location: [alert.location[0], alert.location[1]],
    source: 'alert',
    alertIds: [alert.id],
    deviceId: alert.deviceId,
    assignees: [],
    escalated: false,
    createdTs: ts,
    updatedTs: ts,
    ...slaDeadlines(priority, ts, input.sla ?? DEFAULT_SLA),
    reportedBy: actor.username,
    photos: [],
    history: [{ action: 'create', from: null, to: 'reported', actor: actor.username, ts, commandId, note: `split from ${incident.id}` }],
  };
  const shrunk: T = { ...incident, alertIds: incident.alertIds.filter((id) => id !== alert.id) };
  return {
    ok: true,
    incident: withStormStep(incident, shrunk, { action: 'split', actor: actor.username, ts, commandId, note: `alert ${alert.id} → ${split.id}` }),
    split,
  };
}
