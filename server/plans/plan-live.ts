/**
 * Contingency plans on `/live` (beside server/realtime.ts, on the same namespace, handshake and
 * connection budget): people of PLAN_VIEW_ROLES get `plans` (the open instances in their data
 * scope) when they connect and after every change; `plans:list` asks for it again (after a
 * reconnect); `plan:command` sends a PlanCommand (role, scope, idempotency and audit are the
 * service's). Each socket gets its own list, filtered by its scope: a person limited to some
 * districts never receives another district's response. Every node pushes to its own sockets
 * after its service saw a change (its tick re-reads the store, so other nodes' changes arrive
 * within one tick).
 */
import type { Namespace, Socket } from 'socket.io';
import type { Role } from '../../scenes/domain';
import type { DataScope } from '../../scenes/scope';
import { PLAN_VIEW_ROLES, type PlansMessage } from '../../scenes/plans/plan-protocol';
import type { SessionClaims } from '../auth/tokens';
import { userAgentOf } from '../audit/audit-request';
import { iocError } from '../errors';
import { failure, rateLimited, sourceOf, TokenBucket, type EntryGuard } from '../guard';
import type { Logger } from '../logger';
import type { Store } from '../store/store';
import { userScope } from '../user-scope';
import type { PlanService } from './plan-service';

export interface PlanLiveDeps {
  live: Namespace;
  plans: PlanService;
  store: Pick<Store, 'getUser'>;
  users: { sessionRefusal(claims: SessionClaims, opts?: { touch?: boolean }): Promise<import('../../scenes/protocol').IocError | null> };
  guard: EntryGuard;
  log: Logger;
  /** `plans:list` budget per connection (the query budget of config) */
  queryRatePerS: number;
  queryBurst: number;
}

interface LiveSocketData {
  username: string;
  role: Role;
  displayName: string;
  sid: string;
}

function mayView(role: Role): boolean {
  return PLAN_VIEW_ROLES.includes(role);
}

export class PlanLive {
  private readonly scopes = new WeakMap<Socket, Promise<DataScope>>();

  constructor(private readonly d: PlanLiveDeps) {}

  /** Registers the handlers on every new `/live` connection. */
  attach(): void {
    this.d.live.on('connection', (socket: Socket) => this.setup(socket));
  }

  /** Sends every viewing socket of this node its current list. */
  push(): void {
    for (const socket of this.d.live.sockets.values()) {
      const me = socket.data as LiveSocketData | undefined;
      if (me && mayView(me.role)) void this.sendTo(socket);
    }
  }

  private scopeOf(socket: Socket): Promise<DataScope> {
    let s = this.scopes.get(socket);
    if (!s) {
      const me = socket.data as LiveSocketData;
      s = userScope(this.d.store, me);
      this.scopes.set(socket, s);
    }
    return s;
  }

  private async message(socket: Socket): Promise<PlansMessage> {
    return { ts: Date.now(), instances: this.d.plans.viewsFor(await this.scopeOf(socket)) };
  }

  private async sendTo(socket: Socket): Promise<void> {
    try {
      socket.emit('plans', await this.message(socket));
    } catch (err) {
      this.d.log.warn({ err }, 'plans push failed');
    }
  }

  private setup(socket: Socket): void {
    const me = socket.data as LiveSocketData;
    if (!me?.username) return;
    const who = { user: me.username, role: me.role };
    const { guard } = this.d;
    const queries = new TokenBucket(this.d.queryRatePerS, this.d.queryBurst);
    const on = (event: string, budget: TokenBucket | null, handler: (payload: unknown) => unknown) => {
      socket.on(event, (payload: unknown, maybeAck: unknown) => {
        const ack = typeof maybeAck === 'function' ? (maybeAck as (r: unknown) => void) : undefined;
        const answer = (r: unknown) => {
          try {
            ack?.(r);
          } catch (err) {
            this.d.log.warn({ err, event }, 'ack failed');
          }
        };
        if (budget && !budget.take()) return answer(failure(rateLimited(`too many ${event} requests; slow down`, budget.retryAfterMs())));
        void guard
          .handle(`live:${event}`, payload, handler, who)
          .then(answer)
          .catch((err: unknown) => answer(guard.failureOf(err, `live:${event}`, who)));
      });
    };

    if (mayView(me.role)) void this.sendTo(socket);

    on('plans:list', queries, async () => {
      if (!mayView(me.role)) return failure(iocError('E_FORBIDDEN', `role ${me.role} may not see contingency plans`));
      return { ok: true, ...(await this.message(socket)) };
    });

    on('plan:command', null, async (payload) => {
      const limited = guard.takeCommand(me.username);
      if (limited) return failure(limited);
      // a command acts: its session must still stand at this moment, not only at the handshake
      const revoked = await this.d.users.sessionRefusal({ username: me.username, role: me.role, displayName: me.displayName, sid: me.sid });
      if (revoked) {
        setImmediate(() => {
          socket.emit('server:error', revoked);
          socket.disconnect(true);
        });
        return failure(revoked);
      }
      return this.d.plans.execute({ username: me.username, role: me.role }, payload, {
        source: sourceOf(socket.handshake.address, socket.handshake.headers['x-forwarded-for']),
        userAgent: userAgentOf(socket.handshake.headers['user-agent']),
      });
    });
  }
}
