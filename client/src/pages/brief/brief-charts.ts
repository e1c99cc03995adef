/**
 * ECharts options of the leader's briefing, built purely from `GET /api/briefing`: 7-day alerts
 * and incidents per scene (stacked bars), incidents per district (7-day totals, horizontal bars),
 * and SLA compliance per day (line; days without resolutions are gaps, not 100 %).
 */
import type { EChartsOption } from 'echarts';
import { DISTRICT_CODES, SCENE_IDS } from '@scenes/domain';
import { districtName } from '@scenes/geo/districts';
import type { Briefing, DailyCounts } from '../../data/dispatch';
import type { Lang } from '../../i18n/i18n';
import { t } from '../../i18n/i18n';
import { CJK_FONT_STACK } from '../../theme/palette';

const SCENE_COLOURS: Record<(typeof SCENE_IDS)[number], string> = {
  emergency: '#ff6b5a',
  bridge: '#3fd0ff',
  water: '#308cff',
  community: '#00d6aa',
};
const AXIS_TEXT = '#8aa2c4';
const SPLIT_LINE = 'rgba(70,140,220,0.2)';
/** Readable on a tablet at arm's length, px. */
const FONT_SIZE_PX = 14;
const DAY_MS = 86_400_000;
const CITY_UTC_OFFSET_MS = 8 * 3_600_000;

/** 'MM-DD' of each day start (city time). */
export function dayLabels(dayStartTs: readonly number[]): string[] {
  return dayStartTs.map((ts) => {
    const d = new Date(ts + CITY_UTC_OFFSET_MS + DAY_MS / 2);
    return `${String(d.getUTCMonth() + 1).padStart(2, '0')}-${String(d.getUTCDate()).padStart(2, '0')}`;
  });
}

function base(): EChartsOption {
  return {
    backgroundColor: 'transparent',
    textStyle: { fontSize: FONT_SIZE_PX, color: AXIS_TEXT, fontFamily: CJK_FONT_STACK },
    // room for a legend that wraps to two lines on a tablet
    grid: { left: 40, right: 16, top: 56, bottom: 28 },
    tooltip: { trigger: 'axis' },
    legend: {
      top: 0,
      textStyle: { color: AXIS_TEXT, fontSize: FONT_SIZE_PX, fontFamily: CJK_FONT_STACK },
      itemWidth: 16,
      itemHeight: 10,
      itemGap: 12,
    },
  };
}

export function sceneTrendOption(counts: DailyCounts, dayStartTs: readonly number[], lang: Lang): EChartsOption {
  return {
    ...base(),
    xAxis: { type: 'category', data: dayLabels(dayStartTs), axisLabel: { color: AXIS_TEXT } },
    yAxis: { type: 'value', minInterval: 1, axisLabel: { color: AXIS_TEXT }, splitLine: { lineStyle: { color: SPLIT_LINE } } },
    series: SCENE_IDS.map((s) => ({
      id: s,
      name: t(`scene.${s}`, undefined, lang),
      type: 'bar' as const,
      stack: 'scene',
      itemStyle: { color: SCENE_COLOURS[s] },
      data: counts.byScene[s] ?? [],
    })),
  };
}

/** 7-day totals per district, largest at the top; districts with none are left out. */
/** `emptyText`: said in the chart when no district had an incident (an empty bar chart is just an axis line) */
export function districtOption(counts: DailyCounts, lang: Lang, emptyText?: string): EChartsOption {
  const rows = DISTRICT_CODES.map((d) => ({ name: districtName(d, lang), value: (counts.byDistrict[d] ?? []).reduce((a, b) => a + b, 0) }))
    .filter((r) => r.value > 0)
    .sort((a, b) => a.value - b.value);
  return {
    ...base(),
    legend: { show: false },
    grid: { left: 90, right: 24, top: 10, bottom: 24 },
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    xAxis: { type: 'value', minInterval: 1, axisLabel: { color: AXIS_TEXT }, splitLine: { lineStyle: { color: SPLIT_LINE } } },
    yAxis: { type: 'category', data: rows.map((r) => r.name), axisLabel: { color: AXIS_TEXT } },
    series: [{ id: 'district', type: 'bar', data: rows.map((r) => r.value), itemStyle: { color: '#3fd0ff' }, barMaxWidth: 18 }],
    // always present, hidden once there are bars: the chart merges updates, so a removed element would linger
    graphic: [
      {
        id: 'empty',
        type: 'text',
        left: 'center',
        top: 'middle',
        invisible: rows.length > 0 || !emptyText,
        style: { text: emptyText ?? '', fill: AXIS_TEXT, fontSize: 16, fontFamily: CJK_FONT_STACK },
      },
    ],
  };
}

export function slaOption(b: Pick<Briefing, 'slaCompliancePct' | 'dayStartTs'>, label: string): EChartsOption {
  return {
    ...base(),
    legend: { show: false },
    xAxis: { type: 'category', data: dayLabels(b.dayStartTs), axisLabel: { color: AXIS_TEXT } },
    yAxis: {
      type: 'value',
      min: 0,
      max: 100,
      axisLabel: { color: AXIS_TEXT, formatter: '{value}%' },
      splitLine: { lineStyle: { color: SPLIT_LINE } },
    },
    series: [
      {
        id: 'sla',
        name: label,
        type: 'line',
        connectNulls: false,
        symbolSize: 8,
        lineStyle: { width: 3, color: '#00d6aa' },
        itemStyle: { color: '#00d6aa' },
        data: b.slaCompliancePct.map((v) => (v === null ? '-' : v)),
      },
    ],
  };
}
