import { describe, expect, it } from 'vitest';
import type { DeviceKind } from '../domain';
import { DEVICE_CATALOGUE } from '../catalogue';
import type { ChartData, SeriesWindow } from '../scene-model';
import { FIXTURE_NOW_TS, makeFusedState, makeSeriesWindow } from '../test-fixtures/fused-state';
import { buildBridgeScene } from './build-bridge-scene';
import { buildWaterScene } from './build-water-scene';
import { AGGREGATE_DATA_TICK_MS, SERIES_PUBLICATION_SLACK_MS, seriesExpectedIntervalMs } from './common';

/** The server's bucket width (server/config.ts seriesBucketMs), ms. */
const LIVE_BUCKET_MS = 10_000;

/** The client's rule (client/src/charts/chart-to-option.ts chartStaleness). */
function isStale(chart: Pick<ChartData, 'dataTs' | 'expectedIntervalMs'>, nowTs: number): boolean {
  return nowTs - chart.dataTs > chart.expectedIntervalMs;
}

/** The fixture with every series re-bucketed to the live bucket width, newest bucket closed just before `endTs`. */
function liveBucketState(endTs: number) {
  const base = makeFusedState();
  const series = new Map<string, SeriesWindow>();
  for (const [key, w] of base.series) series.set(key, makeSeriesWindow(w.values, endTs, LIVE_BUCKET_MS));
  return makeFusedState({ series, nowTs: endTs });
}

/**
 * Newest chart bucket start a screen shows at `nowTs` in the worst case: readings every
 * `intervalMs` from `phaseMs`; a bucket is published only once closed, up to the publication
 * slack after it closed (server/fusion/series-windows.ts + closed-bucket-series.ts).
 */
function newestShownBucketStart(nowTs: number, phaseMs: number, intervalMs: number, bucketMs: number): number | null {
  const cutoff = Math.floor((nowTs - SERIES_PUBLICATION_SLACK_MS) / bucketMs) * bucketMs;
  const lastReading = phaseMs + Math.floor((cutoff - 1 - phaseMs) / intervalMs) * intervalMs;
  if (lastReading < 0) return null;
  return Math.floor(lastReading / bucketMs) * bucketMs;
}

describe('series staleness follows each panel’s own cadence', () => {
  it('marks a bridge panel stale exactly one ms past its horizon (fixture boundary)', () => {
    const state = liveBucketState(FIXTURE_NOW_TS);
    const model = buildBridgeScene(state);
    for (const key of ['strain', 'deflection', 'vibration']) {
      const chart = model.charts[key];
      expect(chart.kind, key).toBe('timeseries');
      expect(chart.expectedIntervalMs, key).toBe(2 * LIVE_BUCKET_MS + DEVICE_CATALOGUE['strain-gauge'].intervalMs + SERIES_PUBLICATION_SLACK_MS);
      expect(isStale(chart, chart.dataTs + chart.expectedIntervalMs), key).toBe(false);
      expect(isStale(chart, chart.dataTs + chart.expectedIntervalMs + 1), key).toBe(true);
    }
  });

  it('does not call the bridge panels delayed at the 22–26 s seen on the walls in normal operation', () => {
    const chart = buildBridgeScene(liveBucketState(FIXTURE_NOW_TS)).charts.strain;
    for (const ageMs of [22_000, 24_000, 26_000]) expect(isStale(chart, chart.dataTs + ageMs)).toBe(false);
  });

  it('takes the bucket width from the series window, not from gaps between points', () => {
    const state = liveBucketState(FIXTURE_NOW_TS);
    const w = state.series.get('br-sg-1.strain')!;
    // a gap (one empty bucket) at the start must not widen the horizon
    const gapped: SeriesWindow = { ...w, ts: [w.ts[0] - LIVE_BUCKET_MS, ...w.ts.slice(1)] };
    const series = new Map(state.series);
    series.set('br-sg-1.strain', gapped);
    const chart = buildBridgeScene({ ...state, series }).charts.strain;
    expect(chart.expectedIntervalMs).toBe(seriesExpectedIntervalMs('strain-gauge', LIVE_BUCKET_MS));
  });

  it.each<DeviceKind>(['strain-gauge', 'deflection', 'accelerometer', 'water-level', 'rain-gauge', 'pipe-pressure', 'water-quality'])(
    'never marks a healthy %s series stale, whatever the device’s phase (simulated over two minutes)',
    (kind) => {
      const intervalMs = DEVICE_CATALOGUE[kind].intervalMs;
      const horizon = seriesExpectedIntervalMs(kind, LIVE_BUCKET_MS);
      let worstAgeMs = 0;
      for (let phase = 0; phase < intervalMs; phase += 500) {
        for (let t = 3 * 60_000; t < 5 * 60_000; t += 250) {
          const shown = newestShownBucketStart(t, phase, intervalMs, LIVE_BUCKET_MS);
          if (shown !== null) worstAgeMs = Math.max(worstAgeMs, t - shown);
        }
      }
      expect(worstAgeMs).toBeLessThanOrEqual(horizon);
      // and the horizon is tight: a panel one reporting interval late is flagged
      expect(worstAgeMs + intervalMs).toBeGreaterThan(horizon - SERIES_PUBLICATION_SLACK_MS);
    },
  );

  it('never marks an empty series chart (a district without bridges) delayed', () => {
    const state = makeFusedState({ series: new Map() });
    const chart = buildBridgeScene({ ...state, devices: new Map(), assets: [] }).charts.strain;
    expect(chart.kind === 'timeseries' && chart.lines).toEqual([]);
    expect(isStale(chart, state.nowTs + AGGREGATE_DATA_TICK_MS - 1)).toBe(false);
  });

  it('applies the same rule to the water scene’s series', () => {
    const model = buildWaterScene(liveBucketState(FIXTURE_NOW_TS));
    const chart = model.charts.pipePressure;
    expect(chart.expectedIntervalMs).toBe(seriesExpectedIntervalMs('pipe-pressure', LIVE_BUCKET_MS));
  });
});
