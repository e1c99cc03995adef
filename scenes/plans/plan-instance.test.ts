import { describe, expect, it } from 'vitest';
import { FLOOD_PLAN, GAS_PLAN } from './demo-plans';
import { activeResponseLevel, applyPlanAction, planChecklist, proposePlan } from './plan-instance';
import type { PlanAction, PlanInstance } from './plan-instance';
import type { Actor } from '../incident-machine';

const T0 = Date.UTC(2025, 6, 15, 0, 0, 0);
const MIN = 60_000;
const officer: Actor = { username: 'officer1', role: 'officer' };
const leader: Actor = { username: 'leader1', role: 'leader' };
const reasons = [{ trigger: 'area-warning' as const, level: 'III' as const, evidence: ['aw:1'], text: 'red rain' }];

function must(r: ReturnType<typeof applyPlanAction>): PlanInstance {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.instance;
}
const act = (i: PlanInstance, a: PlanAction, who: Actor = officer, ts = T0) => applyPlanAction(i, FLOOD_PLAN, a, who, ts);

describe('plan instance: trigger → instance → checklist → end', () => {
  it('runs a proposed plan through start, ticked steps, a level change and its end, with a timeline', () => {
    let i = proposePlan(FLOOD_PLAN, { level: 'III', reasons }, T0);
    expect(i).toMatchObject({ id: `pi:plan-flood-rainstorm:${T0}`, state: 'proposed', level: 'III', version: 1 });
    i = must(act(i, { type: 'start' }, officer, T0 + MIN));
    i = must(act(i, { type: 'tick_step', stepId: 'start-pumps', note: '3座泵站已启动' }, officer, T0 + 10 * MIN));
    i = must(act(i, { type: 'change_level', level: 'II', note: '李村河超保证水位' }, leader, T0 + 20 * MIN));
    i = must(act(i, { type: 'tick_step', stepId: 'open-shelters' }, officer, T0 + 30 * MIN));
    i = must(act(i, { type: 'end', note: '雨停水退' }, leader, T0 + 90 * MIN));
    expect(i).toMatchObject({ state: 'ended', level: 'II', startedTs: T0 + MIN, closedTs: T0 + 90 * MIN, version: 6 });
    expect(i.ticked['start-pumps']).toEqual({ by: 'officer1', ts: T0 + 10 * MIN, note: '3座泵站已启动' });
    expect(i.timeline.map((e) => [e.action, e.actor])).toEqual([
      ['propose', 'system'],
      ['start', 'officer1'],
      ['tick_step', 'officer1'],
      ['change_level', 'leader1'],
      ['tick_step', 'officer1'],
      ['end', 'leader1'],
    ]);
    expect(i.timeline[3].note).toBe('III → II: 李村河超保证水位');
  });

  it("starts at once when the proposal reaches the plan's auto-start level", () => {
    const i = proposePlan(FLOOD_PLAN, { level: 'I', reasons }, T0);
    expect(i).toMatchObject({ state: 'active', startedTs: T0, version: 2 });
    expect(i.timeline.map((e) => [e.action, e.actor])).toEqual([
      ['propose', 'system'],
      ['start', 'system'],
    ]);
    expect(proposePlan(GAS_PLAN, { level: 'I', reasons }, T0).state).toBe('proposed');
  });

  it('lets only leaders change the level or end a response', () => {
    const active = must(act(proposePlan(FLOOD_PLAN, { level: 'III', reasons }, T0), { type: 'start' }));
    expect(act(active, { type: 'change_level', level: 'I', note: 'x' })).toMatchObject({ ok: false, error: { code: 'E_FORBIDDEN' } });
    expect(act(active, { type: 'end', note: 'x' })).toMatchObject({ ok: false, error: { code: 'E_FORBIDDEN' } });
    expect(act(active, { type: 'tick_step', stepId: 'start-pumps' }, { username: 'h', role: 'handler' })).toMatchObject({
      ok: false,
      error: { code: 'E_FORBIDDEN' },
    });
  });

  it('refuses actions out of state, steps off the checklist, a step ticked twice and missing notes', () => {
    const proposed = proposePlan(FLOOD_PLAN, { level: 'III', reasons }, T0);
    expect(act(proposed, { type: 'tick_step', stepId: 'start-pumps' })).toMatchObject({ ok: false, error: { code: 'E_CONFLICT' } });
    expect(act(proposed, { type: 'dismiss', note: ' ' })).toMatchObject({ ok: false, error: { code: 'E_VALIDATION' } });
    const active = must(act(proposed, { type: 'start' }));
    expect(act(active, { type: 'start' })).toMatchObject({ ok: false, error: { code: 'E_CONFLICT' } });
    expect(act(active, { type: 'tick_step', stepId: 'suspend-city' })).toMatchObject({ ok: false, error: { code: 'E_VALIDATION' } });
    const ticked = must(act(active, { type: 'tick_step', stepId: 'start-pumps' }));
    expect(act(ticked, { type: 'tick_step', stepId: 'start-pumps' })).toMatchObject({ ok: false, error: { code: 'E_CONFLICT' } });
    expect(act(active, { type: 'change_level', level: 'III', note: 'same' }, leader)).toMatchObject({ ok: false, error: { code: 'E_CONFLICT' } });
  });

  it('shows checklist progress with due times from the start, and late steps', () => {
    let i = must(act(proposePlan(FLOOD_PLAN, { level: 'III', reasons }, T0), { type: 'start' }, officer, T0));
    i = must(act(i, { type: 'tick_step', stepId: 'notify-districts' }, officer, T0 + 5 * MIN));
    const c = planChecklist(i, FLOOD_PLAN, T0 + 20 * MIN);
    expect([c.done, c.total]).toEqual([1, 4]);
    expect(c.items.map((s) => [s.stepId, (s.dueTs! - T0) / MIN, s.late])).toEqual([
      ['notify-districts', 10, false],
      ['start-pumps', 15, true],
      ['close-underpasses', 30, false],
      ['river-patrol', 60, false],
    ]);
  });

  it('puts the most severe active level on the wall banner', () => {
    const a = must(act(proposePlan(FLOOD_PLAN, { level: 'III', reasons }, T0), { type: 'start' }));
    const b = { ...a, id: 'b', level: 'II' as const };
    const proposed = { ...a, id: 'c', state: 'proposed' as const, level: 'I' as const };
    expect(activeResponseLevel([a, b, proposed])).toBe('II');
    expect(activeResponseLevel([proposed])).toBeNull();
  });
});
