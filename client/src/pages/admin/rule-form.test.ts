import { describe, expect, it } from 'vitest';
import type { Rule } from '@scenes/domain';
import { formFromRule, patchFromForm, ruleWithPatch } from './rule-form';

const level: Extract<Rule, { type: 'threshold' }> = {
  type: 'threshold',
  id: 'water.level.threshold',
  deviceKind: 'water-level',
  metric: 'level',
  direction: 'above',
  limits: { yellow: 3.5, orange: 4.5, red: 5.8 },
  hysteresis: 0.1,
  minDurationMs: 60_000,
  autoIncidentLevel: 'orange',
  title: '河道水位超警戒',
  titleEn: 'River level',
};

describe('rule form', () => {
  it('produces an empty patch when nothing was changed', () => {
    expect(patchFromForm(level, true, formFromRule(level, true))).toEqual({});
  });

  it('sends the whole ladder when one level changed, and durations in ms', () => {
    const form = formFromRule(level, true);
    form.limits.red = '5.2';
    form.minDurationS = '30';
    expect(patchFromForm(level, true, form)).toEqual({ limits: { yellow: 3.5, orange: 4.5, red: 5.2 }, minDurationMs: 30_000 });
  });

  it('clears a level left blank and records enable/auto-incident changes', () => {
    const form = formFromRule(level, true);
    form.limits.yellow = '';
    form.enabled = false;
    form.autoIncidentLevel = '';
    expect(patchFromForm(level, true, form)).toEqual({ enabled: false, autoIncidentLevel: null, limits: { orange: 4.5, red: 5.8 } });
  });

  it('previews the rule a patch would give without touching the original', () => {
    const next = ruleWithPatch(level, { limits: { red: 5 }, enabled: false });
    expect(next.limits).toEqual({ red: 5 });
    expect(level.limits.red).toBe(5.8);
    expect('enabled' in next).toBe(false);
  });
});
