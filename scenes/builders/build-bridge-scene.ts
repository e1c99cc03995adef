/**
 * Bridge monitoring (路桥): structural sensors and weigh-in-motion on the city's bridges, with a
 * health index per bridge. Pure: (FusedState) → SceneModel.
 */
import type { Alert, Asset, Device, DeviceKind } from '../domain';
import type { AssetItem, ChartData, ChartLine, FusedState, Kpi, SceneModel } from '../scene-model';
import {
  BRIDGE_HEALTH_MAX,
  MAX_CHART_LINES,
  assetItems,
  computeDeviceStatuses,
  countBarChart,
  devicePoints,
  handlerItems,
  incidentItems,
  isOfflineAlert,
  kpi,
  latestMetric,
  openAlertItems,
  raisedToday,
  round1,
  ruleLimitMarks,
  selectSensors,
  seriesLine,
  timeseriesChart,
} from './common';
import { isAlertOpen } from '../alert-lifecycle';

/** Device kinds whose alerts are structural (the bridge itself), as opposed to traffic or climate. */
export const STRUCTURAL_KINDS: ReadonlySet<DeviceKind> = new Set([
  'strain-gauge',
  'inclinometer',
  'accelerometer',
  'deflection',
  'bearing-displacement',
]);

/** Health shown as the city average when no bridge is monitored (nothing known to be wrong). */
export const HEALTH_AVERAGE_WHEN_NONE = BRIDGE_HEALTH_MAX;

function isOverloadAlert(alert: Alert): boolean {
  return alert.deviceKind === 'weigh-in-motion' && !isOfflineAlert(alert);
}

function isStructuralAlert(alert: Alert): boolean {
  return STRUCTURAL_KINDS.has(alert.deviceKind) && !isOfflineAlert(alert);
}

interface BridgeContext {
  state: FusedState;
  bridges: readonly Asset[];
  /** bridge-scene devices per bridge id, sorted by device id */
  devicesByBridge: ReadonlyMap<string, Device[]>;
}

/**
 * One line per bridge: the series of `seriesMetric` from the bridge's device of `kind` with the
 * highest latest `rankMetric`. Bridges with the highest such values come first; at most
 * MAX_CHART_LINES lines.
 */
function perBridgeLines(ctx: BridgeContext, kind: DeviceKind, rankMetric: string, seriesMetric: string, useMax: boolean): ChartLine[] {
  const candidates: { rank: number; bridgeId: string; line: ChartLine }[] = [];
  for (const bridge of ctx.bridges) {
    let best: { device: Device; value: number } | null = null;
    for (const device of ctx.devicesByBridge.get(bridge.id) ?? []) {
      if (device.kind !== kind) continue;
      const value = latestMetric(ctx.state, device.id, rankMetric) ?? Number.NEGATIVE_INFINITY;
      if (best === null || value > best.value) best = { device, value };
    }
    if (best === null) continue;
    const line = seriesLine(ctx.state, best.device.id, seriesMetric, bridge.name, bridge.nameEn, useMax);
    if (line !== null) candidates.push({ rank: best.value, bridgeId: bridge.id, line });
  }
  candidates.sort((a, b) => b.rank - a.rank || (a.bridgeId < b.bridgeId ? -1 : a.bridgeId > b.bridgeId ? 1 : 0));
  return candidates.slice(0, MAX_CHART_LINES).map((c) => c.line);
}

function bridgeKpis(state: FusedState, bridgeItems: readonly AssetItem[], bridgeAlerts: readonly Alert[]): Kpi[] {
  const healthSum = bridgeItems.reduce((sum, b) => sum + (b.health ?? BRIDGE_HEALTH_MAX), 0);
  const healthAverage = bridgeItems.length === 0 ? HEALTH_AVERAGE_WHEN_NONE : round1(healthSum / bridgeItems.length);
  const overloadsToday = bridgeAlerts.filter((a) => isOverloadAlert(a) && raisedToday(a, state.nowTs)).length;
  const openStructural = bridgeAlerts.filter((a) => isStructuralAlert(a) && isAlertOpen(a)).length;
  return [
    kpi('bridgesMonitored', '监测桥梁', 'Bridges monitored', bridgeItems.length, '座'),
    kpi('healthAverage', '平均健康指数', 'Average health index', healthAverage, '分'),
    kpi('overloadsToday', '今日超载', 'Overloads today', overloadsToday, '次'),
    kpi('openStructuralAlerts', '结构告警', 'Open structural alerts', openStructural, '条'),
  ];
}

function overloadsChart(ctx: BridgeContext, bridgeAlerts: readonly Alert[]): ChartData {
  const bridgeOfDevice = new Map<string, string>();
  for (const [bridgeId, devices] of ctx.devicesByBridge) for (const d of devices) bridgeOfDevice.set(d.id, bridgeId);
  const counts = new Map<string, number>();
  for (const alert of bridgeAlerts) {
    if (!isOverloadAlert(alert) || !raisedToday(alert, ctx.state.nowTs)) continue;
    const bridgeId = bridgeOfDevice.get(alert.deviceId);
    if (bridgeId !== undefined) counts.set(bridgeId, (counts.get(bridgeId) ?? 0) + 1);
  }
  return countBarChart(ctx.state, {
    title: '今日超载次数',
    titleEn: 'Overloads today',
    unit: '次',
    categories: ctx.bridges.map((b) => b.name),
    categoriesEn: ctx.bridges.map((b) => b.nameEn),
    series: [{ id: 'overloads', name: '超载', nameEn: 'Overloads', values: ctx.bridges.map((b) => counts.get(b.id) ?? 0) }],
  });
}

export function buildBridgeScene(state: FusedState): SceneModel {
  const statuses = computeDeviceStatuses(state);
  const bridgeDevices = selectSensors(state, 'bridge');
  const bridges = state.assets.filter((a) => a.kind === 'bridge').sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const devicesByBridge = new Map<string, Device[]>();
  for (const device of bridgeDevices) {
    if (device.assetId === undefined) continue;
    const list = devicesByBridge.get(device.assetId);
    if (list === undefined) devicesByBridge.set(device.assetId, [device]);
    else list.push(device);
  }
  const ctx: BridgeContext = { state, bridges, devicesByBridge };
  const bridgeItems = assetItems(state, statuses, (a) => a.kind === 'bridge', 'bridges');
  const bridgeAlerts = state.alerts.filter((a) => a.scene === 'bridge');

  const strainKind: DeviceKind = 'strain-gauge';
  const deflectionKind: DeviceKind = 'deflection';
  const vibrationKind: DeviceKind = 'accelerometer';

  return {
    scene: 'bridge',
    generatedTs: state.nowTs,
    kpis: bridgeKpis(state, bridgeItems, bridgeAlerts),
    devices: devicePoints(state, statuses, 'bridge'),
    alerts: openAlertItems(state, (a) => a.scene === 'bridge'),
    incidents: incidentItems(state, (i) => i.scene === 'bridge'),
    handlers: handlerItems(state),
    assets: bridgeItems,
    resources: [],
    charts: {
      bridgeHealth: countBarChart(state, {
        title: '桥梁健康指数',
        titleEn: 'Bridge health index',
        unit: '分',
        categories: bridgeItems.map((b) => b.name),
        categoriesEn: bridgeItems.map((b) => b.nameEn),
        series: [{ id: 'health', name: '健康指数', nameEn: 'Health index', values: bridgeItems.map((b) => b.health ?? BRIDGE_HEALTH_MAX) }],
      }),
      strain: timeseriesChart(state, {
        title: '最大应变',
        titleEn: 'Peak strain',
        unit: 'με',
        kind: strainKind,
        lines: perBridgeLines(ctx, strainKind, 'strain', 'strain', true),
        marks: ruleLimitMarks(strainKind, 'strain'),
      }),
      deflection: timeseriesChart(state, {
        title: '最大挠度',
        titleEn: 'Peak deflection',
        unit: 'mm',
        kind: deflectionKind,
        lines: perBridgeLines(ctx, deflectionKind, 'deflection', 'deflection', true),
        marks: ruleLimitMarks(deflectionKind, 'deflection'),
      }),
      overloads: overloadsChart(ctx, bridgeAlerts),
      vibration: timeseriesChart(state, {
        title: '自振频率',
        titleEn: 'Natural frequency',
        unit: 'Hz',
        kind: vibrationKind,
        lines: perBridgeLines(ctx, vibrationKind, 'accel', 'freq', false),
      }),
    },
  };
}
