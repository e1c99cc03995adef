/**
 * A node's revision lane (issue 15): scene revisions are `ms × lanes + lane` and step by `lanes`
 * (server/scene-hub.ts), so two live nodes never issue the same revision. The lane is a Redis key
 * `<prefix>rev-lane:<n>` held with a ttl and renewed like a lease; a node takes the first free lane
 * at start. Losing it (Redis unreachable longer than the ttl, so another node may take it) moves
 * the node to a new lane: every channel restarts at a fresh revision and its clients re-join with a
 * snapshot — never a delta another node could also have issued under the same number.
 */
import type { Redis } from 'ioredis';
import { withRedisDeadline } from './redis-deadline';

/** A Redis call of this part with its own deadline (server/cluster/redis-deadline.ts). */
function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return withRedisDeadline(promise, ms, what, (message, cause) => new Error(message, { cause }));
}

/** Timing and size of the lanes; ms and counts. */
export interface RevisionLaneOptions {
  /** lanes in the cluster (the most nodes alive at once); the same on every node */
  lanes: number;
  /** expiry of a lane's key; a dead node's lane is free again after this, ms */
  ttlMs: number;
  /** pause between renewals, ms (well below ttlMs) */
  renewEveryMs: number;
  /** deadline of one Redis call, ms */
  commandTimeoutMs: number;
}

export const DEFAULT_REVISION_LANE_OPTIONS: Readonly<RevisionLaneOptions> = {
  lanes: 64,
  ttlMs: 30_000,
  renewEveryMs: 5_000,
  commandTimeoutMs: 1_000,
};

/** KEYS: none; ARGV[1] key prefix, ARGV[2] lanes, ARGV[3] value, ARGV[4] ttl ms. The lane taken, or -1. */
const LUA_TAKE_LANE = `
for n = 0, tonumber(ARGV[2]) - 1 do
  if redis.call('SET', ARGV[1] .. n, ARGV[3], 'NX', 'PX', ARGV[4]) then return n end
end
return -1
`;
/** KEYS[1] lane key; ARGV[1] our value, ARGV[2] ttl ms. 1 = renewed, 0 = no longer ours. */
const LUA_RENEW_LANE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`;
const LUA_RELEASE_LANE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/** How long `take` waits for Redis at start, ms, and its pause between attempts. */
const TAKE_WAIT_MS = 15_000;
const TAKE_RETRY_MS = 100;

/** More live nodes than lanes: waiting does not help. */
export class LanesFullError extends Error {}

export interface RevisionLaneKeeperConfig {
  redis: Redis;
  /** prepended to every key, including its separator, e.g. `ioc:` */
  keyPrefix: string;
  nodeId: string;
  options?: Partial<RevisionLaneOptions>;
  /** the lane changed after it was lost (not called for the first one) */
  onLaneChanged: (lane: number) => void;
  log: { warn(o: object, m: string): void; error(o: object, m: string): void };
}

export class RevisionLaneKeeper {
  private readonly o: RevisionLaneOptions;
  private readonly value: string;
  private laneNo = -1;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(private readonly c: RevisionLaneKeeperConfig) {
    this.o = { ...DEFAULT_REVISION_LANE_OPTIONS, ...c.options };
    if (this.o.renewEveryMs + this.o.commandTimeoutMs >= this.o.ttlMs)
      throw new RangeError('revision lane: renewEveryMs + commandTimeoutMs must be below ttlMs');
    this.value = `${c.nodeId}:${process.pid}:${Math.random().toString(36).slice(2, 10)}`;
  }

  get lanes(): number {
    return this.o.lanes;
  }

  /** The lane held now (−1 before `take`). */
  get lane(): number {
    return this.laneNo;
  }

  private key(n: number): string {
    return `${this.c.keyPrefix}rev-lane:${n}`;
  }

  /**
   * Takes the first free lane, then keeps it renewed. Retries while Redis does not answer yet (the
   * store's connection may still be coming up) until `waitMs`; rejects after that, or at once when
   * every lane is held.
   */
  async take(waitMs = TAKE_WAIT_MS): Promise<number> {
    const deadline = Date.now() + waitMs;
    let n: number;
    for (;;) {
      try {
        n = await this.takeOnce();
        break;
      } catch (err) {
        if (err instanceof LanesFullError || Date.now() >= deadline) throw err;
        await new Promise((r) => setTimeout(r, TAKE_RETRY_MS));
      }
    }
    this.laneNo = n;
    this.schedule();
    return n;
  }

  private async takeOnce(): Promise<number> {
    const n = Number(
      await withDeadline(
        this.c.redis.eval(LUA_TAKE_LANE, 0, `${this.c.keyPrefix}rev-lane:`, String(this.o.lanes), this.value, String(this.o.ttlMs)),
        this.o.commandTimeoutMs,
        'take a revision lane',
      ),
    );
    if (n < 0) throw new LanesFullError(`every one of the ${this.o.lanes} revision lanes is held: more live nodes than lanes`);
    return n;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.renew(), this.o.renewEveryMs);
    this.timer.unref();
  }

  private async renew(): Promise<void> {
    let lostSinceMs: number | null = null;
    try {
      const ok = Number(
        await withDeadline(
          this.c.redis.eval(LUA_RENEW_LANE, 1, this.key(this.laneNo), this.value, String(this.o.ttlMs)),
          this.o.commandTimeoutMs,
          'renew the revision lane',
        ),
      );
      if (ok !== 1) lostSinceMs = 0;
    } catch (err) {
      this.c.log.warn({ err, lane: this.laneNo }, 'revision lane renewal failed; will retry');
    }
    if (lostSinceMs !== null && !this.stopped) {
      // another node may issue revisions in this lane now: move to a free one
      try {
        const n = await this.takeOnce();
        this.c.log.error({ from: this.laneNo, to: n }, 'revision lane lost (Redis out of reach longer than its ttl); screens re-join with snapshots');
        this.laneNo = n;
        this.c.onLaneChanged(n);
      } catch (err) {
        this.c.log.error({ err }, 'revision lane lost and no new one could be taken; will retry');
      }
    }
    this.schedule();
  }

  /** Stops renewing and frees the lane for the next node. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.laneNo < 0) return;
    await withDeadline(
      this.c.redis.eval(LUA_RELEASE_LANE, 1, this.key(this.laneNo), this.value),
      this.o.commandTimeoutMs,
      'release the revision lane',
    ).catch(() => undefined);
  }
}
