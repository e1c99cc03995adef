/**
 * UI strings of contingency plans (wall banner, briefing list, console panel), Chinese first,
 * following the shared `lang` setting. `en` is typed against `zh`: a missing translation is a
 * compile error.
 */
import { lang } from '../../i18n/i18n';
import type { Lang } from '../../i18n/i18n';

export const zh = {
  'plan.title': '应急预案',
  'plan.level': '{n}级响应',
  'plan.steps': '{done}/{total} 步',
  'plan.more': '另有 {n} 项响应',
  'plan.proposed': '建议启动',
  'plan.active': '响应中',
  'plan.start': '启动预案',
  'plan.startAt': '按 {level} 级启动',
  'plan.dismiss': '不启动',
  'plan.dismissNote': '不启动的理由',
  'plan.reasons': '触发依据',
  'plan.tick': '完成',
  'plan.tickNote': '完成情况（可选）',
  'plan.late': '已超时',
  'plan.due': '时限 {time}',
  'plan.doneBy': '{who} 于 {time} 完成',
  'plan.changeLevel': '调整级别',
  'plan.levelNote': '调整理由',
  'plan.end': '结束响应',
  'plan.endNote': '结束说明',
  'plan.confirm': '确认',
  'plan.cancel': '取消',
  'plan.devices': '预案建议的设备指令',
  'plan.sendDevices': '确认下发选中的 {n} 条',
  'plan.sent': '已下发（{who}）',
  'plan.deviceResult': '{ok} 条已下发，{failed} 条被拒绝',
  'plan.none': '当前无启动或建议的预案',
  'plan.briefTitle': '应急预案（启动中 {active} · 建议 {proposed}）',
  'plan.briefNone': '当前没有启动的应急预案',
  'plan.startedAt': '{time} 启动',
  'plan.proposedAt': '{time} 建议',
  'plan.cityWide': '全市',
  'plan.auto': '系统',
  'plan.noteRequired': '请填写理由',
  'plan.proposeByHand': '手动启动预案',
  'plan.proposeNote': '启动理由',
} as const;

export type PlanMessageKey = keyof typeof zh;

export const en: Record<PlanMessageKey, string> = {
  'plan.title': 'Contingency plans',
  'plan.level': 'Level {n} response',
  'plan.steps': '{done}/{total} steps',
  'plan.more': '+{n} more',
  'plan.proposed': 'Proposed',
  'plan.active': 'Active',
  'plan.start': 'Start plan',
  'plan.startAt': 'Start at level {level}',
  'plan.dismiss': 'Dismiss',
  'plan.dismissNote': 'Why not start it',
  'plan.reasons': 'Why',
  'plan.tick': 'Done',
  'plan.tickNote': 'Note (optional)',
  'plan.late': 'Late',
  'plan.due': 'Due {time}',
  'plan.doneBy': 'Done by {who} at {time}',
  'plan.changeLevel': 'Change level',
  'plan.levelNote': 'Reason',
  'plan.end': 'End response',
  'plan.endNote': 'Closing note',
  'plan.confirm': 'Confirm',
  'plan.cancel': 'Cancel',
  'plan.devices': 'Device commands the plan proposes',
  'plan.sendDevices': 'Send the {n} selected',
  'plan.sent': 'Sent ({who})',
  'plan.deviceResult': '{ok} sent, {failed} refused',
  'plan.none': 'No active or proposed plans',
  'plan.briefTitle': 'Contingency plans ({active} active · {proposed} proposed)',
  'plan.briefNone': 'No contingency plan is active',
  'plan.startedAt': 'Started {time}',
  'plan.proposedAt': 'Proposed {time}',
  'plan.cityWide': 'City-wide',
  'plan.auto': 'system',
  'plan.noteRequired': 'Please give a reason',
  'plan.proposeByHand': 'Start a plan by hand',
  'plan.proposeNote': 'Why',
};

const DICTIONARIES: Record<Lang, Record<PlanMessageKey, string>> = { zh, en };

/** Translate a plan key in the current language, filling `{name}` placeholders. */
export function plt(key: PlanMessageKey, params?: Record<string, string | number>, language: Lang = lang.value): string {
  const template = DICTIONARIES[language][key] ?? key;
  if (!params) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}
