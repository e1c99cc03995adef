/**
 * Assignments of emergency resources (rescue teams, supply depots, shelters) to incidents
 * (issue 17), beside the main Store like the API keys: the same connection (Redis) or the same
 * lifetime (memory), two implementations with one contract (server/test/resource-assign-store.test.ts).
 *
 * Invariants both keep:
 * - the units assigned of a resource never exceed the `available` the caller passes (the
 *   registry's figure): check and take are one step (a Lua script in Redis), so two nodes can
 *   never over-assign;
 * - a command id is applied once per incident: a replay answers `duplicate` with what it did;
 * - an incident holds at most one assignment per resource (a second assign adds to it);
 * - release gives back exactly what the incident held.
 */
import type { Store } from './store';
import type { RedisStore } from './redis-store';
import { RedisResourceAssignStore } from './redis-resource-assign';

export interface ResourceAssignment {
  incidentId: string;
  resourceId: string;
  /** units held (team members, supply units, shelter places) */
  amount: number;
  /** username of who assigned it last */
  assignedBy: string;
  /** epoch ms of the last assign */
  ts: number;
}

export interface AssignRequest {
  incidentId: string;
  resourceId: string;
  amount: number;
  commandId: string;
  actor: string;
  ts: number;
  /** units of the resource that may be assigned in all (the registry's `available`) */
  limit: number;
}

export type AssignOutcome =
  | { status: 'assigned'; assignment: ResourceAssignment; assignedTotal: number }
  | { status: 'duplicate'; assignment: ResourceAssignment | null; assignedTotal: number }
  | { status: 'insufficient'; assignedTotal: number };

export type ReleaseOutcome = { status: 'released'; assignment: ResourceAssignment; assignedTotal: number } | { status: 'not_found' };

export interface ResourceAssignStore {
  assign(req: AssignRequest): Promise<AssignOutcome>;
  release(incidentId: string, resourceId: string): Promise<ReleaseOutcome>;
  /** Releases everything the incident holds; answers what was released. */
  releaseIncident(incidentId: string): Promise<ResourceAssignment[]>;
  /** What the incident holds, by resource id. */
  listForIncident(incidentId: string): Promise<ResourceAssignment[]>;
  /** Units assigned per resource over all incidents (resources with none are left out). */
  assignedTotals(): Promise<Map<string, number>>;
}

const byResource = (a: ResourceAssignment, b: ResourceAssignment) => (a.resourceId < b.resourceId ? -1 : a.resourceId > b.resourceId ? 1 : 0);

export class MemoryResourceAssignStore implements ResourceAssignStore {
  /** incidentId → resourceId → assignment */
  private readonly byIncident = new Map<string, Map<string, ResourceAssignment>>();
  private readonly totals = new Map<string, number>();
  /** `${incidentId}\0${commandId}` → resourceId */
  private readonly commands = new Map<string, string>();

  async assign(req: AssignRequest): Promise<AssignOutcome> {
    const cmdKey = `${req.incidentId}\u0000${req.commandId}`;
    const seen = this.commands.get(cmdKey);
    if (seen !== undefined) {
      const held = this.byIncident.get(req.incidentId)?.get(seen);
      return { status: 'duplicate', assignment: held ? { ...held } : null, assignedTotal: this.totals.get(seen) ?? 0 };
    }
    const total = this.totals.get(req.resourceId) ?? 0;
    if (total + req.amount > req.limit) return { status: 'insufficient', assignedTotal: total };
    let held = this.byIncident.get(req.incidentId);
    if (!held) this.byIncident.set(req.incidentId, (held = new Map()));
    const prev = held.get(req.resourceId);
    const assignment: ResourceAssignment = {
      incidentId: req.incidentId,
      resourceId: req.resourceId,
      amount: (prev?.amount ?? 0) + req.amount,
      assignedBy: req.actor,
      ts: req.ts,
    };
    held.set(req.resourceId, assignment);
    this.totals.set(req.resourceId, total + req.amount);
    this.commands.set(cmdKey, req.resourceId);
    return { status: 'assigned', assignment: { ...assignment }, assignedTotal: total + req.amount };
  }

  async release(incidentId: string, resourceId: string): Promise<ReleaseOutcome> {
    const held = this.byIncident.get(incidentId);
    const a = held?.get(resourceId);
    if (!held || !a) return { status: 'not_found' };
    held.delete(resourceId);
    const total = Math.max(0, (this.totals.get(resourceId) ?? 0) - a.amount);
    if (total === 0) this.totals.delete(resourceId);
    else this.totals.set(resourceId, total);
    return { status: 'released', assignment: { ...a }, assignedTotal: total };
  }

  async releaseIncident(incidentId: string): Promise<ResourceAssignment[]> {
    const out: ResourceAssignment[] = [];
    for (const resourceId of [...(this.byIncident.get(incidentId)?.keys() ?? [])]) {
      const r = await this.release(incidentId, resourceId);
      if (r.status === 'released') out.push(r.assignment);
    }
    return out.sort(byResource);
  }

  async listForIncident(incidentId: string): Promise<ResourceAssignment[]> {
    return [...(this.byIncident.get(incidentId)?.values() ?? [])].map((a) => ({ ...a })).sort(byResource);
  }

  async assignedTotals(): Promise<Map<string, number>> {
    return new Map(this.totals);
  }
}

/** One memory store per MemoryStore: a test that restarts a server on the same store keeps its assignments. */
const memoryStores = new WeakMap<Store, MemoryResourceAssignStore>();

/** The assignment store beside `store`: Redis keys under its prefix, or memory living as long as it does. */
export function resourceAssignStoreFor(store: Store): ResourceAssignStore {
  if (store.kind === 'redis') {
    const redis = store as RedisStore;
    return new RedisResourceAssignStore(redis.redisClient, redis.keyPrefix);
  }
  let memory = memoryStores.get(store);
  if (!memory) {
    memory = new MemoryResourceAssignStore();
    memoryStores.set(store, memory);
  }
  return memory;
}
