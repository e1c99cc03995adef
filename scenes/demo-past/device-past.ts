/**
 * One device's past, from the simulator's own physics (mock-devices/signals.ts) judged by the
 * same rule engine and alert lifecycle as server fusion (scenes/rule-engine.ts,
 * scenes/alert-lifecycle.ts): sampled every `fineStepMs` in the last day and every
 * `coarseStepMs` before, and every `alertStepMs` while a rule's condition holds or waits for its
 * minimum duration — so an alert is raised exactly when fusion would have raised it from those
 * readings. The samples are rolled up into 1-minute (last day) and 1-hour buckets. Pure: time
 * and seed are inputs.
 */
import type { Alert, Asset, Device, Rule } from '../domain';
import { applyRuleLevel } from '../alert-lifecycle';
import { createRuleRuntime, evaluateReadingRules } from '../rule-engine';
import { createRng, deriveSeed } from '../random';
import { addValue, aggregateOf, bucketStart, HOUR_MS, MINUTE_MS, type RollupAggregate, type RollupResolution } from '../rollups/rollup-aggregate';
import { generateMetrics, initialSignalState, type DeviceSignalState } from '../../mock-devices/signals';
import type { WeatherState } from '../../mock-devices/weather';
import { DEMO_ID_PREFIX, DEMO_OFFICERS, type DemoPastConfig } from './demo-past-config';

/** One roll-up bucket of the past (the shape of the server's RollupEntry). */
export interface DemoRollupBucket {
  deviceId: string;
  metric: string;
  resolution: RollupResolution;
  /** bucket start, epoch ms, aligned to the resolution */
  bucketTs: number;
  aggregate: RollupAggregate;
}

export interface DevicePastInput {
  device: Device;
  asset?: Asset;
  /** the device's effective rules (catalogue defaults and overrides) */
  rules: readonly Rule[];
  weather: WeatherState;
  seed: number;
  /** first sample, epoch ms */
  fromTs: number;
  /** end of the past (exclusive), epoch ms */
  nowTs: number;
  config: DemoPastConfig;
}

export interface DevicePast {
  /** finished alerts (cleared and acknowledged), oldest first */
  alerts: Alert[];
  buckets: DemoRollupBucket[];
  /** signal samples taken (the bench's work count) */
  samples: number;
}

type Buckets = Map<string, Map<number, RollupAggregate>>;

function addToBucket(into: Buckets, metric: string, ts: number, value: number): void {
  let byTs = into.get(metric);
  if (!byTs) into.set(metric, (byTs = new Map()));
  const agg = byTs.get(ts);
  if (agg) addValue(agg, value);
  else byTs.set(ts, aggregateOf(value));
}

function bucketsOf(deviceId: string, resolution: RollupResolution, from: Buckets): DemoRollupBucket[] {
  const out: DemoRollupBucket[] = [];
  for (const [metric, byTs] of from) for (const [bucketTs, aggregate] of byTs) out.push({ deviceId, metric, resolution, bucketTs, aggregate });
  return out;
}

function between(rng: () => number, range: readonly [number, number]): number {
  return Math.round(range[0] + rng() * (range[1] - range[0]));
}

/** The alert as the duty officer left it: acknowledged a few minutes after it was raised, and marked as demo data. */
function finishAlert(alert: Alert, rng: () => number, config: DemoPastConfig, nowTs: number): Alert {
  const ackTs = Math.min(alert.firstTs + between(rng, config.ackDelayMs), nowTs - config.closedBeforeNowMs);
  return {
    ...alert,
    id: `${DEMO_ID_PREFIX}${alert.id}`,
    acknowledged: true,
    ackTs: Math.max(alert.firstTs, ackTs),
    ackBy: DEMO_OFFICERS[Math.floor(rng() * DEMO_OFFICERS.length)]!,
  };
}

export function devicePast(input: DevicePastInput): DevicePast {
  const { device, asset, weather, nowTs, config } = input;
  const rng = createRng(deriveSeed(input.seed, `demo-past:${device.id}`));
  const ackRng = createRng(deriveSeed(input.seed, `demo-past-ack:${device.id}`));
  const rt = createRuleRuntime(input.rules.filter((r) => r.type !== 'offline'));
  const fineFromTs = bucketStart(nowTs - config.fineWindowMs, config.fineStepMs);
  const minutes: Buckets = new Map();
  const hours: Buckets = new Map();
  const open = new Map<number, Alert>();
  const alerts: Alert[] = [];
  let state: DeviceSignalState = initialSignalState(device, { ts: input.fromTs, weather, ...(asset ? { asset } : {}) });
  let samples = 0;
  let ts = bucketStart(input.fromTs, config.coarseStepMs);
  while (ts < nowTs) {
    const step = generateMetrics(device, { ts, weather, ...(asset ? { asset } : {}) }, state, rng);
    state = step.state;
    samples++;
    const hourTs = bucketStart(ts, HOUR_MS);
    const minuteTs = ts >= fineFromTs ? bucketStart(ts, MINUTE_MS) : -1;
    for (const metric in step.metrics) {
      const value = step.metrics[metric]!;
      addToBucket(hours, metric, hourTs, value);
      if (minuteTs >= 0) addToBucket(minutes, metric, minuteTs, value);
    }
    evaluateReadingRules(rt, { ts, metrics: step.metrics }, false);
    let busy = false;
    for (let i = 0; i < rt.rules.length; i++) {
      if (!rt.evaluated[i]) continue;
      const rule = rt.rules[i]!;
      const folded = applyRuleLevel(open.get(i), rt.levels[i] ?? null, { device, rule, ts, value: rt.values[i] });
      if (folded.alert && folded.alert.cleared) {
        alerts.push(finishAlert(folded.alert, ackRng, config, nowTs));
        open.delete(i);
      } else if (folded.alert) open.set(i, folded.alert);
      const ruleState = rt.states[i];
      if (ruleState && (ruleState.level !== null || ruleState.pendingLevel !== null)) busy = true;
    }
    const grid = ts >= fineFromTs ? config.fineStepMs : config.coarseStepMs;
    let next = busy ? ts + config.alertStepMs : bucketStart(ts, grid) + grid;
    if (ts < fineFromTs && next > fineFromTs) next = fineFromTs;
    ts = next;
  }
  // the past ends calm: what was still raised clears soon after its last observation
  for (const alert of open.values()) {
    const clearedTs = Math.min(alert.lastTs + config.finalClearMs, nowTs - config.closedBeforeNowMs);
    alerts.push(finishAlert({ ...alert, cleared: true, clearedTs: Math.max(alert.lastTs, clearedTs) }, ackRng, config, nowTs));
  }
  alerts.sort((a, b) => a.firstTs - b.firstTs || (a.id < b.id ? -1 : 1));
  return { alerts, buckets: [...bucketsOf(device.id, 'minute', minutes), ...bucketsOf(device.id, 'hour', hours)], samples };
}
