import { describe, expect, it } from 'vitest';
import { isPlaying, MAX_PLAYING_CAMERAS, NO_PLAYERS, releaseSlot, requestSlot, type PlayerSlots } from './player-slots';

function fill(ids: string[], pinned = false): PlayerSlots {
  let slots = NO_PLAYERS;
  for (const id of ids) {
    const a = requestSlot(slots, id, pinned);
    if (!a.granted) throw new Error(`refused ${id}`);
    slots = a.slots;
  }
  return slots;
}

describe('player slots', () => {
  it(`plays up to ${MAX_PLAYING_CAMERAS} players at once`, () => {
    const slots = fill(['a', 'b', 'c', 'd']);
    expect(slots.playing.map((s) => s.playerId)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('pauses the oldest non-pinned player for the fifth', () => {
    let slots = fill(['a']);
    const pinned = requestSlot(slots, 'b', true);
    if (!pinned.granted) throw new Error('refused');
    slots = pinned.slots;
    for (const id of ['c', 'd']) {
      const r = requestSlot(slots, id, false);
      if (!r.granted) throw new Error('refused');
      slots = r.slots;
    }
    const fifth = requestSlot(slots, 'e', false);
    expect(fifth.granted && fifth.paused).toBe('a');
    // 'b' is pinned: the next one pauses 'c', not 'b'
    const sixth = requestSlot(fifth.slots, 'f', false);
    expect(sixth.granted && sixth.paused).toBe('c');
    expect(isPlaying(sixth.slots, 'b')).toBe(true);
    expect(sixth.slots.playing).toHaveLength(MAX_PLAYING_CAMERAS);
  });

  it('refuses a new player when every playing one is pinned', () => {
    const slots = fill(['a', 'b', 'c', 'd'], true);
    const r = requestSlot(slots, 'e', false);
    expect(r.granted).toBe(false);
    expect(r.slots).toBe(slots);
  });

  it('grants a player that already plays again without pausing anyone, pinning it when asked', () => {
    const slots = fill(['a', 'b', 'c', 'd']);
    const again = requestSlot(slots, 'b', false);
    expect(again.granted && again.paused).toBeNull();
    expect(again.slots).toBe(slots);
    const pin = requestSlot(slots, 'b', true);
    expect(pin.slots.playing.find((s) => s.playerId === 'b')?.pinned).toBe(true);
  });

  it('frees the slot of a released player', () => {
    const slots = releaseSlot(fill(['a', 'b', 'c', 'd']), 'b');
    expect(isPlaying(slots, 'b')).toBe(false);
    const r = requestSlot(slots, 'e', false);
    expect(r.granted && r.paused).toBeNull();
    expect(releaseSlot(slots, 'zz')).toBe(slots);
  });
});
