/**
 * The global limit on concurrently playing camera players (issue 17: "a wall PC does not choke").
 * Pure arbiter: a request for a slot when all are taken pauses the oldest non-pinned player (its
 * place shows a "play" button); when every playing one is pinned (a person chose it) the request
 * is refused and the new player shows the limit instead.
 */

/** Players that may decode video at once on one page. */
export const MAX_PLAYING_CAMERAS = 4;

export interface PlayerSlot {
  /** one player instance (a camera may be shown by two players) */
  playerId: string;
  /** a person pressed play: never paused to make room */
  pinned: boolean;
  /** order of acquisition (larger = newer) */
  order: number;
}

export interface PlayerSlots {
  playing: readonly PlayerSlot[];
  nextOrder: number;
}

export const NO_PLAYERS: PlayerSlots = { playing: [], nextOrder: 1 };

export type SlotAnswer = { granted: true; slots: PlayerSlots; paused: string | null } | { granted: false; slots: PlayerSlots };

/** Ask to play: granted (maybe pausing the oldest non-pinned player), or refused when all are pinned. */
export function requestSlot(slots: PlayerSlots, playerId: string, pinned: boolean, max = MAX_PLAYING_CAMERAS): SlotAnswer {
  const own = slots.playing.find((s) => s.playerId === playerId);
  if (own) {
    if (own.pinned || !pinned) return { granted: true, slots, paused: null };
    const playing = slots.playing.map((s) => (s === own ? { ...s, pinned: true } : s));
    return { granted: true, slots: { ...slots, playing }, paused: null };
  }
  const entry: PlayerSlot = { playerId, pinned, order: slots.nextOrder };
  if (slots.playing.length < max)
    return { granted: true, slots: { playing: [...slots.playing, entry], nextOrder: slots.nextOrder + 1 }, paused: null };
  const oldest = slots.playing.filter((s) => !s.pinned).sort((a, b) => a.order - b.order)[0];
  if (!oldest) return { granted: false, slots };
  return {
    granted: true,
    slots: { playing: [...slots.playing.filter((s) => s !== oldest), entry], nextOrder: slots.nextOrder + 1 },
    paused: oldest.playerId,
  };
}

/** The player stopped (closed, hidden, unmounted, failed): its slot is free. */
export function releaseSlot(slots: PlayerSlots, playerId: string): PlayerSlots {
  return slots.playing.some((s) => s.playerId === playerId) ? { ...slots, playing: slots.playing.filter((s) => s.playerId !== playerId) } : slots;
}

export function isPlaying(slots: PlayerSlots, playerId: string): boolean {
  return slots.playing.some((s) => s.playerId === playerId);
}
