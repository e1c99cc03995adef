import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { RoomNames } from './room-names';

describe('RoomNames', () => {
  it('hands every joiner of a room the name it was first joined with', () => {
    const names = new RoomNames(new EventEmitter());
    const first = names.canonical(['scene', 'overview'].join(':'));
    expect(names.canonical('scene:overview')).toBe(first);
    expect(names.canonical('role:screen')).toBe('role:screen');
    expect(names.size).toBe(2);
  });

  it('forgets a name once the adapter deleted its room, and learns it again on the next join', () => {
    const adapter = new EventEmitter();
    const names = new RoomNames(adapter);
    names.canonical('session:abc');
    names.canonical('user:screen1');
    adapter.emit('delete-room', 'session:abc');
    expect(names.size).toBe(1);
    // a socket id's own room was never named here: deleting it changes nothing
    adapter.emit('delete-room', 'Xb8-socket-id');
    expect(names.size).toBe(1);
    expect(names.canonical('session:abc')).toBe('session:abc');
    expect(names.size).toBe(2);
  });
});
