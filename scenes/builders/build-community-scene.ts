/**
 * Smart community (智慧社区): smoke, elevators, fire lanes, chargers, elderly care, doors.
 * The alert list is ordered for a duty desk: most severe first, then the longest waiting, so the
 * UI can show time since raised. Pure: (FusedState) → SceneModel.
 */
import { ALERT_LEVEL_RANK } from '../domain';
import type { Alert, DeviceKind } from '../domain';
import { isAlertOpen } from '../alert-lifecycle';
import type { ChartData, FusedState, Kpi, SceneModel } from '../scene-model';
import {
  assetItems,
  computeDeviceStatuses,
  countBarChart,
  countPieChart,
  devicePoints,
  handlerItems,
  incidentItems,
  isOfflineAlert,
  kpi,
  openAlertItems,
  raisedToday,
  raisedWithin,
  RECENT_WINDOW_MS,
} from './common';

/** The community ranking shows this many communities. */
export const COMMUNITY_RANK_SIZE = 10;
/**
 * The event mix and the ranking count the events of this rolling window, open or already handled:
 * a quiet hour leaves the wall with the day's picture, not two empty panels (and no drop at midnight).
 */
export const COMMUNITY_WINDOW_MS = RECENT_WINDOW_MS;

/** Event categories of the community scene, in display order. */
export const COMMUNITY_EVENT_CATEGORIES = ['fire', 'elevator', 'fire-lane', 'elderly-care', 'ev-charger', 'door'] as const;
export type CommunityEventCategory = (typeof COMMUNITY_EVENT_CATEGORIES)[number];

const CATEGORY_NAMES: Record<CommunityEventCategory, [string, string]> = {
  fire: ['消防', 'Fire'],
  elevator: ['电梯', 'Elevators'],
  'fire-lane': ['消防通道', 'Fire lanes'],
  'elderly-care': ['老人关爱', 'Elderly care'],
  'ev-charger': ['充电桩', 'EV chargers'],
  door: ['门禁', 'Doors'],
};

const CATEGORY_BY_KIND: Partial<Record<DeviceKind, CommunityEventCategory>> = {
  'smoke-detector': 'fire',
  'fire-alarm': 'fire',
  elevator: 'elevator',
  'fire-lane-camera': 'fire-lane',
  'fall-detector': 'elderly-care',
  'ev-charger': 'ev-charger',
  'door-sensor': 'door',
};

const FIRE_KINDS: ReadonlySet<DeviceKind> = new Set(['smoke-detector', 'fire-alarm']);

/** An open community alert about something happening (not a device gone silent). */
function isOpenEvent(alert: Alert): boolean {
  return alert.scene === 'community' && isAlertOpen(alert) && !isOfflineAlert(alert);
}

/** A community alert about something happening, raised within the window ending at `nowTs` (open or not). */
function isRecentEvent(alert: Alert, nowTs: number): boolean {
  return alert.scene === 'community' && !isOfflineAlert(alert) && raisedWithin(alert, nowTs, COMMUNITY_WINDOW_MS);
}

/** Red first, then the longest waiting (oldest first raised), then id. */
export function compareUrgentFirst(a: Alert, b: Alert): number {
  return ALERT_LEVEL_RANK[a.level] - ALERT_LEVEL_RANK[b.level] || a.firstTs - b.firstTs || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

function communityKpis(state: FusedState, events: readonly Alert[]): Kpi[] {
  const trapped = events.filter((a) => a.deviceKind === 'elevator' && a.metric === 'trapped').length;
  const fire = events.filter((a) => FIRE_KINDS.has(a.deviceKind)).length;
  const falls = state.alerts.filter(
    (a) => a.scene === 'community' && a.deviceKind === 'fall-detector' && !isOfflineAlert(a) && raisedToday(a, state.nowTs),
  ).length;
  return [
    kpi('openCommunityEvents', '待处置社区事件', 'Open community events', events.length, '件'),
    kpi('trappedPassengers', '电梯困人', 'Elevator entrapments', trapped, '起', trapped > 0 ? 'red' : undefined),
    kpi('fireSmokeOpen', '火警/烟感', 'Fire and smoke alarms', fire, '起'),
    kpi('elderlyFallsToday', '今日老人跌倒', 'Elderly falls today', falls, '起'),
  ];
}

function eventMixChart(state: FusedState, events: readonly Alert[]): ChartData {
  const counts = new Map<CommunityEventCategory, number>();
  for (const alert of events) {
    const category = CATEGORY_BY_KIND[alert.deviceKind];
    if (category !== undefined) counts.set(category, (counts.get(category) ?? 0) + 1);
  }
  return countPieChart(state, {
    title: '近24小时社区事件构成',
    titleEn: 'Community events by type, last 24 h',
    unit: '件',
    slices: COMMUNITY_EVENT_CATEGORIES.map((c) => ({ id: c, name: CATEGORY_NAMES[c][0], nameEn: CATEGORY_NAMES[c][1], value: counts.get(c) ?? 0 })),
  });
}

function communityRankingChart(state: FusedState, events: readonly Alert[]): ChartData {
  const communityOfDevice = new Map<string, string>();
  for (const device of state.devices.values()) if (device.assetId !== undefined) communityOfDevice.set(device.id, device.assetId);
  const counts = new Map<string, number>();
  for (const alert of events) {
    const assetId = communityOfDevice.get(alert.deviceId);
    if (assetId !== undefined) counts.set(assetId, (counts.get(assetId) ?? 0) + 1);
  }
  const ranked = state.assets
    .filter((a) => a.kind === 'community' && (counts.get(a.id) ?? 0) > 0)
    .map((a) => ({ asset: a, count: counts.get(a.id) ?? 0 }))
    .sort((x, y) => y.count - x.count || (x.asset.id < y.asset.id ? -1 : 1))
    .slice(0, COMMUNITY_RANK_SIZE);
  return countBarChart(state, {
    title: '近24小时社区告警排名',
    titleEn: 'Communities by alerts, last 24 h',
    unit: '条',
    categories: ranked.map((r) => r.asset.name),
    categoriesEn: ranked.map((r) => r.asset.nameEn),
    series: [{ id: 'alerts24h', name: '近24小时告警', nameEn: 'Alerts, last 24 h', values: ranked.map((r) => r.count) }],
  });
}

export function buildCommunityScene(state: FusedState): SceneModel {
  const statuses = computeDeviceStatuses(state);
  const events = state.alerts.filter(isOpenEvent);
  const recent = state.alerts.filter((a) => isRecentEvent(a, state.nowTs));
  return {
    scene: 'community',
    generatedTs: state.nowTs,
    kpis: communityKpis(state, events),
    devices: devicePoints(state, statuses, 'community'),
    alerts: openAlertItems(state, (a) => a.scene === 'community', compareUrgentFirst),
    incidents: incidentItems(state, (i) => i.scene === 'community'),
    handlers: handlerItems(state),
    assets: assetItems(state, statuses, (a) => a.kind === 'community', 'communities'),
    resources: [],
    charts: {
      eventMix: eventMixChart(state, recent),
      communityRanking: communityRankingChart(state, recent),
    },
  };
}
