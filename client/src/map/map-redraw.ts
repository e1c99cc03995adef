/**
 * When a map builds its layers and draws its frames. On the console (`governed`) every frame —
 * layer updates, pulses, fly-to steps — asks the RedrawGovernor (redraw-governor.ts) first, so the
 * officer's clicks never queue behind a map frame; other pages draw every change at once. The bench
 * and tests switch the mode (map-bench-probe.ts): 'off' draws nothing and remembers that layers
 * are waiting, for the next mode to draw them.
 */
import type { Deck } from '@deck.gl/core';
import type { RedrawMode } from './map-bench-probe';
import { RedrawGovernor } from './redraw-governor';
import type { GovernorClock } from './redraw-governor';
import { MAP_CONFIG } from './map-config';

/** The two of deck.gl's Deck methods the gate draws with. */
export type DrawTarget = Pick<Deck, '_drawLayers' | 'redraw'>;

export interface MapRedrawTarget {
  /** the map's deck, null before mount and after unmount */
  deck(): DrawTarget | null;
  /** builds the layers for the current props and hands them to the deck */
  renderLayers(): void;
  /** a map frame was drawn at `ts` (the clock's ms): the bench probe */
  onFrame(ts: number): void;
}

/** The clock and frame scheduler the gate runs on (the browser's; tests pass fakes). */
export interface MapRedrawEnv {
  clock: GovernorClock;
  /** runs `fn` at the next animation frame */
  nextFrame(fn: () => void): void;
}

export const BROWSER_REDRAW_ENV: MapRedrawEnv = {
  clock: {
    now: () => performance.now(),
    setTimer: (fn, ms) => setTimeout(fn, ms),
    clearTimer: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
  },
  nextFrame: (fn) => requestAnimationFrame(fn),
};

export interface MapRedraw {
  /** the console's governor; null on pages that draw every change at once */
  readonly governor: RedrawGovernor | null;
  /** layers for the current props, now or — when the map must wait — at its next frame */
  requestLayers(): void;
  /** layers now, whatever the mode (the map's first layers) */
  renderNow(): void;
  /** deck.gl's `_customRender`: its draw, through the governor */
  customRender(reason: string): void;
  setRedrawMode(mode: RedrawMode): void;
  dispose(): void;
}

export function createMapRedraw(governed: boolean, target: MapRedrawTarget, env: MapRedrawEnv = BROWSER_REDRAW_ENV): MapRedraw {
  let redrawMode: RedrawMode = governed ? 'governed' : 'every-change';
  let layersDirty = false;
  const governor = governed ? new RedrawGovernor(MAP_CONFIG.consoleRedraw, env.clock, () => drawDeferred()) : null;

  /** false: the frame waits (off, or the governor refused it and will call back when it is due) */
  function mayDraw(): boolean {
    if (redrawMode === 'off') return false;
    return !(governor && redrawMode === 'governed' && !governor.requestFrame());
  }

  function renderNow() {
    layersDirty = false;
    target.renderLayers();
  }

  function requestLayers() {
    if (!mayDraw()) {
      layersDirty = true;
      return;
    }
    renderNow();
  }

  function customRender(reason: string) {
    if (mayDraw()) drawNow(reason);
  }

  function drawNow(reason: string) {
    const d = target.deck();
    if (!d) return;
    d._drawLayers(reason);
    governor?.noteFrame();
    const t0 = env.clock.now();
    target.onFrame(t0);
    // the next animation frame starts after this frame's commit, which with software GL reads the
    // canvas back on this thread: the gap is the frame's real main-thread cost (the first frame,
    // which compiles the shaders, is not typical)
    if (governor && governor.stats().frames > 1) env.nextFrame(() => governor.noteFrameCost(env.clock.now() - t0));
  }

  /** The governor says a frame that had to wait may be drawn now. */
  function drawDeferred() {
    const d = target.deck();
    if (!governor || !d || redrawMode === 'off') return;
    if (redrawMode === 'governed' && !governor.requestFrame()) return;
    if (layersDirty) renderNow();
    d.redraw('ioc-deferred');
  }

  function setRedrawMode(mode: RedrawMode) {
    redrawMode = mode;
    if (mode !== 'off' && layersDirty) renderNow();
    target.deck()?.redraw('ioc-mode');
  }

  return {
    governor,
    requestLayers,
    renderNow,
    customRender,
    setRedrawMode,
    dispose: () => governor?.dispose(),
  };
}
