/**
 * ECharts options of the report page, built purely from a Report: incidents and alerts per scene
 * (bars), incidents per level (pie, level colours), and the trend by day within the period (lines).
 * Text is a grey readable on the dark page and on white paper (print CSS darkens it further).
 */
import type { EChartsOption } from 'echarts';
import { SCENE_IDS } from '@scenes/domain';
import type { Report, ReportLevel } from '@scenes/reports/build-report';
import { beijingDate } from '@scenes/reports/report-period';
import { t, type Lang } from '../../i18n/i18n';
import { CJK_FONT_STACK, LEVEL_HEX } from '../../theme/palette';
import { rt } from './messages';

const AXIS_TEXT = '#7f93ad';
const SPLIT_LINE = 'rgba(127,147,173,0.25)';
const FONT_SIZE_PX = 13;
const LEVEL_COLOURS: Record<ReportLevel, string> = { ...LEVEL_HEX, none: '#8c8c8c' };
const SERIES_COLOURS = { alerts: '#f5a623', incidents: '#308cff', resolved: '#00b386' };

function base(): EChartsOption {
  return {
    backgroundColor: 'transparent',
    // no animation: a chart printed right after a change must already show its final state
    animation: false,
    textStyle: { fontSize: FONT_SIZE_PX, color: AXIS_TEXT, fontFamily: CJK_FONT_STACK },
    grid: { left: 40, right: 16, top: 36, bottom: 28 },
    tooltip: { trigger: 'axis' },
    legend: { top: 0, textStyle: { color: AXIS_TEXT, fontSize: FONT_SIZE_PX, fontFamily: CJK_FONT_STACK } },
  };
}

export function sceneOption(report: Report, lang: Lang): EChartsOption {
  const alertCount = (s: string) => report.alerts.byScene.find((r) => r.key === s)?.count ?? 0;
  return {
    ...base(),
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    xAxis: { type: 'category', data: SCENE_IDS.map((s) => t(`scene.${s}`, undefined, lang)), axisLabel: { color: AXIS_TEXT } },
    yAxis: { type: 'value', minInterval: 1, axisLabel: { color: AXIS_TEXT }, splitLine: { lineStyle: { color: SPLIT_LINE } } },
    series: [
      {
        id: 'incidents',
        name: rt('rep.series.incidents', undefined, lang),
        type: 'bar',
        itemStyle: { color: SERIES_COLOURS.incidents },
        data: SCENE_IDS.map((s) => report.incidents.byScene.find((r) => r.key === s)?.count ?? 0),
      },
      {
        id: 'alerts',
        name: rt('rep.series.alerts', undefined, lang),
        type: 'bar',
        itemStyle: { color: SERIES_COLOURS.alerts },
        data: SCENE_IDS.map(alertCount),
      },
    ],
  };
}

export function levelLabel(level: ReportLevel, lang: Lang): string {
  return level === 'none' ? rt('rep.l.none', undefined, lang) : t(`level.${level}`, undefined, lang);
}

export function levelOption(report: Report, lang: Lang): EChartsOption {
  const rows = report.incidents.byLevel.filter((r) => r.count > 0);
  return {
    ...base(),
    tooltip: { trigger: 'item' },
    legend: { show: false },
    series: [
      {
        id: 'levels',
        type: 'pie',
        radius: ['35%', '65%'],
        label: { color: AXIS_TEXT, formatter: '{b} {c}' },
        data: rows.map((r) => ({ name: levelLabel(r.key, lang), value: r.count, itemStyle: { color: LEVEL_COLOURS[r.key] } })),
      },
    ],
  };
}

/**
 * The period's days as lines; a day that had not begun when the report was made (the rest of this
 * week or month) has no point, rather than a fall to 0 that reads as a quiet day.
 */
export function trendOption(report: Report, lang: Lang): EChartsOption {
  const days = report.trend.map((d) => beijingDate(d.dayStartTs).slice(5));
  const begun = (d: Report['trend'][number]) => d.dayStartTs <= report.generatedTs;
  const line = (key: keyof typeof SERIES_COLOURS, data: (number | null)[]) => ({
    id: key,
    name: rt(`rep.series.${key}`, undefined, lang),
    type: 'line' as const,
    // one day is a point, not a line: show the symbol
    showSymbol: true,
    itemStyle: { color: SERIES_COLOURS[key] },
    lineStyle: { color: SERIES_COLOURS[key] },
    data,
  });
  return {
    ...base(),
    xAxis: { type: 'category', data: days, axisLabel: { color: AXIS_TEXT } },
    yAxis: { type: 'value', minInterval: 1, axisLabel: { color: AXIS_TEXT }, splitLine: { lineStyle: { color: SPLIT_LINE } } },
    series: [
      line(
        'alerts',
        report.trend.map((d) => (begun(d) ? d.alerts : null)),
      ),
      line(
        'incidents',
        report.trend.map((d) => (begun(d) ? d.incidents : null)),
      ),
      line(
        'resolved',
        report.trend.map((d) => (begun(d) ? d.resolved : null)),
      ),
    ],
  };
}
