/**
 * Cluster-wide leases with fencing (issue 15): the timers that ACT (offline checks, the SLA ladder
 * and re-notify, plan triggers, area warnings, the device-state snapshot flush, device-command
 * timeouts) run on one node at a time, and another node takes over when the holder dies.
 *
 * One Redis key per lease, `<keyPrefix>lease:<name>`, holds `<nodeId>:<token>` with a PX expiry;
 * `<keyPrefix>lease-fence:<name>` counts the holdings, so each holding gets a fencing token greater
 * than every earlier one. Acquiring (take the key if free, draw the next token) is one Lua script,
 * so a token is drawn only by a holding that begins; renewing is a compare-and-PEXPIRE and
 * releasing a compare-and-DEL, so a node never extends or deletes another node's holding.
 *
 * Invariant (no two holders act at once): a node answers `isHeld()` true only until
 * `sentAt + ttlMs - safetyMarginMs`, where `sentAt` is read on this node's monotonic clock BEFORE the
 * acquire/renew command was sent. Redis starts the key's expiry no earlier than it receives that
 * command, so the key outlives the node's belief by at least `safetyMarginMs` and no other node can
 * take the key while this one still believes it holds it — provided the two clocks run at similar
 * rates (drift over one ttl well under the margin), which NTP-disciplined clocks do. `isHeld()`
 * never waits on Redis: it compares the clock with that bound, so it cannot hang.
 *
 * `isHeld()` answers "may I start acting now"; work that can outlast `safetyMarginMs` after the
 * check (a long pass, a GC pause) must fence its writes with the token (see `checkFence` and
 * `fenceGuardLua`).
 *
 * The Redis commands used (EVAL/EVALSHA running GET, INCRBY, SET, PEXPIRE, DEL) are all within the
 * `ioc-app` ACL user's grants on `<prefix>:*` (server/backup/redis-acl.ts).
 */
import { performance } from 'node:perf_hooks';
import type { Redis } from 'ioredis';
import { ConfigError } from '../config';
import { withRedisDeadline } from './redis-deadline';

/** Who holds the right to act (compatible with `TickLease` in server/notify/escalation-ticker.ts). */
export interface ClusterLease {
  /** lease name, e.g. `escalation`; one key per name */
  readonly name: string;
  /** true only while the holding is known valid; never waits on Redis (answers from the local clock) */
  isHeld(): Promise<boolean>;
  /** fencing token of the current holding, monotonic across holders; null when not held */
  fencingToken(): number | null;
}

/** Timing of a Redis lease; every value in milliseconds. */
export interface LeaseOptions {
  /** expiry set on the Redis key at each acquire/renew (PX); another node can take over this long after the holder's last renewal */
  ttlMs: number;
  /** pause between acquire attempts (not held) and renewals (held) */
  renewEveryMs: number;
  /** the holder stops believing it holds this long before the key can expire in Redis */
  safetyMarginMs: number;
  /** deadline of one Redis command of the keeper; a command still pending then counts as failed */
  commandTimeoutMs: number;
}

/**
 * Defaults: a dead holder is replaced within ttlMs + renewEveryMs (≈ 6 s); a renewal may fail
 * (renewEveryMs + commandTimeoutMs = 2 s) without the holding lapsing while Redis answers again
 * within the remaining validity.
 */
export const DEFAULT_LEASE_OPTIONS: Readonly<LeaseOptions> = {
  ttlMs: 5_000,
  renewEveryMs: 1_000,
  safetyMarginMs: 1_000,
  commandTimeoutMs: 1_000,
};

/** Timers may fire a fraction of a ms before the monotonic clock reaches their due time: wait this much past it. */
const LAPSE_TIMER_SLACK_MS = 1;

/** The lease's key or a command timed out / failed: the state of the lease is unknown. */
export class LeaseUnavailableError extends Error {
  readonly code = 'E_UNAVAILABLE' as const;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LeaseUnavailableError';
  }
}

/** A Redis call of this part with its own deadline (server/cluster/redis-deadline.ts). */
function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return withRedisDeadline(promise, ms, what, (message, cause) =>
    cause instanceof LeaseUnavailableError ? cause : new LeaseUnavailableError(message, { cause }),
  );
}

/** Who holds a lease, as stored in its key. */
export interface LeaseHolder {
  nodeId: string;
  /** fencing token of that holding */
  token: number;
}

/** Called when this node's belief changes: `held` with the holding's token, or not held (token null). */
export type LeaseChangeListener = (held: boolean, token: number | null) => void;

/**
 * Acquire: KEYS[1] lease key, KEYS[2] fence counter; ARGV[1] nodeId, ARGV[2] ttl ms.
 * Returns the new token, or false when the key is taken (by anyone, this node included).
 */
const LUA_ACQUIRE = `
if redis.call('GET', KEYS[1]) then return false end
local token = redis.call('INCRBY', KEYS[2], 1)
redis.call('SET', KEYS[1], ARGV[1] .. ':' .. token, 'PX', ARGV[2])
return token
`;

/** Renew: KEYS[1] lease key; ARGV[1] our value, ARGV[2] ttl ms. 1 = renewed, 0 = no longer ours. */
const LUA_RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`;

/** Release: KEYS[1] lease key; ARGV[1] our value. Deletes only our own holding. */
const LUA_RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/** Fence check: KEYS[1] fence counter; ARGV[1] token. 1 when no newer holding began. */
const LUA_CHECK_FENCE = `
if tonumber(redis.call('GET', KEYS[1]) or '0') == tonumber(ARGV[1]) then return 1 end
return 0
`;

/** Error text a fenced script answers with (`fenceGuardLua`); starts with the stable code. */
export const STALE_FENCE_ERROR = 'E_CONFLICT stale lease fencing token';

/**
 * A Lua fragment to put at the top of a writer's script: it refuses the write (error reply
 * `STALE_FENCE_ERROR`) when `ARGV[tokenArgIndex]` is not the latest token of the lease whose fence
 * key (`RedisLeaseKeeper.fenceKey`) is `KEYS[fenceKeyIndex]`. Both indexes are 1-based, as in Lua.
 *
 * A writer that must not apply a stale holder's write:
 * ```ts
 * const token = lease.fencingToken();
 * if (token === null) return; // not held: do not act
 * await redis.eval(fenceGuardLua(2, 2) + "redis.call('SET', KEYS[1], ARGV[1])", 2, dataKey, keeper.fenceKey, value, token);
 * ```
 * The check and the write are atomic in Redis, so a holder that was paused past its lease and
 * replaced has its late write refused instead of overwriting the new holder's.
 */
export function fenceGuardLua(fenceKeyIndex: number, tokenArgIndex: number): string {
  if (!Number.isInteger(fenceKeyIndex) || fenceKeyIndex < 1 || !Number.isInteger(tokenArgIndex) || tokenArgIndex < 1) {
    throw new RangeError('fenceGuardLua: key and argument indexes are 1-based integers');
  }
  return `if tonumber(redis.call('GET', KEYS[${fenceKeyIndex}]) or '0') ~= tonumber(ARGV[${tokenArgIndex}]) then return redis.error_reply('${STALE_FENCE_ERROR}') end\n`;
}

/** A lease that is always held: one node with the in-memory store (no other node can exist). */
export function LOCAL_LEASE(name: string): ClusterLease {
  return { name, isHeld: () => Promise.resolve(true), fencingToken: () => 1 };
}

function validateOptions(o: LeaseOptions): void {
  for (const [field, value] of Object.entries(o)) {
    if (!Number.isFinite(value) || value <= 0) throw new ConfigError(`lease option ${field} must be a positive number of ms (got ${value})`);
  }
  // a renewal started while held must be able to finish (or time out) before the holding lapses
  if (o.renewEveryMs + o.commandTimeoutMs >= o.ttlMs - o.safetyMarginMs) {
    throw new ConfigError(
      `lease options: renewEveryMs (${o.renewEveryMs}) + commandTimeoutMs (${o.commandTimeoutMs}) must be below ttlMs (${o.ttlMs}) - safetyMarginMs (${o.safetyMarginMs})`,
    );
  }
}

export interface RedisLeaseKeeperConfig {
  /** the server's ioredis client (shared is fine; its own `commandTimeout` is kept, ours applies too) */
  redis: Redis;
  /** prepended to every key, INCLUDING its separator, e.g. `ioc:` (`${config.redisPrefix}:`) */
  keyPrefix: string;
  /** lease name, e.g. `escalation` */
  name: string;
  /** this node's id (server/cluster/node-identity.ts), shown by holder(); holdings are told apart by their token, so even a duplicated id never shares one */
  nodeId: string;
  options?: Partial<LeaseOptions>;
  /** told on every change of this node's belief (logs, metrics) */
  onChange?: LeaseChangeListener;
  /** monotonic clock in ms; default performance.now (never jumps with wall-clock corrections) */
  monotonicNow?: () => number;
}

/**
 * Keeps trying to hold one named lease in Redis and renews it while held.
 *
 * `start()` begins the attempt/renew loop (first attempt at once); `stop()` ends it and releases a
 * holding so a survivor takes over at its next attempt instead of after the ttl.
 */
export class RedisLeaseKeeper implements ClusterLease {
  readonly name: string;
  /** the key holding `<nodeId>:<token>` */
  readonly leaseKey: string;
  /** the fencing counter: the latest token issued for this lease */
  readonly fenceKey: string;
  private readonly redis: Redis;
  private readonly nodeId: string;
  private readonly options: LeaseOptions;
  private readonly onChange: LeaseChangeListener | undefined;
  private readonly monotonicNow: () => number;
  /** value we last wrote to the key (kept after a failed renewal, to re-renew it if the key is still ours) */
  private value: string | null = null;
  private token: number | null = null;
  /** monotonic ms until which the holding is known valid (0 = not held) */
  private validUntilMs = 0;
  private running = false;
  private loopTimer: NodeJS.Timeout | null = null;
  private lapseTimer: NodeJS.Timeout | null = null;
  private inFlight: Promise<void> | null = null;
  /** belief last reported to onChange */
  private reportedHeld = false;

  constructor(config: RedisLeaseKeeperConfig) {
    this.options = { ...DEFAULT_LEASE_OPTIONS, ...config.options };
    validateOptions(this.options);
    this.redis = config.redis;
    this.name = config.name;
    this.nodeId = config.nodeId;
    this.leaseKey = `${config.keyPrefix}lease:${config.name}`;
    this.fenceKey = `${config.keyPrefix}lease-fence:${config.name}`;
    this.onChange = config.onChange;
    this.monotonicNow = config.monotonicNow ?? (() => performance.now());
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  /** Stops the loop and releases our holding (compare-and-DEL); never throws, bounded in time. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.loopTimer) clearTimeout(this.loopTimer);
    this.loopTimer = null;
    await this.inFlight;
    const value = this.value;
    this.drop();
    this.value = null;
    if (value !== null) {
      try {
        await this.command<number>('release', LUA_RELEASE, [this.leaseKey], [value]);
      } catch {
        // unreachable Redis: the key expires within ttlMs on its own
      }
    }
  }

  isHeld(): Promise<boolean> {
    return Promise.resolve(this.heldNow());
  }

  fencingToken(): number | null {
    return this.heldNow() ? this.token : null;
  }

  /** Who holds the lease now according to Redis (admin page); null when free. Rejects with LeaseUnavailableError. */
  async holder(): Promise<LeaseHolder | null> {
    const value = await withDeadline(this.redis.get(this.leaseKey), this.options.commandTimeoutMs, `lease ${this.name} holder`);
    return value === null ? null : parseHolder(value);
  }

  /**
   * Whether `token` is still the latest token of this lease, i.e. no newer holding began (a
   * holding that merely expired with no successor keeps its token current). Advisory: between
   * this answer and a separate write another node may take over, so a writer that must refuse a
   * stale holder's write puts `fenceGuardLua` in the same script as the write instead.
   * Rejects with LeaseUnavailableError.
   */
  async checkFence(token: number): Promise<boolean> {
    return (await this.command<number>('check fence', LUA_CHECK_FENCE, [this.fenceKey], [String(token)])) === 1;
  }

  // --- internals -------------------------------------------------------------------------

  private heldNow(): boolean {
    return this.token !== null && this.monotonicNow() < this.validUntilMs;
  }

  private schedule(delayMs: number): void {
    if (!this.running) return;
    this.loopTimer = setTimeout(() => {
      this.loopTimer = null;
      const startedMs = this.monotonicNow();
      this.inFlight = this.attempt().finally(() => {
        this.inFlight = null;
        // attempts are spaced from their starts, never overlapping
        this.schedule(Math.max(0, this.options.renewEveryMs - (this.monotonicNow() - startedMs)));
      });
    }, delayMs);
    this.loopTimer.unref();
  }

  /** One renew (when we have a value that may still be ours) or acquire attempt; never throws. */
  private async attempt(): Promise<void> {
    const { ttlMs, safetyMarginMs } = this.options;
    // read BEFORE sending: Redis starts the expiry no earlier than this (module invariant)
    const sentMs = this.monotonicNow();
    try {
      if (this.value !== null) {
        const renewed = await this.command<number>('renew', LUA_RENEW, [this.leaseKey], [this.value, String(ttlMs)]);
        if (renewed === 1) {
          this.hold(this.token, sentMs + ttlMs - safetyMarginMs);
          return;
        }
        // the key expired or another node holds it now
        this.value = null;
        this.drop();
      }
      const token = await this.command<number | null>('acquire', LUA_ACQUIRE, [this.leaseKey, this.fenceKey], [this.nodeId, String(ttlMs)]);
      if (token !== null && this.running) {
        this.value = `${this.nodeId}:${token}`;
        this.hold(token, sentMs + ttlMs - safetyMarginMs);
      } else if (token !== null) {
        // stopped while acquiring: stop() releases this.value; set it so it does
        this.value = `${this.nodeId}:${token}`;
      }
    } catch {
      // Redis unreachable or slow: stop acting at once. `value` is kept: if the key is still ours
      // the next attempt renews it (same token) instead of waiting for it to expire.
      this.drop();
    }
  }

  private hold(token: number | null, validUntilMs: number): void {
    this.token = token;
    this.validUntilMs = validUntilMs;
    if (this.lapseTimer) clearTimeout(this.lapseTimer);
    // report a lapse even when no command completes to tell us (e.g. every attempt hangs)
    this.lapseTimer = setTimeout(() => this.report(), Math.max(0, validUntilMs - this.monotonicNow()) + LAPSE_TIMER_SLACK_MS);
    this.lapseTimer.unref();
    this.report();
  }

  private drop(): void {
    this.validUntilMs = 0;
    if (this.lapseTimer) clearTimeout(this.lapseTimer);
    this.lapseTimer = null;
    this.report();
  }

  private report(): void {
    const held = this.heldNow();
    if (held === this.reportedHeld) return;
    this.reportedHeld = held;
    this.onChange?.(held, held ? this.token : null);
  }

  private command<T>(what: string, lua: string, keys: string[], args: string[]): Promise<T> {
    return withDeadline(
      this.redis.eval(lua, keys.length, ...keys, ...args) as Promise<T>,
      this.options.commandTimeoutMs,
      `lease ${this.name} ${what}`,
    );
  }
}

/** `<nodeId>:<token>` → holder; the token is after the LAST ':' so a node id may contain ':'. */
export function parseHolder(value: string): LeaseHolder | null {
  const at = value.lastIndexOf(':');
  if (at <= 0) return null;
  const token = Number(value.slice(at + 1));
  return Number.isSafeInteger(token) && token > 0 ? { nodeId: value.slice(0, at), token } : null;
}
