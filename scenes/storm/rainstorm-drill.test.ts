/**
 * The drill goal of issue 14, pure: after the rainstorm drill the duty officer faces at most ~5
 * decisions instead of 48 alerts, and every alert raised is reachable from a warning or an incident.
 * Alerts come from the drill plan's expected alerts on the default fleet (drill-alerts.ts).
 */
import { describe, expect, it } from 'vitest';
import type { Alert, Incident } from '../domain';
import { DEFAULT_RULES, categoryForRule } from '../catalogue';
import { generateFleet } from '../fleet';
import { createIncidentFromAlert } from '../incident-machine';
import { shouldOpenIncident } from '../alert-lifecycle';
import { QINGDAO_ASSETS } from '../city/qingdao';
import { DRILL_CONFIG } from '../../mock-devices/drills';
import { DEFAULT_AREA_WARNING_RULES, aggregateAreaWarnings } from './area-warnings';
import { findDuplicateIncident } from './incident-dedup';
import { reprioritiseForAlert } from './reprioritise';
import { officerDecisions } from './decisions';
import { drillAlert, drillAlerts } from './fixtures/drill-alerts';
import type { StormIncident } from './storm-incident';
import { DEMO_PLANS, FLOOD_PLAN } from '../plans/demo-plans';
import { evaluatePlanTriggers, resolvePlanDeviceCommands } from '../plans/plan-triggers';
import type { GaugeLevel } from '../plans/plan-triggers';
import { planInstanceId } from '../plans/plan-instance';

const START_TS = Date.UTC(2025, 6, 15, 0, 0, 0);
const fleet = generateFleet();

/** What the server does per alert: open an incident when the rule says so, unless 查重 finds one to link it to. */
function openOrLink(incidents: StormIncident[], alert: Alert, seq: number): StormIncident[] {
  const rule = DEFAULT_RULES.find((r) => r.id === alert.ruleId)!;
  const linkedTo = incidents.find((i) => i.alertIds.includes(alert.id));
  if (linkedTo) {
    const raised = reprioritiseForAlert(linkedTo, { alertLevel: alert.level, alertId: alert.id, ts: alert.lastTs, commandId: `rp-${seq}` });
    return raised ? incidents.map((i) => (i.id === raised.id ? raised : i)) : incidents;
  }
  if (!shouldOpenIncident(rule, alert)) return incidents;
  const category = categoryForRule(rule);
  const dup = findDuplicateIncident({ category, location: alert.location, ts: alert.firstTs }, incidents);
  if (dup) return incidents.map((i) => (i.id === dup.incident.id ? { ...i, alertIds: [...i.alertIds, alert.id] } : i));
  return [...incidents, createIncidentFromAlert(alert, { id: `INC-${seq}`, commandId: `auto-${seq}`, nowTs: alert.firstTs, category })];
}

function runRainstorm() {
  const { plan, alerts } = drillAlerts('rainstorm', fleet, START_TS);
  const c = DRILL_CONFIG.rainstorm;
  // the Licun gauge passes its warning level first (orange), then its guarantee level (red)
  const river = alerts.find((a) => a.ruleId === 'water.level.threshold')!;
  const riverDevice = fleet.find((d) => d.id === river.deviceId)!;
  const orangeTs = START_TS + c.warningAtMs + 60_000;
  const riverOrange = drillAlert(riverDevice, river.ruleId, 'orange', orangeTs);
  const riverRed: Alert = { ...riverOrange, level: 'red', peakLevel: 'red', lastTs: river.firstTs };
  const finalAlerts = alerts.map((a) => (a === river ? riverRed : a));
  const events = [...alerts.filter((a) => a !== river), riverOrange, riverRed].sort((a, b) => a.lastTs - b.lastTs);

  let incidents: StormIncident[] = [];
  events.forEach((a, seq) => (incidents = openOrLink(incidents, a, seq)));
  const endTs = START_TS + c.durationMs + 5 * 60_000; // the officer looks five minutes after the drill
  const { warnings, coveredBy } = aggregateAreaWarnings(finalAlerts, fleet, DEFAULT_AREA_WARNING_RULES, endTs);

  const levelOverride = plan.overrides.find((o) => o.metric === 'level')!;
  const asset = QINGDAO_ASSETS.find((x) => x.id === riverDevice.assetId)!;
  const gauges: GaugeLevel[] = [
    {
      deviceId: riverDevice.id,
      assetId: asset.id,
      levelM: Math.max(...levelOverride.keyframes.map((k) => k.value)),
      guaranteeLevelM: Number(asset.props.guaranteeLevelM),
    },
  ];
  const proposals = evaluatePlanTriggers(
    DEMO_PLANS,
    { alerts: finalAlerts, incidents: incidents as Incident[], areaWarnings: warnings, gauges },
    [],
    endTs,
  );
  return { alerts: finalAlerts, incidents, warnings, coveredBy, proposals };
}

describe('rainstorm drill: an alarm storm becomes a few decisions', () => {
  const run = runRainstorm();

  it('raises 48 alerts: 44 rain gauges, the Licun River and three underpasses', () => {
    expect(run.alerts).toHaveLength(48);
    expect(run.alerts.filter((a) => a.ruleId === 'water.rainfall.threshold')).toHaveLength(44);
  });

  it('groups the 44 rain alerts into one red warning per district', () => {
    expect(run.warnings.map((w) => [w.district, w.level, w.alertIds.length])).toEqual(
      expect.arrayContaining([
        ['370202', 'red', 4],
        ['370203', 'red', 4],
        ['370212', 'red', 13],
        ['370213', 'red', 7],
        ['370214', 'red', 16],
      ]),
    );
    expect(run.warnings).toHaveLength(5);
  });

  it('links the three underpasses 1–3 km apart to one waterlogging incident', () => {
    const waterlogging = run.incidents.filter((i) => i.category === 'waterlogging');
    expect(waterlogging).toHaveLength(1);
    expect(waterlogging[0].alertIds).toHaveLength(3);
  });

  it('raises the Licun River incident to P1 when its alert turns red', () => {
    const flood = run.incidents.find((i) => i.category === 'flood')!;
    expect(flood).toMatchObject({ priority: 'P1', level: 'red' });
    expect(flood.history.map((h) => [h.action, h.actor])).toEqual([
      ['create', 'system'],
      ['reprioritise', 'system'],
    ]);
  });

  it('leaves the officer at most 5 decisions, and every alert reachable from a warning or an incident', () => {
    const decisions = officerDecisions({
      alerts: run.alerts,
      warnings: run.warnings,
      coveredBy: run.coveredBy,
      incidents: run.incidents,
      proposedPlanIds: run.proposals.map((p) => p.planId),
    });
    expect(decisions.map((d) => d.kind)).toEqual(['bulletin', 'incident', 'incident', 'plan']);
    expect(decisions.length).toBeLessThanOrEqual(5);
    // warnings + incidents as separate records: 5 district warnings + 2 incidents
    expect(run.warnings.length + run.incidents.length).toBe(7);
    const reachable = new Set([...run.warnings.flatMap((w) => w.alertIds), ...run.incidents.flatMap((i) => i.alertIds)]);
    expect(run.alerts.filter((a) => !reachable.has(a.id))).toEqual([]);
  });

  it('proposes the flood plan only, at level II (a river over its guarantee level), with the urban pumps to start', () => {
    expect(run.proposals.map((p) => [p.planId, p.level])).toEqual([[FLOOD_PLAN.id, 'II']]);
    const [proposal] = run.proposals;
    expect(proposal.reasons.map((r) => r.trigger).sort()).toEqual(['alerts', 'area-warning', 'water-over-guarantee']);
    const commands = resolvePlanDeviceCommands(FLOOD_PLAN, proposal.level, planInstanceId(FLOOD_PLAN.id, START_TS), fleet, proposal.focus);
    expect(commands.length).toBeGreaterThan(0);
    const pumps = new Map(fleet.map((d) => [d.id, d]));
    for (const cmd of commands) {
      expect(pumps.get(cmd.deviceId)).toMatchObject({ kind: 'pump-station' });
      expect(proposal.focus.districts).toContain(pumps.get(cmd.deviceId)!.district);
      expect(cmd.name).toBe('start');
    }
  });
});
