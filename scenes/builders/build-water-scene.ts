/**
 * Water (水务): rivers and reservoirs, urban waterlogging, rainfall, the pipe network and pump
 * stations. Pure: (FusedState) → SceneModel.
 */
import type { Asset, Device, DeviceKind } from '../domain';
import type { ChartData, ChartLine, ChartMarkLine, FusedState, Kpi, SceneModel } from '../scene-model';
import {
  MAX_CHART_LINES,
  assetItems,
  computeDeviceStatuses,
  countBarChart,
  countPieChart,
  handlerItems,
  incidentItems,
  kpi,
  seriesKey,
  openAlertItems,
  ruleLimitMarks,
  selectSensors,
  seriesLine,
  thresholdRule,
  timeseriesChart,
  devicePoints,
} from './common';
import { RIVER_ASSET_KINDS, riverLevelsOf } from '../rule-overrides';
import { warningItems } from './warning-items';

/** A waterlogging point counts as waterlogged from this depth, cm (the yellow line of the default rule). */
export const WATERLOGGED_DEPTH_CM = 15;
/** The waterlogging ranking shows this many points. */
export const WATERLOGGING_RANK_SIZE = 10;
/** A pump station reports `running` ≥ this value while running (flag metric). */
export const PUMP_RUNNING_MIN_VALUE = 1;
/** Asset kinds whose water-level gauges are river gauges (warning/guarantee levels apply); one home: rule-overrides.ts. */
export { RIVER_ASSET_KINDS };

interface WaterContext {
  state: FusedState;
  /** water-scene devices per kind, each list sorted by id (one pass over all devices) */
  devicesByKind: ReadonlyMap<DeviceKind, readonly Device[]>;
  assetsById: ReadonlyMap<string, Asset>;
}

function groupByKind(devices: readonly Device[]): Map<DeviceKind, Device[]> {
  const byKind = new Map<DeviceKind, Device[]>();
  for (const device of devices) {
    const list = byKind.get(device.kind);
    if (list === undefined) byKind.set(device.kind, [device]);
    else list.push(device);
  }
  return byKind;
}

interface Reading {
  device: Device;
  /** latest value, metric unit */
  value: number;
}

/** Latest value of every online device of a kind, in device id order (unsorted by value). */
function onlineReadings(ctx: WaterContext, kind: DeviceKind, metric: string): Reading[] {
  const out: Reading[] = [];
  for (const device of ctx.devicesByKind.get(kind) ?? []) {
    const deviceState = ctx.state.deviceStates.get(device.id);
    if (deviceState === undefined || !deviceState.online) continue;
    const value = deviceState.metrics[metric];
    if (value !== undefined) out.push({ device, value });
  }
  return out;
}

/** Highest value first ('desc') or lowest first ('asc'); ties by device id. */
function compareReadings(order: 'desc' | 'asc'): (a: Reading, b: Reading) => number {
  const sign = order === 'desc' ? -1 : 1;
  return (a, b) => sign * (a.value - b.value) || (a.device.id < b.device.id ? -1 : a.device.id > b.device.id ? 1 : 0);
}

/**
 * The first `k` readings in `compare` order without sorting them all: O(n·k), which beats a
 * full sort for the small k of rankings when tens of thousands of gauges report.
 */
function topK<T>(items: readonly T[], k: number, compare: (a: T, b: T) => number): T[] {
  const best: T[] = [];
  for (const item of items) {
    if (best.length === k && compare(item, best[k - 1]) >= 0) continue;
    let i = best.length < k ? best.length : k - 1;
    if (best.length < k) best.push(item);
    while (i > 0 && compare(item, best[i - 1]) < 0) {
      best[i] = best[i - 1];
      i--;
    }
    best[i] = item;
  }
  return best;
}

function maxValue(readings: readonly Reading[]): number {
  let max = 0;
  for (const r of readings) if (r.value > max) max = r.value;
  return max;
}

/** Display name of a device: its asset's name when mounted on one. */
function placeName(ctx: WaterContext, device: Device): { name: string; nameEn: string } {
  const asset = device.assetId === undefined ? undefined : ctx.assetsById.get(device.assetId);
  return asset === undefined ? { name: device.name, nameEn: device.name } : { name: asset.name, nameEn: asset.nameEn };
}

/** The MAX_CHART_LINES first readings in `order` among devices that have a series of `metric`. */
function chartedReadings<T extends Reading>(ctx: WaterContext, readings: readonly T[], metric: string, order: 'desc' | 'asc'): T[] {
  const withSeries = readings.filter((r) => ctx.state.series.has(seriesKey(r.device.id, metric)));
  return topK(withSeries, MAX_CHART_LINES, compareReadings(order));
}

function linesOf(ctx: WaterContext, readings: readonly Reading[], metric: string): ChartLine[] {
  const lines: ChartLine[] = [];
  for (const { device } of readings) {
    const place = placeName(ctx, device);
    const line = seriesLine(ctx.state, device.id, metric, place.name, place.nameEn);
    if (line !== null) lines.push(line);
  }
  return lines;
}

/**
 * Warning and guarantee levels of a river asset, m: its own props — the levels its alarm ladder is
 * built from (rule-overrides.ts riverLimits: yellow = warning, red = guarantee) — else the default
 * rule's yellow and red, so '超警戒河道' counts the gauges that alarm yellow or worse.
 */
export function riverLevels(asset: Asset | undefined): { warningM: number | undefined; guaranteeM: number | undefined } {
  const rule = thresholdRule('water-level', 'level');
  const own = riverLevelsOf(asset);
  return { warningM: own.warningLevelM ?? rule?.limits.yellow, guaranteeM: own.guaranteeLevelM ?? rule?.limits.red };
}

interface GaugeReading extends Reading {
  asset: Asset | undefined;
}

/** Online water-level gauges on rivers and reservoirs (or on no asset), in device id order. */
function riverGauges(ctx: WaterContext): GaugeReading[] {
  const out: GaugeReading[] = [];
  for (const r of onlineReadings(ctx, 'water-level', 'level')) {
    const asset = r.device.assetId === undefined ? undefined : ctx.assetsById.get(r.device.assetId);
    if (asset === undefined || RIVER_ASSET_KINDS.has(asset.kind)) out.push({ device: r.device, value: r.value, asset });
  }
  return out;
}

/** Warning/guarantee marks of the rivers drawn (deduplicated by level and value). */
function riverMarks(charted: readonly GaugeReading[]): ChartMarkLine[] {
  const marks: ChartMarkLine[] = [];
  const seen = new Set<string>();
  for (const { asset } of charted) {
    const { warningM, guaranteeM } = riverLevels(asset);
    const prefix = asset?.name ?? '';
    const prefixEn = asset === undefined ? '' : `${asset.nameEn} `;
    for (const [value, level, name, nameEn] of [
      [warningM, 'warning', '警戒水位', 'warning level'],
      [guaranteeM, 'guarantee', '保证水位', 'guarantee level'],
    ] as const) {
      if (value === undefined || seen.has(`${level}:${value}`)) continue;
      seen.add(`${level}:${value}`);
      marks.push({ name: `${prefix}${name}`, nameEn: `${prefixEn}${nameEn}`, value, level });
    }
  }
  return marks;
}

function pumpCounts(ctx: WaterContext): { running: number; stopped: number; offline: number } {
  const counts = { running: 0, stopped: 0, offline: 0 };
  for (const device of ctx.devicesByKind.get('pump-station') ?? []) {
    const deviceState = ctx.state.deviceStates.get(device.id);
    if (deviceState === undefined || !deviceState.online) counts.offline++;
    else if ((deviceState.metrics.running ?? 0) >= PUMP_RUNNING_MIN_VALUE) counts.running++;
    else counts.stopped++;
  }
  return counts;
}

function waterKpis(ctx: WaterContext, gauges: readonly GaugeReading[], logging: readonly Reading[], rain: readonly Reading[]): Kpi[] {
  const pumps = pumpCounts(ctx);
  const riversAbove = new Set<string>();
  for (const gauge of gauges) {
    const { warningM } = riverLevels(gauge.asset);
    if (warningM !== undefined && gauge.value >= warningM) riversAbove.add(gauge.asset?.id ?? gauge.device.id);
  }
  return [
    kpi('maxWaterloggingDepth', '最大积水深度', 'Deepest waterlogging', maxValue(logging), 'cm'),
    kpi('pointsWaterlogged', '积水点', 'Points waterlogged', logging.filter((l) => l.value >= WATERLOGGED_DEPTH_CM).length, '处'),
    kpi('rainfallMax', '最大雨强', 'Heaviest rainfall', maxValue(rain), 'mm/h'),
    kpi('pumpsRunning', '运行泵站', 'Pump stations running', pumps.running, '座'),
    kpi('pumpsTotal', '泵站总数', 'Pump stations', pumps.running + pumps.stopped + pumps.offline, '座'),
    kpi('riversAboveWarning', '超警戒河道', 'Rivers above warning level', riversAbove.size, '条'),
  ];
}

/** The deepest reading per place (an underpass has several sensors; it is ranked once). */
function deepestPerPlace(logging: readonly Reading[]): Reading[] {
  const byPlace = new Map<string, Reading>();
  for (const r of logging) {
    const key = r.device.assetId ?? r.device.id;
    const seen = byPlace.get(key);
    if (!seen || r.value > seen.value || (r.value === seen.value && r.device.id < seen.device.id)) byPlace.set(key, r);
  }
  return [...byPlace.values()];
}

function waterloggingChart(ctx: WaterContext, logging: readonly Reading[]): ChartData {
  const top = topK(deepestPerPlace(logging), WATERLOGGING_RANK_SIZE, compareReadings('desc'));
  const names = top.map((t) => placeName(ctx, t.device));
  return countBarChart(ctx.state, {
    title: '积水深度排名',
    titleEn: 'Deepest waterlogging points',
    unit: 'cm',
    categories: names.map((n) => n.name),
    categoriesEn: names.map((n) => n.nameEn),
    series: [{ id: 'depth', name: '积水深度', nameEn: 'Depth', values: top.map((t) => t.value) }],
  });
}

export function buildWaterScene(state: FusedState): SceneModel {
  const statuses = computeDeviceStatuses(state);
  const waterDevices = selectSensors(state, 'water');
  const ctx: WaterContext = {
    state,
    devicesByKind: groupByKind(waterDevices),
    assetsById: new Map(state.assets.map((a) => [a.id, a])),
  };
  const gauges = riverGauges(ctx);
  const logging = onlineReadings(ctx, 'waterlogging', 'depth');
  const rain = onlineReadings(ctx, 'rain-gauge', 'rainfall');
  const pressure = onlineReadings(ctx, 'pipe-pressure', 'pressure');
  const chartedGauges = chartedReadings(ctx, gauges, 'level', 'desc');
  const pumps = pumpCounts(ctx);
  return {
    scene: 'water',
    generatedTs: state.nowTs,
    // area warnings (issue 14): count and list on the wall; the gauges stay in the console's detail
    warnings: warningItems(state, 'water'),
    kpis: waterKpis(ctx, gauges, logging, rain),
    devices: devicePoints(state, statuses, 'water'),
    alerts: openAlertItems(state, (a) => a.scene === 'water'),
    incidents: incidentItems(state, (i) => i.scene === 'water'),
    handlers: handlerItems(state),
    assets: assetItems(state, statuses, (a) => a.scene === 'water', 'scene:water'),
    resources: [],
    charts: {
      riverLevels: timeseriesChart(state, {
        title: '河道水位',
        titleEn: 'River levels',
        unit: 'm',
        kind: 'water-level',
        lines: linesOf(ctx, chartedGauges, 'level'),
        marks: riverMarks(chartedGauges),
      }),
      rainfall: timeseriesChart(state, {
        title: '降雨强度',
        titleEn: 'Rainfall intensity',
        unit: 'mm/h',
        kind: 'rain-gauge',
        lines: linesOf(ctx, chartedReadings(ctx, rain, 'rainfall', 'desc'), 'rainfall'),
        marks: ruleLimitMarks('rain-gauge', 'rainfall'),
      }),
      waterlogging: waterloggingChart(ctx, logging),
      pipePressure: timeseriesChart(state, {
        title: '管网压力',
        titleEn: 'Pipe pressure',
        unit: 'MPa',
        kind: 'pipe-pressure',
        // lowest pressure first: a falling pressure is the sign of a burst
        lines: linesOf(ctx, chartedReadings(ctx, pressure, 'pressure', 'asc'), 'pressure'),
        marks: ruleLimitMarks('pipe-pressure', 'pressure'),
      }),
      pumps: countPieChart(state, {
        title: '泵站运行',
        titleEn: 'Pump stations',
        unit: '座',
        slices: [
          { id: 'running', name: '运行', nameEn: 'Running', value: pumps.running },
          { id: 'stopped', name: '停止', nameEn: 'Stopped', value: pumps.stopped },
          { id: 'offline', name: '离线', nameEn: 'Offline', value: pumps.offline },
        ],
      }),
    },
  };
}
