import { describe, expect, it } from 'vitest';
import type { Alert, AlertLevel, Device, ThresholdRule } from './domain';
import { acknowledgeAlert, alertId, applyRuleLevel, isAlertOpen, linkAlertToIncident, shouldOpenIncident } from './alert-lifecycle';

const T0 = 1_700_000_000_000;

const device: Device = {
  id: 'sg-01',
  kind: 'strain-gauge',
  scene: 'bridge',
  name: '胶州湾大桥 应变计 01',
  location: [120.25, 36.17],
  district: '370211',
  assetId: 'jzw-bridge',
};

const rule: ThresholdRule = {
  type: 'threshold',
  id: 'strain-high',
  deviceKind: 'strain-gauge',
  metric: 'strain',
  direction: 'above',
  limits: { yellow: 300, orange: 400, red: 500 },
  hysteresis: 20,
  minDurationMs: 0,
  autoIncidentLevel: 'orange',
  title: '应变超限',
  titleEn: 'Strain over limit',
};

/** Apply a sequence of levels; return every alert and change seen. */
function feed(steps: [number, AlertLevel | null, number?][], start?: Alert) {
  let alert = start;
  const changes: ReturnType<typeof applyRuleLevel>['change'][] = [];
  const ids = new Set<string>();
  for (const [ts, level, value] of steps) {
    const out = applyRuleLevel(alert, level, { device, rule, ts, value });
    alert = out.alert;
    changes.push(out.change);
    if (alert) ids.add(alert.id);
  }
  return { alert, changes, ids };
}

describe('alert lifecycle', () => {
  it('raises a new alert with fields from the device and the rule', () => {
    const { alert, changes } = feed([[T0, 'yellow', 310]]);
    expect(changes).toEqual(['raised']);
    expect(alert).toMatchObject({
      id: alertId('sg-01', 'strain-high', T0),
      deviceId: 'sg-01',
      deviceKind: 'strain-gauge',
      scene: 'bridge',
      district: '370211',
      location: [120.25, 36.17],
      level: 'yellow',
      peakLevel: 'yellow',
      cleared: false,
      acknowledged: false,
      firstTs: T0,
      lastTs: T0,
      count: 1,
      value: 310,
      metric: 'strain',
      title: '应变超限',
      titleEn: 'Strain over limit',
    });
    expect(alert!.id).toBe(`sg-01|strain-high|${T0}`);
  });

  it('records the version of the effective rule that raised it, and none for a catalogue rule', () => {
    const versioned = { ...rule, version: 7 };
    expect(applyRuleLevel(undefined, 'red', { device, rule: versioned, ts: T0, value: 600 }).alert!.ruleVersion).toBe(7);
    expect(applyRuleLevel(undefined, 'red', { device, rule, ts: T0, value: 600 }).alert).not.toHaveProperty('ruleVersion');
  });

  it('records the version of the rule in force when an open alert changes level or is re-raised after a rule change', () => {
    const v1 = { ...rule, version: 1 };
    const v2 = { ...rule, version: 2 };
    const v3 = { ...rule, version: 3 };
    const raised = applyRuleLevel(undefined, 'yellow', { device, rule: v1, ts: T0, value: 310 }).alert!;
    // same level under the edited rule: bookkeeping only, the version that raised it stays
    const same = applyRuleLevel(raised, 'yellow', { device, rule: v2, ts: T0 + 1, value: 320 });
    expect(same).toMatchObject({ change: null, alert: { ruleVersion: 1 } });
    // the edited rule moves it to orange: updated, with the new version
    const moved = applyRuleLevel(same.alert, 'orange', { device, rule: v2, ts: T0 + 2, value: 420 });
    expect(moved).toMatchObject({ change: 'updated', alert: { level: 'orange', ruleVersion: 2 } });
    // cleared (version kept), then re-raised under version 3
    const cleared = applyRuleLevel(moved.alert, null, { device, rule: v2, ts: T0 + 3, value: 100 });
    expect(cleared).toMatchObject({ change: 'cleared', alert: { ruleVersion: 2 } });
    const again = applyRuleLevel(cleared.alert, 'red', { device, rule: v3, ts: T0 + 4, value: 600 });
    expect(again).toMatchObject({ change: 'updated', alert: { level: 'red', count: 2, ruleVersion: 3 } });
    // the override removed (catalogue default decides): the alert claims no override version
    const byDefault = applyRuleLevel(again.alert, 'orange', { device, rule, ts: T0 + 5, value: 450 });
    expect(byDefault.change).toBe('updated');
    expect(byDefault.alert).not.toHaveProperty('ruleVersion');
    expect(again.alert!.ruleVersion).toBe(3); // inputs are never mutated
  });

  it('does nothing without an alert and without a level', () => {
    expect(applyRuleLevel(undefined, null, { device, rule, ts: T0 })).toEqual({ alert: undefined, change: null });
  });

  it('updates last-seen silently while the same level repeats', () => {
    const { alert, changes } = feed([
      [T0, 'yellow', 310],
      [T0 + 1000, 'yellow', 320],
    ]);
    expect(changes).toEqual(['raised', null]);
    expect(alert).toMatchObject({ lastTs: T0 + 1000, value: 320, count: 1, firstTs: T0 });
  });

  it('deduplicates: raise → clear → raise while unacknowledged gives one alert with count 2', () => {
    const { alert, changes, ids } = feed([
      [T0, 'yellow', 310],
      [T0 + 1000, null, 250],
      [T0 + 2000, 'yellow', 305],
    ]);
    expect(changes).toEqual(['raised', 'cleared', 'updated']);
    expect(ids.size).toBe(1);
    expect(alert).toMatchObject({ count: 2, cleared: false, lastTs: T0 + 2000, firstTs: T0 });
    expect(alert!.clearedTs).toBeUndefined();
  });

  it('clears an active alert and keeps it open until acknowledged', () => {
    const { alert, changes } = feed([
      [T0, 'orange', 410],
      [T0 + 1000, null],
    ]);
    expect(changes).toEqual(['raised', 'cleared']);
    expect(alert).toMatchObject({ cleared: true, clearedTs: T0 + 1000, acknowledged: false });
    expect(isAlertOpen(alert!)).toBe(true);
    const again = applyRuleLevel(alert, null, { device, rule, ts: T0 + 2000 });
    expect(again).toEqual({ alert, change: null });
  });

  it('keeps an acknowledged alert active until the condition clears, then closes it', () => {
    const raised = feed([[T0, 'orange', 410]]).alert!;
    const acked = acknowledgeAlert(raised, 'officer1', T0 + 500);
    expect(acked.ok).toBe(true);
    if (!acked.ok) return;
    expect(acked.alert).toMatchObject({ acknowledged: true, ackBy: 'officer1', ackTs: T0 + 500, cleared: false });
    expect(isAlertOpen(acked.alert)).toBe(true);

    const cleared = applyRuleLevel(acked.alert, null, { device, rule, ts: T0 + 1000 });
    expect(cleared.change).toBe('cleared');
    expect(isAlertOpen(cleared.alert!)).toBe(false);

    const next = applyRuleLevel(cleared.alert, 'yellow', { device, rule, ts: T0 + 2000, value: 310 });
    expect(next.change).toBe('raised');
    expect(next.alert!.id).not.toBe(raised.id);
    expect(next.alert).toMatchObject({ count: 1, acknowledged: false, firstTs: T0 + 2000 });
  });

  it('closes a cleared alert when it is acknowledged', () => {
    const cleared = feed([
      [T0, 'yellow', 310],
      [T0 + 1000, null],
    ]).alert!;
    const acked = acknowledgeAlert(cleared, 'officer1', T0 + 2000);
    expect(acked.ok && isAlertOpen(acked.alert)).toBe(false);
  });

  it('refuses to acknowledge twice with E_CONFLICT', () => {
    const raised = feed([[T0, 'yellow']]).alert!;
    const first = acknowledgeAlert(raised, 'officer1', T0 + 1);
    if (!first.ok) throw new Error('first ack failed');
    const second = acknowledgeAlert(first.alert, 'officer2', T0 + 2);
    expect(second.ok).toBe(false);
    if (!second.ok) expect(second.error.code).toBe('E_CONFLICT');
  });

  it('reports a level change as an update and remembers the peak', () => {
    const { alert, changes } = feed([
      [T0, 'yellow', 310],
      [T0 + 1000, 'red', 520],
      [T0 + 2000, 'orange', 450],
    ]);
    expect(changes).toEqual(['raised', 'updated', 'updated']);
    expect(alert).toMatchObject({ level: 'orange', peakLevel: 'red', count: 1, value: 450 });
  });

  it('never mutates the alert it is given', () => {
    const raised = feed([[T0, 'yellow', 310]]).alert!;
    const snapshot = structuredClone(raised);
    applyRuleLevel(raised, 'red', { device, rule, ts: T0 + 1, value: 600 });
    applyRuleLevel(raised, null, { device, rule, ts: T0 + 2 });
    acknowledgeAlert(raised, 'officer1', T0 + 3);
    expect(raised).toEqual(snapshot);
  });
});

describe('shouldOpenIncident', () => {
  const at = (level: AlertLevel) => feed([[T0, level]]).alert!;

  it('opens an incident at or above the rule autoIncidentLevel', () => {
    expect(shouldOpenIncident(rule, at('yellow'))).toBe(false);
    expect(shouldOpenIncident(rule, at('orange'))).toBe(true);
    expect(shouldOpenIncident(rule, at('red'))).toBe(true);
  });

  it('never opens a second incident for the same alert, nor for rules without auto-incident', () => {
    expect(shouldOpenIncident(rule, linkAlertToIncident(at('red'), 'INC-1'))).toBe(false);
    expect(shouldOpenIncident({ ...rule, autoIncidentLevel: null }, at('red'))).toBe(false);
  });

  it('does not open an incident for a cleared alert', () => {
    const cleared = feed([
      [T0, 'red'],
      [T0 + 1, null],
    ]).alert!;
    expect(shouldOpenIncident(rule, cleared)).toBe(false);
  });
});
