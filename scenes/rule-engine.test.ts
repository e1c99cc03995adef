import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { AlertLevel, EventRule, OfflineRule, Rule, ThresholdRule } from './domain';
import { createRuleRuntime, droppedRules, evaluateReadingRules, sameRule, silentOfflineRule } from './rule-engine';
import { evaluateRule, initialRuleState, type RuleState } from './rules';

const T0 = 1_700_000_000_000;

const strain: ThresholdRule = {
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
const temperature: ThresholdRule = {
  ...strain,
  id: 'temp-low',
  metric: 'temperature',
  direction: 'below',
  limits: { yellow: -5, red: -15 },
  hysteresis: 1,
  minDurationMs: 30_000,
};
const crack: EventRule = {
  type: 'event',
  id: 'crack',
  deviceKind: 'strain-gauge',
  metric: 'crack',
  level: 'orange',
  autoIncidentLevel: null,
  title: '裂缝',
  titleEn: 'Crack',
};
const offline: OfflineRule = {
  type: 'offline',
  id: 'offline',
  deviceKind: 'strain-gauge',
  silenceMs: 60_000,
  level: 'blue',
  autoIncidentLevel: null,
  title: '离线',
  titleEn: 'Offline',
};
const RULES: Rule[] = [strain, temperature, crack, offline];

describe('evaluateReadingRules', () => {
  it('evaluates exactly the rules whose metric the reading carries', () => {
    const rt = createRuleRuntime(RULES);
    evaluateReadingRules(rt, { ts: T0, metrics: { strain: 450 } }, false);
    expect(rt.evaluated).toEqual([true, false, false, false]);
    expect(rt.levels[0]).toBe('orange');
    expect(rt.values[0]).toBe(450);
  });

  it('evaluates offline rules (to normal) only when the device came back online with this reading', () => {
    const rt = createRuleRuntime(RULES);
    evaluateReadingRules(rt, { ts: T0, metrics: { crack: 1 } }, true);
    expect(rt.evaluated).toEqual([false, false, true, true]);
    expect(rt.levels[2]).toBe('orange');
    expect(rt.levels[3]).toBeNull();
    evaluateReadingRules(rt, { ts: T0 + 1, metrics: { crack: 0 } }, false);
    expect(rt.evaluated[3]).toBe(false);
  });

  it('keeps each rule’s state across readings (a minimum duration spans readings)', () => {
    const rt = createRuleRuntime(RULES);
    evaluateReadingRules(rt, { ts: T0, metrics: { temperature: -6 } }, false);
    expect(rt.levels[1]).toBeNull();
    evaluateReadingRules(rt, { ts: T0 + temperature.minDurationMs, metrics: { temperature: -6 } }, false);
    expect(rt.levels[1]).toBe('yellow');
  });
});

describe('silentOfflineRule', () => {
  it('names the offline rule a device is silent under, or -1', () => {
    const rt = createRuleRuntime(RULES);
    expect(silentOfflineRule(rt, T0, T0 + offline.silenceMs)).toBe(-1);
    expect(silentOfflineRule(rt, T0, T0 + offline.silenceMs + 1)).toBe(3);
    expect(silentOfflineRule(createRuleRuntime([strain]), T0, T0 + 10 * offline.silenceMs)).toBe(-1);
  });
});

describe('createRuleRuntime from a previous runtime', () => {
  it('carries the state of unchanged rules over and starts changed or new rules afresh', () => {
    const before = createRuleRuntime([strain, temperature]);
    evaluateReadingRules(before, { ts: T0, metrics: { strain: 600, temperature: -6 } }, false);
    const edited: ThresholdRule = { ...temperature, limits: { yellow: -3, red: -15 } };
    const after = createRuleRuntime([crack, edited, { ...strain }], before);
    expect(after.states[2]).toBe(before.states[0]); // same definition, another object
    expect(after.states[1]).toBeUndefined();
    expect(after.states[0]).toBeUndefined();
  });

  it('tells which rules stopped applying', () => {
    expect(droppedRules([strain, temperature, crack], [temperature])).toEqual([strain, crack]);
    expect(sameRule(strain, { ...strain })).toBe(true);
    expect(sameRule(strain, { ...strain, hysteresis: 10 })).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------
// Property: an override of one rule changes that rule's levels, exactly as the overriding rule
// says, and nothing else.

const LEVELS_UP: AlertLevel[] = ['blue', 'yellow', 'orange', 'red'];

/** A valid ladder for an 'above' rule: limits increasing with severity, hysteresis below the smallest gap. */
const thresholdOverride = fc
  .record({
    levels: fc.subarray(LEVELS_UP, { minLength: 1 }),
    base: fc.integer({ min: 0, max: 600 }),
    gaps: fc.array(fc.integer({ min: 5, max: 200 }), { minLength: 4, maxLength: 4 }),
    hysteresisFraction: fc.double({ min: 0, max: 0.99, noNaN: true }),
    minDurationMs: fc.constantFrom(0, 1000, 30_000),
  })
  .map(({ levels, base, gaps, hysteresisFraction, minDurationMs }): ThresholdRule => {
    const limits: Partial<Record<AlertLevel, number>> = {};
    let limit = base;
    levels.forEach((level, i) => {
      limits[level] = limit;
      limit += gaps[i]!;
    });
    return {
      ...strain,
      limits,
      hysteresis: Math.min(...gaps.slice(0, Math.max(1, levels.length - 1))) * hysteresisFraction,
      minDurationMs,
      version: 1,
    } as ThresholdRule;
  });

const readings = fc.array(
  fc.record({
    dtMs: fc.integer({ min: 0, max: 20_000 }),
    strain: fc.option(fc.integer({ min: 0, max: 900 }), { nil: undefined }),
    temperature: fc.option(fc.integer({ min: -20, max: 5 }), { nil: undefined }),
    crack: fc.option(fc.constantFrom(0, 1), { nil: undefined }),
  }),
  { minLength: 1, maxLength: 60 },
);

function metricsOf(r: { strain?: number; temperature?: number; crack?: number }): Record<string, number> {
  const m: Record<string, number> = {};
  if (r.strain !== undefined) m.strain = r.strain;
  if (r.temperature !== undefined) m.temperature = r.temperature;
  if (r.crack !== undefined) m.crack = r.crack;
  return m;
}

describe('rule overrides (property)', () => {
  it('an override of one rule changes that rule’s levels as the overriding rule says, and no other rule’s', () => {
    fc.assert(
      fc.property(thresholdOverride, readings, (override, sequence) => {
        const plain = createRuleRuntime(RULES);
        const overridden = createRuleRuntime([override, temperature, crack, offline]);
        let alone: RuleState = initialRuleState();
        let ts = T0;
        for (const r of sequence) {
          ts += r.dtMs;
          const reading = { ts, metrics: metricsOf(r) };
          evaluateReadingRules(plain, reading, false);
          evaluateReadingRules(overridden, reading, false);
          for (let i = 1; i < RULES.length; i++) {
            expect(overridden.evaluated[i]).toBe(plain.evaluated[i]);
            if (plain.evaluated[i]) expect(overridden.levels[i]).toBe(plain.levels[i]);
          }
          if (r.strain !== undefined) {
            const outcome = evaluateRule(override, alone, { ts, value: r.strain });
            alone = outcome.state;
            expect(overridden.levels[0]).toBe(outcome.level);
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it('an override equal to the rule it replaces changes no level', () => {
    fc.assert(
      fc.property(readings, (sequence) => {
        const plain = createRuleRuntime(RULES);
        const same = createRuleRuntime([{ ...strain }, temperature, crack, offline]);
        let ts = T0;
        for (const r of sequence) {
          ts += r.dtMs;
          evaluateReadingRules(plain, { ts, metrics: metricsOf(r) }, false);
          evaluateReadingRules(same, { ts, metrics: metricsOf(r) }, false);
          expect(same.levels).toEqual(plain.levels);
        }
      }),
      { numRuns: 100 },
    );
  });
});
