/**
 * Resource assignment store contract (server/store/resource-assign-store.ts): the same requirements
 * against the memory store and the Redis one (a throwaway redis-server from tests/helpers, also
 * through the app's ACL user).
 */
import { describe, expect, it } from 'vitest';
import { storeImplementations } from '../../tests/helpers/store-contract';
import { resourceAssignStoreFor, type AssignRequest } from '../store/resource-assign-store';

const implementations = await storeImplementations('resassign');

const T0 = Date.UTC(2026, 11, 1);

const req = (over: Partial<AssignRequest> = {}): AssignRequest => ({
  incidentId: 'inc-1',
  resourceId: 'team-gas',
  amount: 5,
  commandId: 'cmd-00001',
  actor: 'officer1',
  ts: T0,
  limit: 24,
  ...over,
});

describe.each(implementations)('$name resource assignment store', ({ available, make }) => {
  describe.skipIf(!available)('contract', () => {
    it('assigns within the limit, adds a second assign to the same holding, and totals over incidents', async () => {
      const s = resourceAssignStoreFor(make());
      expect(await s.assign(req())).toEqual({
        status: 'assigned',
        assignment: { incidentId: 'inc-1', resourceId: 'team-gas', amount: 5, assignedBy: 'officer1', ts: T0 },
        assignedTotal: 5,
      });
      const again = await s.assign(req({ commandId: 'cmd-00002', amount: 3, ts: T0 + 1, actor: 'officer2' }));
      expect(again).toMatchObject({ status: 'assigned', assignment: { amount: 8, assignedBy: 'officer2', ts: T0 + 1 }, assignedTotal: 8 });
      await s.assign(req({ incidentId: 'inc-2', commandId: 'cmd-00003', amount: 10 }));
      expect(await s.assignedTotals()).toEqual(new Map([['team-gas', 18]]));
      expect((await s.listForIncident('inc-1')).map((a) => [a.resourceId, a.amount])).toEqual([['team-gas', 8]]);
    });

    it('applies a command id once: a replay answers duplicate and takes nothing', async () => {
      const s = resourceAssignStoreFor(make());
      await s.assign(req());
      const replay = await s.assign(req());
      expect(replay).toMatchObject({ status: 'duplicate', assignment: { amount: 5 }, assignedTotal: 5 });
      expect(await s.assignedTotals()).toEqual(new Map([['team-gas', 5]]));
    });

    it('refuses to assign more than the limit and changes nothing', async () => {
      const s = resourceAssignStoreFor(make());
      await s.assign(req({ amount: 20 }));
      expect(await s.assign(req({ commandId: 'cmd-00002', incidentId: 'inc-2', amount: 5 }))).toEqual({ status: 'insufficient', assignedTotal: 20 });
      expect(await s.listForIncident('inc-2')).toEqual([]);
      expect((await s.assign(req({ commandId: 'cmd-00003', incidentId: 'inc-2', amount: 4 }))).status).toBe('assigned');
    });

    it('lets exactly the limit be taken when many assign at once', async () => {
      const s = resourceAssignStoreFor(make());
      const outcomes = await Promise.all(
        Array.from({ length: 10 }, (_, i) => s.assign(req({ incidentId: `inc-${i}`, commandId: `cmd-race-${i}`, amount: 5, limit: 24 }))),
      );
      expect(outcomes.filter((o) => o.status === 'assigned')).toHaveLength(4);
      expect(await s.assignedTotals()).toEqual(new Map([['team-gas', 20]]));
    });

    it('releases one holding and then everything an incident holds, giving the units back', async () => {
      const s = resourceAssignStoreFor(make());
      await s.assign(req());
      await s.assign(req({ commandId: 'cmd-00002', resourceId: 'depot-shibei', amount: 100, limit: 4200 }));
      await s.assign(req({ commandId: 'cmd-00003', resourceId: 'shelter-wusi', amount: 300, limit: 8000 }));
      await s.assign(req({ incidentId: 'inc-2', commandId: 'cmd-00004', amount: 2 }));
      expect(await s.release('inc-1', 'team-gas')).toMatchObject({ status: 'released', assignment: { amount: 5 }, assignedTotal: 2 });
      expect(await s.release('inc-1', 'team-gas')).toEqual({ status: 'not_found' });
      expect((await s.releaseIncident('inc-1')).map((a) => [a.resourceId, a.amount])).toEqual([
        ['depot-shibei', 100],
        ['shelter-wusi', 300],
      ]);
      expect(await s.releaseIncident('inc-1')).toEqual([]);
      expect(await s.listForIncident('inc-1')).toEqual([]);
      expect(await s.assignedTotals()).toEqual(new Map([['team-gas', 2]]));
    });
  });
});
