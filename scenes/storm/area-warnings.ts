/**
 * Area warnings (区域预警): per-gauge alerts of the same rule in one district (or within a radius)
 * raised close together in time become one warning that carries them. The officer decides on the
 * warning; its member alerts stay visible in its detail but no longer ask for a click each
 * ("covered"). Pure: alerts, devices and "now" are arguments.
 *
 * Invariants:
 * - a warning's id is deterministic: `aw:{ruleId}:{district}:{windowStartTs}` for district rules,
 *   `aw:{ruleId}:{anchorDeviceId}:{windowStartTs}` for radius rules, where windowStartTs is the
 *   firstTs of its earliest member; recomputing with more members keeps the id;
 * - given the previous warnings, a warning that still holds any alert of a previous one keeps that
 *   id even when its earliest member has gone (the UI never sees a warning flicker to a new id);
 * - an alert belongs to at most one warning; only open alerts are aggregated.
 */
import { distance } from '@turf/distance';
import { z } from 'zod';
import { ALERT_LEVEL_RANK, IdSchema } from '../domain';
import type { Alert, AlertLevel, Device, DistrictCode, LngLat } from '../domain';
import { isAlertOpen } from '../alert-lifecycle';

const MINUTE_MS = 60_000;

export const AreaGroupingSchema = z.discriminatedUnion('by', [
  z.strictObject({ by: z.literal('district') }),
  /** members lie within radiusM metres of the warning's first (anchor) gauge */
  z.strictObject({ by: z.literal('radius'), radiusM: z.number().positive().max(50_000) }),
]);
export type AreaGrouping = z.infer<typeof AreaGroupingSchema>;

/** An area warning rule, as data (configurable like other thresholds). */
export const AreaWarningRuleSchema = z.strictObject({
  id: IdSchema,
  /** alert rule ids (catalogue `Rule.id`) whose alerts aggregate */
  alertRuleIds: z.array(IdSchema).min(1),
  grouping: AreaGroupingSchema,
  /** ms: an alert joins a warning when raised at most this long after the warning's latest member */
  windowMs: z.number().int().positive(),
  /** member alerts needed before a warning forms; fewer stay individual alerts */
  minCount: z.number().int().min(2),
  title: z.string().min(1).max(80),
  titleEn: z.string().min(1).max(80),
});
export type AreaWarningRule = z.infer<typeof AreaWarningRuleSchema>;

/** Default: rain gauges of one district within 30 min, three or more → a district rain warning. */
export const DEFAULT_AREA_WARNING_RULES: readonly AreaWarningRule[] = [
  {
    id: 'area.rainfall.district',
    alertRuleIds: ['water.rainfall.threshold'],
    grouping: { by: 'district' },
    windowMs: 30 * MINUTE_MS,
    minCount: 3,
    title: '区域强降雨预警',
    titleEn: 'District rain warning',
  },
];

export type AreaWarningArea = { kind: 'district'; district: DistrictCode } | { kind: 'radius'; centre: LngLat; radiusM: number };

export interface AreaWarning {
  id: string;
  ruleId: string;
  area: AreaWarningArea;
  /** district of the area (for a radius warning: the anchor gauge's), used for scope and rooms */
  district: DistrictCode;
  /** worst current level of its members */
  level: AlertLevel;
  /** sorted */
  alertIds: string[];
  /** sorted, without duplicates */
  deviceIds: string[];
  /** epoch ms: earliest member's firstTs */
  firstTs: number;
  /** epoch ms: latest member's lastTs */
  lastTs: number;
  /** some member is still active (not cleared) */
  active: boolean;
  title: string;
  titleEn: string;
}

export interface AreaWarningResult {
  warnings: AreaWarning[];
  /** alert id → id of the warning that covers it (covered alerts ask for no decision of their own) */
  coveredBy: Record<string, string>;
}

interface Cluster {
  rule: AreaWarningRule;
  district: DistrictCode;
  anchorDeviceId: string;
  anchor: LngLat;
  members: Alert[];
  /** epoch ms: firstTs of the latest member, for the window */
  latestFirstTs: number;
}

function placeOf(alert: Alert, devices: ReadonlyMap<string, Device>): { district: DistrictCode; location: LngLat } {
  const device = devices.get(alert.deviceId);
  return device ? { district: device.district, location: device.location } : { district: alert.district, location: alert.location };
}

function fits(cluster: Cluster, alert: Alert, place: { district: DistrictCode; location: LngLat }): boolean {
  if (alert.firstTs - cluster.latestFirstTs > cluster.rule.windowMs) return false;
  const g = cluster.rule.grouping;
  switch (g.by) {
    case 'district':
      return place.district === cluster.district;
    case 'radius':
      return distance(cluster.anchor, place.location, { units: 'meters' }) <= g.radiusM;
    default: {
      const unreachable: never = g;
      return unreachable;
    }
  }
}

function byFirstTs(a: Alert, b: Alert): number {
  return a.firstTs - b.firstTs || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

function clustersOf(rule: AreaWarningRule, alerts: readonly Alert[], devices: ReadonlyMap<string, Device>): Cluster[] {
  const clusters: Cluster[] = [];
  for (const alert of [...alerts].sort(byFirstTs)) {
    const place = placeOf(alert, devices);
    const home = clusters.find((c) => fits(c, alert, place));
    if (home) {
      home.members.push(alert);
      home.latestFirstTs = alert.firstTs;
    } else {
      const anchor: LngLat = [place.location[0], place.location[1]];
      clusters.push({ rule, district: place.district, anchorDeviceId: alert.deviceId, anchor, members: [alert], latestFirstTs: alert.firstTs });
    }
  }
  return clusters.filter((c) => c.members.length >= rule.minCount);
}

function worstLevel(alerts: readonly Alert[]): AlertLevel {
  return alerts.reduce<AlertLevel>((worst, a) => (ALERT_LEVEL_RANK[a.level] < ALERT_LEVEL_RANK[worst] ? a.level : worst), 'blue');
}

function warningOf(c: Cluster): AreaWarning {
  const firstTs = c.members[0].firstTs;
  const area: AreaWarningArea =
    c.rule.grouping.by === 'district'
      ? { kind: 'district', district: c.district }
      : { kind: 'radius', centre: c.anchor, radiusM: c.rule.grouping.radiusM };
  const where = c.rule.grouping.by === 'district' ? c.district : c.anchorDeviceId;
  return {
    id: `aw:${c.rule.id}:${where}:${firstTs}`,
    ruleId: c.rule.id,
    area,
    district: c.district,
    level: worstLevel(c.members),
    alertIds: c.members.map((a) => a.id).sort(),
    deviceIds: [...new Set(c.members.map((a) => a.deviceId))].sort(),
    firstTs,
    lastTs: Math.max(...c.members.map((a) => a.lastTs)),
    active: c.members.some((a) => !a.cleared),
    title: c.rule.title,
    titleEn: c.rule.titleEn,
  };
}

/** Keep a previous warning's id for the warning that still holds its alerts (first claim wins). */
function keepPreviousIds(warnings: AreaWarning[], previous: readonly AreaWarning[]): AreaWarning[] {
  const taken = new Set(warnings.map((w) => w.id));
  return warnings.map((w) => {
    if (previous.some((p) => p.id === w.id)) return w;
    const members = new Set(w.alertIds);
    const ancestor = previous.find((p) => p.ruleId === w.ruleId && !taken.has(p.id) && p.alertIds.some((id) => members.has(id)));
    if (!ancestor) return w;
    taken.add(ancestor.id);
    return { ...w, id: ancestor.id, firstTs: Math.min(w.firstTs, ancestor.firstTs) };
  });
}

/**
 * The area warnings formed by the open alerts at `nowTs` (epoch ms; alerts raised later are
 * ignored), rule by rule in `rules` order; an alert goes to the first rule that aggregates it.
 * `devices` gives each gauge's registered district and location (the alert's own as a fallback).
 * Pass the previous result's warnings as `previous` to keep ids stable across recomputation.
 */
export function aggregateAreaWarnings(
  openAlerts: readonly Alert[],
  devices: readonly Device[] | ReadonlyMap<string, Device>,
  rules: readonly AreaWarningRule[],
  nowTs: number,
  previous: readonly AreaWarning[] = [],
): AreaWarningResult {
  const deviceMap: ReadonlyMap<string, Device> = devices instanceof Map ? devices : new Map((devices as readonly Device[]).map((d) => [d.id, d]));
  const claimed = new Set<string>();
  const warnings: AreaWarning[] = [];
  for (const rule of rules) {
    const ruleIds = new Set(rule.alertRuleIds);
    const candidates = openAlerts.filter((a) => isAlertOpen(a) && a.firstTs <= nowTs && ruleIds.has(a.ruleId) && !claimed.has(a.id));
    for (const cluster of clustersOf(rule, candidates, deviceMap)) {
      for (const a of cluster.members) claimed.add(a.id);
      warnings.push(warningOf(cluster));
    }
  }
  const stable = keepPreviousIds(warnings, previous).sort((a, b) => a.firstTs - b.firstTs || (a.id < b.id ? -1 : 1));
  const coveredBy: Record<string, string> = {};
  for (const w of stable) for (const id of w.alertIds) coveredBy[id] = w.id;
  return { warnings: stable, coveredBy };
}

/** An open alert asks the officer for its own decision: not covered by a warning, not linked to an incident. */
export function alertNeedsOwnDecision(alert: Pick<Alert, 'id' | 'incidentId'>, coveredBy: Readonly<Record<string, string>>): boolean {
  return alert.incidentId === undefined && !Object.hasOwn(coveredBy, alert.id);
}
