/**
 * One string per Socket.IO room name of a namespace (issue 15: heap per connection). Every socket
 * builds its room names afresh (`role:screen`, `scene:overview`, `session:<sid>`, …) and the
 * adapter keeps the very string each socket joined with in that socket's set of rooms: two thousand
 * wall screens in the same five rooms held ten thousand copies of five names. Joining with the
 * string the room already has keeps one copy per room.
 *
 * Bounded by the rooms that have members: a name is forgotten when the adapter deletes its room
 * (its last member left).
 */

/** The part of a Socket.IO adapter this reads (socket.io-adapter emits it when a room's last member leaves). */
export interface RoomEvents {
  on(event: 'delete-room', listener: (room: string) => void): unknown;
}

export class RoomNames {
  private readonly names = new Map<string, string>();

  constructor(adapter: RoomEvents) {
    adapter.on('delete-room', (room) => this.names.delete(room));
  }

  /** The string every member of `room` joins with: the first joiner's, until the room empties. */
  canonical(room: string): string {
    const known = this.names.get(room);
    if (known !== undefined) return known;
    this.names.set(room, room);
    return room;
  }

  /** Room names held (tests, metrics). */
  get size(): number {
    return this.names.size;
  }
}
