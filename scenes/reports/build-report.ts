/**
 * The report model (日报/周报/月报, issue 16): what a leader takes into a meeting, built from plain
 * incidents and alerts. Pure: the same input gives the same report; the caller loads the records,
 * filters them to the reader's scope and says when the report was generated.
 *
 * Which records count:
 * - incidents created in the period: counts by scene, category, level, outcome, and their timings;
 * - incidents resolved in the period: SLA compliance (the one rule of scenes/incident-rules.ts);
 * - alerts first raised in the period: counts, top devices and places;
 * - contingency responses that ran in the period (plan-responses.ts);
 * - outcomes are as the records stand when the report is built (an incident still open then is `open`).
 */
import { ALERT_LEVELS, PRIORITIES, SCENE_IDS } from '../domain';
import type { Alert, Asset, Device, DistrictCode, Handler, Incident, IncidentState, Priority, SceneId } from '../domain';
import { districtName } from '../geo/districts';
import { onTimeRate, wasResolvedOnTime } from '../incident-rules';
import { DEFAULT_REPORT_LIMITS, type ReportLimits } from './report-config';
import { type ReportPeriod, DAY_MS, periodDayStarts } from './report-period';
import { type Change, type DurationStats, change, durationStats } from './report-stats';
import type { StoredPlanInstance } from '../plans/plan-protocol';
import type { ContingencyPlan } from '../plans/plan-schema';
import { type PlanResponses, buildPlanResponses } from './plan-responses';

/** How an incident stands: closed with its outcome, resolved (awaiting close), or still open. */
export const REPORT_OUTCOMES = ['resolved', 'false_alarm', 'duplicate', 'cancelled', 'open'] as const;
export type ReportOutcome = (typeof REPORT_OUTCOMES)[number];

/** Incidents without an alert level (by hand, field reports) count under `none`. */
export const REPORT_LEVELS = [...ALERT_LEVELS, 'none'] as const;
export type ReportLevel = (typeof REPORT_LEVELS)[number];

export const TIMING_MILESTONES = ['dispatch', 'acknowledge', 'arrive', 'resolve'] as const;
export type TimingMilestone = (typeof TIMING_MILESTONES)[number];

export const HEADLINE_KEYS = ['alerts', 'incidents', 'resolved', 'falseAlarms', 'open', 'slaCompliancePct', 'mttaMs', 'mttrMs'] as const;
export type HeadlineKey = (typeof HEADLINE_KEYS)[number];

/** The figures compared with earlier periods. */
export type Headline = Record<HeadlineKey, number | null>;

export interface CountRow<K extends string = string> {
  key: K;
  count: number;
}

export interface SlaRow {
  priority: Priority;
  resolved: number;
  onTime: number;
  /** %, one decimal; null when none resolved */
  compliancePct: number | null;
}

export interface TopDevice {
  deviceId: string;
  name: string;
  district: DistrictCode;
  alerts: number;
}

export interface TopPlace {
  /** `asset:<id>` or `district:<code>` */
  key: string;
  name: string;
  nameEn: string;
  alerts: number;
}

export interface HandlerRow {
  /** username */
  handler: string;
  name: string;
  team: string | null;
  /** incidents of the period this person was assigned to at some step */
  assigned: number;
  /** incidents of the period this person resolved */
  resolved: number;
}

export interface TeamRow {
  team: string;
  assigned: number;
  resolved: number;
}

/** A closed incident of the period, for the list that links to its after-action summary. */
export interface ClosedIncidentRow {
  id: string;
  title: string;
  titleEn?: string;
  priority: Priority;
  outcome: ReportOutcome;
  /** epoch ms */
  closedTs: number;
}

export interface TrendDay {
  /** 00:00 Beijing time, epoch ms */
  dayStartTs: number;
  alerts: number;
  incidents: number;
  resolved: number;
}

export interface Report {
  period: ReportPeriod;
  district: DistrictCode | null;
  /** epoch ms */
  generatedTs: number;
  headline: Headline;
  incidents: {
    byScene: CountRow<SceneId>[];
    byCategory: CountRow[];
    byLevel: CountRow<ReportLevel>[];
    byOutcome: CountRow<ReportOutcome>[];
  };
  alerts: { byScene: CountRow<SceneId>[]; byLevel: CountRow<ReportLevel>[] };
  sla: { resolved: number; onTime: number; late: number; compliancePct: number | null; byPriority: SlaRow[] };
  /** from creation to the first step reaching each milestone (resolve: the resolution time) */
  timings: Record<TimingMilestone, DurationStats>;
  topDevices: TopDevice[];
  topPlaces: TopPlace[];
  handlers: HandlerRow[];
  teams: TeamRow[];
  trend: TrendDay[];
  /** incidents created in the period and closed since, newest close first, at most `closedListCount` */
  closed: ClosedIncidentRow[];
  /**
   * 应急预案响应: the contingency responses that ran in the period (always built; absent only in
   * scheduled reports stored before the section existed)
   */
  planResponses?: PlanResponses;
  comparison: { previous: Record<HeadlineKey, Change>; previousYear: Record<HeadlineKey, Change> | null };
}

/** The records of one period. */
export interface PeriodRecords {
  incidents: readonly Incident[];
  alerts: readonly Alert[];
}

export interface ReportInput extends PeriodRecords {
  period: ReportPeriod;
  /** only this district; absent = every district in the records */
  district?: DistrictCode;
  /** the period before (环比), its own records */
  previous: PeriodRecords & { period: ReportPeriod };
  /** the same period a year before (同比), when known */
  previousYear?: PeriodRecords & { period: ReportPeriod };
  /** names and assets of devices, for the top lists */
  devices?: readonly Pick<Device, 'id' | 'name' | 'district' | 'assetId'>[];
  assets?: readonly Pick<Asset, 'id' | 'name' | 'nameEn'>[];
  /** names and teams of handlers */
  handlers?: readonly Pick<Handler, 'id' | 'name' | 'team'>[];
  /** plan instances overlapping the period, in the reader's scope (absent: no responses) */
  planInstances?: readonly StoredPlanInstance[];
  /** the plan definitions, for names, districts and checklists */
  planDefinitions?: readonly ContingencyPlan[];
  generatedTs: number;
  limits?: ReportLimits;
}

const inPeriod = (ts: number | undefined, p: Pick<ReportPeriod, 'fromTs' | 'toTs'>): boolean => ts !== undefined && ts >= p.fromTs && ts < p.toTs;

export function incidentOutcome(incident: Pick<Incident, 'state' | 'outcome'>): ReportOutcome {
  if (incident.state === 'closed') return incident.outcome ?? 'resolved';
  return incident.state === 'resolved' ? 'resolved' : 'open';
}

const MILESTONE_STATE: Record<Exclude<TimingMilestone, 'resolve'>, IncidentState> = {
  dispatch: 'dispatched',
  acknowledge: 'accepted',
  arrive: 'on_site',
};

/** ms from creation to the milestone, from the transition history; null when never reached. */
export function milestoneMs(incident: Pick<Incident, 'createdTs' | 'resolvedTs' | 'history'>, milestone: TimingMilestone): number | null {
  const target: IncidentState = milestone === 'resolve' ? 'resolved' : MILESTONE_STATE[milestone];
  const step = incident.history.find((t) => t.to === target && t.action !== 'create');
  const ts = milestone === 'resolve' ? (incident.resolvedTs ?? step?.ts) : step?.ts;
  return ts === undefined ? null : Math.max(0, ts - incident.createdTs);
}

function countBy<K extends string>(keys: readonly K[], items: Iterable<K>): CountRow<K>[] {
  const counts = new Map<K, number>(keys.map((k) => [k, 0]));
  for (const k of items) counts.set(k, (counts.get(k) ?? 0) + 1);
  return [...counts].map(([key, count]) => ({ key, count }));
}

/** Rows sorted by count (then key), dropping zeros: for open-ended keys like categories. */
function countOpen(items: Iterable<string>): CountRow[] {
  return countBy([], items).sort((a, b) => b.count - a.count || a.key.localeCompare(b.key));
}

function scoped<T extends { district: DistrictCode }>(items: readonly T[], district: DistrictCode | undefined): T[] {
  return district === undefined ? [...items] : items.filter((x) => x.district === district);
}

interface Selected {
  created: Incident[];
  all: Incident[];
  alerts: Alert[];
}

function select(records: PeriodRecords, period: ReportPeriod, district: DistrictCode | undefined): Selected {
  const all = scoped(records.incidents, district);
  return {
    all,
    created: all.filter((i) => inPeriod(i.createdTs, period)),
    alerts: scoped(records.alerts, district).filter((a) => inPeriod(a.firstTs, period)),
  };
}

function slaFigures(all: readonly Incident[], period: ReportPeriod) {
  const resolvedHere = all.filter((i) => inPeriod(i.resolvedTs, period));
  const onTime = resolvedHere.filter((i) => wasResolvedOnTime(i)).length;
  // onTimeRate takes an inclusive window; the period excludes its end
  const compliancePct = onTimeRate(all, period.fromTs, period.toTs - 1);
  const byPriority: SlaRow[] = PRIORITIES.map((priority) => {
    const mine = resolvedHere.filter((i) => i.priority === priority);
    return {
      priority,
      resolved: mine.length,
      onTime: mine.filter((i) => wasResolvedOnTime(i)).length,
      compliancePct: onTimeRate(mine, period.fromTs, period.toTs - 1),
    };
  });
  return { resolved: resolvedHere.length, onTime, late: resolvedHere.length - onTime, compliancePct, byPriority };
}

function timingsOf(created: readonly Incident[]): Record<TimingMilestone, DurationStats> {
  const out = {} as Record<TimingMilestone, DurationStats>;
  for (const m of TIMING_MILESTONES) out[m] = durationStats(created.map((i) => milestoneMs(i, m)).filter((x): x is number => x !== null));
  return out;
}

function headlineOf(s: Selected, period: ReportPeriod): Headline {
  const timings = timingsOf(s.created);
  const outcomes = s.created.map(incidentOutcome);
  return {
    alerts: s.alerts.length,
    incidents: s.created.length,
    resolved: outcomes.filter((o) => o === 'resolved').length,
    falseAlarms: outcomes.filter((o) => o === 'false_alarm').length,
    open: outcomes.filter((o) => o === 'open').length,
    slaCompliancePct: onTimeRate(s.all, period.fromTs, period.toTs - 1),
    mttaMs: timings.acknowledge.meanMs,
    mttrMs: timings.resolve.meanMs,
  };
}

function compare(current: Headline, previous: Headline): Record<HeadlineKey, Change> {
  const out = {} as Record<HeadlineKey, Change>;
  for (const k of HEADLINE_KEYS) out[k] = change(current[k], previous[k]);
  return out;
}

function topDevicesOf(alerts: readonly Alert[], devices: ReportInput['devices'], limit: number): TopDevice[] {
  const byId = new Map((devices ?? []).map((d) => [d.id, d]));
  const counts = new Map<string, TopDevice>();
  for (const a of alerts) {
    const row = counts.get(a.deviceId) ?? { deviceId: a.deviceId, name: byId.get(a.deviceId)?.name ?? a.deviceId, district: a.district, alerts: 0 };
    row.alerts += 1;
    counts.set(a.deviceId, row);
  }
  return [...counts.values()].sort((a, b) => b.alerts - a.alerts || a.deviceId.localeCompare(b.deviceId)).slice(0, limit);
}

function topPlacesOf(alerts: readonly Alert[], input: ReportInput, limit: number): TopPlace[] {
  const devices = new Map((input.devices ?? []).map((d) => [d.id, d]));
  const assets = new Map((input.assets ?? []).map((x) => [x.id, x]));
  const counts = new Map<string, TopPlace>();
  for (const a of alerts) {
    const asset = assets.get(devices.get(a.deviceId)?.assetId ?? '');
    const key = asset ? `asset:${asset.id}` : `district:${a.district}`;
    const row = counts.get(key) ?? {
      key,
      name: asset ? asset.name : districtName(a.district, 'zh'),
      nameEn: asset ? asset.nameEn : districtName(a.district, 'en'),
      alerts: 0,
    };
    row.alerts += 1;
    counts.set(key, row);
  }
  return [...counts.values()].sort((a, b) => b.alerts - a.alerts || a.key.localeCompare(b.key)).slice(0, limit);
}

/** Everyone assigned at some step, and who resolved it. */
function peopleOf(incident: Incident): { assigned: Set<string>; resolver: string | null } {
  const assigned = new Set(incident.assignees);
  for (const t of incident.history) for (const who of t.assignees ?? []) assigned.add(who);
  const resolve = incident.history.findLast((t) => t.to === 'resolved' && t.action === 'resolve');
  return { assigned, resolver: resolve?.actor ?? null };
}

function handlersOf(created: readonly Incident[], input: ReportInput): { handlers: HandlerRow[]; teams: TeamRow[] } {
  const known = new Map((input.handlers ?? []).map((h) => [h.id, h]));
  const rows = new Map<string, HandlerRow>();
  const rowOf = (who: string): HandlerRow => {
    let row = rows.get(who);
    if (!row) {
      const h = known.get(who);
      row = { handler: who, name: h?.name ?? who, team: h?.team ?? null, assigned: 0, resolved: 0 };
      rows.set(who, row);
    }
    return row;
  };
  for (const i of created) {
    const { assigned, resolver } = peopleOf(i);
    for (const who of assigned) rowOf(who).assigned += 1;
    if (resolver !== null && (assigned.has(resolver) || known.has(resolver))) rowOf(resolver).resolved += 1;
  }
  const all = [...rows.values()].sort((a, b) => b.resolved + b.assigned - (a.resolved + a.assigned) || a.handler.localeCompare(b.handler));
  const teams = new Map<string, TeamRow>();
  for (const r of all) {
    if (r.team === null) continue;
    const t = teams.get(r.team) ?? { team: r.team, assigned: 0, resolved: 0 };
    t.assigned += r.assigned;
    t.resolved += r.resolved;
    teams.set(r.team, t);
  }
  const limit = (input.limits ?? DEFAULT_REPORT_LIMITS).topHandlersCount;
  return {
    handlers: all.slice(0, limit),
    teams: [...teams.values()].sort((a, b) => b.resolved + b.assigned - (a.resolved + a.assigned) || a.team.localeCompare(b.team)),
  };
}

function trendOf(s: Selected, period: ReportPeriod): TrendDay[] {
  const days: TrendDay[] = periodDayStarts(period).map((dayStartTs) => ({ dayStartTs, alerts: 0, incidents: 0, resolved: 0 }));
  // one pass per kind of record: the day's index from its time (periods start at a Beijing midnight)
  const dayOf = (ts: number | undefined): TrendDay | undefined =>
    ts === undefined || ts < period.fromTs || ts >= period.toTs ? undefined : days[Math.floor((ts - days[0]!.dayStartTs) / DAY_MS)];
  for (const a of s.alerts) {
    const day = dayOf(a.firstTs);
    if (day) day.alerts += 1;
  }
  for (const i of s.created) {
    const day = dayOf(i.createdTs);
    if (day) day.incidents += 1;
  }
  for (const i of s.all) {
    const day = dayOf(i.resolvedTs);
    if (day) day.resolved += 1;
  }
  return days;
}

const levelOf = (level: Incident['level']): ReportLevel => level ?? 'none';

export function buildReport(input: ReportInput): Report {
  const limits = input.limits ?? DEFAULT_REPORT_LIMITS;
  const { period, district } = input;
  const current = select(input, period, district);
  const headline = headlineOf(current, period);
  const previous = headlineOf(select(input.previous, input.previous.period, district), input.previous.period);
  const lastYear = input.previousYear ? headlineOf(select(input.previousYear, input.previousYear.period, district), input.previousYear.period) : null;
  return {
    period,
    district: district ?? null,
    generatedTs: input.generatedTs,
    headline,
    incidents: {
      byScene: countBy(
        SCENE_IDS,
        current.created.map((i) => i.scene),
      ),
      byCategory: countOpen(current.created.map((i) => i.category)),
      byLevel: countBy(
        REPORT_LEVELS,
        current.created.map((i) => levelOf(i.level)),
      ),
      byOutcome: countBy(REPORT_OUTCOMES, current.created.map(incidentOutcome)),
    },
    alerts: {
      byScene: countBy(
        SCENE_IDS,
        current.alerts.map((a) => a.scene),
      ),
      byLevel: countBy(
        REPORT_LEVELS,
        current.alerts.map((a) => a.peakLevel),
      ),
    },
    sla: slaFigures(current.all, period),
    timings: timingsOf(current.created),
    topDevices: topDevicesOf(current.alerts, input.devices, limits.topDevicesCount),
    topPlaces: topPlacesOf(current.alerts, input, limits.topPlacesCount),
    ...handlersOf(current.created, input),
    trend: trendOf(current, period),
    closed: current.created
      .filter((i) => i.state === 'closed' && i.closedTs !== undefined)
      .sort((a, b) => b.closedTs! - a.closedTs! || a.id.localeCompare(b.id))
      .slice(0, limits.closedListCount)
      .map((i) => ({
        id: i.id,
        title: i.title,
        ...(i.titleEn !== undefined ? { titleEn: i.titleEn } : {}),
        priority: i.priority,
        outcome: incidentOutcome(i),
        closedTs: i.closedTs!,
      })),
    planResponses: buildPlanResponses({
      instances: input.planInstances ?? [],
      plans: input.planDefinitions ?? [],
      period,
      ...(district !== undefined ? { district } : {}),
      generatedTs: input.generatedTs,
      listCount: limits.planResponsesListCount,
    }),
    comparison: { previous: compare(headline, previous), previousYear: lastYear ? compare(headline, lastYear) : null },
  };
}
