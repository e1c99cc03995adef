/**
 * The default Socket.IO namespace `/` serves nothing (screens use `/live`, gateways `/device`), so
 * it is closed (issue 12): a connection to it is answered `connect_error` E_FORBIDDEN and, unless
 * the same transport carries an accepted namespace, the transport itself is closed — no idle,
 * unauthenticated sockets held open.
 */
import type { Server as IoServer, Socket } from 'socket.io';
import { iocError } from '../errors';

/** Namespace sockets a Socket.IO client (one engine.io transport) holds; not in the public typings. */
function connectedNamespaces(socket: Socket): number {
  const sockets = (socket.client as unknown as { sockets?: Map<string, unknown> }).sockets;
  return sockets instanceof Map ? sockets.size : 0;
}

export function closeDefaultNamespace(io: IoServer): void {
  io.of('/').use((socket, next) => {
    const e = iocError('E_FORBIDDEN', 'the default namespace is closed; connect to /live or /device');
    next(Object.assign(new Error(e.code), { data: e }));
    // after the CONNECT_ERROR packet is queued; engine.io flushes it before it closes the transport
    setImmediate(() => {
      if (connectedNamespaces(socket) === 0) socket.conn.close();
    });
  });
}
