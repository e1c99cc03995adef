import { describe, expect, it } from 'vitest';
import { generateFleet } from '../scenes/fleet';
import { createRng } from '../scenes/random';
import type { Device } from '../scenes/domain';
import {
  WATER_SIGNAL_CONFIG,
  advanceWaterLevel,
  advanceWaterloggingDepth,
  bridgeNaturalFrequencyHz,
  generateMetrics,
  heavyTruckTonnes,
  initialSignalState,
  type DeviceSignalState,
} from './signals';
import { beijingHourOfDay, rainfallMmPerH, trafficIntensity, waterDemandFactor, type WeatherState } from './weather';

const HOUR_MS = 3_600_000;
/** 2026-07-01 00:00 Beijing time */
const DAY_START_TS = Date.UTC(2026, 5, 30, 16, 0, 0);
const dry: WeatherState = { seed: 1, rainOverrides: [] };
const fleet = generateFleet({ count: 300, seed: 7 });
const firstOf = (kind: Device['kind']) => fleet.find((d) => d.kind === kind)!;

/** Samples one metric of one device at the given times, carrying signal state. */
function sample(device: Device, metric: string, times: number[], weather: WeatherState = dry, seed = 9): number[] {
  const rng = createRng(seed);
  let state: DeviceSignalState = initialSignalState(device, { ts: times[0], weather });
  return times.map((ts) => {
    const step = generateMetrics(device, { ts, weather }, state, rng);
    state = step.state;
    return step.metrics[metric];
  });
}
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const every = (fromTs: number, toTs: number, stepMs: number) => {
  const out: number[] = [];
  for (let t = fromTs; t < toTs; t += stepMs) out.push(t);
  return out;
};

describe('weather', () => {
  it('uses Beijing time for the hour of day', () => {
    expect(beijingHourOfDay(DAY_START_TS)).toBeCloseTo(0);
    expect(beijingHourOfDay(DAY_START_TS + 8 * HOUR_MS)).toBeCloseTo(8);
  });

  it('peaks traffic in the 7–9 and 17–19 rush hours and is low at night', () => {
    const at = (h: number) => trafficIntensity(DAY_START_TS + h * HOUR_MS);
    expect(at(8)).toBeCloseTo(1, 1);
    expect(at(18)).toBeCloseTo(1, 1);
    expect(at(3)).toBeLessThan(0.2);
    expect(at(13)).toBeLessThan(at(8));
  });

  it('peaks water demand at 7–9 and 18–21', () => {
    const at = (h: number) => waterDemandFactor(DAY_START_TS + h * HOUR_MS);
    expect(at(8)).toBeGreaterThan(at(13));
    expect(at(19.5)).toBeGreaterThan(at(13));
    expect(at(3)).toBeLessThan(at(13));
  });

  it('keeps steady-state rain light (below the 16 mm/h blue limit) and applies drill rain only in its districts', () => {
    for (let t = DAY_START_TS; t < DAY_START_TS + 7 * 24 * HOUR_MS; t += 10 * 60_000) expect(rainfallMmPerH(dry, '370202', t)).toBeLessThan(16);
    const storm: WeatherState = {
      seed: 1,
      rainOverrides: [{ districts: ['370202'], startTs: DAY_START_TS, endTs: DAY_START_TS + 60_000, keyframes: [{ atMs: 0, value: 80 }] }],
    };
    expect(rainfallMmPerH(storm, '370202', DAY_START_TS + 30_000)).toBe(80);
    expect(rainfallMmPerH(storm, '370211', DAY_START_TS + 30_000)).toBeLessThan(16);
    expect(rainfallMmPerH(storm, '370202', DAY_START_TS + 120_000)).toBeLessThan(16);
  });
});

describe('bridge signals', () => {
  it('follow the daily temperature cycle: strain is higher mid-afternoon than before dawn', () => {
    const strain = firstOf('strain-gauge');
    const afternoon = sample(strain, 'strain', every(DAY_START_TS + 14 * HOUR_MS, DAY_START_TS + 15 * HOUR_MS, 10_000));
    const dawn = sample(strain, 'strain', every(DAY_START_TS + 3 * HOUR_MS, DAY_START_TS + 4 * HOUR_MS, 10_000));
    expect(mean(afternoon) - mean(dawn)).toBeGreaterThan(40);
  });

  it('stay below the yellow limits for strain (300 με), deflection (40 mm) and tilt (0.3°) over a day', () => {
    const day = every(DAY_START_TS, DAY_START_TS + 24 * HOUR_MS, 20_000);
    for (const d of fleet.filter((x) => x.kind === 'strain-gauge').slice(0, 5)) expect(Math.max(...sample(d, 'strain', day))).toBeLessThan(300);
    for (const d of fleet.filter((x) => x.kind === 'deflection').slice(0, 5)) expect(Math.max(...sample(d, 'deflection', day))).toBeLessThan(40);
    for (const d of fleet.filter((x) => x.kind === 'inclinometer').slice(0, 5)) expect(Math.max(...sample(d, 'tilt', day))).toBeLessThan(0.3);
  });

  it('weigh mostly 2–40 t vehicles, with only rare heavy trucks of 45–52 t', () => {
    const wim = firstOf('weigh-in-motion');
    const weights = sample(wim, 'grossWeight', every(DAY_START_TS, DAY_START_TS + 24 * HOUR_MS, 10_000));
    expect(Math.max(...weights)).toBeLessThanOrEqual(52);
    expect(Math.min(...weights)).toBeGreaterThan(1);
    expect(weights.filter((w) => w > 40).length / weights.length).toBeLessThan(0.01);
  });

  it('let the weigh station and the strain gauges of one bridge see the same heavy truck', () => {
    const wim = firstOf('weigh-in-motion');
    let ts = DAY_START_TS;
    while (heavyTruckTonnes(dry.seed, wim.assetId!, ts) === 0) ts += 20_000;
    const truck = heavyTruckTonnes(dry.seed, wim.assetId!, ts);
    expect(truck).toBeGreaterThanOrEqual(45);
    expect(sample(wim, 'grossWeight', [ts])[0]).toBeCloseTo(truck, 1);
  });

  it('vibrate near the bridge natural frequency (1.2–3 Hz) with small noise', () => {
    const acc = firstOf('accelerometer');
    const f0 = bridgeNaturalFrequencyHz(dry.seed, acc.assetId!);
    expect(f0).toBeGreaterThanOrEqual(1.2);
    expect(f0).toBeLessThanOrEqual(3);
    for (const f of sample(acc, 'freq', every(DAY_START_TS, DAY_START_TS + HOUR_MS, 30_000))) expect(Math.abs(f - f0)).toBeLessThan(0.05);
  });
});

describe('water signals', () => {
  const rainPulse = (fromTs: number, toTs: number, mmPerH: number) => (ts: number) => (ts >= fromTs && ts < toTs ? mmPerH : 0);

  it('raise a river only after the rain lag, then drain it slowly', () => {
    const c = WATER_SIGNAL_CONFIG;
    const base = 1.2;
    const rain = rainPulse(DAY_START_TS, DAY_START_TS + 2 * HOUR_MS, 30);
    const levelAt = (ts: number) => advanceWaterLevel(base, base, DAY_START_TS, ts, rain);
    expect(levelAt(DAY_START_TS + c.rainLagMs - 60_000)).toBeCloseTo(base, 6);
    expect(levelAt(DAY_START_TS + c.rainLagMs + 30 * 60_000)).toBeGreaterThan(base + 0.2);
    const peak = levelAt(DAY_START_TS + 2 * HOUR_MS + c.rainLagMs);
    const anHourLater = levelAt(DAY_START_TS + 3 * HOUR_MS + c.rainLagMs);
    expect(peak).toBeGreaterThan(base + 0.5);
    expect(anHourLater).toBeLessThan(peak);
    expect(anHourLater).toBeGreaterThan(base + (peak - base) * 0.4);
  });

  it('keep underpasses dry unless rain exceeds the drainage capacity', () => {
    const capacity = 30;
    const light = advanceWaterloggingDepth(0, capacity, DAY_START_TS, DAY_START_TS + HOUR_MS, rainPulse(DAY_START_TS, DAY_START_TS + HOUR_MS, 20));
    expect(light).toBe(0);
    const heavy = advanceWaterloggingDepth(
      0,
      capacity,
      DAY_START_TS,
      DAY_START_TS + 10 * 60_000,
      rainPulse(DAY_START_TS, DAY_START_TS + HOUR_MS, 80),
    );
    expect(heavy).toBeGreaterThan(15);
    const drained = advanceWaterloggingDepth(heavy, capacity, DAY_START_TS, DAY_START_TS + HOUR_MS, () => 0);
    expect(drained).toBe(0);
  });

  it('keep pipe pressure within 0.26–0.40 MPa, lowest in the morning and evening peaks', () => {
    const p = firstOf('pipe-pressure');
    const day = every(DAY_START_TS, DAY_START_TS + 24 * HOUR_MS, 15 * 60_000);
    const values = sample(p, 'pressure', day);
    for (const v of values) {
      expect(v).toBeGreaterThan(0.26);
      expect(v).toBeLessThan(0.4);
    }
    const at = (h: number) => values[h * 4];
    expect(at(8)).toBeLessThan(at(3));
    expect(at(19)).toBeLessThan(at(13));
  });

  it('keep gas near zero: never at the 10 %LEL yellow limit in steady state', () => {
    for (const d of fleet.filter((x) => x.kind === 'gas-detector').slice(0, 10)) {
      const lel = sample(d, 'lel', every(DAY_START_TS, DAY_START_TS + 24 * HOUR_MS, 60_000));
      expect(Math.max(...lel)).toBeLessThan(10);
      expect(mean(lel)).toBeLessThan(2);
    }
  });

  it('report the full catalogue metric set within the catalogue range for every kind', async () => {
    const { DEVICE_CATALOGUE } = await import('../scenes/catalogue');
    const kinds = new Set(fleet.map((d) => d.kind));
    for (const kind of kinds) {
      const d = firstOf(kind);
      const m = generateMetrics(
        d,
        { ts: DAY_START_TS, weather: dry },
        initialSignalState(d, { ts: DAY_START_TS, weather: dry }),
        createRng(1),
      ).metrics;
      const spec = DEVICE_CATALOGUE[kind];
      expect(Object.keys(m).sort()).toEqual(spec.metrics.map((x) => x.name).sort());
      for (const s of spec.metrics) {
        expect(m[s.name]).toBeGreaterThanOrEqual(s.min);
        expect(m[s.name]).toBeLessThanOrEqual(s.max);
      }
    }
  });
});
