/**
 * Each `/live` socket's state for the shared dispatcher and handlers (server/realtime.ts): its
 * rate budgets and the run of events refused in a row. Issue 15, heap per connection: a wall
 * screen joins its scene and then only listens for hours, so its state is made on its first event
 * and forgotten once it is idle again — every budget refilled to its burst (a full bucket is the
 * same as a new one), nothing refused, its data scope known. An idle socket holds nothing here
 * but `socket.data` (who it is and its scope, from the handshake).
 */
import type { Socket } from 'socket.io';
import type { Role } from '../scenes/domain';
import type { DataScope } from '../scenes/scope';
import { TokenBucket } from './guard';
import type { LiveConnection } from './live-handlers';
import type { LiveSocketData, RealtimeLimits } from './realtime';

/** The budgets of a `/live` connection (server/config.ts). */
export type LiveBudgetLimits = Pick<
  RealtimeLimits,
  | 'liveEventRatePerS'
  | 'liveEventBurst'
  | 'liveJoinRatePerS'
  | 'liveJoinBurst'
  | 'liveQueryRatePerS'
  | 'liveQueryBurst'
  | 'liveReplayRatePerS'
  | 'liveReplayBurst'
>;

/** `socket.data` of a `/live` socket: the handshake sets the scope; a recovered connection has it once read. */
export type ScopedSocketData = LiveSocketData & { scope?: DataScope };

/** Reads a user's data scope from the store (server/user-scope.ts). */
export type ScopeReader = (me: LiveSocketData) => Promise<DataScope>;

interface Shared {
  limits: LiveBudgetLimits;
  readScope: ScopeReader;
  now: () => number;
}

/** A budget not made yet is as good as full. */
function isFull(budget: TokenBucket | null): boolean {
  return budget === null || budget.isFull();
}

/** One `/live` connection's state; budgets are made on first use (a wall never pays for queries or replays). */
export class LiveConn implements LiveConnection {
  /** events refused in a row by the event budget */
  refused = 0;
  private eventBudget: TokenBucket | null = null;
  private joinBudget: TokenBucket | null = null;
  private queryBudget: TokenBucket | null = null;
  private replayBudget: TokenBucket | null = null;
  /** the scope's reading, for a connection that came without one (recovered) */
  private scopeReading: Promise<DataScope> | null = null;

  constructor(
    readonly socket: Socket,
    private readonly shared: Shared,
  ) {}

  get me(): LiveSocketData {
    return this.socket.data as LiveSocketData;
  }
  get who(): { user: string; role: Role } {
    return { user: this.me.username, role: this.me.role };
  }

  /** The data scope: the handshake's, or read once from the store (then kept in `socket.data`). */
  get scopeReady(): Promise<DataScope> {
    const data = this.socket.data as ScopedSocketData;
    if (data.scope) return Promise.resolve(data.scope);
    return (this.scopeReading ??= this.shared.readScope(data).then((scope) => {
      data.scope = scope;
      return scope;
    }));
  }

  /** the budget every event takes first (liveEventRatePerS) */
  get events(): TokenBucket {
    const { limits, now } = this.shared;
    return (this.eventBudget ??= new TokenBucket(limits.liveEventRatePerS, limits.liveEventBurst, now));
  }
  get joins(): TokenBucket {
    const { limits, now } = this.shared;
    return (this.joinBudget ??= new TokenBucket(limits.liveJoinRatePerS, limits.liveJoinBurst, now));
  }
  get queries(): TokenBucket {
    const { limits, now } = this.shared;
    return (this.queryBudget ??= new TokenBucket(limits.liveQueryRatePerS, limits.liveQueryBurst, now));
  }
  get replays(): TokenBucket {
    const { limits, now } = this.shared;
    return (this.replayBudget ??= new TokenBucket(limits.liveReplayRatePerS, limits.liveReplayBurst, now));
  }

  /** Nothing here differs from a new state: no refusal under way, every budget full, the scope known. */
  isIdle(): boolean {
    if (this.refused !== 0 || !(this.socket.data as ScopedSocketData).scope) return false;
    return isFull(this.eventBudget) && isFull(this.joinBudget) && isFull(this.queryBudget) && isFull(this.replayBudget);
  }
}

/** The `/live` sockets' states, made on demand and forgotten when idle (see above). */
export class LiveConnections {
  private readonly bySocket = new WeakMap<Socket, LiveConn>();
  private readonly shared: Shared;

  constructor(limits: LiveBudgetLimits, readScope: ScopeReader, now: () => number = Date.now) {
    this.shared = { limits, readScope, now };
  }

  /** The state of `socket`, made now when it has none. */
  of(socket: Socket): LiveConn {
    let c = this.bySocket.get(socket);
    if (c === undefined) this.bySocket.set(socket, (c = new LiveConn(socket, this.shared)));
    return c;
  }

  /** Whether `socket` holds a state now (tests). */
  holds(socket: Socket): boolean {
    return this.bySocket.has(socket);
  }

  /** The data scope of a `/live` socket: the handshake's, or read once. */
  scopeOf(socket: Socket): Promise<DataScope> {
    const known = (socket.data as ScopedSocketData).scope;
    return known ? Promise.resolve(known) : this.of(socket).scopeReady;
  }

  /** Forgets the state of every socket among `sockets` that is idle; returns how many were forgotten. */
  forgetIdle(sockets: Iterable<Socket>): number {
    let forgotten = 0;
    for (const socket of sockets) {
      const c = this.bySocket.get(socket);
      if (c?.isIdle()) {
        this.bySocket.delete(socket);
        forgotten++;
      }
    }
    return forgotten;
  }
}
