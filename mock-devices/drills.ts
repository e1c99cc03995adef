/**
 * Scripted drills: deterministic scenarios with predictable outcomes, for demos and e2e tests.
 *
 * A drill picks its devices from the fleet by asset and kind (first matching device in fleet
 * order), so the same fleet options always give the same devices, for any fleet of ≥ 200
 * devices. It then scripts metric values as keyframes (and, for the rainstorm, the rainfall that
 * the physical model turns into rain-gauge readings). `expectedAlerts` derives the alerts that
 * MUST appear by evaluating each scripted peak against DEFAULT_RULES, so the rules stay the
 * single source of truth for levels.
 */
import type { AlertLevel, Asset, Device, DeviceKind, DistrictCode, LngLat, Rule } from '../scenes/domain';
import { ALERT_LEVEL_RANK } from '../scenes/domain';
import { DEFAULT_RULES } from '../scenes/catalogue';
import { QINGDAO_ASSETS } from '../scenes/city/qingdao';
import { rawThresholdLevel, EVENT_ACTIVE_MIN_VALUE } from '../scenes/rules';
import type { Keyframe } from './keyframes';

export const DRILL_NAMES = ['rainstorm', 'bridge-overload', 'gas-leak', 'community-fire'] as const;
export type DrillName = (typeof DRILL_NAMES)[number];

export function isDrillName(s: string): s is DrillName {
  return (DRILL_NAMES as readonly string[]).includes(s);
}

/** One device metric forced to scripted values while the drill runs. */
export interface MetricOverride {
  deviceId: string;
  metric: string;
  /** value keyframes (metric unit), atMs from drill start; before the first keyframe the natural signal shows */
  keyframes: Keyframe[];
  /** ms from drill start after which the natural signal resumes (default: drill end) */
  untilMs?: number;
}

/** Rainfall imposed on whole districts (mm/h keyframes); rain gauges there report it. */
export interface DrillRain {
  districts: DistrictCode[];
  keyframes: Keyframe[];
}

/** An alert a drill guarantees. `level` is the worst level the alert reaches (its peakLevel). */
export interface ExpectedAlert {
  deviceId: string;
  /** the alert's ruleId starts with this */
  ruleIdPrefix?: string;
  level: AlertLevel;
}

/** What a drill does to a concrete fleet. */
export interface DrillPlan {
  name: DrillName;
  durationMs: number;
  overrides: MetricOverride[];
  rain?: DrillRain;
  /** every device whose readings the drill changes (overrides + rain gauges under the rain) */
  deviceIds: string[];
  expected: ExpectedAlert[];
}

export interface Drill {
  name: DrillName;
  title: string;
  titleEn: string;
  /** ms */
  durationMs: number;
  plan(fleet: readonly Device[], assets?: readonly Asset[]): DrillPlan;
}

const SECOND_MS = 1000;

/** Urban districts of Qingdao (市南, 市北, 崂山, 李沧, 城阳): the rainstorm hits these. */
export const URBAN_DISTRICTS: DistrictCode[] = ['370202', '370203', '370212', '370213', '370214'];

/** Tunables of the scripted scenarios (values in the metric's unit; times in ms from drill start). */
export const DRILL_CONFIG = {
  rainstorm: {
    durationMs: 120 * SECOND_MS,
    peakRainfallMmPerH: 80,
    rainRampMs: 15 * SECOND_MS,
    rainEndMs: 115 * SECOND_MS,
    /** default warning / guarantee levels when the river asset has none, m (the rule's orange / red) */
    defaultWarningLevelM: 4.5,
    defaultGuaranteeLevelM: 5.8,
    /** start of the scripted rise when the asset has no normalLevelM, m */
    startLevelM: 2,
    /** the gauge passes warning at warningAtMs and stands this far above guarantee from guaranteeAtMs */
    warningAtMs: 25 * SECOND_MS,
    guaranteeAtMs: 45 * SECOND_MS,
    levelAboveGuaranteeM: 0.3,
    levelAboveWarningM: 0.1,
    underpassCount: 3,
    peakDepthCm: 45,
    depthStartMs: 20 * SECOND_MS,
    depthPeakMs: 50 * SECOND_MS,
    riverNamePattern: /licun|李村河/i,
    riverDistrict: '370213' as DistrictCode,
  },
  bridgeOverload: {
    durationMs: 90 * SECOND_MS,
    bridgeNamePattern: /jiaozhou bay bridge|胶州湾大桥/i,
    truckT: 75,
    truckSpeedKmh: 30,
    truckAtMs: 15 * SECOND_MS,
    truckGoneMs: 25 * SECOND_MS,
    strainStartMicrostrain: 200,
    strainPeakMicrostrain: 430,
    deflectionStartMm: 25,
    deflectionPeakMm: 60,
    responseStartMs: 10 * SECOND_MS,
    responsePeakMs: 20 * SECOND_MS,
    responseHoldUntilMs: 60 * SECOND_MS,
    responseEndMs: 70 * SECOND_MS,
  },
  gasLeak: {
    durationMs: 100 * SECOND_MS,
    sourcePeakLel: 30,
    neighbourPeakLel: 15,
    backgroundLel: 1,
    sourceStartMs: 10 * SECOND_MS,
    sourcePeakMs: 40 * SECOND_MS,
    neighbourStartMs: 20 * SECOND_MS,
    neighbourPeakMs: 50 * SECOND_MS,
  },
  communityFire: {
    durationMs: 90 * SECOND_MS,
    smokeAtMs: 5 * SECOND_MS,
    fireAtMs: 25 * SECOND_MS,
    trappedAtMs: 35 * SECOND_MS,
  },
} as const;

function assetsOfKind(assets: readonly Asset[], kind: Asset['kind']): Asset[] {
  return assets.filter((a) => a.kind === kind);
}
function firstOn(fleet: readonly Device[], kind: DeviceKind, assetId: string | undefined): Device | undefined {
  return fleet.find((d) => d.kind === kind && (assetId === undefined || d.assetId === assetId));
}
function firstOfKind(fleet: readonly Device[], kind: DeviceKind, pred: (d: Device) => boolean = () => true): Device | undefined {
  return fleet.find((d) => d.kind === kind && pred(d));
}
/** Squared ground distance proxy (longitude scaled by cos(latitude)); fine for "nearest" within a city. */
function distance2(a: LngLat, b: LngLat): number {
  const dx = (a[0] - b[0]) * Math.cos((a[1] * Math.PI) / 180);
  const dy = a[1] - b[1];
  return dx * dx + dy * dy;
}
function nearest(fleet: readonly Device[], kind: DeviceKind, to: LngLat, exclude: ReadonlySet<string>): Device | undefined {
  let best: Device | undefined;
  let bestD = Infinity;
  for (const d of fleet) {
    if (d.kind !== kind || exclude.has(d.id)) continue;
    const dd = distance2(d.location, to);
    if (dd < bestD) {
      best = d;
      bestD = dd;
    }
  }
  return best;
}
function numProp(asset: Asset | undefined, key: string): number | undefined {
  const v = asset?.props[key];
  return typeof v === 'number' ? v : undefined;
}
function step(atMs: number, value: number): Keyframe[] {
  return [{ atMs, value }];
}
function uniqueIds(ids: (string | undefined)[]): string[] {
  return [...new Set(ids.filter((x): x is string => x !== undefined))];
}

/** The worst level each rule of `kind` on `metric` reaches at `peak`. */
function levelsAtPeak(kind: DeviceKind, metric: string, peak: number, rules: readonly Rule[]): { ruleId: string; level: AlertLevel }[] {
  const out: { ruleId: string; level: AlertLevel }[] = [];
  for (const r of rules) {
    if (r.deviceKind !== kind || r.type === 'offline' || r.type === 'rate' || r.metric !== metric) continue;
    const level = r.type === 'threshold' ? rawThresholdLevel(r, peak) : peak >= EVENT_ACTIVE_MIN_VALUE ? r.level : null;
    if (level) out.push({ ruleId: r.id, level });
  }
  return out;
}

/** Alerts that must follow from a plan's overrides and rain, per DEFAULT_RULES. */
export function deriveExpectedAlerts(
  fleet: readonly Device[],
  overrides: readonly MetricOverride[],
  rain: DrillRain | undefined,
  rules: readonly Rule[] = DEFAULT_RULES,
): ExpectedAlert[] {
  const byId = new Map(fleet.map((d) => [d.id, d]));
  const out: ExpectedAlert[] = [];
  const push = (deviceId: string, ruleId: string, level: AlertLevel) => {
    const existing = out.find((e) => e.deviceId === deviceId && e.ruleIdPrefix === ruleId);
    if (!existing) out.push({ deviceId, ruleIdPrefix: ruleId, level });
    else if (ALERT_LEVEL_RANK[level] < ALERT_LEVEL_RANK[existing.level]) existing.level = level;
  };
  for (const o of overrides) {
    const d = byId.get(o.deviceId);
    if (!d) continue;
    const peak = Math.max(...o.keyframes.map((k) => k.value));
    for (const { ruleId, level } of levelsAtPeak(d.kind, o.metric, peak, rules)) push(d.id, ruleId, level);
  }
  if (rain) {
    const peak = Math.max(...rain.keyframes.map((k) => k.value));
    for (const d of fleet) {
      if (d.kind !== 'rain-gauge' || !rain.districts.includes(d.district)) continue;
      for (const { ruleId, level } of levelsAtPeak(d.kind, 'rainfall', peak, rules)) push(d.id, ruleId, level);
    }
  }
  return out;
}

function finishPlan(name: DrillName, durationMs: number, fleet: readonly Device[], overrides: MetricOverride[], rain?: DrillRain): DrillPlan {
  const rainGauges = rain ? fleet.filter((d) => d.kind === 'rain-gauge' && rain.districts.includes(d.district)).map((d) => d.id) : [];
  return {
    name,
    durationMs,
    overrides,
    rain,
    deviceIds: uniqueIds([...overrides.map((o) => o.deviceId), ...rainGauges]),
    expected: deriveExpectedAlerts(fleet, overrides, rain),
  };
}

// ---------------------------------------------------------------------------------------------

function planRainstorm(fleet: readonly Device[], assets: readonly Asset[]): DrillPlan {
  const c = DRILL_CONFIG.rainstorm;
  const rain: DrillRain = {
    districts: [...URBAN_DISTRICTS],
    keyframes: [
      { atMs: 0, value: 0 },
      { atMs: c.rainRampMs, value: c.peakRainfallMmPerH },
      { atMs: c.rainEndMs, value: c.peakRainfallMmPerH },
      { atMs: c.durationMs, value: 0 },
    ],
  };
  const overrides: MetricOverride[] = [];

  // The Licun River gauge: past its warning level (orange), then its guarantee level (red).
  const rivers = assetsOfKind(assets, 'river');
  const licun = rivers.find((a) => c.riverNamePattern.test(a.name) || c.riverNamePattern.test(a.nameEn) || c.riverNamePattern.test(a.id));
  const gauge =
    (licun && firstOn(fleet, 'water-level', licun.id)) ??
    firstOfKind(fleet, 'water-level', (d) => d.district === c.riverDistrict) ??
    firstOfKind(fleet, 'water-level');
  if (gauge) {
    const gaugeAsset = assets.find((a) => a.id === gauge.assetId);
    // Above both the asset's own levels and the rule's default limits, whichever is higher.
    const warning = Math.max(numProp(gaugeAsset, 'warningLevelM') ?? 0, c.defaultWarningLevelM);
    const guarantee = Math.max(numProp(gaugeAsset, 'guaranteeLevelM') ?? 0, c.defaultGuaranteeLevelM);
    overrides.push({
      deviceId: gauge.id,
      metric: 'level',
      keyframes: [
        { atMs: 0, value: numProp(gaugeAsset, 'normalLevelM') ?? c.startLevelM },
        { atMs: c.warningAtMs, value: warning + c.levelAboveWarningM },
        { atMs: c.guaranteeAtMs, value: guarantee + c.levelAboveGuaranteeM },
      ],
    });
  }

  // Three underpasses flood to 45 cm (red): first waterlogging sensor of each underpass, in asset order.
  const picked: Device[] = [];
  for (const u of assetsOfKind(assets, 'underpass')) {
    if (picked.length >= c.underpassCount) break;
    const d = firstOn(fleet, 'waterlogging', u.id);
    if (d) picked.push(d);
  }
  for (const d of fleet) {
    if (picked.length >= c.underpassCount) break;
    if (d.kind === 'waterlogging' && URBAN_DISTRICTS.includes(d.district) && !picked.includes(d)) picked.push(d);
  }
  for (const d of picked) {
    overrides.push({
      deviceId: d.id,
      metric: 'depth',
      keyframes: [
        { atMs: c.depthStartMs, value: 0 },
        { atMs: c.depthPeakMs, value: c.peakDepthCm },
      ],
    });
  }
  return finishPlan('rainstorm', c.durationMs, fleet, overrides, rain);
}

function planBridgeOverload(fleet: readonly Device[], assets: readonly Asset[]): DrillPlan {
  const c = DRILL_CONFIG.bridgeOverload;
  const bridges = assetsOfKind(assets, 'bridge');
  const named = bridges.find((a) => c.bridgeNamePattern.test(a.name) || c.bridgeNamePattern.test(a.nameEn) || c.bridgeNamePattern.test(a.id));
  // The Jiaozhou Bay Bridge if the fleet has a WIM station on it, else the first bridge that does.
  const bridge = [named, ...bridges].find((b) => b !== undefined && firstOn(fleet, 'weigh-in-motion', b.id) !== undefined);
  const wim = bridge ? firstOn(fleet, 'weigh-in-motion', bridge.id) : firstOfKind(fleet, 'weigh-in-motion');
  const bridgeId = bridge?.id ?? wim?.assetId;
  const strain = firstOn(fleet, 'strain-gauge', bridgeId) ?? firstOfKind(fleet, 'strain-gauge');
  const deflection = firstOn(fleet, 'deflection', bridgeId) ?? firstOfKind(fleet, 'deflection');
  const response = (start: number, peak: number): Keyframe[] => [
    { atMs: c.responseStartMs, value: start },
    { atMs: c.responsePeakMs, value: peak },
    { atMs: c.responseHoldUntilMs, value: peak },
    { atMs: c.responseEndMs, value: start },
  ];
  const overrides: MetricOverride[] = [];
  if (wim) {
    overrides.push({ deviceId: wim.id, metric: 'grossWeight', keyframes: step(c.truckAtMs, c.truckT), untilMs: c.truckGoneMs });
    overrides.push({ deviceId: wim.id, metric: 'speed', keyframes: step(c.truckAtMs, c.truckSpeedKmh), untilMs: c.truckGoneMs });
  }
  if (strain)
    overrides.push({
      deviceId: strain.id,
      metric: 'strain',
      keyframes: response(c.strainStartMicrostrain, c.strainPeakMicrostrain),
      untilMs: c.responseEndMs,
    });
  if (deflection)
    overrides.push({
      deviceId: deflection.id,
      metric: 'deflection',
      keyframes: response(c.deflectionStartMm, c.deflectionPeakMm),
      untilMs: c.responseEndMs,
    });
  return finishPlan('bridge-overload', c.durationMs, fleet, overrides);
}

function planGasLeak(fleet: readonly Device[], assets: readonly Asset[]): DrillPlan {
  const c = DRILL_CONFIG.gasLeak;
  const wells = new Set(assetsOfKind(assets, 'pipe-well').map((a) => a.id));
  const source = firstOfKind(fleet, 'gas-detector', (d) => d.assetId !== undefined && wells.has(d.assetId)) ?? firstOfKind(fleet, 'gas-detector');
  const overrides: MetricOverride[] = [];
  if (source) {
    overrides.push({
      deviceId: source.id,
      metric: 'lel',
      keyframes: [
        { atMs: c.sourceStartMs, value: c.backgroundLel },
        { atMs: c.sourcePeakMs, value: c.sourcePeakLel },
      ],
    });
    const neighbour = nearest(fleet, 'gas-detector', source.location, new Set([source.id]));
    if (neighbour) {
      overrides.push({
        deviceId: neighbour.id,
        metric: 'lel',
        keyframes: [
          { atMs: c.neighbourStartMs, value: c.backgroundLel },
          { atMs: c.neighbourPeakMs, value: c.neighbourPeakLel },
        ],
      });
    }
  }
  return finishPlan('gas-leak', c.durationMs, fleet, overrides);
}

function planCommunityFire(fleet: readonly Device[], assets: readonly Asset[]): DrillPlan {
  const c = DRILL_CONFIG.communityFire;
  // The first community (asset order) with a smoke detector; prefer one that also has a fire alarm and an elevator.
  const communities = assetsOfKind(assets, 'community').filter((a) => firstOn(fleet, 'smoke-detector', a.id));
  const complete = communities.find((a) => firstOn(fleet, 'fire-alarm', a.id) && firstOn(fleet, 'elevator', a.id));
  const community = complete ?? communities[0];
  const smoke = community ? firstOn(fleet, 'smoke-detector', community.id) : firstOfKind(fleet, 'smoke-detector');
  const overrides: MetricOverride[] = [];
  if (smoke) {
    const none = new Set<string>();
    const fire = (community && firstOn(fleet, 'fire-alarm', community.id)) ?? nearest(fleet, 'fire-alarm', smoke.location, none);
    const elevator = (community && firstOn(fleet, 'elevator', community.id)) ?? nearest(fleet, 'elevator', smoke.location, none);
    overrides.push({ deviceId: smoke.id, metric: 'smoke', keyframes: step(c.smokeAtMs, 1) });
    if (fire) overrides.push({ deviceId: fire.id, metric: 'fire', keyframes: step(c.fireAtMs, 1) });
    if (elevator) overrides.push({ deviceId: elevator.id, metric: 'trapped', keyframes: step(c.trappedAtMs, 1) });
  }
  return finishPlan('community-fire', c.durationMs, fleet, overrides);
}

export const DRILLS: Record<DrillName, Drill> = {
  rainstorm: {
    name: 'rainstorm',
    title: '城区暴雨内涝演练',
    titleEn: 'Urban rainstorm drill',
    durationMs: DRILL_CONFIG.rainstorm.durationMs,
    plan: (fleet, assets = QINGDAO_ASSETS) => planRainstorm(fleet, assets),
  },
  'bridge-overload': {
    name: 'bridge-overload',
    title: '桥梁超载演练',
    titleEn: 'Bridge overload drill',
    durationMs: DRILL_CONFIG.bridgeOverload.durationMs,
    plan: (fleet, assets = QINGDAO_ASSETS) => planBridgeOverload(fleet, assets),
  },
  'gas-leak': {
    name: 'gas-leak',
    title: '燃气泄漏演练',
    titleEn: 'Gas leak drill',
    durationMs: DRILL_CONFIG.gasLeak.durationMs,
    plan: (fleet, assets = QINGDAO_ASSETS) => planGasLeak(fleet, assets),
  },
  'community-fire': {
    name: 'community-fire',
    title: '社区火情演练',
    titleEn: 'Community fire drill',
    durationMs: DRILL_CONFIG.communityFire.durationMs,
    plan: (fleet, assets = QINGDAO_ASSETS) => planCommunityFire(fleet, assets),
  },
};

/** The alerts a drill guarantees on this fleet (level = worst level reached). */
export function expectedAlerts(drillName: DrillName, fleet: readonly Device[], assets: readonly Asset[] = QINGDAO_ASSETS): ExpectedAlert[] {
  return DRILLS[drillName].plan(fleet, assets).expected;
}
