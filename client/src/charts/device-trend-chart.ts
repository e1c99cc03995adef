/**
 * The detail card's sparkline: a device metric's recent window against its rule thresholds,
 * expressed as ordinary ChartData so chartToOption draws it like any panel.
 */
import { ALERT_LEVELS } from '@scenes/domain';
import type { DeviceKind, Rule } from '@scenes/domain';
import type { ChartData, ChartMarkLine, SeriesWindow } from '@scenes/scene-model';
import { DEVICE_CATALOGUE, metricSpec } from '@scenes/catalogue';
import type { IncidentReadings } from '@scenes/protocol';

/** Threshold limits of the rules on `metric` as mark lines, most severe last. */
export function thresholdMarks(rules: readonly Rule[], kind: DeviceKind, metric: string): ChartMarkLine[] {
  const marks: ChartMarkLine[] = [];
  for (const rule of rules) {
    if (rule.type !== 'threshold' || rule.deviceKind !== kind || rule.metric !== metric) continue;
    for (const level of [...ALERT_LEVELS].reverse()) {
      const value = rule.limits[level];
      if (value === undefined) continue;
      marks.push({ name: rule.title, nameEn: rule.titleEn, value, level });
    }
  }
  return marks;
}

/** A timeseries chart of one metric of a device. */
export function deviceTrendChart(
  device: { id: string; kind: DeviceKind },
  metric: string,
  window: SeriesWindow,
  rules: readonly Rule[],
): Extract<ChartData, { kind: 'timeseries' }> {
  const spec = metricSpec(device.kind, metric);
  const points: [number, number][] = window.ts.map((t, i) => [t, window.values[i]]);
  return {
    kind: 'timeseries',
    title: spec?.label ?? metric,
    titleEn: spec?.labelEn ?? metric,
    unit: spec?.unit ?? '',
    lines: [{ id: `${device.id}.${metric}`, name: spec?.label ?? metric, nameEn: spec?.labelEn ?? metric, points }],
    marks: thresholdMarks(rules, device.kind, metric),
    dataTs: window.ts.at(-1) ?? 0,
    expectedIntervalMs: window.bucketMs,
  };
}

/**
 * The readings behind an incident as a time series of its device's main metric (the first
 * non-flag metric that has values), with the rule limits as reference lines.
 */
export function incidentReadingsChart(r: IncidentReadings, rules: readonly Rule[]): Extract<ChartData, { kind: 'timeseries' }> | null {
  if (!r.deviceId || !r.deviceKind || r.readings.length === 0) return null;
  const kind = r.deviceKind;
  const metrics = DEVICE_CATALOGUE[kind].metrics;
  const metric =
    metrics.find((m) => !m.flag && r.readings.some((x) => x.metrics[m.name] !== undefined)) ??
    metrics.find((m) => r.readings.some((x) => x.metrics[m.name] !== undefined));
  if (!metric) return null;
  const points: [number, number][] = r.readings.filter((x) => x.metrics[metric.name] !== undefined).map((x) => [x.ts, x.metrics[metric.name]!]);
  return {
    kind: 'timeseries',
    title: metric.label,
    titleEn: metric.labelEn,
    unit: metric.unit,
    lines: [{ id: `${r.deviceId}.${metric.name}`, name: metric.label, nameEn: metric.labelEn, points }],
    marks: thresholdMarks(rules, kind, metric.name),
    dataTs: points.at(-1)?.[0] ?? r.toTs,
    // a replayed history is never "stale"
    expectedIntervalMs: Number.MAX_SAFE_INTEGER,
  };
}
