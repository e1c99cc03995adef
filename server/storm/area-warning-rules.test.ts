/** Area warning rules as data (issue 14): defaults until replaced, compare-and-set, validated against the catalogue. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_AREA_WARNING_RULES } from '../../scenes/storm/area-warnings';
import { MemoryStore } from '../store/memory-store';
import { AreaWarningRuleStore, AreaWarningRulesEditSchema } from './area-warning-rules';

const rule = DEFAULT_AREA_WARNING_RULES[0]!;

describe('AreaWarningRuleStore', () => {
  it('answers the defaults at version 0 until an edit is stored, and another node reads the edit', async () => {
    const store = new MemoryStore();
    const here = new AreaWarningRuleStore(store, () => 42);
    const there = new AreaWarningRuleStore(store);
    await Promise.all([here.load(), there.load()]);
    expect(here.get()).toEqual({ version: 0, rules: DEFAULT_AREA_WARNING_RULES, isDefault: true });
    const out = await here.replace({ expectedVersion: 0, rules: [{ ...rule, windowMs: 600_000 }] }, 'admin');
    expect(out).toEqual({
      ok: true,
      set: { version: 1, rules: [{ ...rule, windowMs: 600_000 }], isDefault: false, updatedBy: 'admin', updatedTs: 42 },
    });
    const heard: number[] = [];
    there.onChange((s) => heard.push(s.version));
    await there.load();
    expect([there.get().version, heard]).toEqual([1, [1]]);
    expect((await here.history(10)).map((c) => [c.version, c.actor])).toEqual([[1, 'admin']]);
  });

  it('lets exactly one of two concurrent edits of the same version win', async () => {
    const rules = new AreaWarningRuleStore(new MemoryStore());
    await rules.load();
    const results = await Promise.all([
      rules.replace({ expectedVersion: 0, rules: [{ ...rule, minCount: 4 }] }, 'a'),
      rules.replace({ expectedVersion: 0, rules: [{ ...rule, minCount: 5 }] }, 'b'),
    ]);
    expect(results.map((r) => r.ok).sort()).toEqual([false, true]);
    expect(rules.get().version).toBe(1);
  });

  it('refuses duplicate ids, unknown alert rules and too many rules', () => {
    expect(AreaWarningRulesEditSchema.safeParse({ expectedVersion: 0, rules: [rule, rule] }).success).toBe(false);
    expect(AreaWarningRulesEditSchema.safeParse({ expectedVersion: 0, rules: [{ ...rule, alertRuleIds: ['nope'] }] }).success).toBe(false);
    const many = Array.from({ length: 21 }, (_, i) => ({ ...rule, id: `r${i}` }));
    expect(AreaWarningRulesEditSchema.safeParse({ expectedVersion: 0, rules: many }).success).toBe(false);
    expect(AreaWarningRulesEditSchema.safeParse({ expectedVersion: 0, rules: [] }).success).toBe(true);
  });
});
