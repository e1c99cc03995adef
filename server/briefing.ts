/**
 * The leader's briefing (`GET /api/briefing`): today's key numbers, 7-day trends of alerts and
 * incidents per scene and per district, and SLA compliance per day (slaCompliance: the wall's
 * 今日按时办结率 is the same function over the same day; incidents closed as false alarm, duplicate
 * or cancelled are counted apart and never in the rate).
 *
 * `buildBriefing` is pure (inputs and "now" are arguments); the route gathers alerts and incidents
 * of the window from the store (`loadAlerts`/`loadIncidents` return everything that started in it)
 * and the live handler list from fusion.
 */
import { isAlertOpen } from '../scenes/alert-lifecycle';
import {
  DISTRICT_CODES,
  SCENE_IDS,
  type Alert,
  type AlertLevel,
  type DistrictCode,
  type Handler,
  type Incident,
  type SceneId,
} from '../scenes/domain';
import { startOfLocalDay } from '../scenes/builders/common';
import { isIncidentOpen, isResolutionOverdue } from '../scenes/incident-rules';
import { outcomeOf, slaCompliance } from '../scenes/storm/close-unresolved';

/** Days covered by the trend charts (today included). */
export const BRIEFING_DAYS = 7;
const DAY_MS = 24 * 3600_000;

import type { Briefing, DailyCounts } from '../scenes/protocol';
export type { Briefing, DailyCounts };

export interface BriefingInput {
  /** alerts that were open or raised during the window (more is fine: filtered by firstTs) */
  alerts: readonly Alert[];
  /** incidents open or created/closed during the window */
  incidents: readonly Incident[];
  handlers: readonly Handler[];
}

function emptyCounts(days: number): DailyCounts {
  return {
    byScene: Object.fromEntries(SCENE_IDS.map((s) => [s, new Array<number>(days).fill(0)])) as Record<SceneId, number[]>,
    byDistrict: Object.fromEntries(DISTRICT_CODES.map((d) => [d, new Array<number>(days).fill(0)])) as Record<DistrictCode, number[]>,
    total: new Array<number>(days).fill(0),
  };
}

function count(into: DailyCounts, dayIndex: number, scene: SceneId, district: DistrictCode): void {
  into.byScene[scene][dayIndex]! += 1;
  into.byDistrict[district][dayIndex]! += 1;
  into.total[dayIndex]! += 1;
}

/** The window start (epoch ms) of a briefing built at `nowTs`. */
export function briefingWindowStart(nowTs: number, days = BRIEFING_DAYS): number {
  return startOfLocalDay(nowTs) - (days - 1) * DAY_MS;
}

export function buildBriefing(input: BriefingInput, nowTs: number, days = BRIEFING_DAYS): Briefing {
  const firstDay = briefingWindowStart(nowTs, days);
  const dayStartTs = Array.from({ length: days }, (_, i) => firstDay + i * DAY_MS);
  const dayOf = (ts: number): number => {
    const i = Math.floor((ts - firstDay) / DAY_MS);
    return ts > nowTs || i < 0 || i >= days ? -1 : i;
  };
  const today = days - 1;

  const alerts = emptyCounts(days);
  const openAlertsByLevel: Record<AlertLevel, number> = { red: 0, orange: 0, yellow: 0, blue: 0 };
  for (const a of input.alerts) {
    const d = dayOf(a.firstTs);
    if (d >= 0) count(alerts, d, a.scene, a.district);
    if (isAlertOpen(a) && !a.cleared) openAlertsByLevel[a.level] += 1;
  }

  const incidents = emptyCounts(days);
  let incidentsResolvedToday = 0;
  let incidentsOpen = 0;
  let incidentsClosed = 0;
  const incidentsClosedUnresolved = { false_alarm: 0, duplicate: 0, cancelled: 0 };
  let escalationsPending = 0;
  let overdueOpen = 0;
  for (const i of input.incidents) {
    const d = dayOf(i.createdTs);
    if (d >= 0) count(incidents, d, i.scene, i.district);
    if (i.resolvedTs !== undefined && dayOf(i.resolvedTs) === today) incidentsResolvedToday++;
    if (!isIncidentOpen(i)) {
      if (i.closedTs !== undefined && dayOf(i.closedTs) === today) {
        const outcome = outcomeOf(i);
        if (outcome === null || outcome === 'resolved') incidentsClosed++;
        else incidentsClosedUnresolved[outcome]++;
      }
      continue;
    }
    incidentsOpen++;
    if (i.escalated) escalationsPending++;
    if (isResolutionOverdue(i, nowTs)) overdueOpen++;
  }
  // per day: on time among that day's resolutions; null (no data) on a day with none — the wall's rule
  const slaCompliancePct = dayStartTs.map((startTs) => slaCompliance(input.incidents, startTs, Math.min(startTs + DAY_MS - 1, nowTs)).rate);

  return {
    generatedTs: nowTs,
    dayStartTs,
    today: {
      alertsRaised: alerts.total[today]!,
      openAlertsByLevel,
      incidentsCreated: incidents.total[today]!,
      incidentsOpen,
      incidentsResolved: incidentsResolvedToday,
      incidentsClosed,
      incidentsClosedUnresolved,
      escalationsPending,
      overdueOpen,
      handlersOnDuty: input.handlers.filter((h) => h.status !== 'off_duty').length,
      handlersBusy: input.handlers.filter((h) => h.status === 'busy').length,
      slaCompliancePct: slaCompliancePct[today] ?? null,
    },
    alerts,
    incidents,
    slaCompliancePct,
  };
}
