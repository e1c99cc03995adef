/**
 * ChartData (from the scene model) → ECharts option. Pure and tested; the <EChart> component
 * only calls setOption with the result.
 *
 * Series carry stable ids so ECharts merges updates in place (no re-creation, no flicker).
 */
import type { EChartsOption, SeriesOption } from 'echarts';
import { ALERT_LEVELS } from '@scenes/domain';
import type { AlertLevel } from '@scenes/domain';
import type { ChartData } from '@scenes/scene-model';
import { unitText, type Lang } from '../i18n/i18n';
import type { ChartTheme } from '../theme/palette';
import { formatBeijingHourMinute } from '../time/beijing-time';

/** Bar charts with more categories than this are drawn horizontally (long labels stay readable). */
export const HORIZONTAL_BAR_ABOVE_CATEGORIES = 6;
/** vertical bars only while every category label fits under its bar: at most this many em (4 CJK characters) */
export const VERTICAL_BAR_MAX_LABEL_EMS = 4;

type Chart<K extends ChartData['kind']> = Extract<ChartData, { kind: K }>;

const pick = (lang: Lang, zh: string, en: string | undefined) => (lang === 'en' && en ? en : zh);

function isAlertLevel(s: string): s is AlertLevel {
  return (ALERT_LEVELS as readonly string[]).includes(s);
}

function baseOption(theme: ChartTheme): EChartsOption {
  return {
    backgroundColor: 'transparent',
    color: theme.palette,
    // no animation: a wall PC redraws only what changed, and never shows a half-finished tween
    animation: false,
    textStyle: { color: theme.text, fontFamily: theme.fontFamily, fontSize: theme.fontSizePx },
    tooltip: {
      backgroundColor: 'rgba(8,20,40,0.92)',
      borderColor: theme.axisLine,
      textStyle: { color: theme.text, fontSize: theme.fontSizePx },
    },
  };
}

/** room above the highest mark line for its label, as a fraction of the axis span */
const MARK_LABEL_HEADROOM = 0.12;

/** mark lines closer than this fraction of the y span (marks and data) get their labels on opposite sides or ends */
const CLOSE_MARKS_FRACTION = 0.12;

type MarkLabelPosition = 'insideEndTop' | 'insideEndBottom' | 'insideStartTop' | 'insideStartBottom';

/**
 * Where each mark line's label goes (labels are about one `closeGap` tall). When no two marks are
 * closer than `closeGap`, every label sits above its line at the right end. Otherwise the labels
 * take turns between the right and the left end from the lowest mark up, so neighbours never
 * share an end; of two marks at the same end still closer than `closeGap`, the lower one's label
 * goes under its line. (Two rivers' warning and guarantee levels are four close lines.)
 */
export function markLabelPositions(values: readonly number[], closeGap: number): MarkLabelPosition[] {
  const order = values.map((_, i) => i).sort((a, b) => values[a]! - values[b]!);
  const crowded = order.some((index, k) => k > 0 && values[index]! - values[order[k - 1]!]! < closeGap);
  const positions: MarkLabelPosition[] = values.map(() => 'insideEndTop');
  if (!crowded) return positions;
  const ends: [number[], number[]] = [[], []];
  order.forEach((index, k) => ends[k % 2]!.push(index));
  ends.forEach((indexes, end) => {
    indexes.forEach((index, k) => {
      const above = indexes[k + 1];
      const under = above !== undefined && values[above]! - values[index]! < closeGap;
      positions[index] = end === 0 ? (under ? 'insideEndBottom' : 'insideEndTop') : under ? 'insideStartBottom' : 'insideStartTop';
    });
  });
  return positions;
}

function axisStyle(theme: ChartTheme) {
  return {
    axisLine: { lineStyle: { color: theme.axisLine } },
    axisTick: { show: false },
    axisLabel: { color: theme.textDim, fontSize: theme.fontSizePx },
    splitLine: { lineStyle: { color: theme.splitLine } },
  };
}

/** `left` is where the legend starts: after the y axis's unit, which shares the top row */
function legend(theme: ChartTheme, show: boolean, left = 64) {
  return {
    show,
    type: 'scroll' as const,
    top: 0,
    right: 0,
    left,
    pageIconColor: theme.text,
    pageTextStyle: { color: theme.textDim },
    itemWidth: 14,
    itemHeight: 8,
    textStyle: { color: theme.textDim, fontSize: theme.fontSizePx },
  };
}

function timeseriesOption(chart: Chart<'timeseries'>, lang: Lang, theme: ChartTheme): EChartsOption {
  const unit = unitText(chart.unit, lang);
  const axis = axisStyle(theme);
  const markMax = chart.marks.reduce((m, mark) => Math.max(m, mark.value), -Infinity);
  const markMin = chart.marks.reduce((m, mark) => Math.min(m, mark.value), Infinity);
  // closeness is judged against what the y axis will span: the marks and the data together
  let lo = markMin;
  let hi = markMax;
  for (const line of chart.lines) {
    for (const p of line.points) {
      const v = p[1];
      if (typeof v === 'number' && Number.isFinite(v)) {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    }
  }
  const labelPositions = markLabelPositions(
    chart.marks.map((m) => m.value),
    (hi - lo) * CLOSE_MARKS_FRACTION,
  );
  const markLine =
    chart.marks.length > 0
      ? {
          symbol: 'none',
          silent: true,
          data: chart.marks.map((m, i) => ({
            name: pick(lang, m.name, m.nameEn),
            yAxis: m.value,
            lineStyle: { color: theme.levelColors[m.level], type: 'dashed' as const, width: 2 },
            label: {
              formatter: pick(lang, m.name, m.nameEn),
              color: theme.levelColors[m.level],
              position: labelPositions[i],
              fontSize: theme.fontSizePx - 2,
            },
          })),
        }
      : undefined;
  const lines = chart.lines.length > 0 ? chart.lines : [{ id: '__empty', name: '', nameEn: '', points: [] }];
  const series: SeriesOption[] = lines.map((line, index) => ({
    type: 'line',
    id: line.id,
    name: pick(lang, line.name, line.nameEn),
    data: line.points,
    showSymbol: false,
    smooth: true,
    lineStyle: { width: 2.5 },
    emphasis: { disabled: true },
    ...(index === 0 && markLine ? { markLine } : {}),
  }));
  return {
    ...baseOption(theme),
    // the unit is drawn at the axis's top left (grid left 8 + the tick labels); the legend starts after it
    legend: legend(theme, chart.lines.length > 1, Math.max(64, Math.ceil(labelEms(unit) * theme.fontSizePx) + 64)),
    grid: { left: 8, right: 16, top: chart.lines.length > 1 ? 36 : 28, bottom: 8, containLabel: true },
    tooltip: {
      ...baseOption(theme).tooltip,
      trigger: 'axis',
      valueFormatter: (v) => `${formatChartValue(Number(v))} ${unit}`.trim(),
    },
    xAxis: {
      type: 'time',
      ...axis,
      // labels are HH:mm: ticks closer than a minute would repeat the same label
      minInterval: 60_000,
      splitNumber: 4,
      splitLine: { show: false },
      axisLabel: { ...axis.axisLabel, formatter: (v: number) => formatBeijingHourMinute(v, lang), hideOverlap: true },
    },
    yAxis: {
      type: 'value',
      name: unit,
      nameTextStyle: { color: theme.textDim, fontSize: theme.fontSizePx, align: 'left' },
      scale: true,
      ...axis,
      // keep every mark line inside the plot even when the data is far below it
      ...(chart.marks.length > 0
        ? {
            max: (v: { max: number; min: number }) => markAxisBounds(v, markMin, markMax).max,
            min: (v: { max: number; min: number }) => markAxisBounds(v, markMin, markMax).min,
          }
        : {}),
    },
    series,
  };
}

/** A "nice" tick step near `rough`: 1, 2, 2.5 or 5 × 10^k. */
export function niceStep(rough: number): number {
  if (!Number.isFinite(rough) || rough <= 0) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const f = rough / magnitude;
  const step = (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10) * magnitude;
  return Number(step.toPrecision(12));
}

/**
 * Y range of a chart with mark lines: covers the data and every mark, with headroom above the
 * highest mark for its label (it sits above the line: without room it ran into the legend row),
 * and ends on multiples of a nice step (no "79" or "0.77" as the top label).
 */
export function markAxisBounds(data: { min: number; max: number }, markMin: number, markMax: number): { min: number; max: number } {
  const lo = Math.min(data.min, data.max, markMin);
  const hi = Math.max(data.max, markMax + (Math.max(data.max, markMax) - lo) * MARK_LABEL_HEADROOM);
  const step = niceStep((hi - lo) / 5);
  // toPrecision strips binary noise (0.30000000000000004 → 0.3)
  return { min: Number((Math.floor(lo / step) * step).toPrecision(12)), max: Number((Math.ceil(hi / step) * step).toPrecision(12)) };
}

/** A value for labels: integers as is, otherwise 1 decimal from 10 up and 2 below, no trailing zeros (8, not 8.00). */
export function formatChartValue(value: number): string {
  if (!Number.isFinite(value)) return '';
  if (Number.isInteger(value)) return String(value);
  return String(Number(value.toFixed(Math.abs(value) >= 10 ? 1 : 2)));
}

/** Width of a category label column: CJK characters count a full em, others about half; px. */
export function labelEms(label: string): number {
  return [...label].reduce((w, ch) => w + (ch.charCodeAt(0) > 0x2e80 ? 1 : 0.58), 0);
}

export function categoryLabelWidthPx(labels: readonly string[], fontSizePx: number): number {
  const ems = Math.max(0, ...labels.map(labelEms));
  return Math.ceil(ems * fontSizePx) + 16;
}

function barOption(chart: Chart<'bar'>, lang: Lang, theme: ChartTheme): EChartsOption {
  const unit = unitText(chart.unit, lang);
  const axis = axisStyle(theme);
  const stacked = chart.series.length > 1 && chart.series.every((s) => s.level !== undefined);
  const categories = chart.categories.map((c, i) => pick(lang, c, chart.categoriesEn[i]));
  // long names (bridges, communities) would overlap under vertical bars: lay them out horizontally
  const horizontal = chart.categories.length > HORIZONTAL_BAR_ABOVE_CATEGORIES || categories.some((c) => labelEms(c) > VERTICAL_BAR_MAX_LABEL_EMS);
  const categoryAxis = {
    type: 'category' as const,
    data: horizontal ? [...categories].reverse() : categories,
    ...axis,
    splitLine: { show: false },
    axisLabel: { ...axis.axisLabel, interval: 0, color: theme.text },
  };
  const valueAxis = {
    type: 'value' as const,
    name: unit,
    ...axis,
    nameTextStyle: { color: theme.textDim, fontSize: theme.fontSizePx },
  };
  const series: SeriesOption[] = chart.series.map((s, index) => ({
    type: 'bar',
    id: s.id,
    name: pick(lang, s.name, s.nameEn),
    data: horizontal ? [...s.values].reverse() : s.values,
    ...(stacked ? { stack: 'total' } : {}),
    barMaxWidth: 28,
    itemStyle: { color: s.level ? theme.levelColors[s.level] : theme.palette[index % theme.palette.length], borderRadius: stacked ? 0 : 3 },
    // values beside the bars (read at 3 m without a tooltip); beside two grouped series the zeros are left out
    label: {
      show: !stacked && chart.series.length <= 2,
      position: horizontal ? 'right' : 'top',
      formatter: (p: { value: unknown }) => (chart.series.length > 1 && Number(p.value) === 0 ? '' : formatChartValue(Number(p.value))),
      color: theme.text,
      fontSize: theme.fontSizePx,
    },
  }));
  return {
    ...baseOption(theme),
    legend: legend(theme, chart.series.length > 1),
    // horizontal bars reserve their label column explicitly: containLabel under-measured CJK labels
    // on scaled panels and clipped the first characters of district names
    grid: horizontal
      ? {
          left: categoryLabelWidthPx(categories, theme.fontSizePx),
          right: 64,
          top: chart.series.length > 1 ? 36 : 28,
          bottom: 8,
          containLabel: false,
        }
      : { left: 8, right: 8, top: chart.series.length > 1 ? 36 : 28, bottom: 16, containLabel: true },
    tooltip: {
      ...baseOption(theme).tooltip,
      trigger: 'axis',
      axisPointer: { type: 'shadow' },
      valueFormatter: (v) => `${formatChartValue(Number(v))} ${unit}`.trim(),
    },
    xAxis: horizontal ? valueAxis : categoryAxis,
    yAxis: horizontal ? categoryAxis : valueAxis,
    series,
  };
}

function pieOption(chart: Chart<'pie'>, lang: Lang, theme: ChartTheme): EChartsOption {
  const unit = unitText(chart.unit, lang);
  return {
    ...baseOption(theme),
    legend: {
      ...legend(theme, true),
      type: 'plain',
      left: 'auto',
      orient: 'vertical',
      top: 'middle',
      right: 0,
    },
    tooltip: { ...baseOption(theme).tooltip, trigger: 'item', valueFormatter: (v) => `${v} ${unit}`.trim() },
    series: [
      {
        type: 'pie',
        id: 'slices',
        // room left of the ring for a slice's value at 9 o'clock (at 72 % / 36 % it hung off the panel)
        radius: ['38%', '64%'],
        center: ['40%', '52%'],
        avoidLabelOverlap: true,
        // all-zero data must not look like four equal slices
        stillShowZeroSum: false,
        showEmptyCircle: false,
        // one slice is a full ring: its value goes in the middle (outside, it hung under the ring)
        label: {
          show: true,
          formatter: '{c}',
          color: theme.text,
          fontSize: theme.fontSizePx + 2,
          fontWeight: 'bold',
          ...(chart.slices.filter((sl) => sl.value > 0).length === 1 ? { position: 'center' as const, fontSize: theme.fontSizePx * 2 } : {}),
        },
        labelLine: { length: 6, length2: 6 },
        itemStyle: { borderColor: '#061224', borderWidth: 2 },
        // zero slices are left out (their labels would pile up at 12 o'clock); colours stay by position
        data: chart.slices.flatMap((s, i) =>
          s.value > 0
            ? [
                {
                  name: pick(lang, s.name, s.nameEn),
                  value: s.value,
                  itemStyle: { color: isAlertLevel(s.id) ? theme.levelColors[s.id] : theme.palette[i % theme.palette.length] },
                },
              ]
            : [],
        ),
      },
    ],
  };
}

/** The ECharts option for one panel. */
export function chartToOption(chart: ChartData, lang: Lang, theme: ChartTheme): EChartsOption {
  switch (chart.kind) {
    case 'timeseries':
      return timeseriesOption(chart, lang, theme);
    case 'bar':
      return barOption(chart, lang, theme);
    case 'pie':
      return pieOption(chart, lang, theme);
    default: {
      const unknownKind: never = chart;
      throw new Error(`unknown chart kind ${(unknownKind as { kind: string }).kind}`);
    }
  }
}

/** A panel is stale when its newest data is older than the interval the server promised. */
export function chartStaleness(chart: Pick<ChartData, 'dataTs' | 'expectedIntervalMs'>, nowTs: number): { stale: boolean; ageMs: number } {
  const ageMs = Math.max(0, nowTs - chart.dataTs);
  return { stale: ageMs > chart.expectedIntervalMs, ageMs };
}
