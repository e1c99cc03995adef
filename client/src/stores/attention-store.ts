/**
 * Who is looking: the time of the last pointer/keyboard interaction (pauses the playlist and
 * stops alerts from grabbing the screen) and the map focus request of a new red alert.
 */
import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type { LngLat } from '@scenes/domain';

export interface FocusRequest {
  p: LngLat;
  /** epoch ms of the request; a new request with the same point still flies */
  requestedTs: number;
}

const INTERACTION_EVENTS = ['pointerdown', 'keydown', 'wheel', 'touchstart'] as const;

export const useAttentionStore = defineStore('attention', () => {
  /** epoch ms of the newest interaction; 0 = none since load */
  const lastInteractionTs = ref(0);
  const focus = shallowRef<FocusRequest | null>(null);

  function markInteraction(ts: number = Date.now()) {
    lastInteractionTs.value = ts;
  }

  function requestFocus(p: LngLat, ts: number = Date.now()) {
    focus.value = { p, requestedTs: ts };
  }

  /** Listen for interactions on `target`; returns the remover. */
  function listen(target: Window): () => void {
    const onInteraction = () => markInteraction();
    for (const e of INTERACTION_EVENTS) target.addEventListener(e, onInteraction, { passive: true, capture: true });
    return () => {
      for (const e of INTERACTION_EVENTS) target.removeEventListener(e, onInteraction, { capture: true });
    };
  }

  return { lastInteractionTs, focus, markInteraction, requestFocus, listen };
});
