import { describe, expect, it } from 'vitest';
import type { Rule } from '@scenes/domain';
import { deviceTrendChart, incidentReadingsChart, thresholdMarks } from './device-trend-chart';
import { DEFAULT_RULES } from '@scenes/catalogue';

const rules: Rule[] = [
  {
    type: 'threshold',
    id: 'strain-high',
    deviceKind: 'strain-gauge',
    metric: 'strain',
    direction: 'above',
    limits: { yellow: 300, orange: 400, red: 500 },
    hysteresis: 10,
    minDurationMs: 0,
    autoIncidentLevel: 'red',
    title: '应变超限',
    titleEn: 'Strain high',
  },
  { type: 'offline', id: 'off', deviceKind: 'strain-gauge', silenceMs: 1, level: 'blue', autoIncidentLevel: null, title: '离线', titleEn: 'Offline' },
];

describe('device trend chart', () => {
  it('draws each threshold level of the metric’s rules as a mark line', () => {
    expect(thresholdMarks(rules, 'strain-gauge', 'strain').map((m) => [m.level, m.value])).toEqual([
      ['yellow', 300],
      ['orange', 400],
      ['red', 500],
    ]);
    expect(thresholdMarks(rules, 'strain-gauge', 'other')).toEqual([]);
  });

  it('plots the recent window with the metric’s unit from the catalogue', () => {
    const chart = deviceTrendChart(
      { id: 'sg-1', kind: 'strain-gauge' },
      'strain',
      { bucketMs: 5_000, ts: [0, 5_000], values: [100, 120], max: [110, 130] },
      rules,
    );
    expect(chart.unit).toBe('με');
    expect(chart.lines[0].points).toEqual([
      [0, 100],
      [5_000, 120],
    ]);
    expect(chart.dataTs).toBe(5_000);
    expect(chart.marks).toHaveLength(3);
  });
});

describe('readings behind an incident', () => {
  it("plots the device's main metric over the incident window with its rule limits", () => {
    const chart = incidentReadingsChart(
      {
        incidentId: 'INC-1',
        deviceId: 'gas-1',
        deviceKind: 'gas-detector',
        fromTs: 0,
        toTs: 100,
        readings: [
          { deviceId: 'gas-1', ts: 10, seq: 1, metrics: { lel: 2 } },
          { deviceId: 'gas-1', ts: 20, seq: 2, metrics: { lel: 31 } },
        ],
      },
      DEFAULT_RULES,
    )!;
    expect(chart.lines[0]!.points).toEqual([
      [10, 2],
      [20, 31],
    ]);
    expect(chart.unit).toBe('%LEL');
    expect(chart.marks.map((m) => m.level)).toContain('red');
  });

  it('draws nothing when the incident has no device or no readings', () => {
    expect(incidentReadingsChart({ incidentId: 'I', deviceId: null, deviceKind: null, fromTs: 0, toTs: 1, readings: [] }, [])).toBeNull();
  });
});
