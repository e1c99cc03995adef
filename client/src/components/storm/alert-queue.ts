/**
 * The console's alert queue in a storm, computed purely: which unhandled alerts the officer sees
 * under the current filter (state/level/scene/district), how many a district warning covers (they
 * are hidden from the queue and reachable from the warning), which recovered alerts one
 * "一键确认已恢复" would acknowledge, and the district warnings in display order.
 */
import { ALERT_LEVEL_RANK, type Alert, type AlertLevel, type DistrictCode, type Incident, type SceneId } from '@scenes/domain';
import type { AlertItem } from '@scenes/scene-model';
import type { AreaWarning } from '@scenes/storm/area-warnings';
import { officerDecisions } from '@scenes/storm/decisions';

/** 'active' = still in alarm; 'recovered' = cleared but nobody acknowledged it yet. */
export const ALERT_STATE_FILTERS = ['all', 'active', 'recovered'] as const;
export type AlertStateFilter = (typeof ALERT_STATE_FILTERS)[number];

export interface AlertFilter {
  state: AlertStateFilter;
  level: AlertLevel | 'all';
  scene: SceneId | 'all';
  district: DistrictCode | 'all';
}

export const DEFAULT_ALERT_FILTER: AlertFilter = { state: 'all', level: 'all', scene: 'all', district: 'all' };

/** The alert.ack_bulk command takes at most this many ids (scenes/protocol.ts). */
export const ACK_BULK_MAX_IDS = 500;

/** Cleared but not acknowledged: what "一键确认已恢复" acknowledges. */
export function isRecoveredUnacked(a: Pick<AlertItem, 'cleared' | 'acknowledged'>): boolean {
  return a.cleared && !a.acknowledged;
}

/** Still waiting for the officer: not acknowledged and not linked to an incident. */
export function isUnhandledAlert(a: Pick<AlertItem, 'acknowledged' | 'incidentId'>): boolean {
  return !a.acknowledged && a.incidentId === undefined;
}

export function matchesAlertFilter(a: AlertItem, f: AlertFilter): boolean {
  if (f.level !== 'all' && a.level !== f.level) return false;
  if (f.scene !== 'all' && a.scene !== f.scene) return false;
  if (f.district !== 'all' && a.district !== f.district) return false;
  if (f.state === 'active') return !a.cleared;
  if (f.state === 'recovered') return isRecoveredUnacked(a);
  return true;
}

export interface AlertQueueView {
  /** rows to list (not covered by a warning), at most `limit` */
  shown: AlertItem[];
  /** rows matching the filter and not covered (shown may be cut to `limit`) */
  total: number;
  /** unhandled alerts matching the filter that a district warning covers (hidden here) */
  coveredCount: number;
  /** ids of the recovered, unacknowledged alerts matching the filter, covered ones included */
  recoveredIds: string[];
}

/**
 * The unhandled alerts under `filter`: covered ones are counted, not listed (the officer decides
 * on their warning once); every recovered one is offered to the bulk acknowledgement.
 */
export function alertQueueView(
  alerts: readonly AlertItem[],
  coveredBy: Readonly<Record<string, string>>,
  filter: AlertFilter,
  limit: number,
): AlertQueueView {
  const rows: AlertItem[] = [];
  const recoveredIds: string[] = [];
  let coveredCount = 0;
  for (const a of alerts) {
    if (!isUnhandledAlert(a) || !matchesAlertFilter(a, filter)) continue;
    if (isRecoveredUnacked(a)) recoveredIds.push(a.id);
    if (Object.hasOwn(coveredBy, a.id)) coveredCount++;
    else rows.push(a);
  }
  return { shown: rows.slice(0, Math.max(0, limit)), total: rows.length, coveredCount, recoveredIds };
}

/** Ids cut into the chunks one alert.ack_bulk command takes. */
export function chunkIds(ids: readonly string[], size: number = ACK_BULK_MAX_IDS): string[][] {
  const out: string[][] = [];
  for (let i = 0; i < ids.length; i += size) out.push(ids.slice(i, i + size));
  return out;
}

/** Warnings as the panel lists them: ongoing first, then the worst level, then the newest. */
export function sortWarnings(warnings: readonly AreaWarning[]): AreaWarning[] {
  return [...warnings].sort(
    (a, b) =>
      Number(b.active) - Number(a.active) ||
      ALERT_LEVEL_RANK[a.level] - ALERT_LEVEL_RANK[b.level] ||
      b.lastTs - a.lastTs ||
      (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
}

/** A warning's member alerts as the scene shows them; an id the scene no longer holds stays as `{ id }`. */
export function warningMembers(warning: Pick<AreaWarning, 'alertIds'>, alertsById: ReadonlyMap<string, AlertItem>): (AlertItem | { id: string })[] {
  return warning.alertIds.map((id) => alertsById.get(id) ?? { id });
}

/** The rule id in an alert id (`${deviceId}|${ruleId}|${firstTs}`, scenes/domain.ts). */
export function ruleIdOfAlert(alertId: string): string {
  return alertId.split('|')[1] ?? '';
}

/** The wire alert behind a scene's alert item (what the pure storm rules take). */
export function alertOfItem(a: AlertItem): Alert {
  const alert: Alert = {
    id: a.id,
    deviceId: a.deviceId,
    deviceKind: a.deviceKind,
    ruleId: ruleIdOfAlert(a.id),
    scene: a.scene,
    district: a.district,
    location: a.p,
    level: a.level,
    peakLevel: a.level,
    cleared: a.cleared,
    acknowledged: a.acknowledged,
    firstTs: a.firstTs,
    lastTs: a.lastTs,
    count: a.count,
    title: a.title,
    titleEn: a.titleEn,
  };
  if (a.incidentId !== undefined) alert.incidentId = a.incidentId;
  return alert;
}

/**
 * How many decisions the officer faces, computed on the client from what it holds (the same rule
 * the server's `GET /api/decisions` uses): used while that answer is missing or stale.
 */
export function localDecisionCount(input: {
  alerts: readonly AlertItem[];
  warnings: readonly AreaWarning[];
  coveredBy: Readonly<Record<string, string>>;
  incidents: Iterable<Pick<Incident, 'id' | 'state' | 'alertIds'>>;
}): number {
  return officerDecisions({
    alerts: input.alerts.map(alertOfItem),
    warnings: input.warnings,
    coveredBy: input.coveredBy,
    incidents: [...input.incidents],
  }).length;
}
