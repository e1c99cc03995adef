import { describe, expect, it } from 'vitest';
import { ALERT_LEVEL_RANK, DEVICE_KINDS, type AlertLevel, type ThresholdRule } from './domain';
import { categoryForRule, DEFAULT_RULES, DEVICE_CATALOGUE, INCIDENT_CATEGORIES, metricSpec, OFFLINE_SILENCE_FACTOR, rulesForKind } from './catalogue';

const METRIC_NAME = /^[a-z][a-zA-Z0-9]*$/;

describe('device catalogue', () => {
  it('describes every device kind, keyed by its own kind', () => {
    for (const kind of DEVICE_KINDS) expect(DEVICE_CATALOGUE[kind].kind).toBe(kind);
    expect(Object.keys(DEVICE_CATALOGUE).sort()).toEqual([...DEVICE_KINDS].sort());
  });

  it('gives every metric a camelCase name, a sane range and Chinese and English labels', () => {
    for (const spec of Object.values(DEVICE_CATALOGUE)) {
      expect(spec.metrics.length).toBeGreaterThan(0);
      expect(spec.intervalMs).toBeGreaterThan(0);
      for (const m of spec.metrics) {
        expect(m.name).toMatch(METRIC_NAME);
        expect(m.min).toBeLessThan(m.max);
        expect(m.label.length).toBeGreaterThan(0);
        expect(m.labelEn.length).toBeGreaterThan(0);
        if (m.flag) expect([m.min, m.max]).toEqual([0, 1]);
      }
    }
  });

  it('fixes the units of the key metrics', () => {
    expect(metricSpec('strain-gauge', 'strain')?.unit).toBe('με');
    expect(metricSpec('weigh-in-motion', 'grossWeight')?.unit).toBe('t');
    expect(metricSpec('waterlogging', 'depth')?.unit).toBe('cm');
    expect(metricSpec('pipe-pressure', 'pressure')?.unit).toBe('MPa');
    expect(metricSpec('gas-detector', 'lel')?.unit).toBe('%LEL');
    expect(metricSpec('elevator', 'trapped')?.flag).toBe(true);
    expect(metricSpec('gas-detector', 'strain')).toBeUndefined();
  });
});

describe('default rules', () => {
  it('have unique stable ids', () => {
    const ids = DEFAULT_RULES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toContain('bridge.strain.threshold');
  });

  it('only reference metrics the device kind reports, and flags only from event rules', () => {
    for (const r of DEFAULT_RULES) {
      if (r.type === 'offline') continue;
      const m = metricSpec(r.deviceKind, r.metric);
      expect(m, r.id).toBeDefined();
      expect(Boolean(m?.flag), r.id).toBe(r.type === 'event');
    }
  });

  it('order threshold limits by severity in the rule direction, within the metric range', () => {
    for (const r of DEFAULT_RULES.filter((x): x is ThresholdRule => x.type === 'threshold')) {
      const entries = (Object.entries(r.limits) as [AlertLevel, number][]).sort((a, b) => ALERT_LEVEL_RANK[b[0]] - ALERT_LEVEL_RANK[a[0]]);
      expect(entries.length, r.id).toBeGreaterThan(0);
      for (let i = 1; i < entries.length; i++) {
        if (r.direction === 'above') expect(entries[i][1], r.id).toBeGreaterThan(entries[i - 1][1]);
        else expect(entries[i][1], r.id).toBeLessThan(entries[i - 1][1]);
      }
      const spec = metricSpec(r.deviceKind, r.metric)!;
      for (const [, v] of entries) expect(v >= spec.min && v <= spec.max, r.id).toBe(true);
      expect(r.hysteresis).toBeGreaterThanOrEqual(0);
    }
  });

  it('use the agreed limits for strain, overload, waterlogging and gas', () => {
    const limits = (id: string) => (DEFAULT_RULES.find((r) => r.id === id) as ThresholdRule).limits;
    expect(limits('bridge.strain.threshold')).toEqual({
      yellow: 300,
      orange: 400,
      red: 500,
    });
    expect(limits('bridge.overload.threshold')).toEqual({
      yellow: 49,
      orange: 55,
      red: 70,
    });
    expect(limits('water.depth.threshold')).toEqual({
      yellow: 15,
      orange: 27,
      red: 40,
    });
    expect(limits('emergency.lel.threshold')).toEqual({
      yellow: 10,
      orange: 20,
      red: 25,
    });
  });

  it('never open incidents for rainfall or offline devices', () => {
    expect(DEFAULT_RULES.find((r) => r.id === 'water.rainfall.threshold')?.autoIncidentLevel).toBeNull();
    for (const r of DEFAULT_RULES.filter((x) => x.type === 'offline')) expect(r.autoIncidentLevel).toBeNull();
  });

  it('have one offline rule per kind after three missed intervals', () => {
    for (const kind of DEVICE_KINDS) {
      const offline = rulesForKind(kind).filter((r) => r.type === 'offline');
      expect(offline).toHaveLength(1);
      expect(offline[0].type === 'offline' && offline[0].silenceMs).toBe(OFFLINE_SILENCE_FACTOR * DEVICE_CATALOGUE[kind].intervalMs);
    }
  });

  it('filter by kind, optionally from a custom rule set', () => {
    expect(rulesForKind('elevator').map((r) => r.id)).toEqual([
      'community.elevator-fault.threshold',
      'community.trapped.event',
      'community.elevator.offline',
    ]);
    expect(rulesForKind('elevator', [])).toEqual([]);
  });

  it('map every rule to a known incident category', () => {
    for (const r of DEFAULT_RULES) expect(INCIDENT_CATEGORIES).toContain(categoryForRule(r));
    const byId = (id: string) => categoryForRule(DEFAULT_RULES.find((r) => r.id === id)!);
    expect(byId('emergency.lel.threshold')).toBe('gas-leak');
    expect(byId('bridge.overload.threshold')).toBe('bridge-overload');
    expect(byId('water.level.threshold')).toBe('flood');
    expect(byId('community.trapped.event')).toBe('elevator');
    expect(byId('water.pipe-pressure.offline')).toBe('device-fault');
  });

  it('have Chinese and English titles', () => {
    for (const r of DEFAULT_RULES) {
      expect(r.title).toMatch(/[\u4e00-\u9fff]/);
      expect(r.titleEn).toMatch(/[A-Za-z]/);
    }
  });
});
