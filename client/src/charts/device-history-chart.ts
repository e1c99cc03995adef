/**
 * The detail card's roll-up trend (issue 16): a device metric's average per bucket as a line, its
 * min–max as a band behind it, the rule limits as mark lines, gaps (no readings) left empty. Built
 * on chartToOption's timeseries (axes, theme, marks) with the band added as two stacked series.
 */
import type { EChartsOption, SeriesOption } from 'echarts';
import type { DeviceKind, Rule } from '@scenes/domain';
import { metricSpec } from '@scenes/catalogue';
import type { HistoryAnswer } from '@scenes/rollups/history-series';
import { chartToOption, formatChartValue } from './chart-to-option';
import { thresholdMarks } from './device-trend-chart';
import type { ChartTheme } from '../theme/palette';
import { BEIJING_TIME_ZONE, formatBeijingDateTime, formatBeijingHourMinute } from '../time/beijing-time';
import type { Lang } from '../i18n/i18n';

/** Opacity of the min–max band under the average line. */
const BAND_OPACITY = 0.28;
/** Points at least this far apart get date labels (MM-dd) instead of HH:mm, ms. */
const DATE_LABELS_FROM_BUCKET_MS = 3_600_000;

const dayFormatters = new Map<Lang, Intl.DateTimeFormat>();
function formatBeijingMonthDay(ts: number, lang: Lang): string {
  let f = dayFormatters.get(lang);
  if (!f) {
    f = new Intl.DateTimeFormat(lang === 'zh' ? 'zh-CN' : 'en-GB', { timeZone: BEIJING_TIME_ZONE, month: '2-digit', day: '2-digit' });
    dayFormatters.set(lang, f);
  }
  return f.format(ts);
}

/** `#rrggbb` with an alpha, as rgba(). */
function withAlpha(hex: string, alpha: number): string {
  const n = Number.parseInt(hex.slice(1, 7), 16);
  return `rgba(${(n >> 16) & 255},${(n >> 8) & 255},${n & 255},${alpha})`;
}

export interface HistoryLabels {
  avg: string;
  min: string;
  max: string;
  count: string;
}

/** ECharts option of one history answer. */
export function deviceHistoryOption(
  h: HistoryAnswer,
  device: { id: string; kind: DeviceKind },
  rules: readonly Rule[],
  labels: HistoryLabels,
  lang: Lang,
  theme: ChartTheme,
): EChartsOption {
  const spec = metricSpec(device.kind, h.metric);
  const unit = h.unit ?? spec?.unit ?? '';
  const present = h.points.filter((p) => p[4] > 0) as [number, number, number, number, number][];
  const base = chartToOption(
    {
      kind: 'timeseries',
      title: spec?.label ?? h.metric,
      titleEn: spec?.labelEn ?? h.metric,
      unit,
      lines: [{ id: `${device.id}.${h.metric}.avg`, name: labels.avg, nameEn: labels.avg, points: present.map((p) => [p[0], p[2]]) }],
      marks: thresholdMarks(rules, device.kind, h.metric),
      dataTs: present.at(-1)?.[0] ?? h.toTs,
      expectedIntervalMs: Number.MAX_SAFE_INTEGER,
    },
    lang,
    theme,
  );
  const color = theme.palette[0] ?? '#00d6aa';
  const [avgSeries] = base.series as SeriesOption[];
  const hidden = { lineStyle: { opacity: 0 }, showSymbol: false, silent: true, emphasis: { disabled: true } } as const;
  const series: SeriesOption[] = [
    // the band: min as an invisible base, max − min stacked on it and filled
    { type: 'line', id: 'band-min', data: h.points.map((p) => [p[0], p[1]]), stack: 'band', ...hidden },
    {
      type: 'line',
      id: 'band-range',
      data: h.points.map((p) => [p[0], p[1] === null ? null : p[3] - p[1]]),
      stack: 'band',
      areaStyle: { color: withAlpha(color, BAND_OPACITY) },
      ...hidden,
    },
    // gaps stay gaps: nulls are not connected
    { ...(avgSeries as object), data: h.points.map((p) => [p[0], p[2]]), smooth: false, connectNulls: false, color } as SeriesOption,
  ];
  const byDate = h.bucketMs >= DATE_LABELS_FROM_BUCKET_MS;
  const xAxis = base.xAxis as Record<string, unknown> & { axisLabel?: Record<string, unknown> };
  const fmt = (v: unknown) => formatChartValue(Number(v));
  return {
    ...base,
    legend: { show: false },
    xAxis: {
      ...xAxis,
      min: h.fromTs,
      max: h.toTs + h.bucketMs,
      minInterval: h.bucketMs,
      axisLabel: { ...xAxis.axisLabel, formatter: (v: number) => (byDate ? formatBeijingMonthDay(v, lang) : formatBeijingHourMinute(v, lang)) },
    },
    tooltip: {
      ...(base.tooltip as object),
      trigger: 'axis',
      formatter: (params: unknown) => {
        const index = (Array.isArray(params) ? params[0] : params)?.dataIndex as number | undefined;
        const p = index === undefined ? undefined : h.points[index];
        if (!p) return '';
        const head = formatBeijingDateTime(p[0], lang);
        if (p[4] === 0) return `${head}<br/>—`;
        return `${head}<br/>${labels.avg} ${fmt(p[2])} ${unit}<br/>${labels.min} ${fmt(p[1])} · ${labels.max} ${fmt(p[3])} ${unit}<br/>${labels.count} ${p[4]}`;
      },
    },
    series,
  };
}
