/**
 * An alert's value as an officer reads it: rounded like the charts, with its metric's unit from
 * the device catalogue ("5.94 m", not "5.939"); nothing for on/off flags, whose 1 says nothing.
 */
import { metricSpec } from '@scenes/catalogue';
import type { AlertItem } from '@scenes/scene-model';
import { formatChartValue } from '../charts/chart-to-option';
import { lang, unitText, type Lang } from './i18n';

export function alertValueText(a: Pick<AlertItem, 'value' | 'deviceKind' | 'metric'>, language: Lang = lang.value): string {
  if (a.value === undefined || !Number.isFinite(a.value)) return '';
  const spec = a.metric ? metricSpec(a.deviceKind, a.metric) : undefined;
  if (spec?.flag) return '';
  const unit = spec ? unitText(spec.unit, language) : '';
  return unit ? `${formatChartValue(a.value)} ${unit}` : formatChartValue(a.value);
}
