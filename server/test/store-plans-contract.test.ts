/**
 * Plan store contract (plan-store.ts): the same requirements against the memory plan store and
 * the Redis one (a throwaway redis-server from tests/helpers, also through the app's ACL user).
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { storeImplementations } from '../../tests/helpers/store-contract';
import { planStoreFor, type PlanStore } from '../store/plan-store';
import { FLOOD_PLAN, GAS_PLAN } from '../../scenes/plans/demo-plans';
import { applyPlanAction, proposePlan } from '../../scenes/plans/plan-instance';
import { storedInstance, type StoredPlanInstance } from '../../scenes/plans/plan-protocol';

const implementations = await storeImplementations('plans');

const T0 = Date.now() - 60_000;
const officer: { username: string; role: 'officer' | 'leader' } = { username: 'officer1', role: 'officer' };
const leader = { username: 'leader1', role: 'leader' as const };

function proposed(ts = T0, plan = FLOOD_PLAN): StoredPlanInstance {
  return storedInstance(proposePlan(plan, { level: 'III', reasons: [] }, ts), { districts: ['370203'], deviceIds: [] });
}

function next(instance: StoredPlanInstance, action: Parameters<typeof applyPlanAction>[2], actor = officer, ts = T0 + 1_000): StoredPlanInstance {
  const r = applyPlanAction(instance, FLOOD_PLAN, action, actor, ts);
  if (!r.ok) throw new Error(r.error.message);
  return r.instance as StoredPlanInstance;
}

describe.each(implementations)('$name plan store', ({ available, make }) => {
  describe.skipIf(!available)('contract', () => {
    it('creates one open instance per plan and answers the open one to a second proposal', async () => {
      const plans: PlanStore = planStoreFor(make());
      const first = proposed(T0);
      expect(await plans.createPlanInstance(first)).toEqual({ status: 'created', instance: first });
      const second = proposed(T0 + 5);
      expect(await plans.createPlanInstance(second)).toEqual({ status: 'blocked', instance: first });
      // another plan is not blocked
      expect((await plans.createPlanInstance(proposed(T0 + 5, GAS_PLAN))).status).toBe('created');
      expect(await plans.getPlanInstance(second.id)).toBeNull();
    });

    it('is idempotent by command id on create and update', async () => {
      const plans = planStoreFor(make());
      const first = proposed(T0);
      const cmd = `cmd-${randomUUID()}`;
      expect((await plans.createPlanInstance(first, cmd)).status).toBe('created');
      expect(await plans.createPlanInstance(proposed(T0 + 9), cmd)).toEqual({ status: 'duplicate', instance: first });
      expect(await plans.planInstanceForCommand(cmd)).toBe(first.id);
      const started = next(first, { type: 'start' });
      const startCmd = `cmd-${randomUUID()}`;
      expect(await plans.updatePlanInstance(started, first.version, startCmd)).toEqual({ status: 'applied', instance: started });
      expect(await plans.updatePlanInstance(started, first.version, startCmd)).toEqual({ status: 'duplicate', instance: started });
      expect(await plans.planInstanceForCommand('never-used-1')).toBeNull();
    });

    it('lets exactly one of two concurrent updates of one version win', async () => {
      const plans = planStoreFor(make());
      const first = proposed(T0);
      await plans.createPlanInstance(first);
      const started = next(first, { type: 'start' });
      const dismissed = next(first, { type: 'dismiss', note: '误报' });
      const outcomes = await Promise.all([plans.updatePlanInstance(started, 1), plans.updatePlanInstance(dismissed, 1)]);
      expect(outcomes.map((o) => o.status).sort()).toEqual(['applied', 'conflict']);
      // a writer that read version 1 after the winner wrote version 2
      const stale = await plans.updatePlanInstance({ ...next(started, { type: 'tick_step', stepId: 'notify-districts' }), version: 2 }, 1);
      expect(stale.status).toBe('conflict');
      expect(stale.status === 'conflict' && stale.current.version).toBe(2);
      expect(await plans.updatePlanInstance({ ...first, id: 'pi:none:1', version: 2 }, 1)).toEqual({ status: 'not_found' });
    });

    it('frees the plan for a new proposal once its instance ends, and lists open and recently closed ones', async () => {
      const plans = planStoreFor(make());
      const first = proposed(T0);
      await plans.createPlanInstance(first);
      const started = next(first, { type: 'start' });
      await plans.updatePlanInstance(started, 1);
      const ticked = next(started, { type: 'tick_step', stepId: 'start-pumps', note: '3 座泵站已启动' });
      await plans.updatePlanInstance(ticked, 2);
      expect((await plans.loadPlanInstances(T0)).map((i) => [i.id, i.state])).toEqual([[first.id, 'active']]);
      const ended = next(ticked, { type: 'end', note: '雨停' }, leader, T0 + 2_000);
      expect((await plans.updatePlanInstance(ended, 3)).status).toBe('applied');
      const again = proposed(T0 + 3_000);
      expect((await plans.createPlanInstance(again)).status).toBe('created');
      const listed = await plans.loadPlanInstances(T0);
      expect(listed.map((i) => [i.id, i.state]).sort()).toEqual([
        [first.id, 'ended'],
        [again.id, 'proposed'],
      ]);
      expect(listed.find((i) => i.id === first.id)?.ticked['start-pumps']).toMatchObject({ by: 'officer1', note: '3 座泵站已启动' });
      // closed before sinceTs: not listed
      expect((await plans.loadPlanInstances(T0 + 2_001)).map((i) => i.id)).toEqual([again.id]);
    });

    it('keeps instances for a new plan store on the same backing store (a restart)', async () => {
      const store = make();
      const first = proposed(T0);
      await planStoreFor(store).createPlanInstance(first);
      expect(await planStoreFor(store).getPlanInstance(first.id)).toEqual(first);
    });
  });
});
