/**
 * Contingency plan instances (预案实例) in the store, beside the main Store like the audit chain
 * and the sessions: the same connection (Redis) or the same lifetime (memory), two
 * implementations with one contract (server/test/store-plans-contract.test.ts).
 *
 * Invariants both keep:
 * - One open instance per plan: `createPlanInstance` refuses (`blocked`, with the open one) while
 *   the plan has a proposed or active instance, so two nodes' trigger ticks never propose twice.
 * - `updatePlanInstance` is compare-and-set on `version` (and `next.version === expected + 1`)
 *   and idempotent by `commandId`: a retried command answers `duplicate` with the instance as it
 *   is now and writes nothing. A command id used by a create is answered `duplicate` the same way.
 * - Closing an instance (dismissed/ended) frees its plan's slot in the same step; a closed
 *   instance is kept `closedRetentionMs` (cool-downs, the reports and the briefing read it), open
 *   ones forever.
 * - Everything in and out is a copy with well-formed strings.
 */
import type { Store } from './store';
import { DEFAULT_STORE_OPTIONS, wellFormedCopy, type StoreOptions } from './store';
import type { RedisStore } from './redis-store';
import { isPlanInstanceOpen, type StoredPlanInstance } from '../../scenes/plans/plan-protocol';
import { comparePlanInstancesByTime, planInstanceOverlaps } from '../../scenes/plans/plan-range';
import { RedisPlanStore } from './redis-plans';

export type PlanCreateOutcome =
  | { status: 'created'; instance: StoredPlanInstance }
  /** the plan already has an open instance: nothing written */
  | { status: 'blocked'; instance: StoredPlanInstance }
  /** the command id (or the instance id) was used before: nothing written */
  | { status: 'duplicate'; instance: StoredPlanInstance };

export type PlanUpdateOutcome =
  | { status: 'applied'; instance: StoredPlanInstance }
  | { status: 'duplicate'; instance: StoredPlanInstance }
  | { status: 'conflict'; current: StoredPlanInstance }
  | { status: 'not_found' };

export interface PlanStore {
  /** Create an instance unless its plan has an open one, its id exists, or `commandId` was used. */
  createPlanInstance(instance: StoredPlanInstance, commandId?: string): Promise<PlanCreateOutcome>;
  /** Compare-and-set on version, idempotent by commandId (see the module comment). */
  updatePlanInstance(next: StoredPlanInstance, expectedVersion: number, commandId?: string): Promise<PlanUpdateOutcome>;
  getPlanInstance(id: string): Promise<StoredPlanInstance | null>;
  /** Open instances and those closed at or after `sinceTs` (epoch ms), in no particular order. */
  loadPlanInstances(sinceTs: number): Promise<StoredPlanInstance[]>;
  /**
   * Instances that overlap `[fromTs, toTs)` (epoch ms; planInstanceOverlaps): proposed before
   * `toTs` and closed at or after `fromTs`, or still open; oldest proposal first. Closed ones as
   * far back as `closedRetentionMs` keeps them.
   */
  loadPlanInstancesOverlapping(fromTs: number, toTs: number): Promise<StoredPlanInstance[]>;
  /** The instance id a command id created or changed, or null (unknown or expired). */
  planInstanceForCommand(commandId: string): Promise<string | null>;
}

export type PlanStoreOptions = Pick<StoreOptions, 'closedRetentionMs' | 'commandTtlMs'>;

export class MemoryPlanStore implements PlanStore {
  private readonly instances = new Map<string, StoredPlanInstance>();
  /** planId → id of its open instance */
  private readonly slots = new Map<string, string>();
  private readonly commands = new Map<string, { instanceId: string; expiresTs: number }>();
  private readonly options: PlanStoreOptions;

  constructor(
    options: Partial<PlanStoreOptions> = {},
    private readonly now: () => number = Date.now,
  ) {
    this.options = { closedRetentionMs: DEFAULT_STORE_OPTIONS.closedRetentionMs, commandTtlMs: DEFAULT_STORE_OPTIONS.commandTtlMs, ...options };
  }

  async createPlanInstance(instance: StoredPlanInstance, commandId?: string): Promise<PlanCreateOutcome> {
    this.sweep();
    const byCommand = commandId === undefined ? undefined : this.commands.get(commandId);
    const earlier = byCommand ? this.instances.get(byCommand.instanceId) : undefined;
    if (earlier) return { status: 'duplicate', instance: wellFormedCopy(earlier) };
    const slot = this.slots.get(instance.planId);
    const open = slot === undefined ? undefined : this.instances.get(slot);
    if (open) return { status: 'blocked', instance: wellFormedCopy(open) };
    const existing = this.instances.get(instance.id);
    if (existing) return { status: 'duplicate', instance: wellFormedCopy(existing) };
    const stored = wellFormedCopy(instance);
    this.instances.set(stored.id, stored);
    if (isPlanInstanceOpen(stored)) this.slots.set(stored.planId, stored.id);
    if (commandId !== undefined) this.commands.set(commandId, { instanceId: stored.id, expiresTs: this.now() + this.options.commandTtlMs });
    return { status: 'created', instance: wellFormedCopy(stored) };
  }

  async updatePlanInstance(next: StoredPlanInstance, expectedVersion: number, commandId?: string): Promise<PlanUpdateOutcome> {
    this.sweep();
    if (next.version !== expectedVersion + 1) throw new Error(`updatePlanInstance: version ${next.version} does not follow ${expectedVersion}`);
    const byCommand = commandId === undefined ? undefined : this.commands.get(commandId);
    const earlier = byCommand ? this.instances.get(byCommand.instanceId) : undefined;
    if (earlier) return { status: 'duplicate', instance: wellFormedCopy(earlier) };
    const current = this.instances.get(next.id);
    if (!current) return { status: 'not_found' };
    if (current.version !== expectedVersion) return { status: 'conflict', current: wellFormedCopy(current) };
    const stored = wellFormedCopy(next);
    this.instances.set(stored.id, stored);
    if (!isPlanInstanceOpen(stored) && this.slots.get(stored.planId) === stored.id) this.slots.delete(stored.planId);
    if (commandId !== undefined) this.commands.set(commandId, { instanceId: stored.id, expiresTs: this.now() + this.options.commandTtlMs });
    return { status: 'applied', instance: wellFormedCopy(stored) };
  }

  async getPlanInstance(id: string): Promise<StoredPlanInstance | null> {
    this.sweep();
    const found = this.instances.get(id);
    return found ? wellFormedCopy(found) : null;
  }

  async loadPlanInstances(sinceTs: number): Promise<StoredPlanInstance[]> {
    this.sweep();
    return [...this.instances.values()].filter((i) => isPlanInstanceOpen(i) || (i.closedTs ?? 0) >= sinceTs).map((i) => wellFormedCopy(i));
  }

  async loadPlanInstancesOverlapping(fromTs: number, toTs: number): Promise<StoredPlanInstance[]> {
    this.sweep();
    return [...this.instances.values()]
      .filter((i) => planInstanceOverlaps(i, fromTs, toTs))
      .sort(comparePlanInstancesByTime)
      .map((i) => wellFormedCopy(i));
  }

  async planInstanceForCommand(commandId: string): Promise<string | null> {
    this.sweep();
    return this.commands.get(commandId)?.instanceId ?? null;
  }

  /** Closed instances past retention and command records past their TTL leave (bounded like Redis). */
  private sweep(): void {
    const now = this.now();
    for (const [id, i] of this.instances) {
      if (!isPlanInstanceOpen(i) && i.closedTs !== undefined && now - i.closedTs > this.options.closedRetentionMs) this.instances.delete(id);
    }
    for (const [id, c] of this.commands) if (c.expiresTs <= now) this.commands.delete(id);
  }
}

/** One memory plan store per MemoryStore: a test that restarts a server on the same store keeps its plans. */
const memoryPlanStores = new WeakMap<Store, MemoryPlanStore>();

/** The plan store beside `store`: Redis keys under its prefix, or memory living as long as it does. */
export function planStoreFor(store: Store, options: Partial<PlanStoreOptions> = {}): PlanStore {
  if (store.kind === 'redis') {
    const redis = store as RedisStore;
    return new RedisPlanStore(redis.redisClient, redis.keyPrefix, options);
  }
  let memory = memoryPlanStores.get(store);
  if (!memory) {
    memory = new MemoryPlanStore(options);
    memoryPlanStores.set(store, memory);
  }
  return memory;
}
