/**
 * When a map builds its layers and draws its frames. On the console (`governed`) every frame —
 * layer updates, pulses, fly-to steps — asks the RedrawGovernor (redraw-governor.ts) first, so the
 * officer's clicks never queue behind a map frame; other pages draw every change at once. The bench
 * and tests switch the mode (map-bench-probe.ts): 'off' draws nothing and remembers that layers
 * are waiting, for the next mode to draw them.
 *
 * Software GL (a wall PC without a GPU: SwiftShader, llvmpipe): a map frame costs the GPU process
 * a quarter of a second and more, so a wall asking for 10 frames/s (the alert pulse, live updates)
 * keeps a core saturated and starves the camera players. There (`setSoftwareGl(true)`), layer
 * updates outside the governor are coalesced to at most one per `softwareGlMinFrameMs`: the
 * pulse steps instead of gliding, the data is as fresh (at most that much later). Panning and
 * zooming are deck.gl's own frames and are not held.
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
  /** the deck runs on software GL (deck.gl's device info): coalesce ungoverned layer updates */
  setSoftwareGl(software: boolean): void;
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

  /** ungoverned maps on software GL: the earliest clock time of the next layer update, and its timer */
  let minLayersIntervalMs = 0;
  let lastLayersTs = -Infinity;
  let layersTimer: unknown = null;

  function renderCoalesced() {
    const now = env.clock.now();
    const dueTs = lastLayersTs + minLayersIntervalMs;
    if (now >= dueTs) {
      lastLayersTs = now;
      renderNow();
      return;
    }
    layersDirty = true;
    layersTimer ??= env.clock.setTimer(() => {
      layersTimer = null;
      if (layersDirty && redrawMode !== 'off') renderCoalesced();
    }, dueTs - now);
  }

  function requestLayers() {
    if (!mayDraw()) {
      layersDirty = true;
      return;
    }
    if (!governor && minLayersIntervalMs > 0) renderCoalesced();
    else renderNow();
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
    setSoftwareGl(software) {
      minLayersIntervalMs = software ? MAP_CONFIG.softwareGlMinFrameMs : 0;
    },
    dispose: () => {
      governor?.dispose();
      if (layersTimer !== null) env.clock.clearTimer(layersTimer);
      layersTimer = null;
    },
  };
}
