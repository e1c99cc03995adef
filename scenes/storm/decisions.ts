/**
 * What the duty officer has to decide, after aggregation and 查重: the console's short list.
 *
 * - one `bulletin` per (area rule, level) among warnings that overlap in time: one storm's red rain
 *   warnings in five districts are one bulletin naming the five districts (as a 气象台 bulletin
 *   names every district it covers), acknowledged with one bulk command — each district warning
 *   stays its own record with its own gauges;
 * - one `incident` per incident in progress;
 * - one `plan` per plan proposal;
 * - one `alert` per open alert that is neither acknowledged, covered by a warning, nor linked to an incident.
 * Pure.
 */
import type { Alert, AlertLevel, DistrictCode, Incident } from '../domain';
import { isAlertOpen } from '../alert-lifecycle';
import { isIncidentInProgress } from '../incident-states';
import type { AreaWarning } from './area-warnings';

export type OfficerDecision =
  | { kind: 'bulletin'; ruleId: string; level: AlertLevel; warningIds: string[]; districts: DistrictCode[]; alertCount: number }
  | { kind: 'incident'; incidentId: string }
  | { kind: 'plan'; planId: string }
  | { kind: 'alert'; alertId: string };

function overlaps(a: Pick<AreaWarning, 'firstTs' | 'lastTs'>, b: Pick<AreaWarning, 'firstTs' | 'lastTs'>): boolean {
  return a.firstTs <= b.lastTs && b.firstTs <= a.lastTs;
}

/** Warnings of one rule and level that overlap in time (transitively), in firstTs order. */
function bulletinsOf(warnings: readonly AreaWarning[]): OfficerDecision[] {
  const groups: AreaWarning[][] = [];
  for (const w of [...warnings].sort((a, b) => a.firstTs - b.firstTs || (a.id < b.id ? -1 : 1))) {
    const group = groups.find((g) => g[0].ruleId === w.ruleId && g[0].level === w.level && g.some((m) => overlaps(m, w)));
    if (group) group.push(w);
    else groups.push([w]);
  }
  return groups.map((g) => ({
    kind: 'bulletin',
    ruleId: g[0].ruleId,
    level: g[0].level,
    warningIds: g.map((w) => w.id),
    districts: [...new Set(g.map((w) => w.district))].sort(),
    alertCount: g.reduce((n, w) => n + w.alertIds.length, 0),
  }));
}

export function officerDecisions(input: {
  alerts: readonly Alert[];
  warnings: readonly AreaWarning[];
  coveredBy: Readonly<Record<string, string>>;
  incidents: readonly Pick<Incident, 'id' | 'state' | 'alertIds'>[];
  proposedPlanIds?: readonly string[];
}): OfficerDecision[] {
  const inProgress = input.incidents.filter((i) => isIncidentInProgress(i));
  const linked = new Set(inProgress.flatMap((i) => i.alertIds));
  const loose = input.alerts.filter(
    (a) => isAlertOpen(a) && !a.acknowledged && !Object.hasOwn(input.coveredBy, a.id) && !linked.has(a.id) && a.incidentId === undefined,
  );
  return [
    ...bulletinsOf(input.warnings),
    ...inProgress.map((i): OfficerDecision => ({ kind: 'incident', incidentId: i.id })),
    ...(input.proposedPlanIds ?? []).map((planId): OfficerDecision => ({ kind: 'plan', planId })),
    ...loose.map((a): OfficerDecision => ({ kind: 'alert', alertId: a.id })),
  ];
}
