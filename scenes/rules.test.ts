import { describe, expect, it } from 'vitest';
import type { AlertLevel, EventRule, OfflineRule, RateRule, ThresholdRule } from './domain';
import { evaluateRule, initialRuleState, isSilent, rawThresholdLevel, RATE_MAX_SAMPLES } from './rules';
import type { RuleState } from './rules';

const SECOND_MS = 1000;
const MINUTE_MS = 60 * SECOND_MS;
const T0 = 1_700_000_000_000;

const strainRule: ThresholdRule = {
  type: 'threshold',
  id: 'strain-high',
  deviceKind: 'strain-gauge',
  metric: 'strain',
  direction: 'above',
  limits: { yellow: 300, orange: 400, red: 500 },
  hysteresis: 20,
  minDurationMs: 0,
  autoIncidentLevel: 'red',
  title: '应变超限',
  titleEn: 'Strain over limit',
};

const chlorineRule: ThresholdRule = {
  type: 'threshold',
  id: 'chlorine-low',
  deviceKind: 'water-quality',
  metric: 'chlorine',
  direction: 'below',
  limits: { yellow: 0.3, orange: 0.1 },
  hysteresis: 0.05,
  minDurationMs: 0,
  autoIncidentLevel: null,
  title: '余氯过低',
  titleEn: 'Residual chlorine too low',
};

/** Feed [ts, value] samples in order; return the level after each. */
function run(rule: ThresholdRule | RateRule | EventRule, samples: [number, number][], start: RuleState = initialRuleState()) {
  let state = start;
  const levels: (AlertLevel | null)[] = [];
  for (const [ts, value] of samples) {
    const out = evaluateRule(rule, state, { ts, value });
    state = out.state;
    levels.push(out.level);
  }
  return { state, levels };
}

function countChanges(levels: (AlertLevel | null)[]): number {
  let changes = 0;
  for (let i = 1; i < levels.length; i++) if (levels[i] !== levels[i - 1]) changes++;
  return changes;
}

describe('threshold rules', () => {
  it('picks the most severe level whose limit is reached', () => {
    expect(rawThresholdLevel(strainRule, 299)).toBeNull();
    expect(rawThresholdLevel(strainRule, 300)).toBe('yellow');
    expect(rawThresholdLevel(strainRule, 450)).toBe('orange');
    expect(rawThresholdLevel(strainRule, 501)).toBe('red');
  });

  it('does not flap when a value hovers around a limit by less than the hysteresis', () => {
    // Sine of amplitude 15 (< hysteresis 20) around the yellow limit, one sample per second.
    const samples: [number, number][] = Array.from({ length: 600 }, (_, i) => [T0 + i * SECOND_MS, 300 + 15 * Math.sin(i / 5)]);
    const { levels } = run(strainRule, samples);
    expect(levels[0]).toBe('yellow');
    expect(countChanges(levels)).toBe(0);
  });

  it('flaps without hysteresis, which is why hysteresis exists', () => {
    const samples: [number, number][] = Array.from({ length: 600 }, (_, i) => [T0 + i * SECOND_MS, 300 + 15 * Math.sin(i / 5)]);
    const { levels } = run({ ...strainRule, hysteresis: 0 }, samples);
    expect(countChanges(levels)).toBeGreaterThan(10);
  });

  it('ignores a spike shorter than the minimum duration', () => {
    const rule = { ...strainRule, minDurationMs: 30 * SECOND_MS };
    const samples: [number, number][] = [
      [T0, 100],
      [T0 + 5 * SECOND_MS, 520],
      [T0 + 10 * SECOND_MS, 530],
      [T0 + 20 * SECOND_MS, 510],
      [T0 + 25 * SECOND_MS, 100],
      [T0 + 40 * SECOND_MS, 100],
    ];
    const { levels, state } = run(rule, samples);
    expect(levels.every((l) => l === null)).toBe(true);
    expect(state.pendingLevel).toBeNull();
  });

  it('raises after the condition held for the minimum duration, and reports the pending level meanwhile', () => {
    const rule = { ...strainRule, minDurationMs: 30 * SECOND_MS };
    let state = initialRuleState();
    for (let s = 0; s < 30; s += 10) {
      const out = evaluateRule(rule, state, { ts: T0 + s * SECOND_MS, value: 520 });
      state = out.state;
      expect(out.level).toBeNull();
      expect(state.pendingLevel).toBe('red');
      expect(state.pendingSinceTs).toBe(T0);
    }
    const out = evaluateRule(rule, state, { ts: T0 + 30 * SECOND_MS, value: 520 });
    expect(out.level).toBe('red');
    expect(out.state.pendingLevel).toBeNull();
  });

  it('enters the level that held long enough while a worse one is still pending', () => {
    const rule = { ...strainRule, minDurationMs: 30 * SECOND_MS };
    const { levels } = run(rule, [
      [T0, 350],
      [T0 + 20 * SECOND_MS, 520],
      [T0 + 30 * SECOND_MS, 520],
      [T0 + 50 * SECOND_MS, 520],
    ]);
    expect(levels).toEqual([null, null, 'yellow', 'red']);
  });

  it('downgrades red → orange → yellow → normal only past limit minus hysteresis', () => {
    const { levels } = run(strainRule, [
      [T0, 520],
      [T0 + 1, 490], // below red 500 but within hysteresis 20 → stays red
      [T0 + 2, 479], // below 480 → orange
      [T0 + 3, 385], // within hysteresis of orange → orange
      [T0 + 4, 379], // below 380 → yellow
      [T0 + 5, 290], // within hysteresis of yellow → yellow
      [T0 + 6, 279], // below 280 → normal
    ]);
    expect(levels).toEqual(['red', 'red', 'orange', 'orange', 'yellow', 'yellow', null]);
  });

  it('mirrors the semantics for "below" rules (residual chlorine too low)', () => {
    const { levels } = run(chlorineRule, [
      [T0, 0.5],
      [T0 + 1, 0.3], // reaches yellow limit
      [T0 + 2, 0.34], // within hysteresis → yellow
      [T0 + 3, 0.08], // orange
      [T0 + 4, 0.14], // within hysteresis of orange → orange
      [T0 + 5, 0.2], // past orange + hysteresis, still below yellow → yellow
      [T0 + 6, 0.36], // past yellow + hysteresis → normal
    ]);
    expect(levels).toEqual([null, 'yellow', 'yellow', 'orange', 'orange', 'yellow', null]);
  });

  it('ignores out-of-order samples and leaves the state unchanged', () => {
    const first = evaluateRule(strainRule, initialRuleState(), { ts: T0 + 10 * SECOND_MS, value: 520 });
    const late = evaluateRule(strainRule, first.state, { ts: T0, value: 100 });
    expect(late.state).toBe(first.state);
    expect(late.level).toBe('red');
    expect(late.value).toBeUndefined();
  });

  it('never mutates the previous state', () => {
    const prev = initialRuleState();
    const copy = structuredClone(prev);
    evaluateRule({ ...strainRule, minDurationMs: MINUTE_MS }, prev, { ts: T0, value: 600 });
    expect(prev).toEqual(copy);
  });
});

describe('rate rules', () => {
  const risingRule: RateRule = {
    type: 'rate',
    id: 'level-rising',
    deviceKind: 'water-level',
    metric: 'level',
    limitPerMin: 0.05, // 0.5 m in 10 min
    windowMs: 10 * MINUTE_MS,
    level: 'orange',
    autoIncidentLevel: null,
    title: '水位快速上涨',
    titleEn: 'Water level rising fast',
  };

  it('alerts when the water level rises 0.5 m in 10 min', () => {
    const samples: [number, number][] = Array.from({ length: 11 }, (_, i) => [T0 + i * MINUTE_MS, 2 + 0.05 * i]);
    const { levels, state } = run(risingRule, samples);
    expect(levels.at(-1)).toBe('orange');
    const last = evaluateRule(risingRule, state, { ts: T0 + 11 * MINUTE_MS, value: 2.55 });
    expect(last.value).toBeCloseTo(0.05, 5);
  });

  it('stays normal for a slow rise and for a fall when the limit is positive', () => {
    const slow = run(
      risingRule,
      Array.from({ length: 11 }, (_, i) => [T0 + i * MINUTE_MS, 2 + 0.01 * i] as [number, number]),
    );
    expect(slow.levels.every((l) => l === null)).toBe(true);
    const falling = run(
      risingRule,
      Array.from({ length: 11 }, (_, i) => [T0 + i * MINUTE_MS, 3 - 0.1 * i] as [number, number]),
    );
    expect(falling.levels.every((l) => l === null)).toBe(true);
  });

  it('treats a negative limit as a falling rate (pipe pressure dropping)', () => {
    const dropRule: RateRule = { ...risingRule, id: 'pressure-drop', metric: 'pressure', limitPerMin: -0.02, windowMs: 5 * MINUTE_MS };
    const { levels } = run(
      dropRule,
      Array.from({ length: 6 }, (_, i) => [T0 + i * MINUTE_MS, 0.4 - 0.03 * i] as [number, number]),
    );
    expect(levels.at(-1)).toBe('orange');
  });

  it('does not compute a rate from two noisy samples a moment apart', () => {
    const { levels } = run(risingRule, [
      [T0, 2],
      [T0 + SECOND_MS, 2.05],
    ]);
    expect(levels).toEqual([null, null]);
  });

  it('keeps only samples inside the window, at most RATE_MAX_SAMPLES', () => {
    const samples: [number, number][] = Array.from({ length: 1000 }, (_, i) => [T0 + i * SECOND_MS, 2]);
    const { state } = run(risingRule, samples);
    expect(state.samples.length).toBe(RATE_MAX_SAMPLES);
    const sparse = run(
      risingRule,
      Array.from({ length: 30 }, (_, i) => [T0 + i * MINUTE_MS, 2] as [number, number]),
    );
    expect(sparse.state.samples[0][0]).toBeGreaterThanOrEqual(T0 + 29 * MINUTE_MS - risingRule.windowMs);
  });
});

describe('event rules', () => {
  const smokeRule: EventRule = {
    type: 'event',
    id: 'smoke',
    deviceKind: 'smoke-detector',
    metric: 'smoke',
    level: 'red',
    autoIncidentLevel: 'red',
    title: '烟感报警',
    titleEn: 'Smoke detected',
  };

  it('raises at once when the flag becomes 1 and clears at 0', () => {
    const { levels } = run(smokeRule, [
      [T0, 0],
      [T0 + 1, 1],
      [T0 + 2, 1],
      [T0 + 3, 0],
    ]);
    expect(levels).toEqual([null, 'red', 'red', null]);
  });
});

describe('offline rules', () => {
  const offlineRule: OfflineRule = {
    type: 'offline',
    id: 'offline',
    deviceKind: 'gas-detector',
    silenceMs: 5 * MINUTE_MS,
    level: 'blue',
    autoIncidentLevel: null,
    title: '设备离线',
    titleEn: 'Device offline',
  };

  it('reports silence only after more than silenceMs without a reading', () => {
    expect(isSilent(offlineRule, T0, T0 + 5 * MINUTE_MS)).toBe(false);
    expect(isSilent(offlineRule, T0, T0 + 5 * MINUTE_MS + 1)).toBe(true);
    expect(isSilent(offlineRule, 0, T0)).toBe(true);
  });
});
