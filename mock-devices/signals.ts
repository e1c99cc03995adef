/**
 * Physically plausible signals per device kind, as PURE functions of
 * (device, its asset, simulated time, weather, previous signal state, rng).
 *
 * - Bridges: strain and deflection = dead load + daily thermal cycle + traffic (rush hours 7–9 and
 *   17–19 Beijing time) + rare heavy trucks. A heavy truck is a function of (bridge, 20 s window),
 *   so the weigh-in-motion station and the strain gauges of one bridge see the same truck.
 * - Rivers: a linear reservoir fed by rainfall after a lag, draining slowly to a base level.
 * - Underpasses: waterlogging depth stays 0 until rainfall exceeds the drainage capacity.
 * - Pipes: pressure sags with the daily demand curve (7–9, 18–21).
 * - Gas and community devices: near zero, with sparse random episodes (per device per hour).
 * - Remote control (issue 13): what a device was commanded (`SignalContext.commanded`, values from
 *   the catalogue's `commandEffect`) beats its automatic behaviour. A pump station told to `start`
 *   runs with a discharge in the running range whatever the rain, and one told to `stop` stays
 *   stopped in a storm: manual mode holds until the next command (as a station's hand/auto switch
 *   does). A door's `release` shows `released = 1` for DOOR_RELEASE_MS, then 0.
 *
 * Steady state (no drill) stays below every yellow limit except the occasional 45–52 t truck
 * (yellow overload, by design) and the sparse community events.
 */
import type { Asset, Device, DeviceKind } from '../scenes/domain';
import { DEVICE_CATALOGUE } from '../scenes/catalogue';
import { commandEffect, commandsOf, type DeviceCommandName } from '../scenes/device-commands';
import { hashUnit } from './stable-hash';
import { MS_PER_HOUR, airTemperatureC, dailyThermalCycle, rainfallMmPerH, trafficIntensity, waterDemandFactor, type WeatherState } from './weather';

/** Uniform random source in [0, 1). */
export type Rng = () => number;

export const MS_PER_SECOND = 1000;

export const BRIDGE_SIGNAL_CONFIG = {
  strainDeadLoadMinMicrostrain: 40,
  strainDeadLoadMaxMicrostrain: 80,
  strainThermalAmplitudeMicrostrain: 40,
  strainTrafficMaxMicrostrain: 60,
  strainPerTonneMicrostrain: 2,
  strainNoiseMicrostrain: 4,
  deflectionBaseMinMm: 4,
  deflectionBaseMaxMm: 8,
  deflectionThermalAmplitudeMm: 5,
  deflectionTrafficMaxMm: 8,
  deflectionPerTonneMm: 0.25,
  deflectionNoiseMm: 0.5,
  tiltBaseMinDeg: 0.02,
  tiltBaseMaxDeg: 0.08,
  tiltThermalAmplitudeDeg: 0.03,
  tiltNoiseDeg: 0.005,
  naturalFreqMinHz: 1.2,
  naturalFreqMaxHz: 3,
  freqNoiseHz: 0.01,
  /** a heavy truck lowers the measured frequency a little (added mass), Hz per t */
  freqPerTonneHz: -0.0005,
  accelBaseMps2: 0.005,
  accelTrafficMaxMps2: 0.05,
  accelPerTonneMps2: 0.002,
  accelNoiseMps2: 0.003,
  /** bearing position at mean temperature (absolute reading), mm, drawn per device */
  bearingMeanMinMm: 12,
  bearingMeanMaxMm: 20,
  bearingThermalAmplitudeMm: 8,
  bearingNoiseMm: 0.2,
  /** surface temperature above air temperature at the warmest hour (sun on the deck), °C */
  deckSolarGainC: 3,
  humidityMeanPct: 62,
  humidityDailyAmplitudePct: 10,
  /** humidity added by rain at or above humiditySaturatingRainMmPerH, %RH */
  humidityRainExtraPct: 25,
  humiditySaturatingRainMmPerH: 30,
  humidityNoisePct: 2,
  airTempNoiseC: 0.2,
  /** heavy trucks are decided per bridge per window of this length */
  heavyTruckWindowMs: 20_000,
  /** chance that a window carries a heavy truck (≈0.7 per bridge per hour) */
  heavyTruckProbabilityPerWindow: 0.004,
  heavyTruckMinT: 45,
  heavyTruckMaxT: 52,
} as const;

/** Ordinary vehicle mix at a weigh-in-motion station: [share, minT, maxT]. */
export const VEHICLE_MIX: readonly (readonly [number, number, number])[] = [
  [0.7, 1.2, 3],
  [0.25, 5, 25],
  [0.05, 25, 40],
];
export const WIM_SPEED_CONFIG = { freeFlowKmh: 80, congestedKmh: 25, noiseKmh: 8 } as const;

export const WATER_SIGNAL_CONFIG = {
  /** base level when the river asset has no warningLevelM, m (drawn per gauge in this range) */
  baseLevelMinM: 1.2,
  baseLevelMaxM: 2,
  /** base level as a fraction of the asset's warningLevelM, when it has one */
  baseLevelFractionOfWarning: 0.4,
  /** rain reaches the gauge after this lag */
  rainLagMs: 30 * 60_000,
  /** level rise per second per mm/h of (lagged) rain, m/(s·mm/h) — 10 mm/h sustained → +0.5 m */
  rainGainMPerSPerMmH: 7e-6,
  /** a reservoir's surface is large: rain moves its level this much less than a river's */
  reservoirRainGainFactor: 0.2,
  /** fraction of the excess over base that drains per second (time constant 2 h), 1/s */
  drainPerS: 1 / 7200,
  /** integration sub-step, ms */
  integrationStepMs: 60_000,
  /** a gap longer than this is not integrated (simulator restarted), ms */
  maxIntegrationGapMs: 6 * MS_PER_HOUR,
  levelNoiseM: 0.005,
  /** underpass drainage capacity range, mm/h (drawn per device) */
  drainageCapacityMinMmPerH: 25,
  drainageCapacityMaxMmPerH: 40,
  /** catchment area / ponding area: excess rain concentrates in the dip */
  waterloggingConcentration: 60,
  rainGaugeNoiseFraction: 0.03,
  pressureMaxMPa: 0.4,
  pressureDemandDropMPa: 0.12,
  pressureDeviceOffsetMPa: 0.01,
  pressureNoiseMPa: 0.003,
  /** a typical district main at peak demand, m³/h (far below the catalogue's 10 000 ceiling) */
  flowPeakM3PerH: 1500,
  flowBaseFractionOfPeak: 0.25,
  flowDemandFractionOfPeak: 0.75,
  /** small on purpose: the flow rate-of-change rule fires at +100 m³/h per min */
  flowNoiseFraction: 0.005,
  turbidityBaseNtu: 0.25,
  turbiditySpreadNtu: 0.15,
  turbidityPerRainNtuPerMmH: 0.004,
  chlorineMinMgL: 0.3,
  chlorineMaxMgL: 0.6,
  phMin: 7.2,
  phMax: 7.6,
  manholeTiltMaxDeg: 0.2,
  /** drainage pumps start when district rainfall exceeds this, mm/h */
  pumpStartRainMmPerH: 8,
  /** discharge of a running drainage pump station, m³/h */
  pumpFlowMinM3PerH: 8000,
  pumpFlowMaxM3PerH: 20000,
} as const;

/** mm/h → cm/s of depth: /10 (mm→cm) /3600 (h→s). */
const MM_PER_H_TO_CM_PER_S = 1 / 36_000;

export const GAS_SIGNAL_CONFIG = {
  backgroundMaxLel: 1.5,
  /** sparse seepage episodes that stay under the 10 %LEL yellow limit */
  seepProbabilityPerHour: 0.01,
  seepPeakMinLel: 3,
  seepPeakMaxLel: 8,
  seepMinDurationMs: 10 * 60_000,
  seepMaxDurationMs: 30 * 60_000,
} as const;

/** Sparse random community/emergency events: flag metric, rate per device per hour, duration. */
export const EVENT_EPISODES: Partial<
  Record<DeviceKind, { metric: string; probabilityPerHour: number; durationMs: number; value?: [number, number] }>
> = {
  'smoke-detector': { metric: 'smoke', probabilityPerHour: 0.0005, durationMs: 60_000 },
  elevator: { metric: 'faultCode', probabilityPerHour: 0.002, durationMs: 10 * 60_000, value: [1, 9] },
  'fire-lane-camera': { metric: 'blocked', probabilityPerHour: 0.005, durationMs: 20 * 60_000 },
  'fall-detector': { metric: 'fall', probabilityPerHour: 0.0005, durationMs: 5 * 60_000 },
  'door-sensor': { metric: 'heldOpen', probabilityPerHour: 0.005, durationMs: 5 * 60_000 },
};

export const EV_CHARGER_CONFIG = {
  /** enclosure above air temperature when idle / extra when charging, °C */
  idleAboveAirC: 6,
  chargingExtraC: 12,
  /** share of hours a charger is charging */
  chargingShare: 0.4,
  noiseC: 0.5,
} as const;

/** Per-device state that signals carry from one reading to the next. Plain data. */
export interface DeviceSignalState {
  /** epoch ms of the previous reading (0 = none yet) */
  lastTs: number;
  /** water-level: current level, m */
  levelM?: number;
  /** waterlogging: current depth, cm */
  depthCm?: number;
  /** an ongoing random episode (gas seep, community event) */
  episode?: { startTs: number; untilTs: number; peak: number };
}

export interface SignalContext {
  /** simulated epoch ms of this reading */
  ts: number;
  weather: WeatherState;
  /** the asset the device is mounted on, if known */
  asset?: Asset;
  /** what the device was last commanded to do, if that is still in force */
  commanded?: CommandedState;
}

/** How long a released door stays released (access controllers unlock for a few seconds), ms. */
export const DOOR_RELEASE_MS = 10_000;
/** Commands whose effect ends by itself, ms; the others hold until the next command. */
const COMMAND_HOLD_MS: Partial<Record<DeviceCommandName, number>> = { release: DOOR_RELEASE_MS };

/** A command's effect on a device's readings (remote control). Plain data. */
export interface CommandedState {
  /** metric → value, from the catalogue (`commandEffect`) */
  metrics: Readonly<Record<string, number>>;
  /** epoch ms the effect ends; absent = until the next command */
  untilTs?: number;
}

/**
 * The state a command puts a device of `kind` in at `nowTs`, or why the kind does not take it.
 * Values come from the catalogue (scenes/device-commands.ts), the one truth the server shares.
 */
export function commandedState(
  kind: DeviceKind,
  name: DeviceCommandName,
  params: { position?: number },
  nowTs: number,
): { ok: true; state: CommandedState } | { ok: false; message: string } {
  if (!commandsOf(kind).some((c) => c.name === name)) return { ok: false, message: `device kind ${kind} has no command ${name}` };
  const hold = COMMAND_HOLD_MS[name];
  return { ok: true, state: { metrics: commandEffect(kind, name, params), ...(hold !== undefined ? { untilTs: nowTs + hold } : {}) } };
}

/** Whether a commanded state still applies at ts. */
export function isCommandInForce(c: CommandedState | undefined, ts: number): c is CommandedState {
  return c !== undefined && (c.untilTs === undefined || ts < c.untilTs);
}

function uniform(rng: Rng, lo: number, hi: number): number {
  return lo + rng() * (hi - lo);
}
function noise(rng: Rng, amplitude: number): number {
  return (rng() * 2 - 1) * amplitude;
}
/** Stable per-device (or per-asset) draw in [lo, hi). */
function fixedDraw(seed: number, key: string, what: string, lo: number, hi: number): number {
  return lo + hashUnit(seed, `${what}:${key}`) * (hi - lo);
}

/** Weight of the heavy truck on a bridge in the window containing ts, t; 0 when none. */
export function heavyTruckTonnes(seed: number, bridgeKey: string, ts: number): number {
  const c = BRIDGE_SIGNAL_CONFIG;
  const window = Math.floor(ts / c.heavyTruckWindowMs);
  if (hashUnit(seed, `truck:${bridgeKey}`, window) >= c.heavyTruckProbabilityPerWindow) return 0;
  return c.heavyTruckMinT + hashUnit(seed, `truck-weight:${bridgeKey}`, window) * (c.heavyTruckMaxT - c.heavyTruckMinT);
}

/** Natural frequency of a bridge's first mode, Hz (stable per bridge). */
export function bridgeNaturalFrequencyHz(seed: number, bridgeKey: string): number {
  const c = BRIDGE_SIGNAL_CONFIG;
  return fixedDraw(seed, bridgeKey, 'f0', c.naturalFreqMinHz, c.naturalFreqMaxHz);
}

/** Base (dry-weather) level of a water-level gauge, m: the asset's normalLevelM, else a fraction of its warningLevelM, else a stable draw. */
export function baseWaterLevelM(seed: number, device: Device, asset?: Asset): number {
  const c = WATER_SIGNAL_CONFIG;
  const normal = asset?.props.normalLevelM;
  if (typeof normal === 'number') return normal;
  const warning = asset?.props.warningLevelM;
  if (typeof warning === 'number' && warning > 0) return warning * c.baseLevelFractionOfWarning;
  return fixedDraw(seed, device.id, 'base-level', c.baseLevelMinM, c.baseLevelMaxM);
}

/**
 * One linear-reservoir step: dLevel/dt = k·rain(t − lag) − drain·(level − base), integrated in
 * sub-steps from `fromTs` to `toTs`. Pure.
 */
export function advanceWaterLevel(
  levelM: number,
  baseM: number,
  fromTs: number,
  toTs: number,
  rainAt: (ts: number) => number,
  gainFactor = 1,
): number {
  const c = WATER_SIGNAL_CONFIG;
  let level = levelM;
  let t = Math.max(fromTs, toTs - c.maxIntegrationGapMs);
  while (t < toTs) {
    const dtMs = Math.min(c.integrationStepMs, toTs - t);
    const dtS = dtMs / MS_PER_SECOND;
    const rain = rainAt(t + dtMs / 2 - c.rainLagMs);
    level += c.rainGainMPerSPerMmH * gainFactor * rain * dtS - c.drainPerS * (level - baseM) * dtS;
    t += dtMs;
  }
  return level;
}

/** Waterlogging depth step: rises with rain above drainage capacity, drains below it, never < 0. Pure. */
export function advanceWaterloggingDepth(
  depthCm: number,
  capacityMmPerH: number,
  fromTs: number,
  toTs: number,
  rainAt: (ts: number) => number,
): number {
  const c = WATER_SIGNAL_CONFIG;
  let depth = depthCm;
  let t = Math.max(fromTs, toTs - c.maxIntegrationGapMs);
  while (t < toTs) {
    const dtMs = Math.min(c.integrationStepMs / 6, toTs - t);
    const rain = rainAt(t + dtMs / 2);
    depth = Math.max(0, depth + (rain - capacityMmPerH) * c.waterloggingConcentration * MM_PER_H_TO_CM_PER_S * (dtMs / MS_PER_SECOND));
    t += dtMs;
  }
  return depth;
}

/** The initial signal state of a device at ts (steady state: rivers at base, dips dry). */
export function initialSignalState(device: Device, ctx: SignalContext): DeviceSignalState {
  if (device.kind === 'water-level') return { lastTs: 0, levelM: baseWaterLevelM(ctx.weather.seed, device, ctx.asset) };
  if (device.kind === 'waterlogging') return { lastTs: 0, depthCm: 0 };
  return { lastTs: 0 };
}

function bridgeKey(device: Device): string {
  return device.assetId ?? device.id;
}

/** Advance or start a random episode: returns the episode in force at ts (or undefined). */
function nextEpisode(
  state: DeviceSignalState,
  ts: number,
  rng: Rng,
  probabilityPerHour: number,
  duration: (rng: Rng) => number,
  peak: (rng: Rng) => number,
): DeviceSignalState['episode'] {
  if (state.episode && ts <= state.episode.untilTs) return state.episode;
  const dtMs = state.lastTs > 0 ? Math.max(0, ts - state.lastTs) : 0;
  const p = 1 - Math.exp((-probabilityPerHour * dtMs) / MS_PER_HOUR);
  if (dtMs > 0 && rng() < p) return { startTs: ts, untilTs: ts + duration(rng), peak: peak(rng) };
  return undefined;
}

/** Result of one signal step. */
export interface SignalStep {
  metrics: Record<string, number>;
  state: DeviceSignalState;
}

/**
 * The metrics a device reports at ctx.ts, and its next signal state. Values are clamped to the
 * catalogue's [min, max] for the metric and rounded to a sensible resolution.
 */
export function generateMetrics(device: Device, ctx: SignalContext, prev: DeviceSignalState, rng: Rng): SignalStep {
  const { ts, weather } = ctx;
  const seed = weather.seed;
  const b = BRIDGE_SIGNAL_CONFIG;
  const w = WATER_SIGNAL_CONFIG;
  const state: DeviceSignalState = { ...prev, lastTs: ts };
  const m: Record<string, number> = {};
  const thermal = dailyThermalCycle(ts);
  const rainHere = (t: number) => rainfallMmPerH(weather, device.district, t);

  switch (device.kind) {
    case 'strain-gauge': {
      const truck = heavyTruckTonnes(seed, bridgeKey(device), ts);
      m.strain =
        fixedDraw(seed, device.id, 'dead', b.strainDeadLoadMinMicrostrain, b.strainDeadLoadMaxMicrostrain) +
        b.strainThermalAmplitudeMicrostrain * thermal +
        b.strainTrafficMaxMicrostrain * trafficIntensity(ts) * rng() +
        b.strainPerTonneMicrostrain * truck +
        noise(rng, b.strainNoiseMicrostrain);
      break;
    }
    case 'deflection': {
      const truck = heavyTruckTonnes(seed, bridgeKey(device), ts);
      m.deflection =
        fixedDraw(seed, device.id, 'dead', b.deflectionBaseMinMm, b.deflectionBaseMaxMm) +
        b.deflectionThermalAmplitudeMm * thermal +
        b.deflectionTrafficMaxMm * trafficIntensity(ts) * rng() +
        b.deflectionPerTonneMm * truck +
        noise(rng, b.deflectionNoiseMm);
      break;
    }
    case 'inclinometer':
      m.tilt =
        fixedDraw(seed, device.id, 'tilt', b.tiltBaseMinDeg, b.tiltBaseMaxDeg) + b.tiltThermalAmplitudeDeg * thermal + noise(rng, b.tiltNoiseDeg);
      break;
    case 'accelerometer': {
      const truck = heavyTruckTonnes(seed, bridgeKey(device), ts);
      m.accel =
        b.accelBaseMps2 + b.accelTrafficMaxMps2 * trafficIntensity(ts) * rng() + b.accelPerTonneMps2 * truck + Math.abs(noise(rng, b.accelNoiseMps2));
      m.freq = bridgeNaturalFrequencyHz(seed, bridgeKey(device)) + b.freqPerTonneHz * truck + noise(rng, b.freqNoiseHz);
      break;
    }
    case 'bearing-displacement':
      m.displacement =
        fixedDraw(seed, device.id, 'bearing', b.bearingMeanMinMm, b.bearingMeanMaxMm) +
        b.bearingThermalAmplitudeMm * thermal +
        noise(rng, b.bearingNoiseMm);
      break;
    case 'temp-humidity': {
      const rain = rainHere(ts);
      m.temperature = airTemperatureC(ts) + b.deckSolarGainC * Math.max(0, thermal) + noise(rng, b.airTempNoiseC);
      m.humidity =
        b.humidityMeanPct -
        b.humidityDailyAmplitudePct * thermal +
        b.humidityRainExtraPct * Math.min(1, rain / b.humiditySaturatingRainMmPerH) +
        noise(rng, b.humidityNoisePct);
      break;
    }
    case 'weigh-in-motion': {
      const truck = heavyTruckTonnes(seed, bridgeKey(device), ts);
      let weight = truck;
      if (weight === 0) {
        let u = rng();
        for (const [share, lo, hi] of VEHICLE_MIX) {
          if (u < share) {
            weight = uniform(rng, lo, hi);
            break;
          }
          u -= share;
        }
        if (weight === 0) weight = uniform(rng, VEHICLE_MIX[0][1], VEHICLE_MIX[0][2]);
      }
      const traffic = trafficIntensity(ts);
      m.grossWeight = weight;
      m.speed =
        WIM_SPEED_CONFIG.freeFlowKmh -
        (WIM_SPEED_CONFIG.freeFlowKmh - WIM_SPEED_CONFIG.congestedKmh) * traffic +
        noise(rng, WIM_SPEED_CONFIG.noiseKmh);
      break;
    }
    case 'water-level': {
      const base = baseWaterLevelM(seed, device, ctx.asset);
      const gain = ctx.asset?.kind === 'reservoir' ? w.reservoirRainGainFactor : 1;
      const level =
        prev.lastTs > 0 && prev.levelM !== undefined ? advanceWaterLevel(prev.levelM, base, prev.lastTs, ts, rainHere, gain) : (prev.levelM ?? base);
      state.levelM = level;
      m.level = level + noise(rng, w.levelNoiseM);
      break;
    }
    case 'waterlogging': {
      const capacity = fixedDraw(seed, device.id, 'drain-capacity', w.drainageCapacityMinMmPerH, w.drainageCapacityMaxMmPerH);
      const depth = prev.lastTs > 0 ? advanceWaterloggingDepth(prev.depthCm ?? 0, capacity, prev.lastTs, ts, rainHere) : (prev.depthCm ?? 0);
      state.depthCm = depth;
      m.depth = depth;
      break;
    }
    case 'rain-gauge':
      m.rainfall = Math.max(0, rainHere(ts) * (1 + noise(rng, w.rainGaugeNoiseFraction)));
      break;
    case 'pipe-pressure':
      m.pressure =
        w.pressureMaxMPa -
        w.pressureDemandDropMPa * waterDemandFactor(ts) +
        (hashUnit(seed, `p-offset:${device.id}`) * 2 - 1) * w.pressureDeviceOffsetMPa +
        noise(rng, w.pressureNoiseMPa);
      break;
    case 'flow-meter': {
      const size = fixedDraw(seed, device.id, 'pipe-size', 0.8, 1.2);
      m.flow =
        w.flowPeakM3PerH *
        size *
        (w.flowBaseFractionOfPeak + w.flowDemandFractionOfPeak * waterDemandFactor(ts)) *
        (1 + noise(rng, w.flowNoiseFraction));
      break;
    }
    case 'water-quality':
      m.turbidity = w.turbidityBaseNtu + w.turbiditySpreadNtu * rng() + w.turbidityPerRainNtuPerMmH * rainHere(ts);
      m.chlorine = uniform(rng, w.chlorineMinMgL, w.chlorineMaxMgL);
      m.ph = uniform(rng, w.phMin, w.phMax);
      break;
    case 'manhole-cover':
      m.tilt = w.manholeTiltMaxDeg * rng();
      m.overflow = 0;
      break;
    case 'pump-station': {
      // manual mode (a start/stop command) beats the rain-based automatic start
      const manual = isCommandInForce(ctx.commanded, ts) ? ctx.commanded.metrics.running : undefined;
      const running = manual !== undefined ? manual >= 1 : rainHere(ts) > w.pumpStartRainMmPerH;
      m.running = running ? 1 : 0;
      m.flow = running ? uniform(rng, w.pumpFlowMinM3PerH, w.pumpFlowMaxM3PerH) : 0;
      break;
    }
    case 'flood-gate':
      // a sluice gate stays where it was last set: closed until an officer (or a plan) opens it
      m.position = 0;
      break;
    case 'gas-detector': {
      const g = GAS_SIGNAL_CONFIG;
      const episode = nextEpisode(
        prev,
        ts,
        rng,
        g.seepProbabilityPerHour,
        (r) => uniform(r, g.seepMinDurationMs, g.seepMaxDurationMs),
        (r) => uniform(r, g.seepPeakMinLel, g.seepPeakMaxLel),
      );
      state.episode = episode;
      let lel = g.backgroundMaxLel * rng();
      if (episode) {
        // triangular seep: rises to the peak at mid-episode and falls back
        const frac = (ts - episode.startTs) / Math.max(1, episode.untilTs - episode.startTs);
        lel += episode.peak * (1 - Math.abs(2 * frac - 1));
      }
      m.lel = lel;
      break;
    }
    case 'ev-charger': {
      const c = EV_CHARGER_CONFIG;
      const charging = hashUnit(seed, `charging:${device.id}`, Math.floor(ts / MS_PER_HOUR)) < c.chargingShare;
      m.temperature = airTemperatureC(ts) + c.idleAboveAirC + (charging ? c.chargingExtraC : 0) + noise(rng, c.noiseC);
      break;
    }
    default:
      break;
  }

  const ep = EVENT_EPISODES[device.kind];
  if (ep) {
    const episode = nextEpisode(
      prev,
      ts,
      rng,
      ep.probabilityPerHour,
      () => ep.durationMs,
      (r) => (ep.value ? Math.floor(uniform(r, ep.value[0], ep.value[1] + 1)) : 1),
    );
    state.episode = episode;
    m[ep.metric] = episode ? episode.peak : 0;
  }
  if (isCommandInForce(ctx.commanded, ts)) for (const [metric, v] of Object.entries(ctx.commanded.metrics)) m[metric] = v;

  return { metrics: completeAndClamp(device.kind, m), state };
}

/**
 * Fills catalogue metrics the kind model did not set (flags → 0, numbers → low in range), clamps
 * every value into the catalogue range and rounds it, so a reading always has the kind's full
 * metric set and passes validation.
 */
export function completeAndClamp(kind: DeviceKind, m: Record<string, number>): Record<string, number> {
  const entry = DEVICE_CATALOGUE[kind];
  const out: Record<string, number> = {};
  if (!entry) {
    for (const [k, v] of Object.entries(m)) out[k] = roundForDisplay(v);
    return out;
  }
  for (const def of entry.metrics) {
    let v = m[def.name];
    if (v === undefined || !Number.isFinite(v)) v = def.flag ? 0 : def.min + FALLBACK_FRACTION_OF_RANGE * (def.max - def.min);
    v = Math.min(def.max, Math.max(def.min, v));
    out[def.name] = def.flag ? Math.round(v) : roundForDisplay(v);
  }
  return out;
}

/** Where in its range an unmodelled metric sits (steady state, well below any upper limit). */
const FALLBACK_FRACTION_OF_RANGE = 0.1;

/** Four significant digits are more than any sensor here resolves; keeps JSON short. */
export function roundForDisplay(v: number): number {
  if (v === 0) return 0;
  const digits = Math.max(0, 3 - Math.floor(Math.log10(Math.abs(v))));
  const f = 10 ** Math.min(digits, 6);
  return Math.round(v * f) / f;
}
