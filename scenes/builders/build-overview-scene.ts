/**
 * City overview (城市运行总览): every device, every open alert and incident, and the few city-wide
 * figures a leader reads first. Pure: (FusedState) → SceneModel.
 */
import { ALERT_LEVELS, SCENE_IDS } from '../domain';
import type { AlertLevel, DistrictCode, Incident } from '../domain';
import type { ChartData, FusedState, Kpi, SceneModel } from '../scene-model';
import {
  AGGREGATE_EXPECTED_INTERVAL_MS,
  aggregateDataTs,
  ALERT_LEVEL_NAMES,
  SCENE_NAMES,
  alertLevelKpis,
  assetItems,
  computeDeviceStatuses,
  countOnlineSensors,
  countBarChart,
  countOpenAlertsByLevel,
  countPieChart,
  countedHandlers,
  devicePoints,
  districtCategories,
  handlerItems,
  incidentItems,
  kpi,
  openAlertItems,
  percent,
  raisedWithin,
  RECENT_WINDOW_MS,
  selectSensors,
  startOfLocalDay,
} from './common';
import { isIncidentInProgress } from '../incident-rules';
import { slaCompliance } from '../storm/close-unresolved';
import { warningItems } from './warning-items';

/** Online rate shown when there are no sensors, %. */
export const ONLINE_RATE_WHEN_NONE_PCT = 100;

/**
 * Share of incidents resolved today (local day, up to now) that were resolved by their deadline,
 * %, one decimal; null (no data, shown as '—') when none was resolved today — slaCompliance, the
 * same function and day as the leader's briefing; false alarms, duplicates and cancellations are
 * left out.
 */
export function slaCompliancePct(incidents: readonly Incident[], nowTs: number): number | null {
  return slaCompliance(incidents, startOfLocalDay(nowTs), nowTs).rate;
}

function overviewKpis(state: FusedState, onlineCount: number): Kpi[] {
  const openIncidents = state.incidents.filter(isIncidentInProgress).length;
  const activeHandlers = countedHandlers(state).filter((h) => h.status !== 'off_duty').length;
  // sensors only: cameras are the camera layer's and the emergency scene's own figure (issue 17)
  const sensorCount = selectSensors(state, 'all').length;
  return [
    kpi('devicesOnline', '在线设备', 'Devices online', onlineCount, '个'),
    kpi('onlineRate', '设备在线率', 'Online rate', percent(onlineCount, sensorCount, ONLINE_RATE_WHEN_NONE_PCT), '%'),
    ...alertLevelKpis(countOpenAlertsByLevel(state.alerts), 'openAlerts'),
    kpi('openIncidents', '处置中事件', 'Open incidents', openIncidents, '件'),
    kpi('slaCompliance', '今日按时办结率', 'Resolved within SLA today', slaCompliancePct(state.incidents, state.nowTs), '%'),
    kpi('activeHandlers', '在岗处置人员', 'Handlers on duty', activeHandlers, '人'),
  ];
}

function alertTrendChart(state: FusedState): ChartData {
  const trend = state.alertTrend;
  const lines = SCENE_IDS.map((scene) => ({
    id: scene,
    name: SCENE_NAMES[scene].name,
    nameEn: SCENE_NAMES[scene].nameEn,
    points: (trend.counts[scene] ?? []).map((count, i): [number, number] => [trend.startTs + i * trend.bucketMs, count]),
  }));
  return {
    kind: 'timeseries',
    title: '24小时告警趋势',
    titleEn: 'Alerts per hour, last 24 h',
    unit: '条',
    lines,
    marks: [],
    dataTs: aggregateDataTs(state.nowTs),
    expectedIntervalMs: AGGREGATE_EXPECTED_INTERVAL_MS,
  };
}

/**
 * Incidents per district: the open ones, and beside them those finished (resolved or closed) in the
 * last 24 h — on a calm wall ten rows of 0 said nothing; this says where the day's work was.
 */
function incidentsByDistrictChart(state: FusedState): ChartData {
  const districts = districtCategories();
  const open = new Map<DistrictCode, number>();
  const done = new Map<DistrictCode, number>();
  const add = (m: Map<DistrictCode, number>, d: DistrictCode) => m.set(d, (m.get(d) ?? 0) + 1);
  for (const incident of state.incidents) {
    if (isIncidentInProgress(incident)) add(open, incident.district);
    else {
      const doneTs = incident.resolvedTs ?? incident.closedTs;
      if (doneTs !== undefined && doneTs <= state.nowTs && state.nowTs - doneTs < RECENT_WINDOW_MS) add(done, incident.district);
    }
  }
  return countBarChart(state, {
    title: '各区事件',
    titleEn: 'Incidents by district',
    unit: '件',
    categories: districts.names,
    categoriesEn: districts.namesEn,
    series: [
      { id: 'open', name: '处置中', nameEn: 'Open', values: districts.codes.map((c) => open.get(c) ?? 0) },
      { id: 'done24h', name: '近24小时办结', nameEn: 'Done, last 24 h', values: districts.codes.map((c) => done.get(c) ?? 0) },
    ],
  });
}

/** The level pie counts the alerts raised within this rolling window, open or handled, at their peak level. */
export const LEVEL_PIE_WINDOW_MS = RECENT_WINDOW_MS;

/**
 * Alerts of the last 24 h by the highest level each reached: the KPI row above already counts the
 * open ones per level, and on a calm wall a pie of open alerts only repeated four zeros as 暂无数据.
 */
function alertsByLevelChart(state: FusedState): ChartData {
  const counts: Record<AlertLevel, number> = { red: 0, orange: 0, yellow: 0, blue: 0 };
  for (const a of state.alerts) if (raisedWithin(a, state.nowTs, LEVEL_PIE_WINDOW_MS)) counts[a.peakLevel ?? a.level]++;
  return countPieChart(state, {
    title: '近24小时告警等级分布',
    titleEn: 'Alerts by level, last 24 h',
    unit: '条',
    slices: ALERT_LEVELS.map((level) => ({
      id: level,
      name: ALERT_LEVEL_NAMES[level].name,
      nameEn: ALERT_LEVEL_NAMES[level].nameEn,
      value: counts[level],
    })),
  });
}

export function buildOverviewScene(state: FusedState): SceneModel {
  const statuses = computeDeviceStatuses(state);
  const onlineCount = countOnlineSensors(state);
  return {
    scene: 'overview',
    generatedTs: state.nowTs,
    // area warnings (issue 14): count and list on the wall; the gauges stay in the console's detail
    warnings: warningItems(state),
    kpis: overviewKpis(state, onlineCount),
    devices: devicePoints(state, statuses, 'all'),
    alerts: openAlertItems(state),
    incidents: incidentItems(state),
    handlers: handlerItems(state),
    assets: assetItems(state, statuses, () => true, 'all'),
    resources: [],
    charts: {
      alertTrend: alertTrendChart(state),
      incidentsByDistrict: incidentsByDistrictChart(state),
      alertsByLevel: alertsByLevelChart(state),
    },
  };
}
