/**
 * Live resources of contingency plans (issue 17) on the memory store and Redis (also through the
 * app's ACL user): starting a plan takes the nearest designated teams and depot its needs call
 * for, the availability drops at once, the instance records them; a retry, a second start or a
 * second node never takes twice; raising the level takes more; ending gives everything back;
 * every take and give-back is audited.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { QINGDAO_RESOURCES } from '../../scenes/city/qingdao';
import type { Device, EmergencyResource, Role } from '../../scenes/domain';
import { DEMO_PLANS } from '../../scenes/plans/demo-plans';
import { planResourceHolderId } from '../../scenes/plans/plan-resources';
import type { PlanSituation } from '../../scenes/plans/plan-triggers';
import type { StoredPlanInstance } from '../../scenes/plans/plan-protocol';
import { storeImplementations } from '../../tests/helpers/store-contract';
import { CollectingAudit } from '../audit/audit';
import { createLogger } from '../logger';
import type { RegistryAsset } from '../registry/registry-schemas';
import { AssignedResources } from '../resources/resource-availability';
import { ResourceService } from '../resources/resource-service';
import { planStoreFor, type PlanStore } from '../store/plan-store';
import { resourceAssignStoreFor } from '../store/resource-assign-store';
import type { Store } from '../store/store';
import { PLAN_RESOURCES_AUDIT_ACTION } from './plan-audit';
import { PlanResources } from './plan-resources';
import { PlanService, type PlanCommandResult } from './plan-service';

const implementations = await storeImplementations('planres');

const T0 = Date.UTC(2026, 6, 15, 2, 0, 0);
const quiet: PlanSituation = { alerts: [], incidents: [], areaWarnings: [], gauges: [] };
const devices = new Map<string, Device>();
const log = createLogger('silent');
const asRegistry = (r: EmergencyResource): RegistryAsset => ({
  id: r.id,
  version: 1,
  type: r.kind,
  name: r.name,
  nameEn: r.nameEn,
  district: r.district,
  geometry: { type: 'Point', coordinates: r.location },
  attributes: { capacity: r.capacity, available: r.available },
  retired: false,
  createdTs: T0,
  updatedTs: T0,
  updatedBy: 'seed',
});
const registry = new Map(QINGDAO_RESOURCES.map((r) => [r.id, asRegistry(r)]));
const officer = { username: 'officer1', role: 'officer' as Role };
const leader = { username: 'leader1', role: 'leader' as Role };
const cmd = () => `c-${randomUUID()}`;

/** One server node: its resource service (fusion's availability) and plan service on `store`. */
function node(
  store: Store,
  opts: { staleLive?: boolean; resources?: (r: ResourceService) => ResourceService; plans?: (p: PlanStore) => PlanStore; noResources?: boolean } = {},
) {
  const audit = new CollectingAudit();
  const availability = new AssignedResources();
  let pushes = 0;
  const resources = new ResourceService({
    store: resourceAssignStoreFor(store),
    incidents: new Map(),
    getAsset: (id) => registry.get(id),
    applyAssignments: (assigned) => {
      if (availability.set(assigned)) pushes++;
    },
    audit,
    log,
  });
  const live = () => (opts.staleLive ? QINGDAO_RESOURCES : availability.applyTo({ assets: [], resources: QINGDAO_RESOURCES }).resources);
  const service = new PlanService({
    plans: opts.plans?.(planStoreFor(store)) ?? planStoreFor(store),
    definitions: DEMO_PLANS,
    live: { situation: () => quiet, devices },
    store: { getUser: async (u: string) => ({ username: u }) as never },
    audit,
    log,
    ...(opts.noResources
      ? {}
      : { resources: new PlanResources({ resources: opts.resources?.(resources) ?? resources, liveResources: live, devices, audit, log }) }),
    tickIntervalMs: 60_000,
    now: () => T0,
  });
  const available = (id: string) => live().find((r) => r.id === id)!.available;
  return { service, resources, audit, available, pushes: () => pushes };
}

function ok(r: PlanCommandResult) {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.instance.instance;
}

async function proposeFlood(n: ReturnType<typeof node>, level: 'I' | 'II' | 'III' = 'III') {
  return ok(
    await n.service.execute(officer, {
      type: 'plan.propose',
      commandId: cmd(),
      planId: 'plan-flood-rainstorm',
      level,
      note: '市北区暴雨',
      districts: ['370203'],
    }),
  );
}

const heldOf = async (store: Store, instanceId: string) =>
  (await resourceAssignStoreFor(store).listForIncident(planResourceHolderId(instanceId))).map((a) => [a.resourceId, a.amount]);

describe.each(implementations)('plan resources on the $name store', ({ available, make }) => {
  it.skipIf(!available)(
    'starting takes the nearest designated teams and depot, live, once; raising takes shelters; ending gives all back',
    async () => {
      const store = make();
      const n = node(store);
      const proposed = await proposeFlood(n);
      expect(proposed.resources).toBeUndefined();
      expect(await resourceAssignStoreFor(store).assignedTotals()).toEqual(new Map());

      const startId = cmd();
      const started = ok(await n.service.execute(officer, { type: 'plan.start', instanceId: proposed.id, commandId: startId }));
      expect(started.resources?.map((r) => [r.resourceId, r.kind, r.name, r.amount])).toEqual([
        ['team-drainage', 'rescue-team', '排水应急队', 10],
        ['team-municipal', 'rescue-team', '市政抢修队', 10],
        ['depot-shibei', 'supply-depot', '市北应急物资储备库', 200],
      ]);
      expect(started.resourceShortfalls).toEqual([]);
      expect(n.available('team-drainage')).toBe(42 - 10);
      expect(n.available('depot-shibei')).toBe(4200 - 200);
      expect(n.pushes()).toBeGreaterThan(0);
      expect(n.service.viewsFor({ kind: 'all' })[0]!.instance.resources).toHaveLength(3);

      // a retry of the command, and a second start, take nothing more
      const retry = await n.service.execute(officer, { type: 'plan.start', instanceId: proposed.id, commandId: startId });
      expect(retry).toMatchObject({ ok: true, duplicate: true });
      const again = await n.service.execute(officer, { type: 'plan.start', instanceId: proposed.id, commandId: cmd() });
      expect(again).toMatchObject({ ok: false, error: { code: 'E_CONFLICT' } });
      const held = [
        ['depot-shibei', 200],
        ['team-drainage', 10],
        ['team-municipal', 10],
      ];
      expect(await heldOf(store, proposed.id)).toEqual(held);

      // a leader raises the level to II: the flood plan opens shelters (nearest to 市北, none inside it)
      const raised = ok(
        await n.service.execute(leader, {
          type: 'plan.change_level',
          instanceId: proposed.id,
          level: 'II',
          note: '河道超保证水位',
          commandId: cmd(),
        }),
      );
      const shelters = raised.resources!.filter((r) => r.kind === 'shelter');
      expect(shelters.map((s) => s.amount)).toEqual([1000, 1000]);
      expect(raised.resources).toHaveLength(5);
      expect(n.available(shelters[0]!.resourceId)).toBe((registry.get(shelters[0]!.resourceId)!.attributes.available as number) - 1000);

      const ended = ok(await n.service.execute(leader, { type: 'plan.end', instanceId: proposed.id, note: '雨停水退', commandId: cmd() }));
      expect(ended.state).toBe('ended');
      expect(await resourceAssignStoreFor(store).assignedTotals()).toEqual(new Map());
      expect(n.available('team-drainage')).toBe(42);

      const entries = n.audit.entries.filter((e) => e.action === PLAN_RESOURCES_AUDIT_ACTION);
      expect(entries.map((e) => [e.actor, e.details?.op, e.details?.resources])).toEqual([
        ['officer1', 'take', 'team-drainage×10,team-municipal×10,depot-shibei×200'],
        ['leader1', 'take', expect.stringMatching(/^shelter-[a-z]+×1000,shelter-[a-z]+×1000$/)],
        ['leader1', 'release', expect.stringContaining('team-drainage×10')],
      ]);
      expect(entries.every((e) => e.target === `plan:${proposed.id}`)).toBe(true);
    },
  );

  it.skipIf(!available)('takes nothing for a role that may not start a plan', async () => {
    const store = make();
    const n = node(store);
    const proposed = await proposeFlood(n);
    const r = await n.service.execute({ username: 'screen1', role: 'screen' }, { type: 'plan.start', instanceId: proposed.id, commandId: cmd() });
    expect(r).toMatchObject({ ok: false, error: { code: 'E_FORBIDDEN' } });
    expect(await resourceAssignStoreFor(store).assignedTotals()).toEqual(new Map());
  });

  it.skipIf(!available)('a plan proposed by hand at its auto-start level takes its resources as it starts', async () => {
    const store = make();
    const n = node(store);
    const started = await proposeFlood(n, 'I');
    expect(started.state).toBe('active');
    expect(started.resources?.map((r) => r.kind)).toEqual(['rescue-team', 'rescue-team', 'supply-depot', 'shelter', 'shelter']);
    expect((await heldOf(store, started.id)).length).toBe(5);
  });

  it.skipIf(!available)('two nodes starting the same instance at once hold one set of resources, the one the stored instance records', async () => {
    const store = make();
    const a = node(store);
    const b = node(store);
    const proposed = await proposeFlood(a);
    const results = await Promise.all([
      a.service.execute(officer, { type: 'plan.start', instanceId: proposed.id, commandId: cmd() }),
      b.service.execute(officer, { type: 'plan.start', instanceId: proposed.id, commandId: cmd() }),
    ]);
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    const winner = ok(results.find((r) => r.ok)!);
    const recorded = winner.resources!.map((r) => [r.resourceId, r.amount]).sort();
    expect(await heldOf(store, proposed.id)).toEqual(recorded);
    expect(recorded).toHaveLength(3);
    expect(await resourceAssignStoreFor(store).assignedTotals()).toEqual(new Map(recorded as [string, number][]));
  });

  it.skipIf(!available)('a start that is not stored (dismissed meanwhile) gives back what it took', async () => {
    const store = make();
    const other = node(store, { noResources: true });
    let proposedId = '';
    const n = node(store, {
      plans: (p) =>
        Object.assign(Object.create(p) as PlanStore, {
          // another officer dismisses the proposal between this node's take and its compare-and-set
          updatePlanInstance: async (next: StoredPlanInstance, expected: number, commandId?: string) => {
            if (next.state === 'active')
              ok(await other.service.execute(officer, { type: 'plan.dismiss', instanceId: proposedId, note: '误报', commandId: cmd() }));
            return p.updatePlanInstance(next, expected, commandId);
          },
        }),
    });
    proposedId = (await proposeFlood(n)).id;
    const r = await n.service.execute(officer, { type: 'plan.start', instanceId: proposedId, commandId: cmd() });
    expect(r).toMatchObject({ ok: false, error: { code: 'E_CONFLICT' } });
    expect(await heldOf(store, proposedId)).toEqual([]);
    expect(n.available('team-drainage')).toBe(42);
    const entries = n.audit.entries.filter((e) => e.action === PLAN_RESOURCES_AUDIT_ACTION);
    expect(entries.map((e) => [e.details?.op, e.details?.why])).toEqual([
      ['take', undefined],
      ['release', 'start not stored'],
    ]);
  });

  it.skipIf(!available)('a start re-run after a compare-and-set conflict keeps what it took and takes nothing twice', async () => {
    const store = make();
    let conflicts = 1;
    const n = node(store, {
      plans: (p) =>
        Object.assign(Object.create(p) as PlanStore, {
          updatePlanInstance: async (next: StoredPlanInstance, expected: number, commandId?: string) => {
            const current = await p.getPlanInstance(next.id);
            if (next.state === 'active' && conflicts-- > 0 && current) return { status: 'conflict' as const, current };
            return p.updatePlanInstance(next, expected, commandId);
          },
        }),
    });
    const proposed = await proposeFlood(n);
    const started = ok(await n.service.execute(officer, { type: 'plan.start', instanceId: proposed.id, commandId: cmd() }));
    expect(started.resources?.map((r) => r.resourceId)).toEqual(['team-drainage', 'team-municipal', 'depot-shibei']);
    expect(await heldOf(store, proposed.id)).toEqual([
      ['depot-shibei', 200],
      ['team-drainage', 10],
      ['team-municipal', 10],
    ]);
    expect(n.audit.entries.filter((e) => e.action === PLAN_RESOURCES_AUDIT_ACTION).map((e) => e.details?.op)).toEqual(['take']);
  });

  it.skipIf(!available)('a resource taken meanwhile is refused: the next one of its pool is taken, and what is missing is recorded', async () => {
    const store = make();
    const n = node(store, { staleLive: true });
    // an incident's crew took the whole drainage team a moment ago; this node has not seen it yet
    await n.resources.holdFor('incident-x', 'team-drainage', 42, 'cmd-elsewhere', 'officer2');
    const proposed = await proposeFlood(n);
    const started = ok(await n.service.execute(officer, { type: 'plan.start', instanceId: proposed.id, commandId: cmd() }));
    expect(started.resources?.map((r) => r.resourceId)).toEqual(['team-municipal', 'depot-shibei']);
    expect(started.resourceShortfalls).toEqual([{ kind: 'rescue-team', missing: 1 }]);
    const take = n.audit.entries.find((e) => e.action === PLAN_RESOURCES_AUDIT_ACTION);
    expect(take?.details?.shortfalls).toBe('rescue-team×1');
  });

  it.skipIf(!available)('a give-back that failed when the plan ended is made by the next tick', async () => {
    const store = make();
    let failRelease = true;
    const n = node(store, {
      resources: (r) =>
        Object.assign(Object.create(r) as ResourceService, {
          releaseHolder: (holder: string) => (failRelease ? Promise.reject(new Error('store down')) : r.releaseHolder(holder)),
        }),
    });
    const proposed = await proposeFlood(n);
    ok(await n.service.execute(officer, { type: 'plan.start', instanceId: proposed.id, commandId: cmd() }));
    ok(await n.service.execute(leader, { type: 'plan.end', instanceId: proposed.id, note: '结束', commandId: cmd() }));
    expect((await heldOf(store, proposed.id)).length).toBe(3);
    failRelease = false;
    await n.service.tick();
    expect(await heldOf(store, proposed.id)).toEqual([]);
    expect(n.available('team-drainage')).toBe(42);
  });
});
