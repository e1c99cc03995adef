import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_RULES } from './catalogue';
import { QINGDAO_ASSETS, QINGDAO_RULE_OVERRIDES } from './city/qingdao';
import type { AlertLevel, Rule, ThresholdRule } from './domain';
import { generateFleet } from './fleet';
import {
  applyRuleDefaultEdit,
  checkRuleConsistency,
  deleteOverride,
  effectiveDefaults,
  indexOverrides,
  listRules,
  resolveRules,
  RIVER_BLUE_BELOW_WARNING_M,
  RIVER_LEVEL_RULE_ID,
  riverLevelOverrides,
  riverLimits,
  RuleChangeSchema,
  RuleOverrideSchema,
  upsertOverride,
  validateRulePatch,
} from './rule-overrides';
import type { EffectiveRule, RuleOverride, RulePatch, RuleSubject, RuleTarget } from './rule-overrides';
import { evaluateRule, initialRuleState } from './rules';
import { riverLevels } from './builders/build-water-scene';

const T0 = 1_700_000_000_000;
const ADMIN = { updatedBy: 'admin', updatedTs: T0 };

function ruleById(id: string): Rule {
  const rule = DEFAULT_RULES.find((r) => r.id === id);
  if (rule === undefined) throw new Error(`no rule ${id}`);
  return rule;
}
const riverRule = ruleById(RIVER_LEVEL_RULE_ID) as ThresholdRule;
const strainRule = ruleById('bridge.strain.threshold') as ThresholdRule;
const lowPressureRule = ruleById('water.pressure.low') as ThresholdRule;
const rateRule = ruleById('water.level.rate');
const eventRule = ruleById('community.smoke.event');
const offlineRule = ruleById('water.water-level.offline');

function override(ruleId: string, target: RuleTarget, patch: RulePatch, version = 1): RuleOverride {
  return { ruleId, target, patch, version, ...ADMIN };
}

function parseJson(text: string): unknown {
  return JSON.parse(text) as unknown;
}

describe('validateRulePatch', () => {
  const refusals: [string, Rule, unknown, string][] = [
    ['a rising ladder out of order', strainRule, { limits: { yellow: 400, orange: 300 } }, 'limits.orange'],
    ['a rising ladder with two equal levels', strainRule, { limits: { yellow: 300, orange: 300, red: 500 } }, 'limits.orange'],
    ['a falling ladder in rising order', lowPressureRule, { limits: { yellow: 0.16, orange: 0.2 } }, 'limits.orange'],
    ['a blue limit above yellow on a rising rule', strainRule, { limits: { blue: 350, yellow: 300 } }, 'limits.yellow'],
    ['an empty ladder', strainRule, { limits: {} }, 'limits'],
    ['an unknown level', strainRule, { limits: { purple: 1 } }, 'limits.purple'],
    ['a limit outside the metric range', strainRule, { limits: { red: 5000 } }, 'limits.red'],
    ['a non-numeric limit', strainRule, { limits: { red: '500' } }, 'limits.red'],
    ['a negative hysteresis', strainRule, { hysteresis: -1 }, 'hysteresis'],
    ['a hysteresis as large as the gap between levels', strainRule, { hysteresis: 100 }, 'hysteresis'],
    ['a hysteresis larger than the gap of the new ladder', strainRule, { limits: { yellow: 300, orange: 310 }, hysteresis: 20 }, 'hysteresis'],
    ['a negative minimum duration', strainRule, { minDurationMs: -1 }, 'minDurationMs'],
    ['a fractional minimum duration', strainRule, { minDurationMs: 1.5 }, 'minDurationMs'],
    ['a minimum duration over a day', strainRule, { minDurationMs: 24 * 3600 * 1000 + 1 }, 'minDurationMs'],
    ['an unknown auto-incident level', strainRule, { autoIncidentLevel: 'purple' }, 'autoIncidentLevel'],
    ['a non-boolean enabled', strainRule, { enabled: 'yes' }, 'enabled'],
    ['another unit than the catalogue', strainRule, { unit: 'mm', limits: { red: 500 } }, 'unit'],
    ['an unknown field', strainRule, { limit: 5 }, 'limit'],
    ['a field of another rule type (level on a threshold rule)', strainRule, { level: 'red' }, 'level'],
    ['limits on an event rule', eventRule, { limits: { red: 1 } }, 'limits'],
    ['hysteresis on a rate rule', rateRule, { hysteresis: 1 }, 'hysteresis'],
    ['a zero rate limit', rateRule, { limitPerMin: 0 }, 'limitPerMin'],
    ['a rate window of one second', rateRule, { windowMs: 1000 }, 'windowMs'],
    ['an offline silence of one second', offlineRule, { silenceMs: 1000 }, 'silenceMs'],
    ['a metric change on an offline rule', offlineRule, { metric: 'level' }, 'metric'],
    ['__proto__ at the top', strainRule, parseJson('{"__proto__": {"enabled": false}}'), '__proto__'],
    ['__proto__ inside limits', strainRule, parseJson('{"limits": {"__proto__": {"red": 1}}}'), 'limits.__proto__'],
    ['constructor as a field', strainRule, { constructor: 1 }, 'constructor'],
    ['a patch that is not an object', strainRule, [1, 2], 'patch'],
    ['a null patch', strainRule, null, 'patch'],
  ];
  it.each(refusals)('refuses %s with E_VALIDATION naming the field', (_title, rule, patch, field) => {
    const r = validateRulePatch(rule, patch);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe('E_VALIDATION');
    expect((r.error.details as { field: string }).field).toBe(field);
    expect(r.error.message.startsWith(`${field}:`)).toBe(true);
  });

  const acceptances: [string, Rule, RulePatch][] = [
    ['a rising ladder with missing levels', strainRule, { limits: { yellow: 250, red: 600 } }],
    ['a falling ladder in falling order', lowPressureRule, { limits: { blue: 0.25, yellow: 0.2, orange: 0.15, red: 0.1 } }],
    ['a single level with any hysteresis', strainRule, { limits: { red: 500 }, hysteresis: 200 }],
    ['the catalogue unit stated back', strainRule, { unit: 'με', limits: { red: 450 } }],
    ['disabling with no other change', strainRule, { enabled: false }],
    ['never opening an incident', strainRule, { autoIncidentLevel: null }],
    ['a new rate limit and window', rateRule, { limitPerMin: 0.05, windowMs: 5 * 60_000, level: 'orange' }],
    ['another level for an event', eventRule, { level: 'red', autoIncidentLevel: 'red' }],
    ['a longer offline silence', offlineRule, { silenceMs: 10 * 60_000 }],
  ];
  it.each(acceptances)('accepts %s', (_title, rule, patch) => {
    const r = validateRulePatch(rule, patch);
    const { unit: _unit, ...stored } = patch;
    expect(r.ok ? r.patch : r.error).toEqual(stored);
  });
});

describe('checkRuleConsistency', () => {
  it('holds for every catalogue default, so an empty patch is always valid', () => {
    for (const rule of DEFAULT_RULES) expect(checkRuleConsistency(rule), rule.id).toEqual({ ok: true });
  });
});

describe('resolveRules', () => {
  const gauge: RuleSubject = { id: 'wl-1', kind: 'water-level', assetId: 'river-zhangcun' };
  const otherGauge: RuleSubject = { id: 'wl-2', kind: 'water-level', assetId: 'river-licun' };
  const find = (rules: EffectiveRule[], id: string) => rules.find((r) => r.id === id) as EffectiveRule & ThresholdRule;

  it('gives a device every default rule of its kind, and only those, at version 0 from the default', () => {
    const rules = resolveRules(DEFAULT_RULES, [], gauge);
    expect(rules.map((r) => r.id).sort()).toEqual(
      DEFAULT_RULES.filter((r) => r.deviceKind === 'water-level')
        .map((r) => r.id)
        .sort(),
    );
    for (const r of rules) expect(r).toMatchObject({ source: 'default', version: 0, enabled: true });
  });

  it('takes device over asset over default, field by field', () => {
    const overrides = [
      override(RIVER_LEVEL_RULE_ID, { type: 'asset', id: 'river-zhangcun' }, { limits: { yellow: 3, red: 4.2 }, minDurationMs: 0 }, 2),
      override(RIVER_LEVEL_RULE_ID, { type: 'device', id: 'wl-1' }, { minDurationMs: 5000 }, 3),
    ];
    const rule = find(resolveRules(DEFAULT_RULES, overrides, gauge), RIVER_LEVEL_RULE_ID);
    expect(rule).toMatchObject({ limits: { yellow: 3, red: 4.2 }, minDurationMs: 5000, hysteresis: riverRule.hysteresis, source: 'device' });
    expect(rule.versions).toEqual({ default: 0, asset: 2, device: 3 });
    expect(rule.version).toBe(5);
    const onAssetOnly = find(resolveRules(DEFAULT_RULES, overrides, { ...gauge, id: 'wl-9' }), RIVER_LEVEL_RULE_ID);
    expect(onAssetOnly).toMatchObject({ minDurationMs: 0, source: 'asset', version: 2 });
    expect(find(resolveRules(DEFAULT_RULES, overrides, otherGauge), RIVER_LEVEL_RULE_ID)).toMatchObject({
      limits: riverRule.limits,
      source: 'default',
    });
  });

  it('lets an override disable a rule for one device only', () => {
    const overrides = [override(RIVER_LEVEL_RULE_ID, { type: 'device', id: 'wl-1' }, { enabled: false })];
    expect(find(resolveRules(DEFAULT_RULES, overrides, gauge), RIVER_LEVEL_RULE_ID).enabled).toBe(false);
    expect(find(resolveRules(DEFAULT_RULES, overrides, otherGauge), RIVER_LEVEL_RULE_ID).enabled).toBe(true);
  });

  it('applies admin edits of a default with their version', () => {
    const edited = applyRuleDefaultEdit(riverRule, undefined, { patch: { hysteresis: 0.1 }, expectedVersion: 0 }, ADMIN);
    if (!edited.ok) throw new Error(edited.error.message);
    const defaults = effectiveDefaults(DEFAULT_RULES, [edited.record]);
    const rule = find(resolveRules(defaults, [], otherGauge), RIVER_LEVEL_RULE_ID);
    expect(rule).toMatchObject({ hysteresis: 0.1, source: 'default', version: 1 });
  });

  it('skips an override that no longer fits the rule below it and reports it', () => {
    // the device's hysteresis was fine for the default ladder (gaps of 1 m) but not for the asset's
    const overrides = [
      override(RIVER_LEVEL_RULE_ID, { type: 'asset', id: 'river-zhangcun' }, { limits: { yellow: 3, orange: 3.2 } }),
      override(RIVER_LEVEL_RULE_ID, { type: 'device', id: 'wl-1' }, { hysteresis: 0.5 }),
    ];
    const rule = find(resolveRules(DEFAULT_RULES, overrides, gauge), RIVER_LEVEL_RULE_ID);
    expect(rule).toMatchObject({ limits: { yellow: 3, orange: 3.2 }, hysteresis: riverRule.hysteresis, source: 'asset', version: 2 });
    expect(rule.skipped?.map((s) => [s.target.type, s.error.code])).toEqual([['device', 'E_VALIDATION']]);
  });

  it('gives the same answer from an index as from a list', () => {
    const overrides = [override(RIVER_LEVEL_RULE_ID, { type: 'asset', id: 'river-zhangcun' }, { minDurationMs: 0 })];
    expect(resolveRules(DEFAULT_RULES, indexOverrides(overrides), gauge)).toEqual(resolveRules(DEFAULT_RULES, overrides, gauge));
  });
});

describe('versions and compare-and-set', () => {
  const target: RuleTarget = { type: 'device', id: 'sg-1' };
  const input = (patch: RulePatch, updatedBy = 'alice') => ({ ruleId: strainRule.id, target, patch, updatedBy, updatedTs: T0 });

  it('creates an override at version 1 only when the editor expected none', () => {
    expect(upsertOverride(undefined, input({ hysteresis: 10 }), 1)).toMatchObject({ ok: false, error: { code: 'E_CONFLICT' } });
    const created = upsertOverride(undefined, input({ hysteresis: 10 }), 0);
    expect(created).toMatchObject({ ok: true, override: { version: 1, patch: { hysteresis: 10 } } });
  });

  it('records who changed what, when, and the previous value', () => {
    const first = upsertOverride(undefined, input({ hysteresis: 10 }), 0);
    if (!first.ok) throw new Error(first.error.message);
    const second = upsertOverride(first.override, input({ hysteresis: 15, minDurationMs: 0 }, 'bob'), 1);
    if (!second.ok) throw new Error(second.error.message);
    expect(second.change).toEqual({
      ruleId: strainRule.id,
      target,
      previous: { hysteresis: 10 },
      next: { hysteresis: 15, minDurationMs: 0 },
      changedFields: ['hysteresis', 'minDurationMs'],
      version: 2,
      updatedBy: 'bob',
      updatedTs: T0,
    });
    expect(RuleChangeSchema.safeParse(second.change).success).toBe(true);
    expect(RuleOverrideSchema.safeParse(second.override).success).toBe(true);
  });

  it('lets exactly one of two concurrent edits of the same version win', () => {
    const base = upsertOverride(undefined, input({ hysteresis: 10 }), 0);
    if (!base.ok) throw new Error(base.error.message);
    const winner = upsertOverride(base.override, input({ hysteresis: 11 }, 'alice'), 1);
    if (!winner.ok) throw new Error(winner.error.message);
    const loser = upsertOverride(winner.override, input({ hysteresis: 12 }, 'bob'), 1);
    expect(loser).toMatchObject({ ok: false, error: { code: 'E_CONFLICT', details: { currentVersion: 2 } } });
  });

  it('keeps a deleted override as a tombstone so the effective version never goes back', () => {
    const device: RuleSubject = { id: 'sg-1', kind: 'strain-gauge' };
    const created = upsertOverride(undefined, input({ limits: { red: 450 } }), 0);
    if (!created.ok) throw new Error(created.error.message);
    const before = resolveRules(DEFAULT_RULES, [created.override], device).find((r) => r.id === strainRule.id)!;
    expect(deleteOverride(created.override, 0, ADMIN)).toMatchObject({ ok: false, error: { code: 'E_CONFLICT' } });
    const deleted = deleteOverride(created.override, 1, ADMIN);
    if (!deleted.ok) throw new Error(deleted.error.message);
    expect(deleted.change).toMatchObject({ previous: { limits: { red: 450 } }, next: null, version: 2 });
    const after = resolveRules(DEFAULT_RULES, [deleted.override], device).find((r) => r.id === strainRule.id) as EffectiveRule & ThresholdRule;
    expect(after.limits).toEqual(strainRule.limits);
    expect(after.source).toBe('default');
    expect(after.version).toBeGreaterThan(before.version);
    expect(deleteOverride(deleted.override, 2, ADMIN)).toMatchObject({ ok: false, error: { code: 'E_NOT_FOUND' } });
    // re-creating names the tombstone's version
    expect(upsertOverride(deleted.override, input({ hysteresis: 5 }), 0)).toMatchObject({ ok: false, error: { code: 'E_CONFLICT' } });
    expect(upsertOverride(deleted.override, input({ hysteresis: 5 }), 2)).toMatchObject({
      ok: true,
      override: { version: 3 },
      change: { previous: null },
    });
  });

  it('edits a default with compare-and-set and validation', () => {
    const first = applyRuleDefaultEdit(
      strainRule,
      undefined,
      { patch: { limits: { yellow: 320, orange: 420, red: 520 } }, expectedVersion: 0 },
      ADMIN,
    );
    if (!first.ok) throw new Error(first.error.message);
    expect(first.change).toMatchObject({ target: { type: 'default' }, previous: null, version: 1 });
    expect(applyRuleDefaultEdit(strainRule, first.record, { patch: { hysteresis: 1 }, expectedVersion: 0 }, ADMIN)).toMatchObject({
      ok: false,
      error: { code: 'E_CONFLICT' },
    });
    expect(applyRuleDefaultEdit(strainRule, first.record, { patch: { limits: { yellow: 500, red: 400 } }, expectedVersion: 1 }, ADMIN)).toMatchObject(
      {
        ok: false,
        error: { code: 'E_VALIDATION' },
      },
    );
    const second = applyRuleDefaultEdit(strainRule, first.record, { patch: { hysteresis: 1 }, expectedVersion: 1 }, ADMIN);
    expect(second).toMatchObject({ ok: true, record: { version: 2, patch: { hysteresis: 1 } }, change: { changedFields: ['hysteresis', 'limits'] } });
  });
});

describe('river levels', () => {
  const zhangcun = QINGDAO_ASSETS.find((a) => a.id === 'river-zhangcun')!;
  const guaranteeM = Number(zhangcun.props.guaranteeLevelM);
  const warningM = Number(zhangcun.props.warningLevelM);
  const gauge: RuleSubject = { id: 'wl-zc', kind: 'water-level', assetId: zhangcun.id };

  /** Level after holding `value` for longer than the rule's minimum duration. */
  function levelAfterHolding(rule: ThresholdRule, value: number): AlertLevel | null {
    let state = initialRuleState();
    let level: AlertLevel | null = null;
    for (const ts of [T0, T0 + rule.minDurationMs, T0 + rule.minDurationMs + 1000]) ({ state, level } = evaluateRule(rule, state, { ts, value }));
    return level;
  }

  it('maps warning to yellow, guarantee to red, midway to orange and blue just below the warning level', () => {
    expect(riverLimits(3, 4.2)).toEqual({ blue: 3 - RIVER_BLUE_BELOW_WARNING_M, yellow: 3, orange: 3.6, red: 4.2 });
    expect(riverLimits(4, 4)).toBeNull();
    expect(riverLimits(undefined, 4)).toBeNull();
  });

  it('seeds one valid override per Qingdao river and reservoir', () => {
    const seeded = riverLevelOverrides(QINGDAO_ASSETS, riverRule);
    expect(seeded.rejected).toEqual([]);
    const riverIds = QINGDAO_ASSETS.filter((a) => a.kind === 'river' || a.kind === 'reservoir').map((a) => a.id);
    expect(seeded.overrides.map((o) => o.target.id)).toEqual(riverIds);
    for (const o of seeded.overrides) expect(RuleOverrideSchema.safeParse(o).success, o.target.id).toBe(true);
    expect(QINGDAO_RULE_OVERRIDES).toEqual(seeded.overrides);
  });

  it('reports a river whose guarantee level is not above its warning level', () => {
    const bad = { id: 'river-bad', kind: 'river' as const, props: { warningLevelM: 4, guaranteeLevelM: 3 } };
    expect(riverLevelOverrides([bad], riverRule).rejected.map((r) => r.assetId)).toEqual(['river-bad']);
  });

  it('raises red for a Zhangcun River gauge at its guarantee level with the river override, and not with the city default', () => {
    const withRiver = resolveRules(DEFAULT_RULES, QINGDAO_RULE_OVERRIDES, gauge).find((r) => r.id === RIVER_LEVEL_RULE_ID) as EffectiveRule &
      ThresholdRule;
    expect(withRiver.source).toBe('asset');
    expect(levelAfterHolding(withRiver, guaranteeM)).toBe('red');
    expect(levelAfterHolding(withRiver, warningM)).toBe('yellow');
    const cityDefault = resolveRules(DEFAULT_RULES, [], gauge).find((r) => r.id === RIVER_LEVEL_RULE_ID) as EffectiveRule & ThresholdRule;
    expect(levelAfterHolding(cityDefault, guaranteeM)).not.toBe('red');
  });

  it('gives every demo water-level gauge on a river its river ladder', () => {
    const index = indexOverrides(QINGDAO_RULE_OVERRIDES);
    const gauges = generateFleet().filter((d) => d.kind === 'water-level');
    expect(gauges.length).toBeGreaterThan(0);
    for (const d of gauges) {
      const rule = resolveRules(DEFAULT_RULES, index, d).find((r) => r.id === RIVER_LEVEL_RULE_ID) as EffectiveRule & ThresholdRule;
      const asset = QINGDAO_ASSETS.find((a) => a.id === d.assetId)!;
      expect(rule.limits.red, d.id).toBe(asset.props.guaranteeLevelM);
      expect(rule.limits.yellow, d.id).toBe(asset.props.warningLevelM);
    }
  });
});

describe('an override changes exactly the alerts it should (property)', () => {
  const LEVELS: AlertLevel[] = ['blue', 'yellow', 'orange', 'red'];
  const devices: RuleSubject[] = [
    { id: 'wl-a1', kind: 'water-level', assetId: 'river-a' },
    { id: 'wl-a2', kind: 'water-level', assetId: 'river-a' },
    { id: 'wl-b1', kind: 'water-level', assetId: 'river-b' },
    { id: 'wl-n1', kind: 'water-level' },
  ];

  /** A valid rising ladder on some levels, in metres, and a hysteresis below its smallest gap. */
  const ladderArb = fc
    .tuple(
      fc.subarray(LEVELS, { minLength: 1 }),
      fc.array(fc.integer({ min: 1, max: 200 }), { minLength: 4, maxLength: 4 }),
      fc.integer({ min: 0, max: 400 }),
      fc.double({ min: 0, max: 0.99, noNaN: true }),
      fc.integer({ min: 0, max: 3 }),
    )
    .map(([levels, steps, startCm, hysteresisFraction, minDurationSteps]): RulePatch => {
      const limits: Partial<Record<AlertLevel, number>> = {};
      let cm = startCm;
      let smallestStepCm = Number.POSITIVE_INFINITY;
      levels.forEach((level, i) => {
        if (i > 0) smallestStepCm = Math.min(smallestStepCm, steps[i]!);
        cm += i === 0 ? 0 : steps[i]!;
        limits[level] = cm / 100;
      });
      const hysteresis = Number.isFinite(smallestStepCm) ? Math.floor(smallestStepCm * hysteresisFraction) / 100 : 0.05;
      return { limits, hysteresis, minDurationMs: minDurationSteps * 30_000 };
    });

  /** Per device: readings every 30 s, levels in metres with cm resolution. */
  const readingsArb = fc.array(fc.array(fc.integer({ min: -100, max: 1200 }), { minLength: 1, maxLength: 40 }), {
    minLength: devices.length,
    maxLength: devices.length,
  });
  const targetArb = fc.oneof(
    fc.constantFrom(...devices.map((d) => ({ type: 'device' as const, id: d.id }))),
    fc.constantFrom({ type: 'asset' as const, id: 'river-a' }, { type: 'asset' as const, id: 'river-b' }),
  );

  function levels(rule: EffectiveRule, values: number[]): (AlertLevel | null)[] {
    if (rule.type !== 'threshold') throw new Error('threshold rule expected');
    if (!rule.enabled) return values.map(() => null);
    let state = initialRuleState();
    return values.map((cm, i) => {
      const outcome = evaluateRule(rule, state, { ts: T0 + i * 30_000, value: cm / 100 });
      state = outcome.state;
      return outcome.level;
    });
  }

  function applies(target: RuleTarget, device: RuleSubject): boolean {
    return target.type === 'device' ? target.id === device.id : target.id === device.assetId;
  }

  it('changes the levels of the targeted devices to those of the patched rule, and no other device', () => {
    fc.assert(
      fc.property(ladderArb, targetArb, readingsArb, fc.boolean(), (patch, target, readings, disable) => {
        const fullPatch: RulePatch = disable ? { ...patch, enabled: false } : patch;
        expect(validateRulePatch(riverRule, fullPatch).ok).toBe(true);
        const overrides = [override(RIVER_LEVEL_RULE_ID, target, fullPatch)];
        devices.forEach((device, i) => {
          const before = resolveRules(DEFAULT_RULES, [], device).find((r) => r.id === RIVER_LEVEL_RULE_ID)!;
          const after = resolveRules(DEFAULT_RULES, overrides, device).find((r) => r.id === RIVER_LEVEL_RULE_ID)!;
          const values = readings[i]!;
          if (applies(target, device)) {
            const expected: EffectiveRule = { ...riverRule, ...patch, enabled: !disable, source: target.type, version: 1, versions: { default: 0 } };
            expect(levels(after, values)).toEqual(levels(expected, values));
            expect(after.version).toBe(before.version + 1);
          } else {
            expect(levels(after, values)).toEqual(levels(before, values));
            expect(after).toEqual(before);
          }
        });
      }),
      { numRuns: 300 },
    );
  });
});

describe('the water scene and the alerts read the same river levels', () => {
  it("counts a river as above its warning level exactly where its gauges' rule turns yellow, and draws red at its guarantee level", () => {
    for (const asset of QINGDAO_ASSETS.filter((a) => a.kind === 'river' || a.kind === 'reservoir')) {
      const rule = resolveRules(DEFAULT_RULES, QINGDAO_RULE_OVERRIDES, { id: 'wl-x', kind: 'water-level', assetId: asset.id }).find(
        (r) => r.id === RIVER_LEVEL_RULE_ID,
      ) as EffectiveRule & ThresholdRule;
      expect(riverLevels(asset), asset.id).toEqual({ warningM: rule.limits.yellow, guaranteeM: rule.limits.red });
    }
  });

  it('falls back to the default ladder for a gauge on no river', () => {
    expect(riverLevels(undefined)).toEqual({ warningM: riverRule.limits.yellow, guaranteeM: riverRule.limits.red });
  });
});

describe('listRules', () => {
  it('lists every default with its unit, version and live overrides, assets first', () => {
    const overrides = [
      override(strainRule.id, { type: 'device', id: 'sg-1' }, { hysteresis: 5 }, 2),
      override(strainRule.id, { type: 'asset', id: 'bridge-jzwdq' }, { limits: { red: 480 } }),
      { ...override(strainRule.id, { type: 'device', id: 'sg-2' }, {}, 3), deleted: true },
    ];
    const listing = listRules(DEFAULT_RULES, overrides);
    expect(listing).toHaveLength(DEFAULT_RULES.length);
    const strain = listing.find((l) => l.rule.id === strainRule.id)!;
    expect(strain).toMatchObject({ unit: 'με', enabled: true, version: 0 });
    expect(strain.overrides.map((o) => o.target.id)).toEqual(['bridge-jzwdq', 'sg-1']);
    expect(listing.find((l) => l.rule.id === offlineRule.id)!.unit).toBeUndefined();
  });
});
