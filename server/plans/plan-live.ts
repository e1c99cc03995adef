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
import { failure, sourceOf, type EntryGuard } from '../guard';
import type { Logger } from '../logger';
import type { LiveConnection, LiveHandler } from '../live-handlers';
import type { PlanService } from './plan-service';

export interface PlanLiveDeps {
  live: Namespace;
  /** `/live`'s shared dispatcher (server/realtime.ts): handlers without a listener per socket, and each socket's scope */
  dispatcher: {
    addLiveHandlers(handlers: readonly LiveHandler[]): void;
    liveScope(socket: Socket): Promise<DataScope>;
  };
  plans: PlanService;
  users: { sessionRefusal(claims: SessionClaims, opts?: { touch?: boolean }): Promise<import('../../scenes/protocol').IocError | null> };
  guard: EntryGuard;
  log: Logger;
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
  constructor(private readonly d: PlanLiveDeps) {}

  /** Sends its list to every new `/live` connection that may view plans; `plans:list` and `plan:command` on the shared dispatcher. */
  attach(): void {
    this.d.live.on('connection', (socket: Socket) => {
      const me = socket.data as LiveSocketData | undefined;
      if (me?.username && mayView(me.role)) void this.sendTo(socket);
    });
    this.d.dispatcher.addLiveHandlers([
      ['plans:list', 'queries', (c) => this.list(c)],
      ['plan:command', null, (c, payload) => this.command(c, payload)],
    ]);
  }

  /** Sends every viewing socket of this node its current list. */
  push(): void {
    for (const socket of this.d.live.sockets.values()) {
      const me = socket.data as LiveSocketData | undefined;
      if (me && mayView(me.role)) void this.sendTo(socket);
    }
  }

  private async message(socket: Socket): Promise<PlansMessage> {
    return { ts: Date.now(), instances: this.d.plans.viewsFor(await this.d.dispatcher.liveScope(socket)) };
  }

  private async sendTo(socket: Socket): Promise<void> {
    try {
      socket.emit('plans', await this.message(socket));
    } catch (err) {
      this.d.log.warn({ err }, 'plans push failed');
    }
  }

  private async list(c: LiveConnection): Promise<unknown> {
    if (!mayView(c.me.role)) return failure(iocError('E_FORBIDDEN', `role ${c.me.role} may not see contingency plans`));
    return { ok: true, ...(await this.message(c.socket)) };
  }

  private async command(c: LiveConnection, payload: unknown): Promise<unknown> {
    const { me, socket } = c;
    const limited = this.d.guard.takeCommand(me.username);
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
  }
}
