import { describe, expect, it } from 'vitest';
import type { AlertItem } from '@scenes/scene-model';
import { aggregateAreaWarnings, DEFAULT_AREA_WARNING_RULES } from '@scenes/storm/area-warnings';
import { MINUTE_MS, T0, makeAlert, makeIncident } from '@scenes/storm/fixtures/storm-fixtures';
import type { Alert } from '@scenes/domain';
import {
  ACK_BULK_MAX_IDS,
  DEFAULT_ALERT_FILTER,
  alertOfItem,
  alertQueueView,
  chunkIds,
  localDecisionCount,
  matchesAlertFilter,
  sortWarnings,
  warningMembers,
} from './alert-queue';

function item(a: Alert): AlertItem {
  const { ruleId: _r, location, peakLevel: _p, ...rest } = a;
  return { ...rest, p: location };
}

const gauges = (n: number, district: '370202' | '370203' = '370202') =>
  Array.from({ length: n }, (_, i) => makeAlert(`rg-${district}-${i}`, { district, firstTs: T0 + i * MINUTE_MS }));

describe('alert queue filters', () => {
  const red = item(makeAlert('a', { level: 'red' }));
  const recovered = item(makeAlert('b', { level: 'yellow', cleared: true, district: '370203' }));

  it('filters by state: active alerts are not cleared, recovered ones are cleared and unacknowledged', () => {
    expect(matchesAlertFilter(red, { ...DEFAULT_ALERT_FILTER, state: 'active' })).toBe(true);
    expect(matchesAlertFilter(recovered, { ...DEFAULT_ALERT_FILTER, state: 'active' })).toBe(false);
    expect(matchesAlertFilter(recovered, { ...DEFAULT_ALERT_FILTER, state: 'recovered' })).toBe(true);
    expect(matchesAlertFilter(red, { ...DEFAULT_ALERT_FILTER, state: 'recovered' })).toBe(false);
  });

  it('filters by level, scene and district together', () => {
    expect(matchesAlertFilter(red, { ...DEFAULT_ALERT_FILTER, level: 'yellow' })).toBe(false);
    expect(matchesAlertFilter(recovered, { ...DEFAULT_ALERT_FILTER, level: 'yellow', district: '370203' })).toBe(true);
    expect(matchesAlertFilter(recovered, { ...DEFAULT_ALERT_FILTER, level: 'yellow', district: '370202' })).toBe(false);
    expect(matchesAlertFilter(red, { ...DEFAULT_ALERT_FILTER, scene: 'bridge' })).toBe(false);
    expect(matchesAlertFilter(red, { ...DEFAULT_ALERT_FILTER, scene: 'water' })).toBe(true);
  });
});

describe('alert queue hidden by warnings', () => {
  it('hides alerts a district warning covers and counts them instead', () => {
    const alerts = [...gauges(4), makeAlert('wl-1', { ruleId: 'water.level.threshold' })];
    const { coveredBy } = aggregateAreaWarnings(alerts, [], DEFAULT_AREA_WARNING_RULES, T0 + 10 * MINUTE_MS);
    const view = alertQueueView(alerts.map(item), coveredBy, DEFAULT_ALERT_FILTER, 50);
    expect(view.coveredCount).toBe(4);
    expect(view.shown.map((a) => a.deviceId)).toEqual(['wl-1']);
    expect(view.total).toBe(1);
  });

  it('leaves out acknowledged alerts and alerts linked to an incident', () => {
    const alerts = [makeAlert('x', { acknowledged: true, cleared: true }), makeAlert('y', { incidentId: 'INC-1' }), makeAlert('z')].map(item);
    expect(alertQueueView(alerts, {}, DEFAULT_ALERT_FILTER, 50).shown.map((a) => a.deviceId)).toEqual(['z']);
  });

  it('offers every recovered alert under the filter to the bulk acknowledgement, covered ones included', () => {
    const covered = gauges(3).map((a) => ({ ...a, cleared: true }));
    const other = makeAlert('gas-1', { cleared: true, district: '370203' });
    const active = makeAlert('gas-2', { district: '370202' });
    const coveredBy = Object.fromEntries(covered.map((a) => [a.id, 'aw:1']));
    const all = [...covered, other, active].map(item);
    expect(alertQueueView(all, coveredBy, DEFAULT_ALERT_FILTER, 50).recoveredIds).toHaveLength(4);
    const inShinan = alertQueueView(all, coveredBy, { ...DEFAULT_ALERT_FILTER, district: '370202' }, 50);
    expect(inShinan.recoveredIds).toEqual(covered.map((a) => a.id));
    expect(inShinan.shown.map((a) => a.deviceId)).toEqual(['gas-2']);
  });

  it('cuts the listed rows to the limit but counts them all', () => {
    const alerts = Array.from({ length: 7 }, (_, i) => item(makeAlert(`d${i}`, { ruleId: 'gas.threshold' })));
    const view = alertQueueView(alerts, {}, DEFAULT_ALERT_FILTER, 5);
    expect(view.shown).toHaveLength(5);
    expect(view.total).toBe(7);
  });
});

describe('bulk chunks, warning order and members', () => {
  it('cuts ids into chunks the command accepts', () => {
    const ids = Array.from({ length: ACK_BULK_MAX_IDS * 2 + 1 }, (_, i) => `a${i}`);
    expect(chunkIds(ids).map((c) => c.length)).toEqual([ACK_BULK_MAX_IDS, ACK_BULK_MAX_IDS, 1]);
    expect(chunkIds([])).toEqual([]);
  });

  it('lists ongoing warnings first, then the worst level, then the newest', () => {
    const { warnings } = aggregateAreaWarnings([...gauges(3, '370202'), ...gauges(3, '370203')], [], DEFAULT_AREA_WARNING_RULES, T0 + 10 * MINUTE_MS);
    const [a, b] = warnings;
    const sorted = sortWarnings([
      { ...a, active: false, level: 'red' },
      { ...b, active: true, level: 'yellow' },
    ]);
    expect(sorted.map((w) => w.id)).toEqual([b.id, a.id]);
    expect(
      sortWarnings([
        { ...a, level: 'yellow' },
        { ...b, level: 'red' },
      ]).map((w) => w.id),
    ).toEqual([b.id, a.id]);
  });

  it('shows a warning member the scene no longer holds by its id', () => {
    const a = item(makeAlert('g1'));
    expect(warningMembers({ alertIds: [a.id, 'gone'] }, new Map([[a.id, a]]))).toEqual([a, { id: 'gone' }]);
  });

  it('rebuilds the wire alert from a scene item, rule id included', () => {
    const a = makeAlert('g1', { ruleId: 'water.rainfall.threshold', incidentId: 'INC-9' });
    expect(alertOfItem(item(a))).toEqual({ ...a, lastTs: a.lastTs });
  });
});

describe('decision counter (local)', () => {
  it('counts a storm of gauge alerts as one bulletin plus the incidents and loose alerts', () => {
    const storm = [...gauges(20, '370202'), ...gauges(20, '370203')];
    const loose = makeAlert('gas-9', { ruleId: 'gas.threshold' });
    const alerts = [...storm, loose];
    const { warnings, coveredBy } = aggregateAreaWarnings(alerts, [], DEFAULT_AREA_WARNING_RULES, T0 + 30 * MINUTE_MS);
    const incidents = [makeIncident('INC-1'), makeIncident('INC-2', { state: 'closed' })];
    // 40 gauge alerts: one bulletin (same rule and level, overlapping) + 1 incident in progress + 1 loose alert
    expect(localDecisionCount({ alerts: alerts.map(item), warnings, coveredBy, incidents })).toBe(3);
  });
});
