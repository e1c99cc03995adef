/**
 * The detail card's sparkline: a device metric's recent window against its rule thresholds,
 * expressed as ordinary ChartData so chartToOption draws it like any panel.
 */
import { ALERT_LEVELS } from '@scenes/domain';
import type { DeviceKind, Rule } from '@scenes/domain';
import type { ChartData, ChartMarkLine, SeriesWindow } from '@scenes/scene-model';
import { metricSpec } from '@scenes/catalogue';

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
