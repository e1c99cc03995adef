/**
 * The live server nodes (issue 15): each node publishes its NodeInfo every heartbeat, and any node
 * lists the nodes seen recently (admin page, `GET /api/admin/nodes`).
 *
 * Redis layout: `<keyPrefix>nodes` is a hash nodeId → NodeInfo JSON, `<keyPrefix>nodes:seen` a
 * sorted set nodeId scored by its last heartbeat (epoch ms). A heartbeat writes both in one
 * MULTI. A node that stops gracefully removes itself; one that dies drops out of `list()` once its
 * heartbeat is older than `staleAfterMs`, and its entries are deleted after `forgetAfterMs`.
 *
 * Heartbeats carry the writer's wall clock and are compared with the reader's: node clocks must
 * agree within `staleAfterMs - heartbeatMs` (NTP), or a live node may show as gone.
 *
 * Commands (MULTI/EXEC, HSET, ZADD, HMGET, HDEL, ZREM, ZRANGEBYSCORE) are all within the
 * `ioc-app` ACL user's grants on `<prefix>:*` (server/backup/redis-acl.ts).
 */
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { ConfigError } from '../config';
import type { Logger } from '../logger';
import type { NodeInfo } from './node-info';
import { withRedisDeadline } from './redis-deadline';

export type { NodeInfo } from './node-info';

/** What a node says about itself each heartbeat (the registry stamps `heartbeatTs`). */
export type NodeSelfInfo = Omit<NodeInfo, 'heartbeatTs'>;

/** The live nodes of the cluster. */
export interface NodeRegistry {
  /** begins publishing this node (first heartbeat at once) */
  start(): void;
  /** nodes whose last heartbeat is recent, this one included once it has published */
  list(): Promise<NodeInfo[]>;
  /** stops publishing and removes this node from the list */
  stop(): Promise<void>;
}

/** Registry timing; every value in milliseconds. */
export interface NodeRegistryOptions {
  /** pause between two heartbeats of a node */
  heartbeatMs: number;
  /** a node whose last heartbeat is older than this is not listed (missed heartbeats: dead or cut off) */
  staleAfterMs: number;
  /** a node silent for this long is deleted from Redis by the next `list()`; default FORGET_AFTER_STALE_FACTOR × staleAfterMs */
  forgetAfterMs: number;
  /** deadline of one Redis call of the registry */
  commandTimeoutMs: number;
}

/** A dead node's entries are kept this many staleAfterMs (an operator may still ask where it went), then deleted. */
export const FORGET_AFTER_STALE_FACTOR = 10;

/** Defaults: a dead node leaves the list within 6 s (three missed heartbeats). */
export const DEFAULT_NODE_REGISTRY_OPTIONS: Readonly<NodeRegistryOptions> = {
  heartbeatMs: 2_000,
  staleAfterMs: 6_000,
  forgetAfterMs: FORGET_AFTER_STALE_FACTOR * 6_000,
  commandTimeoutMs: 1_000,
};

/** The registry could not read or write Redis in time. */
export class NodeRegistryUnavailableError extends Error {
  readonly code = 'E_UNAVAILABLE' as const;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NodeRegistryUnavailableError';
  }
}

/** A Redis call of this part with its own deadline (server/cluster/redis-deadline.ts). */
function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return withRedisDeadline(promise, ms, what, (message, cause) => new NodeRegistryUnavailableError(message, { cause }));
}

/** Entries are written by nodes of possibly another version: parse, and skip what does not fit. */
const NodeInfoSchema = z.object({
  nodeId: z.string(),
  url: z.string(),
  pid: z.number(),
  startedTs: z.number(),
  heartbeatTs: z.number(),
  version: z.string(),
  ready: z.boolean(),
  clients: z.number(),
  leases: z.array(z.string()),
});

function validateOptions(o: NodeRegistryOptions): void {
  for (const [field, value] of Object.entries(o)) {
    if (!Number.isFinite(value) || value <= 0) throw new ConfigError(`node registry option ${field} must be a positive number of ms (got ${value})`);
  }
  // a live node must be listed between two heartbeats, and only stale nodes forgotten
  if (o.staleAfterMs <= o.heartbeatMs) throw new ConfigError('node registry: staleAfterMs must exceed heartbeatMs');
  if (o.forgetAfterMs < o.staleAfterMs) throw new ConfigError('node registry: forgetAfterMs must be at least staleAfterMs');
}

export interface RedisNodeRegistryDeps {
  /** `now` in epoch ms (wall clock: compared across nodes); default Date.now */
  now?: () => number;
  /** told when a heartbeat fails (once per outage) and when it succeeds again */
  logger?: Pick<Logger, 'warn' | 'info'>;
}

/** The node registry of a cluster, in Redis. */
export class RedisNodeRegistry implements NodeRegistry {
  private readonly options: NodeRegistryOptions;
  private readonly hashKey: string;
  private readonly seenKey: string;
  private readonly now: () => number;
  private readonly logger: RedisNodeRegistryDeps['logger'];
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private inFlight: Promise<void> | null = null;
  private failing = false;
  private selfId: string | null = null;

  /**
   * @param keyPrefix prepended to every key INCLUDING its separator, e.g. `ioc:` (`${config.redisPrefix}:`)
   * @param self this node's info, read at each heartbeat (so `ready`, `clients`, `leases` stay current)
   */
  constructor(
    private readonly redis: Redis,
    keyPrefix: string,
    private readonly self: () => NodeSelfInfo,
    options: Partial<NodeRegistryOptions> = {},
    deps: RedisNodeRegistryDeps = {},
  ) {
    const staleAfterMs = options.staleAfterMs ?? DEFAULT_NODE_REGISTRY_OPTIONS.staleAfterMs;
    this.options = { ...DEFAULT_NODE_REGISTRY_OPTIONS, forgetAfterMs: FORGET_AFTER_STALE_FACTOR * staleAfterMs, ...options };
    validateOptions(this.options);
    this.hashKey = `${keyPrefix}nodes`;
    this.seenKey = `${keyPrefix}nodes:seen`;
    this.now = deps.now ?? Date.now;
    this.logger = deps.logger;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  /** Stops heartbeats, waits for one in flight (so it cannot re-add this node), then removes this node. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.inFlight;
    const id = this.selfId ?? this.self().nodeId;
    try {
      await withDeadline(
        this.redis.multi().hdel(this.hashKey, id).zrem(this.seenKey, id).exec(),
        this.options.commandTimeoutMs,
        'node registry stop',
      );
    } catch {
      // unreachable Redis: the entry goes stale and is forgotten on its own
    }
  }

  /** Rejects with NodeRegistryUnavailableError when Redis does not answer in time. */
  async list(): Promise<NodeInfo[]> {
    const { staleAfterMs, forgetAfterMs, commandTimeoutMs } = this.options;
    const now = this.now();
    const live = await withDeadline(this.redis.zrangebyscore(this.seenKey, now - staleAfterMs, '+inf'), commandTimeoutMs, 'node registry list');
    await this.forgetDead(now - forgetAfterMs);
    if (live.length === 0) return [];
    const values = await withDeadline(this.redis.hmget(this.hashKey, ...live), commandTimeoutMs, 'node registry list');
    const nodes: NodeInfo[] = [];
    for (const value of values) {
      if (value === null) continue; // removed between the two reads
      const parsed = parseNodeInfo(value);
      if (parsed !== null) nodes.push(parsed);
    }
    return nodes;
  }

  // --- internals -------------------------------------------------------------------------

  /** Deletes nodes silent since before `cutoffTs`; best effort (a later list() retries). */
  private async forgetDead(cutoffTs: number): Promise<void> {
    try {
      const dead = await withDeadline(
        this.redis.zrangebyscore(this.seenKey, '-inf', `(${cutoffTs}`),
        this.options.commandTimeoutMs,
        'node registry forget',
      );
      if (dead.length === 0) return;
      await withDeadline(
        this.redis
          .multi()
          .hdel(this.hashKey, ...dead)
          .zrem(this.seenKey, ...dead)
          .exec(),
        this.options.commandTimeoutMs,
        'node registry forget',
      );
    } catch {
      // cleanup only: the dead entries are already filtered out by their score
    }
  }

  private schedule(delayMs: number): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.inFlight = this.heartbeat().finally(() => {
        this.inFlight = null;
        this.schedule(this.options.heartbeatMs);
      });
    }, delayMs);
    this.timer.unref();
  }

  private async heartbeat(): Promise<void> {
    const heartbeatTs = this.now();
    const info: NodeInfo = { ...this.self(), heartbeatTs };
    this.selfId = info.nodeId;
    try {
      const replies = await withDeadline(
        this.redis.multi().hset(this.hashKey, info.nodeId, JSON.stringify(info)).zadd(this.seenKey, heartbeatTs, info.nodeId).exec(),
        this.options.commandTimeoutMs,
        'node registry heartbeat',
      );
      const failed = replies?.find(([err]) => err !== null);
      if (failed) throw failed[0];
      if (this.failing) this.logger?.info({ nodeId: info.nodeId }, 'node registry heartbeat works again');
      this.failing = false;
    } catch (err) {
      if (!this.failing)
        this.logger?.warn(
          { err: String(err), nodeId: info.nodeId },
          'node registry heartbeat failed; this node drops out of the list until it works again',
        );
      this.failing = true;
    }
  }
}

function parseNodeInfo(value: string): NodeInfo | null {
  try {
    const parsed = NodeInfoSchema.safeParse(JSON.parse(value));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** The node registry of a single node (in-memory store): just this node, its heartbeat now. */
export class MemoryNodeRegistry implements NodeRegistry {
  constructor(
    private readonly self: () => NodeSelfInfo,
    private readonly now: () => number = Date.now,
  ) {}

  start(): void {
    // nothing to publish: no other node can exist
  }

  list(): Promise<NodeInfo[]> {
    return Promise.resolve([{ ...this.self(), heartbeatTs: this.now() }]);
  }

  stop(): Promise<void> {
    return Promise.resolve();
  }
}
