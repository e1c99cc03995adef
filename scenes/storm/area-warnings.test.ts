import { describe, expect, it } from 'vitest';
import { AreaWarningRuleSchema, DEFAULT_AREA_WARNING_RULES, aggregateAreaWarnings, alertNeedsOwnDecision } from './area-warnings';
import type { AreaWarningRule } from './area-warnings';
import { MINUTE_MS, SHINAN, T0, makeAlert, makeDevice, offsetM } from './fixtures/storm-fixtures';

const rules = DEFAULT_AREA_WARNING_RULES;
const gauges = (n: number, district: '370202' | '370203' = '370202', startMin = 0) =>
  Array.from({ length: n }, (_, i) => makeAlert(`rg-${district}-${i}`, { district, firstTs: T0 + (startMin + i) * MINUTE_MS }));

describe('area warnings', () => {
  it('turns three rain alerts of one district within the window into one district warning', () => {
    const { warnings, coveredBy } = aggregateAreaWarnings(gauges(3), [], rules, T0 + 10 * MINUTE_MS);
    expect(warnings).toHaveLength(1);
    const [w] = warnings;
    expect(w).toMatchObject({
      id: `aw:area.rainfall.district:370202:${T0}`,
      area: { kind: 'district', district: '370202' },
      level: 'red',
      active: true,
    });
    expect(w.alertIds).toHaveLength(3);
    expect(w.deviceIds).toEqual(['rg-370202-0', 'rg-370202-1', 'rg-370202-2']);
    expect(Object.keys(coveredBy)).toHaveLength(3);
  });

  it('leaves alerts below the minimum count as individual alerts', () => {
    const alerts = gauges(2);
    const { warnings, coveredBy } = aggregateAreaWarnings(alerts, [], rules, T0 + 10 * MINUTE_MS);
    expect(warnings).toEqual([]);
    expect(alerts.every((a) => alertNeedsOwnDecision(a, coveredBy))).toBe(true);
  });

  it('keeps districts apart and ignores rules it does not aggregate', () => {
    const other = makeAlert('wl-1', { ruleId: 'water.level.threshold' });
    const { warnings, coveredBy } = aggregateAreaWarnings([...gauges(3, '370202'), ...gauges(4, '370203'), other], [], rules, T0 + 10 * MINUTE_MS);
    expect(warnings.map((w) => [w.district, w.alertIds.length])).toEqual([
      ['370202', 3],
      ['370203', 4],
    ]);
    expect(alertNeedsOwnDecision(other, coveredBy)).toBe(true);
  });

  it('takes the worst current level of its members', () => {
    const alerts = [
      makeAlert('a', { level: 'yellow' }),
      makeAlert('b', { level: 'orange', firstTs: T0 + MINUTE_MS }),
      makeAlert('c', { level: 'blue', firstTs: T0 + 2 * MINUTE_MS }),
    ];
    expect(aggregateAreaWarnings(alerts, [], rules, T0 + 5 * MINUTE_MS).warnings[0].level).toBe('orange');
  });

  it('starts a new warning when an alert comes after the window', () => {
    const late = gauges(3, '370202', 100);
    const { warnings } = aggregateAreaWarnings([...gauges(3), ...late], [], rules, T0 + 200 * MINUTE_MS);
    expect(warnings.map((w) => w.firstTs)).toEqual([T0, T0 + 100 * MINUTE_MS]);
  });

  it('uses the registered district of the device over the alert', () => {
    const alerts = gauges(3);
    const moved = [makeDevice('rg-370202-0', '370203', SHINAN)];
    expect(aggregateAreaWarnings(alerts, moved, rules, T0 + 10 * MINUTE_MS).warnings).toEqual([]);
  });

  it('ignores closed alerts and alerts raised after now', () => {
    const alerts = [...gauges(2), makeAlert('done', { cleared: true, acknowledged: true }), makeAlert('future', { firstTs: T0 + 60 * MINUTE_MS })];
    expect(aggregateAreaWarnings(alerts, [], rules, T0 + 10 * MINUTE_MS).warnings).toEqual([]);
  });

  it('marks a warning inactive once every member has cleared (it stays until acknowledged)', () => {
    const alerts = gauges(3).map((a) => ({ ...a, cleared: true }));
    expect(aggregateAreaWarnings(alerts, [], rules, T0 + 10 * MINUTE_MS).warnings[0].active).toBe(false);
  });

  it('groups by radius around the first gauge when the rule says so', () => {
    const rule: AreaWarningRule = { ...rules[0], id: 'area.rain.radius', grouping: { by: 'radius', radiusM: 2000 } };
    const near = [0, 800, 1500].map((m, i) => makeAlert(`n${i}`, { location: offsetM(SHINAN, m, 0), firstTs: T0 + i * MINUTE_MS }));
    const far = makeAlert('far', { location: offsetM(SHINAN, 5000, 0), firstTs: T0 + 3 * MINUTE_MS });
    const { warnings, coveredBy } = aggregateAreaWarnings([...near, far], [], [rule], T0 + 10 * MINUTE_MS);
    expect(warnings).toHaveLength(1);
    expect(warnings[0].area).toEqual({ kind: 'radius', centre: SHINAN, radiusM: 2000 });
    expect(warnings[0].id).toBe(`aw:area.rain.radius:n0:${T0}`);
    expect(coveredBy[far.id]).toBeUndefined();
  });

  it('keeps the same id when recomputed with more members', () => {
    const first = aggregateAreaWarnings(gauges(3), [], rules, T0 + 5 * MINUTE_MS);
    const again = aggregateAreaWarnings(gauges(6), [], rules, T0 + 10 * MINUTE_MS, first.warnings);
    expect(again.warnings.map((w) => w.id)).toEqual(first.warnings.map((w) => w.id));
    expect(again.warnings[0].alertIds).toHaveLength(6);
  });

  it('keeps the id of the previous warning when its earliest member is gone', () => {
    const all = gauges(5);
    const first = aggregateAreaWarnings(all, [], rules, T0 + 10 * MINUTE_MS);
    const later = aggregateAreaWarnings(all.slice(1), [], rules, T0 + 20 * MINUTE_MS, first.warnings);
    expect(later.warnings[0].id).toBe(first.warnings[0].id);
    expect(later.warnings[0].firstTs).toBe(T0);
  });

  it('is deterministic whatever the order of the alerts', () => {
    const alerts = [...gauges(4), ...gauges(3, '370203')];
    const a = aggregateAreaWarnings(alerts, [], rules, T0 + 10 * MINUTE_MS);
    const b = aggregateAreaWarnings([...alerts].reverse(), [], rules, T0 + 10 * MINUTE_MS);
    expect(b).toEqual(a);
  });

  it('validates rules as data', () => {
    expect(AreaWarningRuleSchema.safeParse(rules[0]).success).toBe(true);
    expect(AreaWarningRuleSchema.safeParse({ ...rules[0], minCount: 1 }).success).toBe(false);
    expect(AreaWarningRuleSchema.safeParse({ ...rules[0], grouping: { by: 'radius', radiusM: -5 } }).success).toBe(false);
  });
});
