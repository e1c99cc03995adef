/**
 * Whether this node serves (issue 15). A single node (in-memory store, or IOC_CLUSTER=off) always
 * does. A cluster node is ready once its log follower has read the shared log to the end and its
 * fan-out adapter is connected; until it first is (`startingUp`), it answers requests and socket
 * handshakes with 503 / E_UNAVAILABLE (app.ts) so the balancer sends clients to a ready node, and
 * `/healthz` says `ready: false`. Later losses of readiness (Redis down) show in `/healthz` only:
 * a node keeps its connected screens through an outage.
 */
import type { ClusterLease } from './lease';

export interface Readiness {
  isReady(): boolean;
  /** true from a cluster node's start until it first caught up */
  isStartingUp(): boolean;
}

export interface FollowOptions {
  /** how long start-up waits to catch up before it returns (not ready meanwhile), ms */
  waitMs: number;
  /** how often readiness is checked while waiting, ms */
  pollMs: number;
  /** how long the adapter may take to connect before the node says so, ms */
  adapterTimeoutMs: number;
}

export class NodeReadiness implements Readiness {
  private following = false;
  private adapterUp = true;
  private startingUp = false;
  private follower: { caughtUp(): boolean } | null = null;

  isReady(): boolean {
    return !this.following || (this.adapterUp && (this.follower?.caughtUp() ?? false));
  }

  isStartingUp(): boolean {
    // latched off the moment the node is first ready (never a window where /healthz says ready
    // and a request is still refused as starting)
    if (this.startingUp && this.isReady()) this.startingUp = false;
    return this.startingUp;
  }

  /**
   * From now on readiness follows `follower` and the adapter's connection. Resolves once ready or
   * after `waitMs` (`startingUp` then ends whenever the node first is ready).
   */
  async follow(
    follower: { caughtUp(): boolean },
    adapter: { connected(timeoutMs: number): Promise<boolean> } | null,
    log: { warn(o: object, m: string): void; error(o: object, m: string): void },
    o: FollowOptions,
  ): Promise<void> {
    this.following = true;
    this.startingUp = true;
    this.follower = follower;
    if (adapter) {
      this.adapterUp = false;
      void adapter.connected(o.adapterTimeoutMs).then((up) => {
        this.adapterUp = up;
        if (!up) log.error({ timeoutMs: o.adapterTimeoutMs }, 'cluster fan-out did not connect to Redis; this node stays not ready');
      });
    }
    const deadline = Date.now() + o.waitMs;
    while (!this.isReady() && Date.now() < deadline) await new Promise((r) => setTimeout(r, o.pollMs));
    if (!this.isReady()) log.warn({ waitedMs: o.waitMs }, 'not caught up with the shared log yet; /healthz says not ready until it is');
  }
}

/**
 * `lease`, acting only once this node has first caught up with the shared log: a node that takes a
 * free lease while it still catches up (a whole-cluster restart) must not act on half its state.
 */
export function actingOnceStarted(lease: ClusterLease, readiness: Pick<Readiness, 'isStartingUp'>): ClusterLease {
  return {
    name: lease.name,
    isHeld: async () => !readiness.isStartingUp() && (await lease.isHeld()),
    fencingToken: () => lease.fencingToken(),
  };
}
