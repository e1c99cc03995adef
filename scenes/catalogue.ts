/**
 * Device catalogue: per device kind, its scene, metrics (names and units fixed) and nominal
 * reporting interval; plus the default alarm rules and the incident category each rule feeds.
 *
 * Pure data. Limits cite the usual Chinese practice where one exists (GB 5749-2022 drinking
 * water, GB 1589-2016 vehicle weights, the 27 cm "exhaust pipe" waterlogging line, the
 * meteorological short-duration heavy-rain grades).
 */
import type { AlertLevel, DeviceKind, EventRule, OfflineRule, RateRule, Rule, SceneId, ThresholdRule } from './domain';
import { DEVICE_KINDS } from './domain';

export interface MetricSpec {
  /** camelCase metric name as it appears in Reading.metrics */
  name: string;
  /** fixed unit, e.g. 'με', 'mm', '%LEL'; '' for flags and dimensionless codes */
  unit: string;
  label: string;
  labelEn: string;
  /** plausible physical range (metric unit), used by validation and the simulator */
  min: number;
  max: number;
  /** true = boolean/event flag: 1 = active, 0 = normal */
  flag?: boolean;
}

export interface DeviceKindSpec {
  kind: DeviceKind;
  scene: SceneId;
  label: string;
  labelEn: string;
  metrics: MetricSpec[];
  /** nominal reporting interval, ms; a device silent for OFFLINE_SILENCE_FACTOR × this is offline */
  intervalMs: number;
}

/** A device is offline after this many missed reporting intervals. */
export const OFFLINE_SILENCE_FACTOR = 3;

const SECOND_MS = 1000;
const MINUTE_MS = 60 * SECOND_MS;

/** Nominal reporting intervals, ms. */
export const REPORT_INTERVALS_MS = {
  bridgeFast: 5 * SECOND_MS, // strain, deflection, vibration
  bridgeSlow: 10 * SECOND_MS, // tilt, bearings
  weighInMotion: 10 * SECOND_MS, // per-vehicle records, aggregated
  environment: 30 * SECOND_MS, // temperature/humidity
  waterLevel: 30 * SECOND_MS,
  waterNetwork: 15 * SECOND_MS, // pressure, flow
  waterQuality: 60 * SECOND_MS,
  gas: 10 * SECOND_MS,
  eventHeartbeat: 30 * SECOND_MS, // flag devices report on change plus a heartbeat
} as const;

function flag(name: string, label: string, labelEn: string): MetricSpec {
  return { name, unit: '', label, labelEn, min: 0, max: 1, flag: true };
}

export const DEVICE_CATALOGUE: Record<DeviceKind, DeviceKindSpec> = {
  // ---- bridge (路桥)
  'strain-gauge': {
    kind: 'strain-gauge',
    scene: 'bridge',
    label: '应变计',
    labelEn: 'Strain gauge',
    metrics: [
      {
        name: 'strain',
        unit: 'με',
        label: '应变',
        labelEn: 'Strain',
        min: -1000,
        max: 1000,
      },
    ],
    intervalMs: REPORT_INTERVALS_MS.bridgeFast,
  },
  inclinometer: {
    kind: 'inclinometer',
    scene: 'bridge',
    label: '倾角仪',
    labelEn: 'Inclinometer',
    metrics: [
      {
        name: 'tilt',
        unit: '°',
        label: '倾角',
        labelEn: 'Tilt (absolute)',
        min: 0,
        max: 5,
      },
    ],
    intervalMs: REPORT_INTERVALS_MS.bridgeSlow,
  },
  accelerometer: {
    kind: 'accelerometer',
    scene: 'bridge',
    label: '加速度计',
    labelEn: 'Accelerometer',
    metrics: [
      {
        name: 'accel',
        unit: 'm/s²',
        label: '振动加速度',
        labelEn: 'Peak acceleration',
        min: 0,
        max: 20,
      },
      {
        name: 'freq',
        unit: 'Hz',
        label: '主频',
        labelEn: 'Dominant frequency',
        min: 0,
        max: 50,
      },
    ],
    intervalMs: REPORT_INTERVALS_MS.bridgeFast,
  },
  deflection: {
    kind: 'deflection',
    scene: 'bridge',
    label: '挠度仪',
    labelEn: 'Deflection sensor',
    metrics: [
      {
        name: 'deflection',
        unit: 'mm',
        label: '挠度',
        labelEn: 'Deflection (down +)',
        min: -50,
        max: 200,
      },
    ],
    intervalMs: REPORT_INTERVALS_MS.bridgeFast,
  },
  'bearing-displacement': {
    kind: 'bearing-displacement',
    scene: 'bridge',
    label: '支座位移计',
    labelEn: 'Bearing displacement',
    metrics: [
      {
        name: 'displacement',
        unit: 'mm',
        label: '位移',
        labelEn: 'Displacement (absolute)',
        min: 0,
        max: 200,
      },
    ],
    intervalMs: REPORT_INTERVALS_MS.bridgeSlow,
  },
  'temp-humidity': {
    kind: 'temp-humidity',
    scene: 'bridge',
    label: '温湿度计',
    labelEn: 'Temperature/humidity',
    metrics: [
      {
        name: 'temperature',
        unit: '°C',
        label: '温度',
        labelEn: 'Temperature',
        min: -30,
        max: 70,
      },
      {
        name: 'humidity',
        unit: '%RH',
        label: '湿度',
        labelEn: 'Humidity',
        min: 0,
        max: 100,
      },
    ],
    intervalMs: REPORT_INTERVALS_MS.environment,
  },
  'weigh-in-motion': {
    kind: 'weigh-in-motion',
    scene: 'bridge',
    label: '动态称重',
    labelEn: 'Weigh-in-motion',
    metrics: [
      {
        name: 'grossWeight',
        unit: 't',
        label: '车货总重',
        labelEn: 'Gross weight',
        min: 0,
        max: 200,
      },
      {
        name: 'speed',
        unit: 'km/h',
        label: '车速',
        labelEn: 'Speed',
        min: 0,
        max: 200,
      },
    ],
    intervalMs: REPORT_INTERVALS_MS.weighInMotion,
  },
  // ---- water (水务)
  'water-level': {
    kind: 'water-level',
    scene: 'water',
    label: '水位计',
    labelEn: 'Water level gauge',
    metrics: [
      {
        name: 'level',
        unit: 'm',
        label: '水位',
        labelEn: 'Water level',
        min: -2,
        max: 15,
      },
    ],
    intervalMs: REPORT_INTERVALS_MS.waterLevel,
  },
  waterlogging: {
    kind: 'waterlogging',
    scene: 'water',
    label: '积水监测',
    labelEn: 'Waterlogging sensor',
    metrics: [
      {
        name: 'depth',
        unit: 'cm',
        label: '积水深度',
        labelEn: 'Water depth',
        min: 0,
        max: 300,
      },
    ],
    intervalMs: REPORT_INTERVALS_MS.waterLevel,
  },
  'rain-gauge': {
    kind: 'rain-gauge',
    scene: 'water',
    label: '雨量计',
    labelEn: 'Rain gauge',
    metrics: [
      {
        name: 'rainfall',
        unit: 'mm/h',
        label: '雨强',
        labelEn: 'Rainfall intensity',
        min: 0,
        max: 300,
      },
    ],
    intervalMs: REPORT_INTERVALS_MS.waterLevel,
  },
  'pipe-pressure': {
    kind: 'pipe-pressure',
    scene: 'water',
    label: '管网压力计',
    labelEn: 'Pipe pressure',
    metrics: [
      {
        name: 'pressure',
        unit: 'MPa',
        label: '压力',
        labelEn: 'Pressure',
        min: 0,
        max: 2.5,
      },
    ],
    intervalMs: REPORT_INTERVALS_MS.waterNetwork,
  },
  'flow-meter': {
    kind: 'flow-meter',
    scene: 'water',
    label: '流量计',
    labelEn: 'Flow meter',
    metrics: [
      {
        name: 'flow',
        unit: 'm³/h',
        label: '瞬时流量',
        labelEn: 'Flow',
        min: 0,
        max: 10000,
      },
    ],
    intervalMs: REPORT_INTERVALS_MS.waterNetwork,
  },
  'water-quality': {
    kind: 'water-quality',
    scene: 'water',
    label: '水质监测',
    labelEn: 'Water quality',
    metrics: [
      {
        name: 'turbidity',
        unit: 'NTU',
        label: '浊度',
        labelEn: 'Turbidity',
        min: 0,
        max: 100,
      },
      {
        name: 'chlorine',
        unit: 'mg/L',
        label: '余氯',
        labelEn: 'Residual chlorine',
        min: 0,
        max: 5,
      },
      { name: 'ph', unit: '', label: 'pH', labelEn: 'pH', min: 0, max: 14 },
    ],
    intervalMs: REPORT_INTERVALS_MS.waterQuality,
  },
  'manhole-cover': {
    kind: 'manhole-cover',
    scene: 'water',
    label: '智能井盖',
    labelEn: 'Manhole cover',
    metrics: [
      {
        name: 'tilt',
        unit: '°',
        label: '井盖倾角',
        labelEn: 'Cover tilt',
        min: 0,
        max: 90,
      },
      flag('overflow', '冒溢', 'Overflow'),
    ],
    intervalMs: REPORT_INTERVALS_MS.eventHeartbeat,
  },
  'pump-station': {
    kind: 'pump-station',
    scene: 'water',
    label: '泵站',
    labelEn: 'Pump station',
    metrics: [
      flag('running', '运行', 'Running'),
      {
        name: 'flow',
        unit: 'm³/h',
        label: '排水流量',
        labelEn: 'Discharge',
        min: 0,
        max: 50000,
      },
    ],
    intervalMs: REPORT_INTERVALS_MS.eventHeartbeat,
  },
  'flood-gate': {
    kind: 'flood-gate',
    scene: 'water',
    label: '闸门',
    labelEn: 'Flood gate',
    metrics: [
      {
        name: 'position',
        unit: '%',
        label: '开度',
        labelEn: 'Opening',
        min: 0,
        max: 100,
      },
    ],
    intervalMs: REPORT_INTERVALS_MS.eventHeartbeat,
  },
  // ---- emergency (应急 / 城市生命线)
  'gas-detector': {
    kind: 'gas-detector',
    scene: 'emergency',
    label: '燃气探测器',
    labelEn: 'Gas detector',
    metrics: [
      {
        name: 'lel',
        unit: '%LEL',
        label: '可燃气体浓度',
        labelEn: 'Combustible gas',
        min: 0,
        max: 100,
      },
    ],
    intervalMs: REPORT_INTERVALS_MS.gas,
  },
  'fire-alarm': {
    kind: 'fire-alarm',
    scene: 'emergency',
    label: '火灾报警器',
    labelEn: 'Fire alarm',
    metrics: [flag('fire', '火警', 'Fire')],
    intervalMs: REPORT_INTERVALS_MS.eventHeartbeat,
  },
  // ---- community (社区)
  'smoke-detector': {
    kind: 'smoke-detector',
    scene: 'community',
    label: '烟感',
    labelEn: 'Smoke detector',
    metrics: [flag('smoke', '烟雾', 'Smoke')],
    intervalMs: REPORT_INTERVALS_MS.eventHeartbeat,
  },
  elevator: {
    kind: 'elevator',
    scene: 'community',
    label: '电梯',
    labelEn: 'Elevator',
    metrics: [
      {
        name: 'faultCode',
        unit: '',
        label: '故障码',
        labelEn: 'Fault code (0 = none)',
        min: 0,
        max: 999,
      },
      flag('trapped', '困人', 'Passenger trapped'),
    ],
    intervalMs: REPORT_INTERVALS_MS.eventHeartbeat,
  },
  'fire-lane-camera': {
    kind: 'fire-lane-camera',
    scene: 'community',
    label: '消防通道摄像头',
    labelEn: 'Fire-lane camera',
    metrics: [flag('blocked', '占用', 'Blocked')],
    intervalMs: REPORT_INTERVALS_MS.eventHeartbeat,
  },
  'ev-charger': {
    kind: 'ev-charger',
    scene: 'community',
    label: '电动车充电桩',
    labelEn: 'E-bike charger',
    metrics: [
      {
        name: 'temperature',
        unit: '°C',
        label: '温度',
        labelEn: 'Temperature',
        min: -30,
        max: 150,
      },
    ],
    intervalMs: REPORT_INTERVALS_MS.eventHeartbeat,
  },
  'fall-detector': {
    kind: 'fall-detector',
    scene: 'community',
    label: '跌倒检测',
    labelEn: 'Fall detector',
    metrics: [flag('fall', '跌倒', 'Fall')],
    intervalMs: REPORT_INTERVALS_MS.eventHeartbeat,
  },
  'door-sensor': {
    kind: 'door-sensor',
    scene: 'community',
    label: '门磁',
    labelEn: 'Door sensor',
    // `released`: the access controller (门禁) unlocked by a remote `release` command (scenes/device-commands.ts); no rule alarms on it
    metrics: [flag('heldOpen', '门未关', 'Held open'), flag('released', '门禁释放', 'Door released')],
    intervalMs: REPORT_INTERVALS_MS.eventHeartbeat,
  },
  // ---- video (视频联动): a camera reports a heartbeat so silence still means offline
  camera: {
    kind: 'camera',
    scene: 'emergency',
    label: '监控摄像头',
    labelEn: 'Camera',
    metrics: [flag('videoLoss', '视频丢失', 'Video loss')],
    intervalMs: REPORT_INTERVALS_MS.eventHeartbeat,
  },
};

// ---------------------------------------------------------------------------------------------
// Rules

/** Rules open an incident at orange or worse unless stated otherwise. */
const AUTO_INCIDENT_DEFAULT: AlertLevel = 'orange';

function threshold(
  r: Omit<ThresholdRule, 'type' | 'autoIncidentLevel'> & {
    autoIncidentLevel?: AlertLevel | null;
  },
): ThresholdRule {
  return { type: 'threshold', autoIncidentLevel: AUTO_INCIDENT_DEFAULT, ...r };
}
function rate(r: Omit<RateRule, 'type'>): RateRule {
  return { type: 'rate', ...r };
}
function event(
  r: Omit<EventRule, 'type' | 'autoIncidentLevel'> & {
    autoIncidentLevel?: AlertLevel | null;
  },
): EventRule {
  return { type: 'event', autoIncidentLevel: AUTO_INCIDENT_DEFAULT, ...r };
}

const SENSOR_RULES: Rule[] = [
  // ---- bridge
  threshold({
    id: 'bridge.strain.threshold',
    deviceKind: 'strain-gauge',
    metric: 'strain',
    direction: 'above',
    limits: { yellow: 300, orange: 400, red: 500 },
    hysteresis: 20,
    minDurationMs: 10 * SECOND_MS,
    title: '主梁应变超限',
    titleEn: 'Girder strain over limit',
  }),
  threshold({
    id: 'bridge.tilt.threshold',
    deviceKind: 'inclinometer',
    metric: 'tilt',
    direction: 'above',
    limits: { yellow: 0.3, orange: 0.5, red: 0.8 },
    hysteresis: 0.02,
    minDurationMs: 30 * SECOND_MS,
    title: '桥墩倾斜超限',
    titleEn: 'Pier tilt over limit',
  }),
  threshold({
    id: 'bridge.accel.threshold',
    deviceKind: 'accelerometer',
    metric: 'accel',
    direction: 'above',
    limits: { yellow: 0.5, orange: 1.0, red: 1.5 },
    hysteresis: 0.05,
    minDurationMs: 10 * SECOND_MS,
    title: '主梁振动超限',
    titleEn: 'Girder vibration over limit',
  }),
  threshold({
    id: 'bridge.deflection.threshold',
    deviceKind: 'deflection',
    metric: 'deflection',
    direction: 'above',
    limits: { yellow: 40, orange: 55, red: 70 },
    hysteresis: 3,
    minDurationMs: 10 * SECOND_MS,
    title: '主梁挠度超限',
    titleEn: 'Girder deflection over limit',
  }),
  threshold({
    id: 'bridge.displacement.threshold',
    deviceKind: 'bearing-displacement',
    metric: 'displacement',
    direction: 'above',
    limits: { yellow: 40, orange: 60, red: 80 },
    hysteresis: 3,
    minDurationMs: 30 * SECOND_MS,
    title: '支座位移超限',
    titleEn: 'Bearing displacement over limit',
  }),
  threshold({
    id: 'bridge.humidity.threshold',
    deviceKind: 'temp-humidity',
    metric: 'humidity',
    direction: 'above',
    limits: { blue: 85 },
    hysteresis: 3,
    minDurationMs: 10 * MINUTE_MS,
    autoIncidentLevel: null,
    title: '箱梁内湿度偏高（腐蚀风险）',
    titleEn: 'High humidity inside box girder (corrosion risk)',
  }),
  threshold({
    // 49 t = legal maximum for a 6-axle articulated truck (GB 1589-2016).
    id: 'bridge.overload.threshold',
    deviceKind: 'weigh-in-motion',
    metric: 'grossWeight',
    direction: 'above',
    limits: { yellow: 49, orange: 55, red: 70 },
    hysteresis: 0,
    minDurationMs: 0,
    title: '超限超载车辆过桥',
    titleEn: 'Overloaded vehicle on bridge',
  }),
  // ---- water
  threshold({
    // City-wide default for gauges on no river. A river or reservoir alarms at its own levels:
    // riverLevelOverrides (rule-overrides.ts) turns its warningLevelM/guaranteeLevelM into an asset override.
    id: 'water.level.threshold',
    deviceKind: 'water-level',
    metric: 'level',
    direction: 'above',
    limits: { yellow: 3.5, orange: 4.5, red: 5.8 },
    hysteresis: 0.05,
    minDurationMs: MINUTE_MS,
    title: '河道水位超限（警戒/保证水位）',
    titleEn: 'River level over warning/guarantee level',
  }),
  rate({
    id: 'water.level.rate',
    deviceKind: 'water-level',
    metric: 'level',
    limitPerMin: 0.03, // 0.3 m per 10 min
    windowMs: 10 * MINUTE_MS,
    level: 'yellow',
    autoIncidentLevel: null,
    title: '河道水位快速上涨',
    titleEn: 'River level rising fast',
  }),
  threshold({
    // 27 cm ≈ a car's exhaust pipe: the usual "close the underpass" line.
    id: 'water.depth.threshold',
    deviceKind: 'waterlogging',
    metric: 'depth',
    direction: 'above',
    limits: { yellow: 15, orange: 27, red: 40 },
    hysteresis: 2,
    minDurationMs: 30 * SECOND_MS,
    title: '道路积水',
    titleEn: 'Road waterlogging',
  }),
  threshold({
    id: 'water.rainfall.threshold',
    deviceKind: 'rain-gauge',
    metric: 'rainfall',
    direction: 'above',
    limits: { blue: 16, yellow: 30, orange: 50, red: 70 },
    hysteresis: 2,
    minDurationMs: MINUTE_MS,
    autoIncidentLevel: null,
    title: '短时强降雨',
    titleEn: 'Intense rainfall',
  }),
  threshold({
    id: 'water.pressure.low',
    deviceKind: 'pipe-pressure',
    metric: 'pressure',
    direction: 'below',
    limits: { yellow: 0.2, orange: 0.16 },
    hysteresis: 0.01,
    minDurationMs: 30 * SECOND_MS,
    title: '供水管网压力过低',
    titleEn: 'Water main pressure too low',
  }),
  threshold({
    id: 'water.pressure.high',
    deviceKind: 'pipe-pressure',
    metric: 'pressure',
    direction: 'above',
    limits: { red: 0.7 },
    hysteresis: 0.02,
    minDurationMs: 10 * SECOND_MS,
    title: '供水管网压力过高',
    titleEn: 'Water main pressure too high',
  }),
  rate({
    id: 'water.pressure.rate',
    deviceKind: 'pipe-pressure',
    metric: 'pressure',
    limitPerMin: -0.05,
    windowMs: 2 * MINUTE_MS,
    level: 'orange',
    autoIncidentLevel: AUTO_INCIDENT_DEFAULT,
    title: '管网压力骤降（疑似爆管）',
    titleEn: 'Sudden pressure drop (suspected pipe burst)',
  }),
  rate({
    id: 'water.flow.rate',
    deviceKind: 'flow-meter',
    metric: 'flow',
    limitPerMin: 100,
    windowMs: 5 * MINUTE_MS,
    level: 'yellow',
    autoIncidentLevel: null,
    title: '管段流量突增',
    titleEn: 'Sudden flow increase',
  }),
  threshold({
    // GB 5749-2022: residual chlorine at the tap ≥ 0.05 mg/L.
    id: 'water.chlorine.low',
    deviceKind: 'water-quality',
    metric: 'chlorine',
    direction: 'below',
    limits: { orange: 0.05 },
    hysteresis: 0.01,
    minDurationMs: MINUTE_MS,
    title: '余氯不足',
    titleEn: 'Residual chlorine too low',
  }),
  threshold({
    // GB 5749-2022: turbidity ≤ 1 NTU.
    id: 'water.turbidity.threshold',
    deviceKind: 'water-quality',
    metric: 'turbidity',
    direction: 'above',
    limits: { yellow: 1 },
    hysteresis: 0.1,
    minDurationMs: MINUTE_MS,
    title: '浊度超标',
    titleEn: 'Turbidity over limit',
  }),
  threshold({
    id: 'water.ph.high',
    deviceKind: 'water-quality',
    metric: 'ph',
    direction: 'above',
    limits: { yellow: 8.5 },
    hysteresis: 0.1,
    minDurationMs: MINUTE_MS,
    title: 'pH 偏高',
    titleEn: 'pH too high',
  }),
  threshold({
    id: 'water.ph.low',
    deviceKind: 'water-quality',
    metric: 'ph',
    direction: 'below',
    limits: { yellow: 6.5 },
    hysteresis: 0.1,
    minDurationMs: MINUTE_MS,
    title: 'pH 偏低',
    titleEn: 'pH too low',
  }),
  threshold({
    id: 'water.manhole-tilt.threshold',
    deviceKind: 'manhole-cover',
    metric: 'tilt',
    direction: 'above',
    limits: { yellow: 5, orange: 15 },
    hysteresis: 1,
    minDurationMs: 0,
    title: '井盖移位',
    titleEn: 'Manhole cover displaced',
  }),
  event({
    id: 'water.overflow.event',
    deviceKind: 'manhole-cover',
    metric: 'overflow',
    level: 'orange',
    title: '检查井冒溢',
    titleEn: 'Manhole overflow',
  }),
  // ---- emergency
  threshold({
    id: 'emergency.lel.threshold',
    deviceKind: 'gas-detector',
    metric: 'lel',
    direction: 'above',
    limits: { yellow: 10, orange: 20, red: 25 },
    hysteresis: 2,
    minDurationMs: 0,
    title: '可燃气体浓度超限',
    titleEn: 'Combustible gas over limit',
  }),
  event({
    id: 'emergency.fire.event',
    deviceKind: 'fire-alarm',
    metric: 'fire',
    level: 'red',
    title: '火灾报警',
    titleEn: 'Fire alarm',
  }),
  // ---- community
  event({
    id: 'community.smoke.event',
    deviceKind: 'smoke-detector',
    metric: 'smoke',
    level: 'orange',
    title: '烟感报警',
    titleEn: 'Smoke detected',
  }),
  threshold({
    id: 'community.elevator-fault.threshold',
    deviceKind: 'elevator',
    metric: 'faultCode',
    direction: 'above',
    limits: { yellow: 0.5 }, // any non-zero fault code
    hysteresis: 0,
    minDurationMs: 0,
    title: '电梯故障',
    titleEn: 'Elevator fault',
  }),
  event({
    id: 'community.trapped.event',
    deviceKind: 'elevator',
    metric: 'trapped',
    level: 'red',
    title: '电梯困人',
    titleEn: 'Passenger trapped in elevator',
  }),
  event({
    // A blocked fire lane is only yellow, but it still needs a grid worker: open a work order.
    id: 'community.blocked.event',
    deviceKind: 'fire-lane-camera',
    metric: 'blocked',
    level: 'yellow',
    autoIncidentLevel: 'yellow',
    title: '消防通道占用',
    titleEn: 'Fire lane blocked',
  }),
  threshold({
    id: 'community.ev-temperature.threshold',
    deviceKind: 'ev-charger',
    metric: 'temperature',
    direction: 'above',
    limits: { yellow: 60, orange: 70, red: 80 },
    hysteresis: 3,
    minDurationMs: 10 * SECOND_MS,
    title: '充电桩温度过高',
    titleEn: 'Charger overheating',
  }),
  event({
    id: 'community.fall.event',
    deviceKind: 'fall-detector',
    metric: 'fall',
    level: 'orange',
    title: '老人跌倒',
    titleEn: 'Fall detected (elderly resident)',
  }),
  event({
    id: 'community.door.event',
    deviceKind: 'door-sensor',
    metric: 'heldOpen',
    level: 'blue',
    autoIncidentLevel: null,
    title: '单元门长时间未关',
    titleEn: 'Door held open',
  }),
];

const OFFLINE_RULES: OfflineRule[] = DEVICE_KINDS.map((kind) => {
  const spec = DEVICE_CATALOGUE[kind];
  return {
    type: 'offline',
    id: `${spec.scene}.${kind}.offline`,
    deviceKind: kind,
    silenceMs: OFFLINE_SILENCE_FACTOR * spec.intervalMs,
    level: 'blue',
    autoIncidentLevel: null,
    title: `${spec.label}离线`,
    titleEn: `${spec.labelEn} offline`,
  };
});

/** Every default rule: sensor rules first, then one offline rule per kind. Ids are stable. */
export const DEFAULT_RULES: Rule[] = [...SENSOR_RULES, ...OFFLINE_RULES];

/** Rules that apply to one device kind (from DEFAULT_RULES unless a rule set is given). */
export function rulesForKind(kind: DeviceKind, rules: readonly Rule[] = DEFAULT_RULES): Rule[] {
  return rules.filter((r) => r.deviceKind === kind);
}

/** The spec of one metric of a kind, or undefined if the kind does not report it. */
export function metricSpec(kind: DeviceKind, metric: string): MetricSpec | undefined {
  return DEVICE_CATALOGUE[kind].metrics.find((m) => m.name === metric);
}

/** Incident categories; handlers' skills are drawn from this list. */
export const INCIDENT_CATEGORIES = [
  'gas-leak',
  'fire',
  'waterlogging',
  'flood',
  'bridge-structure',
  'bridge-overload',
  'pipe-burst',
  'water-quality',
  'manhole',
  'elevator',
  'fire-lane',
  'elderly-care',
  'ev-charger',
  'device-fault',
] as const;
export type IncidentCategory = (typeof INCIDENT_CATEGORIES)[number];

/** Incident category of alerts from a device kind (offline alerts are always 'device-fault'). */
export const CATEGORY_BY_KIND: Record<DeviceKind, IncidentCategory> = {
  'strain-gauge': 'bridge-structure',
  inclinometer: 'bridge-structure',
  accelerometer: 'bridge-structure',
  deflection: 'bridge-structure',
  'bearing-displacement': 'bridge-structure',
  'temp-humidity': 'bridge-structure',
  'weigh-in-motion': 'bridge-overload',
  'water-level': 'flood',
  waterlogging: 'waterlogging',
  'rain-gauge': 'waterlogging',
  'pump-station': 'waterlogging',
  'flood-gate': 'flood',
  'pipe-pressure': 'pipe-burst',
  'flow-meter': 'pipe-burst',
  'water-quality': 'water-quality',
  'manhole-cover': 'manhole',
  'gas-detector': 'gas-leak',
  'fire-alarm': 'fire',
  'smoke-detector': 'fire',
  elevator: 'elevator',
  'fire-lane-camera': 'fire-lane',
  'ev-charger': 'ev-charger',
  'fall-detector': 'elderly-care',
  'door-sensor': 'elderly-care',
  camera: 'device-fault',
};

/** The incident category an alert from this rule belongs to; used to match handler skills. */
export function categoryForRule(rule: Rule): IncidentCategory {
  if (rule.type === 'offline') return 'device-fault';
  return CATEGORY_BY_KIND[rule.deviceKind];
}
