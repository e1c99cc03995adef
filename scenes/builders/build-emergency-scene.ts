/**
 * Emergency command (应急指挥): every incident in the city, the people and resources to handle
 * them, and the lifeline sensors (gas, fire). Pure: (FusedState) → SceneModel.
 */
import { HANDLER_STATUSES, INCIDENT_STATES, RESOURCE_KINDS } from '../domain';
import type { HandlerStatus, Incident, IncidentState, ResourceKind } from '../domain';
import { isAlertOpen } from '../alert-lifecycle';
import type { ChartData, FusedState, Kpi, ResourceItem, SceneModel } from '../scene-model';
import {
  percent,
  MINUTE_MS,
  assetItems,
  byId,
  cameraCounts,
  computeDeviceStatuses,
  countedHandlers,
  countBarChart,
  countPieChart,
  devicePoints,
  handlerItems,
  incidentItems,
  isOfflineAlert,
  kpi,
  openAlertItems,
  startOfLocalDay,
} from './common';
import { isIncidentInProgress } from '../incident-rules';
import { warningItems } from './warning-items';

/** Lower bounds of the response-time histogram buckets, minutes; the last bucket is open-ended. */
export const RESPONSE_TIME_BUCKETS_MIN = [0, 5, 10, 15, 30] as const;

const STATE_NAMES: Record<IncidentState, [string, string]> = {
  reported: ['已上报', 'Reported'],
  dispatched: ['已派发', 'Dispatched'],
  accepted: ['已接单', 'Accepted'],
  on_site: ['已到场', 'On site'],
  resolved: ['已办结', 'Resolved'],
  closed: ['已关闭', 'Closed'],
};

const RESOURCE_KIND_NAMES: Record<ResourceKind, [string, string]> = {
  'rescue-team': ['救援队伍', 'Rescue teams'],
  'supply-depot': ['物资储备', 'Supply depots'],
  shelter: ['避难场所', 'Shelters'],
};

const HANDLER_STATUS_NAMES: Record<HandlerStatus, [string, string]> = {
  idle: ['空闲', 'Idle'],
  busy: ['处置中', 'Busy'],
  off_duty: ['离岗', 'Off duty'],
};

function emergencyKpis(state: FusedState): Kpi[] {
  const open = state.incidents.filter(isIncidentInProgress);
  const handlers = countedHandlers(state);
  const handlersIn = (status: HandlerStatus): number => handlers.filter((h) => h.status === status).length;
  const cameras = cameraCounts(state);
  const shelterAvailable = state.resources.filter((r) => r.kind === 'shelter').reduce((sum, r) => sum + r.available, 0);
  const gasAlerts = state.alerts.filter((a) => a.deviceKind === 'gas-detector' && isAlertOpen(a) && !isOfflineAlert(a)).length;
  return [
    kpi('openIncidents', '处置中事件', 'Open incidents', open.length, '件'),
    kpi('openP1', '一级事件', 'Open P1 incidents', open.filter((i) => i.priority === 'P1').length, '件', 'red'),
    kpi('handlersIdle', '空闲人员', 'Handlers idle', handlersIn('idle'), '人'),
    kpi('handlersBusy', '处置中人员', 'Handlers busy', handlersIn('busy'), '人'),
    kpi('shelterAvailable', '避难场所可容纳', 'Shelter places available', shelterAvailable, '人'),
    kpi('gasAlerts', '燃气告警', 'Gas alerts', gasAlerts, '条'),
    // cameras apart from the sensors: "9/12" reads at a glance; no cameras in the view = no data
    kpi('camerasOnline', '视频监控在线', 'Cameras online', cameras.total === 0 ? null : cameras.online, `/${cameras.total}`),
  ];
}

/** States an incident has been in: every transition's target, plus the current state. */
function statesReached(incident: Incident): Set<IncidentState> {
  const reached = new Set<IncidentState>([incident.state]);
  for (const t of incident.history) reached.add(t.to);
  return reached;
}

function incidentFunnelChart(state: FusedState): ChartData {
  const dayStart = startOfLocalDay(state.nowTs);
  const counts = new Map<IncidentState, number>();
  for (const incident of state.incidents) {
    if (incident.createdTs < dayStart || incident.createdTs > state.nowTs) continue;
    for (const s of statesReached(incident)) counts.set(s, (counts.get(s) ?? 0) + 1);
  }
  return countBarChart(state, {
    title: '今日事件处置漏斗',
    titleEn: "Today's incidents by stage reached",
    unit: '件',
    categories: INCIDENT_STATES.map((s) => STATE_NAMES[s][0]),
    categoriesEn: INCIDENT_STATES.map((s) => STATE_NAMES[s][1]),
    series: [{ id: 'incidents', name: '事件数', nameEn: 'Incidents', values: INCIDENT_STATES.map((s) => counts.get(s) ?? 0) }],
  });
}

function resourcesChart(state: FusedState): ChartData {
  const sum = (kind: ResourceKind, field: 'available' | 'capacity'): number =>
    state.resources.filter((r) => r.kind === kind).reduce((total, r) => total + r[field], 0);
  // teams count members, depots supply units, shelters people: only the share available is
  // comparable across kinds on one axis (absolute figures are in the KPIs and tooltips of the map)
  return countBarChart(state, {
    title: '应急资源可用率',
    titleEn: 'Emergency resources available',
    unit: '%',
    categories: RESOURCE_KINDS.map((k) => RESOURCE_KIND_NAMES[k][0]),
    categoriesEn: RESOURCE_KINDS.map((k) => RESOURCE_KIND_NAMES[k][1]),
    series: [
      {
        id: 'available',
        name: '可用率',
        nameEn: 'Available',
        values: RESOURCE_KINDS.map((k) => percent(sum(k, 'available'), sum(k, 'capacity'), 0)),
      },
    ],
  });
}

function handlerStatusChart(state: FusedState): ChartData {
  const handlers = countedHandlers(state);
  return countPieChart(state, {
    title: '处置人员状态',
    titleEn: 'Handler status',
    unit: '人',
    slices: HANDLER_STATUSES.map((s) => ({
      id: s,
      name: HANDLER_STATUS_NAMES[s][0],
      nameEn: HANDLER_STATUS_NAMES[s][1],
      value: handlers.filter((h) => h.status === s).length,
    })),
  });
}

/** Index of the histogram bucket for a response time in minutes. */
function responseBucket(minutes: number): number {
  let index = 0;
  for (let i = 0; i < RESPONSE_TIME_BUCKETS_MIN.length; i++) if (minutes >= RESPONSE_TIME_BUCKETS_MIN[i]) index = i;
  return index;
}

/** Minutes from creation to the first 'accept', for incidents first accepted today. */
function responseTimesChart(state: FusedState): ChartData {
  const dayStart = startOfLocalDay(state.nowTs);
  const values: number[] = RESPONSE_TIME_BUCKETS_MIN.map(() => 0);
  for (const incident of state.incidents) {
    const accept = incident.history.find((t) => t.action === 'accept');
    if (accept === undefined || accept.ts < dayStart || accept.ts > state.nowTs) continue;
    values[responseBucket((accept.ts - incident.createdTs) / MINUTE_MS)]++;
  }
  const labels = RESPONSE_TIME_BUCKETS_MIN.map((from, i) => {
    const to = RESPONSE_TIME_BUCKETS_MIN[i + 1];
    return to === undefined ? `${from}+` : `${from}-${to}`;
  });
  return countBarChart(state, {
    title: '今日接单用时',
    titleEn: 'Time to accept today',
    unit: '件',
    categories: labels.map((l) => `${l}分钟`),
    categoriesEn: labels.map((l) => `${l} min`),
    series: [{ id: 'incidents', name: '事件数', nameEn: 'Incidents', values }],
  });
}

export function buildEmergencyScene(state: FusedState): SceneModel {
  const statuses = computeDeviceStatuses(state);
  const resources: ResourceItem[] = state.resources.map((r) => ({ ...r })).sort(byId);
  return {
    scene: 'emergency',
    generatedTs: state.nowTs,
    // area warnings (issue 14): count and list on the wall; the gauges stay in the console's detail
    warnings: warningItems(state),
    kpis: emergencyKpis(state),
    // sensors only: the cameras (kind camera, scene emergency) are drawn by the camera layer
    devices: devicePoints(state, statuses, 'emergency'),
    alerts: openAlertItems(state, (a) => a.scene === 'emergency'),
    // the emergency desk sees every incident, whichever scene raised it
    incidents: incidentItems(state),
    handlers: handlerItems(state),
    assets: assetItems(state, statuses, (a) => a.scene === 'emergency', 'scene:emergency'),
    resources,
    charts: {
      incidentFunnel: incidentFunnelChart(state),
      resources: resourcesChart(state),
      handlerStatus: handlerStatusChart(state),
      responseTimes: responseTimesChart(state),
    },
  };
}
