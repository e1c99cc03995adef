/**
 * `/live` event `warnings` (issue 14): every active area warning in the socket's data scope, once
 * on connect and again after every change of that scope's list (the service coalesces changes).
 * A client that subscribes later asks `warnings:get` (ack: the same WarningsMessage). Officers,
 * leaders, admins and wall screens receive it; field handlers do not (least privilege).
 *
 * Rooms: one per data scope, `warnings|<scopeKey>`; a change is emitted once per scope room with
 * that scope's list (Socket.IO encodes a room broadcast once). Emitted on this node's sockets only
 * (`local`): every node computes the warnings from the alerts it holds.
 */
import type { Namespace, Socket } from 'socket.io';
import type { Role } from '../../scenes/domain';
import { scopeKey, type DataScope } from '../../scenes/scope';
import type { Logger } from '../logger';
import { iocError } from '../errors';
import { failure } from '../guard';
import type { LiveHandler } from '../live-handlers';
import type { WarningService } from './warning-service';
import type { WarningsMessage } from '../../scenes/storm/warning-messages';

/** Roles told about area warnings. */
export const WARNING_ROLES: readonly Role[] = ['officer', 'leader', 'admin', 'screen'];

export const warningsRoom = (scope: DataScope): string => `warnings|${scopeKey(scope)}`;

interface LiveIdentity {
  username: string;
  role: Role;
  scope?: DataScope;
}

function sentKey(m: WarningsMessage): string {
  return JSON.stringify([m.rulesVersion, m.warnings]);
}

export class WarningDelivery {
  /** scope rooms joined on this node, by room name */
  private readonly scopes = new Map<string, DataScope>();
  /** the warnings last sent to each scope room (JSON), so a change elsewhere sends nothing there */
  private readonly lastSent = new Map<string, string>();

  constructor(
    private readonly live: Namespace,
    /** `/live`'s shared dispatcher (server/realtime.ts): `warnings:get` without a listener per socket, and each socket's scope */
    private readonly dispatcher: {
      addLiveHandlers(handlers: readonly LiveHandler[]): void;
      liveScope(socket: Socket): Promise<DataScope>;
      /** puts a socket in rooms, with one string per room name (Realtime.joinLiveRooms) */
      joinLiveRooms(socket: Socket, rooms: readonly string[]): Promise<void> | void;
    },
    private readonly warnings: WarningService,
    private readonly log: Logger,
  ) {}

  /** After the `/live` handshake middleware is in place (Realtime.attach): its sockets carry username, role and scope. */
  attach(): void {
    this.live.on('connection', (socket: Socket) => void this.welcome(socket));
    this.dispatcher.addLiveHandlers([
      [
        'warnings:get',
        null,
        async (c) =>
          WARNING_ROLES.includes(c.me.role)
            ? this.warnings.messageFor(await c.scopeReady)
            : failure(iocError('E_FORBIDDEN', `role ${c.me.role} is not told about area warnings`)),
      ],
    ]);
    this.warnings.onChange(() => this.broadcast());
  }

  private async welcome(socket: Socket): Promise<void> {
    const me = socket.data as LiveIdentity | undefined;
    if (!me?.username || !WARNING_ROLES.includes(me.role)) return;
    try {
      // the handshake read the scope from the stored user; a recovered connection reads it again
      const scope = await this.dispatcher.liveScope(socket);
      if (!socket.connected) return;
      const room = warningsRoom(scope);
      this.scopes.set(room, scope);
      await this.dispatcher.joinLiveRooms(socket, [room]);
      const message = this.warnings.messageFor(scope);
      // every member of the room has the current list now (a change is broadcast at once, in the same turn)
      this.lastSent.set(room, sentKey(message));
      socket.emit('warnings', message);
    } catch (err) {
      this.log.warn({ err, user: me.username }, 'area warnings not delivered to a live socket: its scope could not be read');
    }
  }

  private broadcast(): void {
    for (const [room, scope] of this.scopes) {
      if ((this.live.adapter.rooms.get(room)?.size ?? 0) === 0) {
        this.scopes.delete(room);
        this.lastSent.delete(room);
        continue;
      }
      const message = this.warnings.messageFor(scope);
      const sent = sentKey(message);
      if (this.lastSent.get(room) === sent) continue;
      this.lastSent.set(room, sent);
      this.live.local.to(room).emit('warnings', message);
    }
  }
}
