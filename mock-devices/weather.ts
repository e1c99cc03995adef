/**
 * City-wide drivers of the mock fleet's signals, as PURE functions of simulated time: air
 * temperature, rainfall (a seeded drizzle pattern plus drill overrides), road traffic and water
 * demand. Everything a device reports derives from these, so devices on the same bridge or in
 * the same district tell a consistent story.
 */
import type { DistrictCode } from '../scenes/domain';
import { interpolateKeyframes, type Keyframe } from './keyframes';
import { hashUnit } from './stable-hash';

export const MS_PER_HOUR = 3_600_000;
export const HOURS_PER_DAY = 24;

/** Beijing time (CST) is UTC+8 all year: rush hours and daily cycles follow it. */
export const BEIJING_UTC_OFFSET_MS = 8 * MS_PER_HOUR;

export const WEATHER_CONFIG = {
  /** Qingdao monthly mean air temperature, January first, °C. */
  monthlyMeanAirTempC: [-0.5, 1.2, 5.5, 11, 16.5, 20.5, 24.5, 26, 22.5, 16.5, 9.5, 2.5],
  /** half the daily swing of air temperature, °C */
  dailyAirTempAmplitudeC: 4,
  /** Beijing hour of the daily maximum air temperature */
  warmestHourBeijing: 14,
  /** chance that a given clock hour has a light shower (steady state) */
  showerProbabilityPerHour: 0.12,
  /** peak rainfall of a steady-state shower, mm/h; well under the 16 mm/h blue limit */
  showerPeakMinMmPerH: 0.5,
  showerPeakMaxMmPerH: 5,
} as const;

/** Rush-hour windows, Beijing hours [start, end). */
export const TRAFFIC_CONFIG = {
  nightIntensity: 0.1,
  dayExtraIntensity: 0.45,
  rushExtraIntensity: 0.45,
  dayStartHour: 6,
  dayEndHour: 22,
  morningRush: [7, 9] as const,
  eveningRush: [17, 19] as const,
  /** width of the smooth ramp into and out of each window, h */
  rampH: 0.75,
} as const;

/** Water demand peaks in the morning and evening; pipe pressure sags with it. */
export const DEMAND_CONFIG = {
  nightDemand: 0.2,
  dayExtraDemand: 0.3,
  peakExtraDemand: 0.5,
  dayStartHour: 6,
  dayEndHour: 23,
  morningPeak: [7, 9] as const,
  eveningPeak: [18, 21] as const,
  rampH: 0.75,
} as const;

/** Rainfall imposed on some districts for a while (a rainstorm drill). */
export interface RainOverride {
  districts: readonly DistrictCode[];
  /** epoch ms at which the keyframes' atMs = 0 */
  startTs: number;
  /** epoch ms after which the override no longer applies */
  endTs: number;
  /** rainfall keyframes, mm/h */
  keyframes: readonly Keyframe[];
}

/** Everything the weather functions need besides time. Immutable: drills replace it. */
export interface WeatherState {
  seed: number;
  rainOverrides: readonly RainOverride[];
}

/** Fractional hour of day in Beijing time, [0, 24). */
export function beijingHourOfDay(ts: number): number {
  const h = ((ts + BEIJING_UTC_OFFSET_MS) % (HOURS_PER_DAY * MS_PER_HOUR)) / MS_PER_HOUR;
  return h < 0 ? h + HOURS_PER_DAY : h;
}

/** Beijing calendar month, 0 = January. */
export function beijingMonth(ts: number): number {
  return new Date(ts + BEIJING_UTC_OFFSET_MS).getUTCMonth();
}

/** Hermite smoothstep: 0 below edge0, 1 above edge1. */
export function smoothstep(edge0: number, edge1: number, x: number): number {
  if (x <= edge0) return 0;
  if (x >= edge1) return 1;
  const t = (x - edge0) / (edge1 - edge0);
  return t * t * (3 - 2 * t);
}

/** 1 inside [start, end) hours, 0 outside, with smooth ramps of rampH on both sides. */
export function plateau(hour: number, start: number, end: number, rampH: number): number {
  return smoothstep(start - rampH, start, hour) * (1 - smoothstep(end, end + rampH, hour));
}

/** Air temperature, °C: monthly mean plus a daily cosine peaking mid-afternoon. */
export function airTemperatureC(ts: number): number {
  const c = WEATHER_CONFIG;
  const mean = c.monthlyMeanAirTempC[beijingMonth(ts)];
  const phase = ((beijingHourOfDay(ts) - c.warmestHourBeijing) / HOURS_PER_DAY) * 2 * Math.PI;
  return mean + c.dailyAirTempAmplitudeC * Math.cos(phase);
}

/** Daily temperature cycle normalised to [-1, 1] (1 = warmest hour): drives thermal strain. */
export function dailyThermalCycle(ts: number): number {
  const phase = ((beijingHourOfDay(ts) - WEATHER_CONFIG.warmestHourBeijing) / HOURS_PER_DAY) * 2 * Math.PI;
  return Math.cos(phase);
}

/**
 * Steady-state rainfall, mm/h: on a seeded ~12 % of clock hours a light shower rises and falls
 * smoothly within the hour; otherwise dry. City-wide.
 */
export function baselineRainfallMmPerH(seed: number, ts: number): number {
  const c = WEATHER_CONFIG;
  const hourIndex = Math.floor(ts / MS_PER_HOUR);
  if (hashUnit(seed, 'shower', hourIndex) >= c.showerProbabilityPerHour) return 0;
  const peak = c.showerPeakMinMmPerH + hashUnit(seed, 'shower-peak', hourIndex) * (c.showerPeakMaxMmPerH - c.showerPeakMinMmPerH);
  const frac = (ts - hourIndex * MS_PER_HOUR) / MS_PER_HOUR;
  return peak * Math.sin(Math.PI * frac);
}

/** Rainfall in a district at ts, mm/h: the larger of the steady-state shower and any active override. */
export function rainfallMmPerH(weather: WeatherState, district: DistrictCode, ts: number): number {
  let rain = baselineRainfallMmPerH(weather.seed, ts);
  for (const o of weather.rainOverrides) {
    if (ts < o.startTs || ts > o.endTs || !o.districts.includes(district)) continue;
    const v = interpolateKeyframes(o.keyframes, ts - o.startTs);
    if (v !== undefined && v > rain) rain = v;
  }
  return rain;
}

/** Road traffic intensity, 0..1: low at night, 1 in the 7–9 and 17–19 rush hours (Beijing time). */
export function trafficIntensity(ts: number): number {
  const c = TRAFFIC_CONFIG;
  const h = beijingHourOfDay(ts);
  const rush = Math.max(plateau(h, c.morningRush[0], c.morningRush[1], c.rampH), plateau(h, c.eveningRush[0], c.eveningRush[1], c.rampH));
  return c.nightIntensity + c.dayExtraIntensity * plateau(h, c.dayStartHour, c.dayEndHour, c.rampH) + c.rushExtraIntensity * rush;
}

/** Water demand, 0.2..1: peaks 7–9 and 18–21 (Beijing time). */
export function waterDemandFactor(ts: number): number {
  const c = DEMAND_CONFIG;
  const h = beijingHourOfDay(ts);
  const peak = Math.max(plateau(h, c.morningPeak[0], c.morningPeak[1], c.rampH), plateau(h, c.eveningPeak[0], c.eveningPeak[1], c.rampH));
  return c.nightDemand + c.dayExtraDemand * plateau(h, c.dayStartHour, c.dayEndHour, c.rampH) + c.peakExtraDemand * peak;
}
