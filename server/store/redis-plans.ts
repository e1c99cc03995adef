/**
 * Plan instances in Redis (the PlanStore of plan-store.ts), on the store's client and prefix.
 *
 * Keys, all under `${prefix}:`:
 * - `plan:<instanceId>`     JSON StoredPlanInstance; no TTL while open, PX `closedRetentionMs` once closed
 * - `plan-slot:<planId>`    id of the plan's open (proposed/active) instance: at most one per plan
 * - `plans:open`            set of open instance ids (bounded by the number of plans)
 * - `plans:closed`          zset instance id → closedTs; ids older than `closedRetentionMs` leave on read
 * - `plans:start`           zset instance id → proposedTs, written on create; ids leave with their
 *                           `plans:closed` entry (bounded like it). A range read
 *                           (`loadPlanInstancesOverlapping`) takes the open ids and those closed
 *                           since the range began, less those proposed after it ended, and reads
 *                           only those records; an instance stored before this index existed has no
 *                           entry and is read and judged by its record (planInstanceOverlaps).
 * - `plancmd:<commandId>`   instance id the command created or changed, PX `commandTtlMs`
 *
 * Create and update are one Lua script each (slot check / compare-and-set on `version`,
 * idempotency by command id, write, index update). Only commands the app's ACL user already has
 * are used (server/backup/redis-acl.ts: GET SET DEL SADD SREM SMEMBERS ZADD ZREM ZRANGEBYSCORE MGET).
 */
import type { Redis } from 'ioredis';
import { DEFAULT_STORE_OPTIONS, StoreUnavailableError } from './store';
import { encodeStoredJson } from './redis-store';
import { defineScripts, RedisSideStore } from './redis-side-store';
import { isPlanInstanceOpen, type StoredPlanInstance } from '../../scenes/plans/plan-protocol';
import { comparePlanInstancesByTime, planInstanceOverlaps } from '../../scenes/plans/plan-range';
import type { PlanCreateOutcome, PlanStore, PlanStoreOptions, PlanUpdateOutcome } from './plan-store';

/**
 * KEYS: command record, plan slot, instance record, open set, start zset
 * ARGV: json, instanceId, hasCommand '1'|'0', commandTtlMs, isOpen '1'|'0', proposedTs
 */
const LUA_CREATE_PLAN_INSTANCE = `
if ARGV[3] == '1' then
  local prior = redis.call('GET', KEYS[1])
  if prior then return {'duplicate', prior} end
end
local slot = redis.call('GET', KEYS[2])
if slot then return {'blocked', slot} end
if redis.call('GET', KEYS[3]) then return {'duplicate', ARGV[2]} end
redis.call('SET', KEYS[3], ARGV[1])
redis.call('ZADD', KEYS[5], ARGV[6], ARGV[2])
if ARGV[5] == '1' then
  redis.call('SET', KEYS[2], ARGV[2])
  redis.call('SADD', KEYS[4], ARGV[2])
end
if ARGV[3] == '1' then redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[4]) end
return {'created'}
`;

/**
 * KEYS: command record, instance record, plan slot, open set, closed zset
 * ARGV: json, expectedVersion, instanceId, hasCommand '1'|'0', commandTtlMs, isOpen '1'|'0', closedTs, closedRetentionMs
 */
const LUA_UPDATE_PLAN_INSTANCE = `
if ARGV[4] == '1' then
  local prior = redis.call('GET', KEYS[1])
  if prior then return {'duplicate', prior} end
end
local current = redis.call('GET', KEYS[2])
if not current then return {'not_found'} end
local decoded, stored = pcall(cjson.decode, current)
if not decoded or type(stored) ~= 'table' or tonumber(stored['version']) ~= tonumber(ARGV[2]) then return {'conflict', current} end
if ARGV[6] == '1' then
  redis.call('SET', KEYS[2], ARGV[1])
else
  redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[8])
  redis.call('SREM', KEYS[4], ARGV[3])
  if redis.call('GET', KEYS[3]) == ARGV[3] then redis.call('DEL', KEYS[3]) end
  redis.call('ZADD', KEYS[5], ARGV[7], ARGV[3])
end
if ARGV[4] == '1' then redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[5]) end
return {'applied'}
`;

interface PlanScripts {
  iocCreatePlanInstance(...args: string[]): Promise<[string, string?]>;
  iocUpdatePlanInstance(...args: string[]): Promise<[string, string?]>;
}

export class RedisPlanStore implements PlanStore {
  private readonly side: RedisSideStore;
  private readonly scripts: PlanScripts;
  private readonly options: PlanStoreOptions;

  constructor(
    private readonly client: Redis,
    private readonly prefix: string,
    options: Partial<PlanStoreOptions> = {},
    private readonly now: () => number = Date.now,
  ) {
    this.side = new RedisSideStore(client, 'redis plan store');
    this.options = { closedRetentionMs: DEFAULT_STORE_OPTIONS.closedRetentionMs, commandTtlMs: DEFAULT_STORE_OPTIONS.commandTtlMs, ...options };
    this.scripts = defineScripts<PlanScripts>(client, {
      iocCreatePlanInstance: { numberOfKeys: 5, lua: LUA_CREATE_PLAN_INSTANCE },
      iocUpdatePlanInstance: { numberOfKeys: 5, lua: LUA_UPDATE_PLAN_INSTANCE },
    });
  }

  private key(suffix: string): string {
    return `${this.prefix}:${suffix}`;
  }

  createPlanInstance(instance: StoredPlanInstance, commandId?: string): Promise<PlanCreateOutcome> {
    return this.side.call('createPlanInstance', async () => {
      const [status, id] = await this.scripts.iocCreatePlanInstance(
        this.key(`plancmd:${commandId ?? ''}`),
        this.key(`plan-slot:${instance.planId}`),
        this.key(`plan:${instance.id}`),
        this.key('plans:open'),
        this.key('plans:start'),
        encodeStoredJson(instance),
        instance.id,
        commandId === undefined ? '0' : '1',
        String(this.options.commandTtlMs),
        isPlanInstanceOpen(instance) ? '1' : '0',
        String(instance.proposedTs),
      );
      if (status === 'created') return { status, instance: JSON.parse(encodeStoredJson(instance)) as StoredPlanInstance };
      if (status !== 'blocked' && status !== 'duplicate') throw new Error(`createPlanInstance: unexpected script reply '${status}'`);
      const stored = await this.get(id ?? '');
      if (!stored) throw new StoreUnavailableError(`createPlanInstance: instance ${id} vanished; retry`);
      return { status, instance: stored };
    });
  }

  updatePlanInstance(next: StoredPlanInstance, expectedVersion: number, commandId?: string): Promise<PlanUpdateOutcome> {
    if (next.version !== expectedVersion + 1) throw new Error(`updatePlanInstance: version ${next.version} does not follow ${expectedVersion}`);
    return this.side.call('updatePlanInstance', async () => {
      const json = encodeStoredJson(next);
      const [status, reply] = await this.scripts.iocUpdatePlanInstance(
        this.key(`plancmd:${commandId ?? ''}`),
        this.key(`plan:${next.id}`),
        this.key(`plan-slot:${next.planId}`),
        this.key('plans:open'),
        this.key('plans:closed'),
        json,
        String(expectedVersion),
        next.id,
        commandId === undefined ? '0' : '1',
        String(this.options.commandTtlMs),
        isPlanInstanceOpen(next) ? '1' : '0',
        String(next.closedTs ?? this.now()),
        String(this.options.closedRetentionMs),
      );
      switch (status) {
        case 'applied':
          return { status, instance: JSON.parse(json) as StoredPlanInstance };
        case 'conflict':
          return { status, current: JSON.parse(reply ?? 'null') as StoredPlanInstance };
        case 'not_found':
          return { status };
        case 'duplicate': {
          const stored = await this.get(reply ?? '');
          if (!stored) throw new StoreUnavailableError(`updatePlanInstance: instance ${reply} vanished; retry`);
          return { status, instance: stored };
        }
        default:
          throw new Error(`updatePlanInstance: unexpected script reply '${status}'`);
      }
    });
  }

  getPlanInstance(id: string): Promise<StoredPlanInstance | null> {
    return this.side.call('getPlanInstance', () => this.get(id));
  }

  loadPlanInstances(sinceTs: number): Promise<StoredPlanInstance[]> {
    return this.side.call('loadPlanInstances', async () => {
      await this.pruneClosed();
      const [open, closed] = await Promise.all([
        this.client.smembers(this.key('plans:open')),
        this.client.zrangebyscore(this.key('plans:closed'), String(sinceTs), '+inf'),
      ]);
      return this.read([...new Set([...open, ...closed])]);
    });
  }

  loadPlanInstancesOverlapping(fromTs: number, toTs: number): Promise<StoredPlanInstance[]> {
    return this.side.call('loadPlanInstancesOverlapping', async () => {
      await this.pruneClosed();
      const [open, closed, later] = await Promise.all([
        this.client.smembers(this.key('plans:open')),
        this.client.zrangebyscore(this.key('plans:closed'), String(fromTs), '+inf'),
        this.client.zrangebyscore(this.key('plans:start'), String(toTs), '+inf'),
      ]);
      const proposedLater = new Set(later);
      const ids = [...new Set([...open, ...closed])].filter((id) => !proposedLater.has(id));
      return (await this.read(ids)).filter((i) => planInstanceOverlaps(i, fromTs, toTs)).sort(comparePlanInstancesByTime);
    });
  }

  /** Closed ids past retention leave both indexes (their records expire by their own TTL). */
  private async pruneClosed(): Promise<void> {
    const closedKey = this.key('plans:closed');
    const expired = await this.client.zrangebyscore(closedKey, '-inf', String(this.now() - this.options.closedRetentionMs));
    if (expired.length === 0) return;
    await Promise.all([this.client.zrem(closedKey, ...expired), this.client.zrem(this.key('plans:start'), ...expired)]);
  }

  private async read(ids: readonly string[]): Promise<StoredPlanInstance[]> {
    if (ids.length === 0) return [];
    const values = await this.client.mget(ids.map((id) => this.key(`plan:${id}`)));
    return values.flatMap((json) => (json === null ? [] : [JSON.parse(json) as StoredPlanInstance]));
  }

  planInstanceForCommand(commandId: string): Promise<string | null> {
    return this.side.call('planInstanceForCommand', () => this.client.get(this.key(`plancmd:${commandId}`)));
  }

  private async get(id: string): Promise<StoredPlanInstance | null> {
    const json = await this.client.get(this.key(`plan:${id}`));
    return json === null ? null : (JSON.parse(json) as StoredPlanInstance);
  }
}
