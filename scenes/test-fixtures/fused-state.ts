/**
 * A small, hand-built city as FusedState, for tests of scene builders and anything downstream.
 *
 * The numbers are chosen so expected KPIs can be asserted exactly; `FIXTURE_EXPECTED` lists
 * them (and the reasoning) so tests and readers do not have to re-derive them.
 *
 * Time: FIXTURE_NOW_TS is 2025-06-01 14:00 in Qingdao (UTC+8), so "today" (local day) began
 * 14 h earlier; a few records are dated yesterday on purpose.
 */
import type {
  Alert,
  AlertLevel,
  Asset,
  Device,
  DeviceKind,
  DeviceState,
  DistrictCode,
  EmergencyResource,
  Handler,
  Incident,
  IncidentState,
  IncidentTransition,
  LngLat,
  Priority,
  SceneId,
} from '../domain';
import type { AlertTrend, FusedState, SeriesWindow } from '../scene-model';
import { lineAsset, pointAsset } from '../city/qingdao';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

/** 2025-06-01 06:00 UTC = 14:00 in Qingdao. */
export const FIXTURE_NOW_TS = Date.UTC(2025, 5, 1, 6, 0, 0);
/** Local midnight 2025-06-01 in Qingdao (UTC+8), epoch ms. */
export const FIXTURE_DAY_START_TS = Date.UTC(2025, 4, 31, 16, 0, 0);

/** Bucket width of the fixture's series windows, ms. */
export const FIXTURE_SERIES_BUCKET_MS = MINUTE_MS;
/** Buckets per series window in the fixture. */
export const FIXTURE_SERIES_LENGTH = 12;

const now = FIXTURE_NOW_TS;

// ---------------------------------------------------------------------------------------------
// Assets

function polygonAsset(id: string, name: string, nameEn: string, district: DistrictCode, ring: LngLat[]): Asset {
  return {
    id,
    kind: 'community',
    scene: 'community',
    name,
    nameEn,
    district,
    geometry: { type: 'Polygon', coordinates: [ring] },
    props: { households: 1200 },
  };
}

const ASSETS: Asset[] = [
  lineAsset(
    'bridge-a',
    'bridge',
    'bridge',
    '胶州湾大桥',
    'Jiaozhou Bay Bridge',
    '370211',
    [
      [120.25, 36.15],
      [120.3, 36.12],
    ],
    { lengthM: 26700 },
  ),
  lineAsset(
    'bridge-b',
    'bridge',
    'bridge',
    '海湾立交桥',
    'Bay Interchange',
    '370203',
    [
      [120.35, 36.1],
      [120.36, 36.1],
    ],
    { lengthM: 800 },
  ),
  lineAsset(
    'river-lc',
    'river',
    'water',
    '李村河',
    'Licun River',
    '370213',
    [
      [120.38, 36.15],
      [120.42, 36.16],
    ],
    { warningLevelM: 4.5, guaranteeLevelM: 5.8 },
  ),
  pointAsset('up-1', 'underpass', 'water', '重庆路下穿', 'Chongqing Rd Underpass', '370213', [120.4, 36.17]),
  pointAsset('up-2', 'underpass', 'water', '海尔路下穿', 'Haier Rd Underpass', '370212', [120.44, 36.1]),
  lineAsset(
    'pipe-1',
    'pipe-segment',
    'water',
    '香港路干管',
    'Hong Kong Rd Main',
    '370202',
    [
      [120.38, 36.06],
      [120.41, 36.06],
    ],
    { diameterMm: 800 },
  ),
  pointAsset('ps-1', 'pump-station', 'water', '团岛泵站', 'Tuandao Pump Station', '370202', [120.3, 36.05], { capacityM3h: 5000 }),
  pointAsset('ps-2', 'pump-station', 'water', '海泊河泵站', 'Haibo River Pump Station', '370203', [120.36, 36.09], { capacityM3h: 3000 }),
  polygonAsset('cm-a', '浮山后社区', 'Fushanhou Community', '370202', [
    [120.41, 36.09],
    [120.42, 36.09],
    [120.42, 36.1],
    [120.41, 36.09],
  ]),
  polygonAsset('cm-b', '浮山所社区', 'Fushansuo Community', '370202', [
    [120.39, 36.07],
    [120.4, 36.07],
    [120.4, 36.08],
    [120.39, 36.07],
  ]),
];

// ---------------------------------------------------------------------------------------------
// Devices and their latest state

interface DeviceSpec {
  device: Device;
  /** null = never reported (no DeviceState at all) */
  state: { online: boolean; metrics: Record<string, number> } | null;
}

function dev(
  id: string,
  kind: DeviceKind,
  scene: SceneId,
  district: DistrictCode,
  location: LngLat,
  assetId: string | undefined,
  state: DeviceSpec['state'],
): DeviceSpec {
  const device: Device = { id, kind, scene, name: id, location, district, ...(assetId ? { assetId } : {}) };
  return { device, state };
}

const DEVICE_SPECS: DeviceSpec[] = [
  // bridge: 6 devices
  dev('br-sg-1', 'strain-gauge', 'bridge', '370211', [120.26, 36.14], 'bridge-a', { online: true, metrics: { strain: 520 } }),
  dev('br-sg-2', 'strain-gauge', 'bridge', '370211', [120.27, 36.14], 'bridge-a', { online: true, metrics: { strain: 180 } }),
  dev('br-df-1', 'deflection', 'bridge', '370211', [120.28, 36.13], 'bridge-a', { online: true, metrics: { deflection: 12 } }),
  dev('br-acc-1', 'accelerometer', 'bridge', '370203', [120.351, 36.1], 'bridge-b', { online: true, metrics: { accel: 0.2, freq: 2.4 } }),
  dev('br-wim-1', 'weigh-in-motion', 'bridge', '370203', [120.352, 36.1], 'bridge-b', { online: true, metrics: { grossWeight: 52, speed: 40 } }),
  dev('br-incl-1', 'inclinometer', 'bridge', '370203', [120.353, 36.1], 'bridge-b', { online: false, metrics: { tilt: 0.1 } }),
  // water: 7 devices
  dev('wt-wl-1', 'water-level', 'water', '370213', [120.39, 36.155], 'river-lc', { online: true, metrics: { level: 4.8 } }),
  dev('wt-log-1', 'waterlogging', 'water', '370213', [120.4, 36.17], 'up-1', { online: true, metrics: { depth: 30 } }),
  dev('wt-log-2', 'waterlogging', 'water', '370212', [120.44, 36.1], 'up-2', { online: true, metrics: { depth: 8 } }),
  dev('wt-rain-1', 'rain-gauge', 'water', '370213', [120.41, 36.16], undefined, { online: true, metrics: { rainfall: 35 } }),
  dev('wt-pp-1', 'pipe-pressure', 'water', '370202', [120.39, 36.06], 'pipe-1', { online: true, metrics: { pressure: 0.32 } }),
  dev('wt-pump-1', 'pump-station', 'water', '370202', [120.3, 36.05], 'ps-1', { online: true, metrics: { running: 1, flow: 3200 } }),
  dev('wt-pump-2', 'pump-station', 'water', '370203', [120.36, 36.09], 'ps-2', { online: true, metrics: { running: 0, flow: 0 } }),
  // emergency: 3 devices
  dev('em-gas-1', 'gas-detector', 'emergency', '370203', [120.37, 36.09], undefined, { online: true, metrics: { lel: 28 } }),
  dev('em-gas-2', 'gas-detector', 'emergency', '370202', [120.38, 36.07], undefined, { online: true, metrics: { lel: 0 } }),
  dev('em-fire-1', 'fire-alarm', 'emergency', '370214', [120.39, 36.3], undefined, { online: false, metrics: { fire: 0 } }),
  // community: 5 devices
  dev('cm-elev-1', 'elevator', 'community', '370202', [120.415, 36.095], 'cm-a', { online: true, metrics: { faultCode: 12, trapped: 1 } }),
  dev('cm-smoke-1', 'smoke-detector', 'community', '370202', [120.416, 36.095], 'cm-a', { online: true, metrics: { smoke: 0 } }),
  dev('cm-fall-1', 'fall-detector', 'community', '370202', [120.395, 36.075], 'cm-b', { online: true, metrics: { fall: 0 } }),
  dev('cm-lane-1', 'fire-lane-camera', 'community', '370202', [120.396, 36.075], 'cm-b', { online: true, metrics: { blocked: 1 } }),
  dev('cm-door-1', 'door-sensor', 'community', '370202', [120.397, 36.075], 'cm-b', null),
];

// ---------------------------------------------------------------------------------------------
// Alerts

interface AlertSpec {
  deviceId: string;
  ruleId: string;
  level: AlertLevel;
  cleared: boolean;
  acknowledged: boolean;
  firstTs: number;
  metric?: string;
  value?: number;
  incidentId?: string;
}

function alert(spec: AlertSpec): Alert {
  const device = DEVICE_SPECS.find((d) => d.device.id === spec.deviceId)!.device;
  return {
    id: `${spec.deviceId}|${spec.ruleId}|${spec.firstTs}`,
    deviceId: device.id,
    deviceKind: device.kind,
    ruleId: spec.ruleId,
    scene: device.scene,
    district: device.district,
    location: device.location,
    level: spec.level,
    peakLevel: spec.level,
    cleared: spec.cleared,
    acknowledged: spec.acknowledged,
    firstTs: spec.firstTs,
    lastTs: spec.firstTs + MINUTE_MS,
    ...(spec.cleared ? { clearedTs: spec.firstTs + 5 * MINUTE_MS } : {}),
    ...(spec.acknowledged ? { ackTs: spec.firstTs + 2 * MINUTE_MS, ackBy: 'officer1' } : {}),
    count: 1,
    ...(spec.value !== undefined ? { value: spec.value } : {}),
    ...(spec.metric !== undefined ? { metric: spec.metric } : {}),
    title: `${spec.ruleId} 告警`,
    titleEn: `${spec.ruleId} alert`,
    ...(spec.incidentId !== undefined ? { incidentId: spec.incidentId } : {}),
  };
}

const ALERTS: Alert[] = [
  // bridge
  alert({
    deviceId: 'br-sg-1',
    ruleId: 'bridge.strain.threshold',
    level: 'red',
    cleared: false,
    acknowledged: false,
    firstTs: now - 30 * MINUTE_MS,
    metric: 'strain',
    value: 520,
  }),
  alert({
    deviceId: 'br-wim-1',
    ruleId: 'bridge.overload.threshold',
    level: 'orange',
    cleared: true,
    acknowledged: true,
    firstTs: now - 5 * HOUR_MS,
    metric: 'grossWeight',
    value: 60,
  }),
  alert({
    deviceId: 'br-wim-1',
    ruleId: 'bridge.overload.threshold',
    level: 'yellow',
    cleared: false,
    acknowledged: false,
    firstTs: now - 10 * MINUTE_MS,
    metric: 'grossWeight',
    value: 52,
  }),
  alert({
    deviceId: 'br-sg-2',
    ruleId: 'bridge.strain.threshold',
    level: 'blue',
    cleared: true,
    acknowledged: true,
    firstTs: now - 20 * HOUR_MS,
    metric: 'strain',
    value: 260,
  }),
  // water
  alert({
    deviceId: 'wt-wl-1',
    ruleId: 'water.level.threshold',
    level: 'orange',
    cleared: false,
    acknowledged: true,
    firstTs: now - 2 * HOUR_MS,
    metric: 'level',
    value: 4.8,
  }),
  alert({
    deviceId: 'wt-log-1',
    ruleId: 'water.depth.threshold',
    level: 'orange',
    cleared: false,
    acknowledged: false,
    firstTs: now - 50 * MINUTE_MS,
    metric: 'depth',
    value: 30,
    incidentId: 'inc-2',
  }),
  // emergency
  alert({
    deviceId: 'em-gas-1',
    ruleId: 'emergency.lel.threshold',
    level: 'red',
    cleared: false,
    acknowledged: true,
    firstTs: now - HOUR_MS,
    metric: 'lel',
    value: 28,
    incidentId: 'inc-1',
  }),
  // community
  alert({
    deviceId: 'cm-elev-1',
    ruleId: 'community.trapped.event',
    level: 'red',
    cleared: false,
    acknowledged: false,
    firstTs: now - 20 * MINUTE_MS,
    metric: 'trapped',
    value: 1,
    incidentId: 'inc-3',
  }),
  alert({
    deviceId: 'cm-smoke-1',
    ruleId: 'community.smoke.event',
    level: 'orange',
    cleared: true,
    acknowledged: false,
    firstTs: now - 40 * MINUTE_MS,
    metric: 'smoke',
    value: 1,
  }),
  alert({
    deviceId: 'cm-fall-1',
    ruleId: 'community.fall.event',
    level: 'orange',
    cleared: true,
    acknowledged: true,
    firstTs: now - 3 * HOUR_MS,
    metric: 'fall',
    value: 1,
  }),
  alert({
    deviceId: 'cm-lane-1',
    ruleId: 'community.blocked.event',
    level: 'yellow',
    cleared: false,
    acknowledged: false,
    firstTs: now - 15 * MINUTE_MS,
    metric: 'blocked',
    value: 1,
  }),
];

// ---------------------------------------------------------------------------------------------
// Incidents

interface IncidentSpec {
  id: string;
  state: IncidentState;
  priority: Priority;
  level: AlertLevel | null;
  scene: SceneId;
  category: string;
  district: DistrictCode;
  location: LngLat;
  createdTs: number;
  /** ms after creation for each step reached, in order (dispatch, accept, arrive, resolve, close) */
  steps: number[];
  assignees: string[];
  slaDueMs: number;
  deviceId?: string;
  alertIds?: string[];
}

const STEP_ACTIONS: { action: IncidentTransition['action']; from: IncidentState; to: IncidentState }[] = [
  { action: 'dispatch', from: 'reported', to: 'dispatched' },
  { action: 'accept', from: 'dispatched', to: 'accepted' },
  { action: 'arrive', from: 'accepted', to: 'on_site' },
  { action: 'resolve', from: 'on_site', to: 'resolved' },
  { action: 'close', from: 'resolved', to: 'closed' },
];

function incident(spec: IncidentSpec): Incident {
  const history: IncidentTransition[] = [
    { action: 'create', from: null, to: 'reported', actor: 'system', ts: spec.createdTs, commandId: `${spec.id}-c0` },
  ];
  spec.steps.forEach((afterMs, i) => {
    const step = STEP_ACTIONS[i];
    history.push({
      action: step.action,
      from: step.from,
      to: step.to,
      actor: i === 0 || i === 4 ? 'officer1' : (spec.assignees[0] ?? 'officer1'),
      ts: spec.createdTs + afterMs,
      commandId: `${spec.id}-c${i + 1}`,
      ...(i === 0 ? { assignees: spec.assignees } : {}),
    });
  });
  const stepTs = (to: IncidentState): number | undefined => history.find((t) => t.to === to)?.ts;
  const resolvedTs = stepTs('resolved');
  const closedTs = stepTs('closed');
  return {
    id: spec.id,
    version: history.length,
    state: spec.state,
    priority: spec.priority,
    level: spec.level,
    scene: spec.scene,
    category: spec.category,
    title: `${spec.category} 工单`,
    titleEn: `${spec.category} work order`,
    district: spec.district,
    location: spec.location,
    source: spec.alertIds ? 'alert' : 'manual',
    alertIds: spec.alertIds ?? [],
    ...(spec.deviceId ? { deviceId: spec.deviceId } : {}),
    assignees: spec.assignees,
    escalated: false,
    createdTs: spec.createdTs,
    updatedTs: history[history.length - 1].ts,
    slaDueTs: spec.createdTs + spec.slaDueMs,
    slaResponseDueTs: spec.createdTs + 15 * MINUTE_MS,
    ...(resolvedTs !== undefined ? { resolvedTs } : {}),
    ...(closedTs !== undefined ? { closedTs } : {}),
    reportedBy: 'system',
    photos: [],
    history,
  };
}

const INCIDENTS: Incident[] = [
  // open: dispatched P1 gas leak (no accept yet)
  incident({
    id: 'inc-1',
    state: 'dispatched',
    priority: 'P1',
    level: 'red',
    scene: 'emergency',
    category: 'gas-leak',
    district: '370203',
    location: [120.37, 36.09],
    createdTs: now - 55 * MINUTE_MS,
    steps: [2 * MINUTE_MS],
    assignees: ['h-wang'],
    slaDueMs: 2 * HOUR_MS,
    deviceId: 'em-gas-1',
    alertIds: [ALERTS[6].id],
  }),
  // open: on site P2 waterlogging, accepted 7 min after creation
  incident({
    id: 'inc-2',
    state: 'on_site',
    priority: 'P2',
    level: 'orange',
    scene: 'water',
    category: 'waterlogging',
    district: '370213',
    location: [120.4, 36.17],
    createdTs: now - 45 * MINUTE_MS,
    steps: [3 * MINUTE_MS, 7 * MINUTE_MS, 25 * MINUTE_MS],
    assignees: ['h-wang'],
    slaDueMs: 4 * HOUR_MS,
    deviceId: 'wt-log-1',
    alertIds: [ALERTS[5].id],
  }),
  // open: accepted P1 elevator, accepted 3 min after creation
  incident({
    id: 'inc-3',
    state: 'accepted',
    priority: 'P1',
    level: 'red',
    scene: 'community',
    category: 'elevator',
    district: '370202',
    location: [120.415, 36.095],
    createdTs: now - 18 * MINUTE_MS,
    steps: [MINUTE_MS, 3 * MINUTE_MS],
    assignees: ['h-wang'],
    slaDueMs: 2 * HOUR_MS,
    deviceId: 'cm-elev-1',
    alertIds: [ALERTS[7].id],
  }),
  // resolved today within SLA (accepted after 12 min)
  incident({
    id: 'inc-4',
    state: 'resolved',
    priority: 'P3',
    level: 'yellow',
    scene: 'bridge',
    category: 'bridge-overload',
    district: '370203',
    location: [120.352, 36.1],
    createdTs: now - 6 * HOUR_MS,
    steps: [5 * MINUTE_MS, 12 * MINUTE_MS, 40 * MINUTE_MS, 2 * HOUR_MS],
    assignees: ['h-li'],
    slaDueMs: 24 * HOUR_MS,
  }),
  // resolved and closed today, past its SLA (accepted after 40 min)
  incident({
    id: 'inc-5',
    state: 'closed',
    priority: 'P2',
    level: 'orange',
    scene: 'community',
    category: 'elderly-care',
    district: '370202',
    location: [120.395, 36.075],
    createdTs: now - 8 * HOUR_MS,
    steps: [10 * MINUTE_MS, 40 * MINUTE_MS, HOUR_MS, 5 * HOUR_MS, 5.5 * HOUR_MS],
    assignees: ['h-li'],
    slaDueMs: 4 * HOUR_MS,
  }),
  // open: reported P4 manual report
  incident({
    id: 'inc-6',
    state: 'reported',
    priority: 'P4',
    level: null,
    scene: 'water',
    category: 'manhole',
    district: '370211',
    location: [120.2, 36.0],
    createdTs: now - 10 * MINUTE_MS,
    steps: [],
    assignees: [],
    slaDueMs: 72 * HOUR_MS,
  }),
  // resolved yesterday (22:00 local), closed 15 h ago: not part of today's SLA figure
  incident({
    id: 'inc-7',
    state: 'closed',
    priority: 'P3',
    level: 'yellow',
    scene: 'water',
    category: 'pipe-burst',
    district: '370202',
    location: [120.39, 36.06],
    createdTs: now - 20 * HOUR_MS,
    steps: [MINUTE_MS, 2 * MINUTE_MS, HOUR_MS, 4 * HOUR_MS, 5 * HOUR_MS],
    assignees: ['h-li'],
    slaDueMs: 24 * HOUR_MS,
  }),
];

// ---------------------------------------------------------------------------------------------
// People and resources

const HANDLERS: Handler[] = [
  {
    id: 'h-wang',
    name: '王强',
    team: '市南应急一队',
    skills: ['gas-leak', 'waterlogging', 'elevator'],
    location: [120.38, 36.08],
    locationTs: now - MINUTE_MS,
    status: 'busy',
  },
  {
    id: 'h-li',
    name: '李娜',
    team: '市北综合队',
    skills: ['bridge-overload', 'pipe-burst', 'elderly-care'],
    location: [120.36, 36.1],
    locationTs: now - 2 * MINUTE_MS,
    status: 'idle',
  },
  { id: 'h-zhang', name: '张伟', team: '崂山巡查队', skills: ['manhole'], location: null, locationTs: 0, status: 'off_duty' },
];

const RESOURCES: EmergencyResource[] = [
  {
    id: 'res-team-1',
    kind: 'rescue-team',
    name: '市南救援队',
    nameEn: 'Shinan Rescue Team',
    district: '370202',
    location: [120.38, 36.06],
    capacity: 30,
    available: 20,
  },
  {
    id: 'res-depot-1',
    kind: 'supply-depot',
    name: '市北物资库',
    nameEn: 'Shibei Supply Depot',
    district: '370203',
    location: [120.36, 36.1],
    capacity: 500,
    available: 450,
  },
  {
    id: 'res-shelter-1',
    kind: 'shelter',
    name: '中山公园避难场所',
    nameEn: 'Zhongshan Park Shelter',
    district: '370202',
    location: [120.34, 36.06],
    capacity: 2000,
    available: 1500,
  },
];

// ---------------------------------------------------------------------------------------------
// Series windows and alert trend

/** A window whose newest bucket starts one bucket before `now`; max = value + 1. */
export function makeSeriesWindow(values: number[], endTs = now, bucketMs = FIXTURE_SERIES_BUCKET_MS): SeriesWindow {
  const firstTs = Math.floor(endTs / bucketMs) * bucketMs - values.length * bucketMs;
  return {
    bucketMs,
    ts: values.map((_, i) => firstTs + i * bucketMs),
    values: values.slice(),
    max: values.map((v) => v + 1),
  };
}

function ramp(from: number, to: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < FIXTURE_SERIES_LENGTH; i++) out.push(from + ((to - from) * i) / (FIXTURE_SERIES_LENGTH - 1));
  return out;
}

const SERIES: [string, SeriesWindow][] = [
  ['br-sg-1.strain', makeSeriesWindow(ramp(300, 520))],
  ['br-sg-2.strain', makeSeriesWindow(ramp(150, 180))],
  ['br-df-1.deflection', makeSeriesWindow(ramp(8, 12))],
  ['br-acc-1.freq', makeSeriesWindow(ramp(2.5, 2.4))],
  ['wt-wl-1.level', makeSeriesWindow(ramp(4.0, 4.8))],
  ['wt-rain-1.rainfall', makeSeriesWindow(ramp(10, 35))],
  ['wt-pp-1.pressure', makeSeriesWindow(ramp(0.3, 0.32))],
  ['wt-log-1.depth', makeSeriesWindow(ramp(5, 30))],
];

const TREND_HOURS = 24;

function trendCounts(perHour: (hour: number) => number): number[] {
  return Array.from({ length: TREND_HOURS }, (_, hour) => perHour(hour));
}

const ALERT_TREND: AlertTrend = {
  bucketMs: HOUR_MS,
  startTs: Math.floor(now / HOUR_MS) * HOUR_MS - (TREND_HOURS - 1) * HOUR_MS,
  counts: {
    emergency: trendCounts((h) => (h === 23 ? 1 : 0)),
    bridge: trendCounts((h) => (h === 4 || h === 23 || h === 18 ? 1 : 0)),
    water: trendCounts((h) => (h >= 21 ? 1 : 0)),
    community: trendCounts((h) => (h % 6 === 0 ? 1 : 0)),
  },
};

// ---------------------------------------------------------------------------------------------

/** Expected figures of the fixture, derived by hand (see the comments on the records above). */
export const FIXTURE_EXPECTED = {
  deviceCount: 21,
  /** br-incl-1 and em-fire-1 report offline, cm-door-1 never reported */
  onlineCount: 18,
  onlineRatePct: 85.7,
  openAlertsByLevel: { red: 3, orange: 3, yellow: 2, blue: 0 },
  /** inc-1, inc-2, inc-3, inc-6 */
  openIncidents: 4,
  openP1: 2,
  /** inc-4 resolved within SLA, inc-5 past it; inc-7 resolved yesterday */
  slaCompliancePct: 50,
  /** handlers not off duty */
  activeHandlers: 2,
  statuses: {
    'br-sg-1': 'red',
    'br-wim-1': 'yellow',
    'br-incl-1': 'offline',
    'br-sg-2': 'normal',
    'wt-log-1': 'orange',
    'wt-wl-1': 'orange',
    'em-gas-1': 'red',
    'em-fire-1': 'offline',
    'cm-elev-1': 'red',
    'cm-smoke-1': 'normal',
    'cm-door-1': 'offline',
  },
  openIncidentsByDistrict: { '370202': 1, '370203': 1, '370211': 1, '370213': 1 },
  /** bridge-a: 100 − 40 (br-sg-1 red); bridge-b: 100 − 10 (br-wim-1 yellow) − 5 (br-incl-1 offline) */
  bridgeHealth: { 'bridge-a': 60, 'bridge-b': 85 },
} as const;

export type FusedStateOverrides = Partial<FusedState>;

/**
 * A fresh fixture city every call (safe to mutate or freeze). Overrides replace whole fields.
 */
export function makeFusedState(overrides: FusedStateOverrides = {}): FusedState {
  const clone = <T>(value: T): T => structuredClone(value);
  const devices = new Map<string, Device>();
  const deviceStates = new Map<string, DeviceState>();
  DEVICE_SPECS.forEach((spec, i) => {
    devices.set(spec.device.id, clone(spec.device));
    if (spec.state !== null) {
      deviceStates.set(spec.device.id, {
        deviceId: spec.device.id,
        online: spec.state.online,
        lastTs: spec.state.online ? now - 5_000 : now - HOUR_MS,
        lastSeq: 100 + i,
        metrics: { ...spec.state.metrics },
      });
    }
  });
  return {
    nowTs: now,
    devices,
    deviceStates,
    alerts: clone(ALERTS),
    incidents: clone(INCIDENTS),
    handlers: clone(HANDLERS),
    assets: clone(ASSETS),
    resources: clone(RESOURCES),
    series: new Map(SERIES.map(([key, window]) => [key, clone(window)])),
    alertTrend: clone(ALERT_TREND),
    ...overrides,
  };
}

/**
 * Recursively freezes plain objects and arrays (Maps are walked and their values frozen; the
 * Maps themselves are typed read-only). Use it to prove a builder does not mutate its input.
 */
export function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return value;
  if (value instanceof Map) {
    for (const v of value.values()) deepFreeze(v);
    return value;
  }
  Object.freeze(value);
  for (const key of Object.keys(value as object)) deepFreeze((value as Record<string, unknown>)[key]);
  return value;
}
