/**
 * UI strings of the briefing's period selector (issue 16), Chinese first, following the shared
 * `lang` setting. `en` is typed against `zh`: a missing translation is a compile error.
 */
import { translator } from '../../i18n/i18n';

export const zh = {
  'bp.period': '统计周期',
  'bp.today': '今日',
  'bp.7d': '近7天',
  'bp.30d': '近30天',
  'bp.custom': '自定义',
  'bp.from': '开始',
  'bp.to': '结束',
  'bp.apply': '查看',
  'bp.alerts': '{p}告警',
  'bp.incidents': '{p}新建事件',
  'bp.closed': '{p}办结',
  'bp.sla': '{p}按时办结率',
  'bp.trendAlerts': '{p}告警（按场景）',
  'bp.trendIncidents': '{p}事件（按场景）',
  'bp.byDistrict': '{p}事件（按区域）',
  'bp.slaTrend': '{p}按时办结率',
  'bp.plans': '{p}预案响应 {n} 次',
  'bp.plansNone': '本期没有启动应急预案',
  'bp.plansHours': '期内累计响应 {h} 小时',
  'bp.plansDismissed': '另有 {n} 次建议未启动',
} as const;

type BriefPeriodKey = keyof typeof zh;

export const en: Record<BriefPeriodKey, string> = {
  'bp.period': 'Period',
  'bp.today': 'Today',
  'bp.7d': '7 days',
  'bp.30d': '30 days',
  'bp.custom': 'Custom',
  'bp.from': 'From',
  'bp.to': 'To',
  'bp.apply': 'Show',
  'bp.alerts': 'Alerts · {p}',
  'bp.incidents': 'New incidents · {p}',
  'bp.closed': 'Closed · {p}',
  'bp.sla': 'Within SLA · {p}',
  'bp.trendAlerts': 'Alerts by scene · {p}',
  'bp.trendIncidents': 'Incidents by scene · {p}',
  'bp.byDistrict': 'Incidents by district · {p}',
  'bp.slaTrend': 'Within SLA · {p}',
  'bp.plans': 'Contingency responses · {p}: {n}',
  'bp.plansNone': 'No contingency plan was started in this period',
  'bp.plansHours': '{h} h of response within the period',
  'bp.plansDismissed': '{n} more proposals not started',
};

export const bpt = translator<BriefPeriodKey>({ zh, en });
