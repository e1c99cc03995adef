/**
 * The page's one PlayerSlots (player-slots.ts), reactive: a player that is paused to make room
 * sees itself leave `playerSlots` and stops.
 */
import { shallowRef } from 'vue';
import { NO_PLAYERS, releaseSlot, requestSlot, type PlayerSlots } from './player-slots';

export const playerSlots = shallowRef<PlayerSlots>(NO_PLAYERS);

let nextPlayer = 1;
/** A page-unique id for one player instance. */
export function newPlayerId(cameraId: string): string {
  return `${cameraId}#${nextPlayer++}`;
}

/** May this player decode video now? (Another, older one may be paused for it.) */
export function acquirePlayer(playerId: string, pinned: boolean): boolean {
  const answer = requestSlot(playerSlots.value, playerId, pinned);
  if (answer.slots !== playerSlots.value) playerSlots.value = answer.slots;
  return answer.granted;
}

export function releasePlayer(playerId: string): void {
  const next = releaseSlot(playerSlots.value, playerId);
  if (next !== playerSlots.value) playerSlots.value = next;
}
