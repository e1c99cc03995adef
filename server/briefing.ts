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
import { z } from 'zod';
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
import type { IocError } from '../scenes/protocol';
import { type DataScope, alertInScope, incidentInScope } from '../scenes/scope';
import { handlersInDistricts } from '../scenes/handler-districts';
import { ReportDateSchema, parseReportDate } from '../scenes/reports/report-period';
import { iocError } from './errors';
import { safeValidate } from './guard';
import type { PlanInstanceRecords, ReportSource } from './reports/report-source';
import { buildPlanResponses, type PlanResponseRow } from '../scenes/reports/plan-responses';
import { planInstancesInScope } from '../scenes/plans/plan-range';
import type { Store } from './store/store';

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

/**
 * `today` holds the numbers of the window's last day (today, unless a custom period ended earlier);
 * open incidents, escalations, overdue and handlers are always as of `nowTs`.
 */
export function buildBriefing(input: BriefingInput, nowTs: number, days = BRIEFING_DAYS, firstDay = briefingWindowStart(nowTs, days)): Briefing {
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

/**
 * The briefing's period selector (issue 16, `/brief` 今日 / 近7天 / 近30天 / 自定义):
 * `GET /api/briefing?period=today|7d|30d|custom&from=YYYY-MM-DD&to=YYYY-MM-DD`. Without `period` the
 * answer is the 7-day briefing it always was, plus the `period` summary below.
 *
 * The records of the window come from the working store (open records and recent changes) and,
 * when there is one, the long history (server/store/history-store.ts through the reports'
 * ReportSource), joined by id with the working store's copy preferred (it is the newest).
 */
export const BRIEFING_PERIODS = ['today', '7d', '30d', 'custom'] as const;
export type BriefingPeriodKind = (typeof BRIEFING_PERIODS)[number];
/** the longest custom period, days (a quarter, like a custom report) */
export const BRIEFING_CUSTOM_MAX_DAYS = 92;
const PERIOD_DAYS: Record<Exclude<BriefingPeriodKind, 'custom'>, number> = { today: 1, '7d': BRIEFING_DAYS, '30d': 30 };

export const BriefingQuerySchema = z
  .strictObject({ period: z.enum(BRIEFING_PERIODS).optional(), from: ReportDateSchema.optional(), to: ReportDateSchema.optional() })
  .superRefine((q, ctx) => {
    if (q.period !== 'custom') return;
    if (q.from === undefined || q.to === undefined)
      ctx.addIssue({ code: 'custom', path: ['from'], message: 'a custom period needs from= and to= (YYYY-MM-DD)' });
    else if (q.to < q.from) ctx.addIssue({ code: 'custom', path: ['to'], message: 'to must not be before from' });
  });
export type BriefingQuery = z.infer<typeof BriefingQuerySchema>;

/** The days a briefing covers: whole Beijing days, the last one today or earlier. */
export interface BriefingWindow {
  period: BriefingPeriodKind;
  /** epoch ms, 00:00 Beijing time of the first day */
  firstDayTs: number;
  days: number;
}

/** The sums over the whole window (the KPI tiles of a period other than 今日). */
export interface BriefingPeriodSummary extends BriefingWindow {
  /** epoch ms, excluded: the end of the last day, or now when that is earlier */
  toTs: number;
  alertsRaised: number;
  incidentsCreated: number;
  incidentsResolved: number;
  incidentsClosed: number;
  incidentsClosedUnresolved: Briefing['today']['incidentsClosedUnresolved'];
  /** on time among the incidents resolved in the window, %; null = none resolved */
  slaCompliancePct: number | null;
}

/** Most recent contingency responses the briefing lists. */
export const BRIEFING_PLAN_RESPONSES_LISTED = 5;

/** 预案响应 N 次: the responses that ran in the window (scenes/reports/plan-responses.ts). */
export interface BriefingPlanResponses {
  count: number;
  /** ms of response inside the window, summed */
  responseMsInPeriod: number;
  /** proposals dismissed in the window without being started */
  dismissed: number;
  /** newest start first, at most BRIEFING_PLAN_RESPONSES_LISTED */
  recent: PlanResponseRow[];
}

export type BriefingAnswer = Briefing & { period: BriefingPeriodSummary; planResponses: BriefingPlanResponses };

/** The window of a validated query at `nowTs`, or why not. */
export function briefingWindow(q: BriefingQuery, nowTs: number): { ok: true; window: BriefingWindow } | { ok: false; error: IocError } {
  const todayTs = startOfLocalDay(nowTs);
  if (q.period !== 'custom') {
    const period = q.period ?? '7d';
    const days = PERIOD_DAYS[period];
    return { ok: true, window: { period, days, firstDayTs: todayTs - (days - 1) * DAY_MS } };
  }
  const first = parseReportDate(q.from!)!;
  const last = parseReportDate(q.to!)!;
  if (last > todayTs) return { ok: false, error: iocError('E_VALIDATION', 'invalid briefing query: to is after today') };
  const days = Math.round((last - first) / DAY_MS) + 1;
  if (days > BRIEFING_CUSTOM_MAX_DAYS)
    return { ok: false, error: iocError('E_VALIDATION', `invalid briefing query: a custom period covers at most ${BRIEFING_CUSTOM_MAX_DAYS} days`) };
  return { ok: true, window: { period: 'custom', days, firstDayTs: first } };
}

/** Pure: the briefing of `window` with its period summary and its contingency responses. */
export function buildBriefingFor(
  input: {
    alerts: readonly Alert[];
    incidents: readonly Incident[];
    handlers: readonly Handler[];
    /** plan instances overlapping the window, in the reader's scope; absent: none */
    plans?: PlanInstanceRecords;
  },
  window: BriefingWindow,
  nowTs: number,
): BriefingAnswer {
  const briefing = buildBriefing(input, nowTs, window.days, window.firstDayTs);
  const toTs = Math.min(window.firstDayTs + window.days * DAY_MS, nowTs + 1);
  const within = (ts: number | undefined): boolean => ts !== undefined && ts >= window.firstDayTs && ts < toTs;
  let incidentsResolved = 0;
  let incidentsClosed = 0;
  for (const i of input.incidents) {
    if (within(i.resolvedTs)) incidentsResolved++;
    const outcome = outcomeOf(i);
    if (within(i.closedTs) && (outcome === null || outcome === 'resolved')) incidentsClosed++;
  }
  const sla = slaCompliance(input.incidents, window.firstDayTs, toTs - 1);
  const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
  const responses = buildPlanResponses({
    instances: input.plans?.instances ?? [],
    plans: input.plans?.plans ?? [],
    period: { fromTs: window.firstDayTs, toTs },
    generatedTs: nowTs,
  });
  return {
    ...briefing,
    planResponses: {
      count: responses.count,
      responseMsInPeriod: responses.responseMsInPeriod,
      dismissed: responses.dismissed,
      recent: [...responses.rows].reverse().slice(0, BRIEFING_PLAN_RESPONSES_LISTED),
    },
    period: {
      ...window,
      toTs,
      alertsRaised: sum(briefing.alerts.total),
      incidentsCreated: sum(briefing.incidents.total),
      incidentsResolved,
      incidentsClosed,
      incidentsClosedUnresolved: sla.closedUnresolved,
      slaCompliancePct: sla.rate,
    },
  };
}

export interface BriefingSources {
  store: Pick<Store, 'loadAlerts' | 'loadIncidents'>;
  /** the long history (and the plan store's instances of the window); absent = the working store only */
  history?: ReportSource;
  handlers: () => readonly Handler[];
}

/** `GET /api/briefing`: validate, gather the window's records in `scope`, build. */
export async function briefingFor(
  src: BriefingSources,
  query: unknown,
  scope: DataScope,
  nowTs: number,
): Promise<{ ok: true; briefing: BriefingAnswer } | { ok: false; error: IocError }> {
  const q = safeValidate(BriefingQuerySchema, query, 'briefing query');
  if (!q.ok) return q;
  const w = briefingWindow(q.data, nowTs);
  if (!w.ok) return w;
  const { firstDayTs, days } = w.window;
  const endTs = firstDayTs + days * DAY_MS;
  const [alerts, incidents, oldAlerts, oldIncidents, plans] = await Promise.all([
    src.store.loadAlerts(firstDayTs),
    src.store.loadIncidents(firstDayTs),
    src.history ? src.history.alerts(firstDayTs, endTs) : Promise.resolve([]),
    src.history ? src.history.incidents(firstDayTs, endTs) : Promise.resolve([]),
    src.history?.planInstances?.(firstDayTs, Math.min(endTs, nowTs + 1)),
  ]);
  const byId = <T extends { id: string }>(older: readonly T[], newer: readonly T[]): T[] => [
    ...new Map([...older, ...newer].map((x) => [x.id, x])).values(),
  ];
  // a leader limited to districts is briefed on those districts only; the handlers counted are the
  // ones at work in, or standing in, those districts (the same rule as the drilled wall's KPIs)
  const scopedIncidents = byId(oldIncidents, incidents).filter((i) => incidentInScope(scope, i));
  const handlers = src.handlers();
  const input = {
    alerts: byId(oldAlerts, alerts).filter((a) => alertInScope(scope, a)),
    incidents: scopedIncidents,
    handlers: scope.kind === 'districts' ? handlersInDistricts(handlers, scopedIncidents, scope.districts) : handlers,
    ...(plans ? { plans: { instances: planInstancesInScope(plans.instances, plans.plans, scope), plans: plans.plans } } : {}),
  };
  return { ok: true, briefing: buildBriefingFor(input, w.window, nowTs) };
}
