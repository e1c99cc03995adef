/**
 * What the console's RedrawGovernor (redraw-governor.ts) is told about the person: input anywhere
 * but the map (pointer, keys, wheel) holds the map's frames; pointer down or wheel on the map is
 * working the map (frames drawn at once) until the pointer is up, or `wheelInteractionMs` after the
 * last wheel; a hidden page draws nothing. Listens on the window in the capture phase, passively, so
 * it sees every input first and never delays it.
 */
import type { RedrawGovernor } from './redraw-governor';
import { MAP_CONFIG } from './map-config';

export type InputYieldGovernor = Pick<RedrawGovernor, 'noteInput' | 'setMapInteracting' | 'setHidden'>;

/** The page's visibility (the document). */
export interface VisibilitySource extends EventTarget {
  readonly hidden: boolean;
}

export interface InputYield {
  /** starts listening (the window's input, the document's visibility) and reports the visibility now */
  attach(win?: EventTarget, doc?: VisibilitySource): void;
  /** removes every listener `attach` added and drops a pending wheel end */
  detach(): void;
}

const INPUT_EVENTS = ['pointerdown', 'pointermove', 'keydown', 'wheel'] as const;
const POINTER_END_EVENTS = ['pointerup', 'pointercancel'] as const;
const LISTEN = { capture: true, passive: true } as const;

/** `isOnMap`: whether an event's target is inside the map's box. */
export function createInputYield(
  governor: InputYieldGovernor,
  isOnMap: (target: EventTarget | null) => boolean,
  wheelInteractionMs: number = MAP_CONFIG.wheelInteractionMs,
): InputYield {
  let wheelTimer: ReturnType<typeof setTimeout> | null = null;
  let attached: { win: EventTarget; doc: VisibilitySource } | null = null;

  function onInput(e: Event) {
    if (!isOnMap(e.target)) {
      governor.noteInput();
      return;
    }
    if (e.type === 'pointerdown') governor.setMapInteracting(true);
    else if (e.type === 'wheel') {
      governor.setMapInteracting(true);
      if (wheelTimer !== null) clearTimeout(wheelTimer);
      wheelTimer = setTimeout(() => {
        wheelTimer = null;
        governor.setMapInteracting(false);
      }, wheelInteractionMs);
    }
  }
  function onPointerEnd() {
    if (wheelTimer === null) governor.setMapInteracting(false);
  }
  function onVisibility() {
    if (attached) governor.setHidden(attached.doc.hidden);
  }

  return {
    attach(win = window, doc = document) {
      attached = { win, doc };
      for (const type of INPUT_EVENTS) win.addEventListener(type, onInput, LISTEN);
      for (const type of POINTER_END_EVENTS) win.addEventListener(type, onPointerEnd, LISTEN);
      doc.addEventListener('visibilitychange', onVisibility);
      governor.setHidden(doc.hidden);
    },
    detach() {
      if (!attached) return;
      const { win, doc } = attached;
      for (const type of INPUT_EVENTS) win.removeEventListener(type, onInput, LISTEN);
      for (const type of POINTER_END_EVENTS) win.removeEventListener(type, onPointerEnd, LISTEN);
      doc.removeEventListener('visibilitychange', onVisibility);
      if (wheelTimer !== null) clearTimeout(wheelTimer);
      attached = null;
    },
  };
}
