/**
 * Plan store contract (plan-store.ts): the same requirements against the memory plan store and
 * the Redis one (a throwaway redis-server from tests/helpers, also through the app's ACL user),
 * including the range read of a period's instances (issue 16) and its Redis index.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { storeImplementations } from '../../tests/helpers/store-contract';
import { MemoryPlanStore, planStoreFor, type PlanStore } from '../store/plan-store';
import { RedisPlanStore } from '../store/redis-plans';
import type { RedisStore } from '../store/redis-store';
import type { Store } from '../store/store';
import { BRIDGE_PLAN, FLOOD_PLAN, GAS_PLAN } from '../../scenes/plans/demo-plans';
import { applyPlanAction, proposePlan, type PlanAction } from '../../scenes/plans/plan-instance';
import { storedInstance, type StoredPlanInstance } from '../../scenes/plans/plan-protocol';
import type { ContingencyPlan } from '../../scenes/plans/plan-schema';
import type { DistrictCode } from '../../scenes/domain';

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

/** Proposes `plan` at `proposedTs` and stores every version as the plan service would (create, then one update per step). */
async function played(
  plans: PlanStore,
  plan: ContingencyPlan,
  proposedTs: number,
  steps: [PlanAction, number][],
  districts: DistrictCode[] = ['370203'],
): Promise<StoredPlanInstance> {
  let instance = storedInstance(proposePlan(plan, { level: 'IV', reasons: [] }, proposedTs), { districts, deviceIds: [] });
  expect((await plans.createPlanInstance(instance)).status).toBe('created');
  for (const [action, ts] of steps) {
    const r = applyPlanAction(instance, plan, action, action.type === 'end' ? leader : officer, ts);
    if (!r.ok) throw new Error(r.error.message);
    const nextVersion = { ...instance, ...r.instance };
    expect((await plans.updatePlanInstance(nextVersion, instance.version)).status).toBe('applied');
    instance = nextVersion;
  }
  return instance;
}

/** A plan store on `store` with its own clock and retention (the shared one reads Date.now). */
function clockedPlanStore(store: Store, closedRetentionMs: number, now: () => number): PlanStore {
  if (store.kind !== 'redis') return new MemoryPlanStore({ closedRetentionMs }, now);
  const redis = store as RedisStore;
  return new RedisPlanStore(redis.redisClient, redis.keyPrefix, { closedRetentionMs }, now);
}

describe.each(implementations)('$name plan store', ({ name, available, make }) => {
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

    it('reads the instances overlapping a range, closed and open, oldest proposal first', async () => {
      const plans = planStoreFor(make());
      const x = await played(plans, FLOOD_PLAN, T0, [
        [{ type: 'start' }, T0 + 1_000],
        [{ type: 'end', note: '雨停' }, T0 + 5_000],
      ]);
      const y = await played(plans, GAS_PLAN, T0 + 2_000, [[{ type: 'dismiss', note: '误报' }, T0 + 3_000]]);
      const z = await played(plans, BRIDGE_PLAN, T0 + 6_000, [[{ type: 'start' }, T0 + 6_000]]);
      const w = await played(plans, FLOOD_PLAN, T0 + 10_000, [[{ type: 'start' }, T0 + 10_000]]);
      const ids = async (fromTs: number, toTs: number) => (await plans.loadPlanInstancesOverlapping(fromTs, toTs)).map((i) => i.id);
      // y closed before the range; w proposed after it
      expect(await ids(T0 + 4_000, T0 + 7_000)).toEqual([x.id, z.id]);
      expect(await ids(T0 + 2_500, T0 + 2_600)).toEqual([x.id, y.id]);
      expect(await ids(T0 + 10_000, T0 + 20_000)).toEqual([z.id, w.id]);
      expect(await ids(T0 - 10_000, T0)).toEqual([]);
      // whole records, as stored
      expect((await plans.loadPlanInstancesOverlapping(T0, T0 + 1)).find((i) => i.id === x.id)).toEqual(x);
    });

    it('forgets closed instances past retention in the range read, open ones never', async () => {
      let nowTs = T0 + 20_000;
      const plans = clockedPlanStore(make(), 60_000, () => nowTs);
      const closed = await played(plans, GAS_PLAN, T0, [[{ type: 'dismiss', note: '误报' }, T0 + 1_000]]);
      const open = await played(plans, BRIDGE_PLAN, T0, [[{ type: 'start' }, T0 + 500]]);
      expect((await plans.loadPlanInstancesOverlapping(T0, T0 + 2_000)).map((i) => i.id)).toEqual([closed.id, open.id].sort());
      nowTs = T0 + 1_000 + 60_001;
      expect((await plans.loadPlanInstancesOverlapping(T0, T0 + 2_000)).map((i) => i.id)).toEqual([open.id]);
    });

    it.skipIf(name === 'memory')('indexes instances by proposal time on create, and drops the index entry with the closed one', async () => {
      let nowTs = T0 + 20_000;
      const store = make() as RedisStore;
      const plans = clockedPlanStore(store, 60_000, () => nowTs);
      const redis = store.redisClient;
      const startKey = `${store.keyPrefix}:plans:start`;
      const index = async () => redis.zrangebyscore(startKey, '-inf', '+inf', 'WITHSCORES');
      const early = await played(plans, GAS_PLAN, T0, [[{ type: 'dismiss', note: '误报' }, T0 + 1_000]]);
      const late = await played(plans, BRIDGE_PLAN, T0 + 5_000, [[{ type: 'start' }, T0 + 5_000]]);
      expect(await index()).toEqual([early.id, String(T0), late.id, String(T0 + 5_000)]);
      // an instance stored before the index existed (no entry) is still found, judged by its record
      await redis.zrem(startKey, late.id);
      expect((await plans.loadPlanInstancesOverlapping(T0 + 4_000, T0 + 6_000)).map((i) => i.id)).toEqual([late.id]);
      expect((await plans.loadPlanInstancesOverlapping(T0, T0 + 2_000)).map((i) => i.id)).toEqual([early.id]);
      await redis.zadd(startKey, String(T0 + 5_000), late.id);
      nowTs = T0 + 1_000 + 60_001;
      await plans.loadPlanInstancesOverlapping(T0, T0 + 1);
      expect(await index()).toEqual([late.id, String(T0 + 5_000)]);
    });
  });
});
