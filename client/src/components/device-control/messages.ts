/**
 * UI strings of remote device control (detail card and the console's 设备控制 tab), Chinese
 * first, following the shared `lang` setting. `en` is typed against `zh`: a missing translation
 * is a compile error.
 */
import { lang } from '../../i18n/i18n';
import type { Lang } from '../../i18n/i18n';

export const zh = {
  'dc.title': '设备控制',
  'dc.remote': '远程控制',
  'dc.recent': '最近指令',
  'dc.noRecent': '暂无指令记录',
  'dc.status.sending': '发送中',
  'dc.status.sent': '已发送',
  'dc.status.acknowledged': '已确认',
  'dc.status.failed': '失败',
  'dc.status.timed_out': '超时',
  'dc.status.unknown': '未收到应答',
  'dc.status.refused': '被拒绝',
  'dc.blocked.offline': '设备离线，不能下发指令',
  'dc.blocked.maintenance': '设备维护中，不能下发指令',
  'dc.blocked.retired': '设备已退役',
  'dc.blocked.disconnected': '与服务器的连接已断开',
  'dc.blocked.sending': '上一条指令发送中…',
  'dc.confirmQuestion': '确认对「{device}」执行「{command}」？',
  'dc.confirm': '确认执行',
  'dc.cancel': '取消',
  'dc.retry': '重试（同一指令）',
  'dc.unknownHint': '未收到服务器应答。重试使用同一指令编号，设备不会执行两次。',
  'dc.dismiss': '知道了',
  'dc.position': '开度',
  'dc.deviceSays': '设备回复：{message}',
  'dc.lateAck': '超时后才收到设备应答',
  'dc.filter.kind': '类型',
  'dc.filter.district': '区域',
  'dc.filter.all': '全部',
  'dc.col.device': '设备',
  'dc.col.link': '连接',
  'dc.col.state': '运行状态',
  'dc.col.last': '最近指令',
  'dc.online': '在线',
  'dc.offline': '离线',
  'dc.maintenance': '维护中',
  'dc.running': '运行中',
  'dc.stopped': '已停止',
  'dc.released': '已开门',
  'dc.empty': '当前范围内没有可控设备',
  'dc.noRole': '仅值班员和管理员可以控制设备',
  'dc.loadError': '指令记录加载失败：{message}',
  'dc.by': '操作人',
} as const;

export type DeviceControlKey = keyof typeof zh;

export const en: Record<DeviceControlKey, string> = {
  'dc.title': 'Device control',
  'dc.remote': 'Remote control',
  'dc.recent': 'Recent commands',
  'dc.noRecent': 'No commands yet',
  'dc.status.sending': 'Sending',
  'dc.status.sent': 'Sent',
  'dc.status.acknowledged': 'Acknowledged',
  'dc.status.failed': 'Failed',
  'dc.status.timed_out': 'Timed out',
  'dc.status.unknown': 'No answer',
  'dc.status.refused': 'Refused',
  'dc.blocked.offline': 'Device offline: commands cannot be sent',
  'dc.blocked.maintenance': 'Device in maintenance: commands cannot be sent',
  'dc.blocked.retired': 'Device retired',
  'dc.blocked.disconnected': 'Connection to the server lost',
  'dc.blocked.sending': 'Previous command still being sent…',
  'dc.confirmQuestion': 'Send “{command}” to “{device}”?',
  'dc.confirm': 'Confirm',
  'dc.cancel': 'Cancel',
  'dc.retry': 'Retry (same command)',
  'dc.unknownHint': 'The server did not answer. A retry reuses the same command id: the device will not act twice.',
  'dc.dismiss': 'OK',
  'dc.position': 'Position',
  'dc.deviceSays': 'Device says: {message}',
  'dc.lateAck': 'The device answered after the timeout',
  'dc.filter.kind': 'Kind',
  'dc.filter.district': 'District',
  'dc.filter.all': 'All',
  'dc.col.device': 'Device',
  'dc.col.link': 'Link',
  'dc.col.state': 'State',
  'dc.col.last': 'Last command',
  'dc.online': 'Online',
  'dc.offline': 'Offline',
  'dc.maintenance': 'Maintenance',
  'dc.running': 'Running',
  'dc.stopped': 'Stopped',
  'dc.released': 'Released',
  'dc.empty': 'No controllable devices in your area',
  'dc.noRole': 'Only duty officers and admins may control devices',
  'dc.loadError': 'Could not load commands: {message}',
  'dc.by': 'By',
};

const DICTIONARIES: Record<Lang, Record<DeviceControlKey, string>> = { zh, en };

/** Translate a device-control key in the current language, filling `{name}` placeholders. */
export function ct(key: DeviceControlKey, params?: Record<string, string | number>, language: Lang = lang.value): string {
  const template = DICTIONARIES[language][key] ?? key;
  if (!params) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}
