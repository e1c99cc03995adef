/**
 * The demo's past (issue 16, "A demo with a past"): what `days` of running the demo city would
 * have left behind — readings roll-ups, alerts and incidents with complete lifecycles by the demo
 * duty team — so every chart, funnel, ranking, report and the briefing's trends have data the
 * moment a newcomer opens the wall.
 *
 * - Readings and alerts: per device, the simulator's physics judged by fusion's rules
 *   (device-past.ts), under the seeded weather plus one past rainstorm (`demoPastWeather`).
 * - Incidents: an alert at or above its rule's auto-incident level opens one as the automation
 *   would (查重 included: a nearby in-progress incident of the category takes the alert), plus a
 *   few manual and field-report tickets a day; each is played to its end (incident-lifecycle.ts).
 *   Everything is closed before now: no open work appears in the live console.
 * - Marked as demo data: every incident and alert id starts with `demo-` (DEMO_ID_PREFIX).
 *
 * Pure and deterministic: same devices, rules, seed and `nowTs` → same past.
 */
import type { Alert, Device, Incident, Rule } from '../domain';
import { ALERT_LEVEL_RANK } from '../domain';
import { categoryForRule } from '../catalogue';
import { createIncident, createIncidentFromAlert } from '../incident-machine';
import { findDuplicateIncident } from '../storm/incident-dedup';
import { createRng, deriveSeed } from '../random';
import { startOfLocalDay } from '../builders/common';
import { DEMO_HANDLERS } from '../city/qingdao';
import type { WeatherState } from '../../mock-devices/weather';
import { DEFAULT_DEMO_PAST_CONFIG, DEMO_ID_PREFIX, DEMO_OFFICERS, type DemoPastConfig } from './demo-past-config';
import { MANUAL_INCIDENT_KINDS, MANUAL_PLAN_CALLS, playLifecycle, spliceAlertLink } from './incident-lifecycle';
import type { ManualIncidentKind } from './incident-lifecycle';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** manual tickets are raised between these Beijing hours */
const MANUAL_FIRST_HOUR = 7;
const MANUAL_LAST_HOUR = 22;

export interface DemoPastInput {
  devices: readonly Device[];
  /** effective rules of a device (defaults and overrides), as fusion uses them */
  rulesFor: (device: Device) => readonly Rule[];
  seed: number;
  /** end of the past, epoch ms */
  nowTs: number;
  /** how far back the past goes, days (> 0) */
  days: number;
  config?: DemoPastConfig;
}

/** The first instant of the past, epoch ms. */
export function demoPastFromTs(nowTs: number, days: number): number {
  return nowTs - days * DAY_MS;
}

/** Start of the past rainstorm, epoch ms: `stormDaysAgo` local days back at `stormStartHourBeijing`. */
export function demoStormStartTs(nowTs: number, config: DemoPastConfig = DEFAULT_DEMO_PAST_CONFIG): number {
  return startOfLocalDay(nowTs) - config.stormDaysAgo * DAY_MS + config.stormStartHourBeijing * HOUR_MS;
}

/** The weather of the past: the simulator's seeded showers and one rainstorm over the urban districts. */
export function demoPastWeather(seed: number, nowTs: number, config: DemoPastConfig = DEFAULT_DEMO_PAST_CONFIG): WeatherState {
  const startTs = demoStormStartTs(nowTs, config);
  const keyframes = config.stormRainKeyframes.map(([atMs, value]) => ({ atMs, value }));
  return {
    seed,
    rainOverrides: [{ districts: [...config.stormDistricts], startTs, endTs: startTs + keyframes[keyframes.length - 1]!.atMs, keyframes }],
  };
}

function poisson(rng: () => number, mean: number): number {
  const limit = Math.exp(-mean);
  let k = 0;
  for (let p = rng(); p > limit; p *= rng()) k++;
  return k;
}

/** A ticket to open: from an alert (the automation) or by hand. */
type Opening = { ts: number; alert: Alert; rule: Rule } | { ts: number; manual: ManualIncidentKind; device: Device; byHandler: boolean };

function manualOpenings(input: DemoPastInput, rng: () => number, config: DemoPastConfig): Opening[] {
  const out: Opening[] = [];
  const fromTs = demoPastFromTs(input.nowTs, input.days);
  for (let day = startOfLocalDay(fromTs); day < input.nowTs; day += DAY_MS) {
    const n = poisson(rng, config.manualIncidentsPerDay);
    for (let k = 0; k < n; k++) {
      const ts = Math.round(day + (MANUAL_FIRST_HOUR + rng() * (MANUAL_LAST_HOUR - MANUAL_FIRST_HOUR)) * HOUR_MS);
      const manual = MANUAL_INCIDENT_KINDS[Math.floor(rng() * MANUAL_INCIDENT_KINDS.length)]!;
      const near = input.devices.filter((d) => d.kind === manual.kind);
      const device = near.length > 0 ? near[Math.floor(rng() * near.length)]! : input.devices[Math.floor(rng() * input.devices.length)];
      if (ts < fromTs || ts >= input.nowTs || !device) continue;
      out.push({ ts, manual, device, byHandler: rng() < 0.4 });
    }
  }
  return out;
}

/**
 * Per manual contingency response whose category has no resolved incident among `incidents`: the
 * call the duty officer took for it (`manualPlanCallDaysAgo`, MANUAL_PLAN_CALLS), handled to its
 * end without a false alarm or an overrun. Its own random stream: the week's draws stay as they are.
 */
function manualPlanCalls(input: DemoPastInput, incidents: readonly Incident[], config: DemoPastConfig): Incident[] {
  const ts = startOfLocalDay(input.nowTs) - config.manualPlanCallDaysAgo * DAY_MS + config.manualPlanCallHourBeijing * HOUR_MS;
  if (ts < demoPastFromTs(input.nowTs, input.days)) return [];
  const out: Incident[] = [];
  for (const m of config.manualPlanResponses) {
    const call = MANUAL_PLAN_CALLS[m.category as keyof typeof MANUAL_PLAN_CALLS];
    if (!call || incidents.some((i) => i.category === m.category && i.outcome === 'resolved')) continue;
    const rng = createRng(deriveSeed(input.seed, `demo-past-call:${m.category}`));
    const near = input.devices.filter((d) => d.kind === call.kind);
    const device = near[Math.floor(rng() * near.length)];
    if (!device) continue;
    const officer = DEMO_OFFICERS[Math.floor(rng() * DEMO_OFFICERS.length)]!;
    const id = `${DEMO_ID_PREFIX}INC-${ts.toString(36).toUpperCase()}-${incidents.length + out.length}`;
    const lifecycle = { falseAlarm: false, overdue: false, officer, nowTs: input.nowTs };
    const played = playLifecycle(openIncident({ ts, manual: call, device, byHandler: false }, id, officer), lifecycle, DEMO_HANDLERS, rng, config);
    if (played) out.push(played);
  }
  return out;
}

function openIncident(o: Opening, id: string, officer: string): Incident {
  if ('alert' in o) {
    const worst = { ...o.alert, level: o.alert.peakLevel };
    return createIncidentFromAlert(worst, { id, commandId: `${id}-create`, nowTs: o.ts, category: categoryForRule(o.rule) });
  }
  const handler = DEMO_HANDLERS.find((h) => (h.skills as readonly string[]).includes(o.manual.category)) ?? DEMO_HANDLERS[0]!;
  const created = createIncident({
    id,
    commandId: `${id}-create`,
    actor: o.byHandler ? { username: handler.id, role: 'handler' } : { username: officer, role: 'officer' },
    nowTs: o.ts,
    title: o.manual.title,
    titleEn: o.manual.titleEn,
    category: o.manual.category,
    scene: o.device.scene,
    location: o.device.location,
    district: o.device.district,
    priority: o.manual.category === 'elderly-care' || o.manual.category === 'fire' ? 'P2' : 'P3',
    level: null,
    source: o.byHandler ? 'field_report' : 'manual',
    alertIds: [],
  });
  if (!created.ok) throw new Error(`demo past: manual incident refused: ${created.error.message}`);
  return created.incident;
}

/**
 * Incidents for `alerts` (all devices' past alerts) and the day's manual tickets, every one
 * closed; the alerts come back linked to their incidents.
 */
export function demoPastIncidents(input: DemoPastInput, alerts: readonly Alert[]): { incidents: Incident[]; alerts: Alert[] } {
  const config = input.config ?? DEFAULT_DEMO_PAST_CONFIG;
  const rng = createRng(deriveSeed(input.seed, 'demo-past-incidents'));
  const byId = new Map(input.devices.map((d) => [d.id, d]));
  const openings: Opening[] = manualOpenings(input, rng, config);
  for (const alert of alerts) {
    const device = byId.get(alert.deviceId);
    const rule = device ? input.rulesFor(device).find((r) => r.id === alert.ruleId) : undefined;
    if (!rule || rule.autoIncidentLevel === null) continue;
    if (ALERT_LEVEL_RANK[alert.peakLevel] <= ALERT_LEVEL_RANK[rule.autoIncidentLevel]) openings.push({ ts: alert.firstTs, alert, rule });
  }
  openings.sort((a, b) => a.ts - b.ts);

  const incidents: Incident[] = [];
  const linkOf = new Map<string, string>();
  for (const o of openings) {
    if ('alert' in o) {
      // 查重 as the automation does it, against the incidents in progress at that moment
      const inProgress = incidents
        .filter((i) => i.createdTs <= o.ts && (i.resolvedTs ?? i.closedTs ?? Infinity) > o.ts)
        .map((i) => ({ ...i, state: 'dispatched' as const }));
      const dup = findDuplicateIncident({ category: categoryForRule(o.rule), location: o.alert.location, ts: o.ts }, inProgress);
      if (dup) {
        const index = incidents.findIndex((i) => i.id === dup.incident.id);
        incidents[index] = spliceAlertLink(incidents[index]!, o.alert.id, o.ts, `查重：${Math.round(dup.distanceM)} 米内同类事件处置中，告警并入`);
        linkOf.set(o.alert.id, dup.incident.id);
        continue;
      }
    }
    const id = `${DEMO_ID_PREFIX}INC-${o.ts.toString(36).toUpperCase()}-${incidents.length}`;
    const officer = DEMO_OFFICERS[Math.floor(rng() * DEMO_OFFICERS.length)]!;
    const plan = {
      // a sensor's false alarm, or a call that turns out to be nothing on site
      falseAlarm: rng() < config.falseAlarmShare,
      overdue: rng() < config.overdueShare,
      officer,
      nowTs: input.nowTs,
    };
    const played = playLifecycle(openIncident(o, id, officer), plan, DEMO_HANDLERS, rng, config);
    if (!played) continue;
    incidents.push(played);
    if ('alert' in o) linkOf.set(o.alert.id, id);
  }
  incidents.push(...manualPlanCalls(input, incidents, config));
  incidents.sort((a, b) => a.createdTs - b.createdTs);
  const linked = alerts.map((a) => {
    const incidentId = linkOf.get(a.id);
    return incidentId ? { ...a, incidentId } : a;
  });
  return { incidents, alerts: linked };
}
