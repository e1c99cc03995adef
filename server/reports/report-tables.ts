/**
 * A report as tables with Chinese headers — one per sheet of the XLSX and one block of the CSV:
 * 概况, 按场景, 按类别, 按级别, 按结果, SLA, 时效, 告警设备, 告警地点, 处置人员, 班组, 每日趋势,
 * 应急预案响应, 预案响应汇总.
 */
import type { SceneId } from '../../scenes/domain';
import { districtName } from '../../scenes/geo/districts';
import {
  type HeadlineKey,
  type Report,
  type ReportLevel,
  type ReportOutcome,
  type TimingMilestone,
  HEADLINE_KEYS,
  TIMING_MILESTONES,
} from '../../scenes/reports/build-report';
import { type ReportKind, beijingDate } from '../../scenes/reports/report-period';
import { type Change, formatChangePct, formatDelta } from '../../scenes/reports/report-stats';
import type { PlanResponseRow, PlanResponses } from '../../scenes/reports/plan-responses';
import { RESPONSE_LEVEL_NUMERALS } from '../../scenes/plans/plan-schema';
import { isoWithOffset } from '../../scenes/exports/iso-time';

export type Cell = string | number | null;

export interface ReportTable {
  /** sheet name (Excel: at most 31 characters, none of []:*?/\) */
  name: string;
  columns: { header: string; widthChars: number }[];
  rows: Cell[][];
}

export const KIND_NAMES: Record<ReportKind, string> = { daily: '日报', weekly: '周报', monthly: '月报', custom: '专题报告' };
const SCENE_NAMES: Record<SceneId, string> = { emergency: '应急指挥', bridge: '路桥监测', water: '智慧水务', community: '智慧社区' };
const LEVEL_NAMES: Record<ReportLevel, string> = {
  red: '红色(I级)',
  orange: '橙色(II级)',
  yellow: '黄色(III级)',
  blue: '蓝色(IV级)',
  none: '无级别',
};
const OUTCOME_NAMES: Record<ReportOutcome, string> = {
  resolved: '已处置',
  false_alarm: '误报',
  duplicate: '重复',
  cancelled: '已取消',
  open: '处置中',
};
const MILESTONE_NAMES: Record<TimingMilestone, string> = { dispatch: '派单', acknowledge: '接单(MTTA)', arrive: '到场', resolve: '办结(MTTR)' };
const HEADLINE_NAMES: Record<HeadlineKey, string> = {
  alerts: '告警数',
  incidents: '事件数',
  resolved: '已处置',
  falseAlarms: '误报',
  open: '处置中',
  slaCompliancePct: 'SLA达标率(%)',
  mttaMs: '平均接单时长(分钟)',
  mttrMs: '平均办结时长(分钟)',
};
const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const PLAN_STATE_NAMES: Record<PlanResponseRow['state'], string> = { active: '响应中', ended: '已结束' };
const WIDE = 24;
const NARROW = 12;

/** ms → minutes with one decimal; null stays empty */
export const minutes = (ms: number | null): number | null => (ms === null ? null : Math.round((ms / MINUTE_MS) * 10) / 10);
const headlineValue = (k: HeadlineKey, v: number | null): number | null => (k === 'mttaMs' || k === 'mttrMs' ? minutes(v) : v);
const changeOf = (k: HeadlineKey, c: Change): Change =>
  k === 'mttaMs' || k === 'mttrMs' ? { ...c, current: minutes(c.current), previous: minutes(c.previous), delta: minutes(c.delta) } : c;

/** `2026-11-30` or `2026-11-30 至 2026-12-06` (the last day included) */
export function periodLabel(report: Pick<Report, 'period'>): string {
  const first = beijingDate(report.period.fromTs);
  const last = beijingDate(report.period.toTs - 1);
  return first === last ? first : `${first} 至 ${last}`;
}

/** 青岛市城市运行日报 2026-11-30 (市南区) */
export function reportTitle(report: Pick<Report, 'period' | 'district'>): string {
  const where = report.district ? `（${districtName(report.district, 'zh')}）` : '';
  return `城市运行${KIND_NAMES[report.period.kind]} ${periodLabel(report)}${where}`;
}

/** ms → hours with one decimal */
export const hours = (ms: number): number => Math.round((ms / HOUR_MS) * 10) / 10;

const col = (header: string, widthChars = NARROW) => ({ header, widthChars });

/** 应急预案响应 (one row per response) and 预案响应汇总 (per plan, total, dismissed proposals). */
export function planResponseTables(p: PlanResponses): ReportTable[] {
  return [
    {
      name: '应急预案响应',
      columns: [
        col('预案', WIDE),
        col('响应级别'),
        col('区域', WIDE),
        col('启动时间', WIDE),
        col('结束时间', WIDE),
        col('持续时长(小时)', 16),
        col('已完成步骤'),
        col('步骤总数'),
        col('启动人'),
        col('结束人'),
        col('状态'),
      ],
      rows: p.rows.map((r): Cell[] => [
        r.planName,
        `${RESPONSE_LEVEL_NUMERALS[r.level]}级`,
        r.districts.length === 0 ? '全市' : r.districts.map((d) => districtName(d, 'zh')).join('、'),
        isoWithOffset(r.startedTs),
        r.endedTs === null ? '—' : isoWithOffset(r.endedTs),
        hours(r.durationMs),
        r.stepsDone,
        r.stepsTotal ?? '—',
        r.startedBy,
        r.endedBy ?? '—',
        PLAN_STATE_NAMES[r.state],
      ]),
    },
    {
      name: '预案响应汇总',
      columns: [col('预案', WIDE), col('响应次数'), col('本期响应时长(小时)', 18)],
      rows: [
        ...p.byPlan.map((b): Cell[] => [b.name, b.count, hours(b.responseMsInPeriod)]),
        ['合计', p.count, hours(p.responseMsInPeriod)],
        ['提议未启动(已撤销)', p.dismissed, null],
      ],
    },
  ];
}

export function reportTables(report: Report): ReportTable[] {
  const prev = report.comparison.previous;
  const year = report.comparison.previousYear;
  return [
    {
      name: '概况',
      columns: [col('指标', WIDE), col('本期'), col('上期'), col('环比变化'), col('环比(%)'), col('去年同期'), col('同比变化'), col('同比(%)')],
      rows: [
        ['报告', reportTitle(report), null, null, null, null, null, null],
        ['区域', report.district ? districtName(report.district, 'zh') : '全市', null, null, null, null, null, null],
        ...HEADLINE_KEYS.map((k): Cell[] => {
          const p = changeOf(k, prev[k]);
          const y = year ? changeOf(k, year[k]) : null;
          return [
            HEADLINE_NAMES[k],
            headlineValue(k, report.headline[k]),
            p.previous,
            formatDelta(p),
            formatChangePct(p),
            y ? y.previous : '—',
            y ? formatDelta(y) : '—',
            y ? formatChangePct(y) : '—',
          ];
        }),
      ],
    },
    {
      name: '按场景',
      columns: [col('场景', WIDE), col('事件数'), col('告警数')],
      rows: report.incidents.byScene.map((r) => [SCENE_NAMES[r.key], r.count, report.alerts.byScene.find((a) => a.key === r.key)?.count ?? 0]),
    },
    {
      name: '按类别',
      columns: [col('事件类别', WIDE), col('事件数')],
      rows: report.incidents.byCategory.map((r) => [r.key, r.count]),
    },
    {
      name: '按级别',
      columns: [col('级别', WIDE), col('事件数'), col('告警数')],
      rows: report.incidents.byLevel.map((r) => [LEVEL_NAMES[r.key], r.count, report.alerts.byLevel.find((a) => a.key === r.key)?.count ?? 0]),
    },
    {
      name: '按结果',
      columns: [col('结果', WIDE), col('事件数')],
      rows: report.incidents.byOutcome.map((r) => [OUTCOME_NAMES[r.key], r.count]),
    },
    {
      name: 'SLA',
      columns: [col('优先级', WIDE), col('办结数'), col('按时办结'), col('达标率(%)')],
      rows: [
        ...report.sla.byPriority.map((r): Cell[] => [r.priority, r.resolved, r.onTime, r.compliancePct ?? '—']),
        ['合计', report.sla.resolved, report.sla.onTime, report.sla.compliancePct ?? '—'],
      ],
    },
    {
      name: '时效',
      columns: [col('环节(自事件创建起)', WIDE), col('件数'), col('平均(分钟)'), col('中位数P50(分钟)', 16), col('P90(分钟)')],
      rows: TIMING_MILESTONES.map((m) => {
        const t = report.timings[m];
        return [MILESTONE_NAMES[m], t.count, minutes(t.meanMs) ?? '—', minutes(t.p50Ms) ?? '—', minutes(t.p90Ms) ?? '—'];
      }),
    },
    {
      name: '告警设备',
      columns: [col('排名', 8), col('设备编号', WIDE), col('设备名称', WIDE), col('区域'), col('告警数')],
      rows: report.topDevices.map((d, i) => [i + 1, d.deviceId, d.name, districtName(d.district, 'zh'), d.alerts]),
    },
    {
      name: '告警地点',
      columns: [col('排名', 8), col('地点', WIDE), col('告警数')],
      rows: report.topPlaces.map((p, i) => [i + 1, p.name, p.alerts]),
    },
    {
      name: '处置人员',
      columns: [col('排名', 8), col('账号'), col('姓名'), col('班组', WIDE), col('参与事件'), col('办结事件')],
      rows: report.handlers.map((h, i) => [i + 1, h.handler, h.name, h.team ?? '—', h.assigned, h.resolved]),
    },
    {
      name: '班组',
      columns: [col('班组', WIDE), col('参与事件'), col('办结事件')],
      rows: report.teams.map((t) => [t.team, t.assigned, t.resolved]),
    },
    {
      name: '每日趋势',
      columns: [col('日期', WIDE), col('告警数'), col('新增事件'), col('办结事件')],
      rows: report.trend.map((d) => [beijingDate(d.dayStartTs), d.alerts, d.incidents, d.resolved]),
    },
    ...(report.planResponses ? planResponseTables(report.planResponses) : []),
  ];
}
