import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createMapRedraw } from './map-redraw';
import type { MapRedrawEnv } from './map-redraw';
import { MAP_CONFIG } from './map-config';

/** A fake deck and layer builder that record what the gate asked of them, on fake timers. */
function rig(governed: boolean) {
  const calls: string[] = [];
  const frames: number[] = [];
  const deck = { _drawLayers: (reason: string) => calls.push(`draw:${reason}`), redraw: (reason?: string) => calls.push(`redraw:${reason}`) };
  const env: MapRedrawEnv = {
    clock: { now: () => Date.now(), setTimer: (fn, ms) => setTimeout(fn, ms), clearTimer: (h) => clearTimeout(h as ReturnType<typeof setTimeout>) },
    nextFrame: (fn) => setTimeout(fn, 0),
  };
  const redraw = createMapRedraw(governed, { deck: () => deck, renderLayers: () => calls.push('layers'), onFrame: (ts) => frames.push(ts) }, env);
  return { calls, frames, redraw };
}

describe('map redraw', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('draws every change at once off the console', () => {
    const { calls, frames, redraw } = rig(false);
    expect(redraw.governor).toBeNull();
    redraw.requestLayers();
    redraw.customRender('a');
    redraw.requestLayers();
    redraw.customRender('b');
    expect(calls).toEqual(['layers', 'draw:a', 'layers', 'draw:b']);
    expect(frames).toHaveLength(2);
  });

  it('on software GL, coalesces layer updates off the console to one per softwareGlMinFrameMs', () => {
    const { calls, redraw } = rig(false);
    redraw.setSoftwareGl(true);
    redraw.requestLayers();
    expect(calls).toEqual(['layers']);
    redraw.requestLayers();
    redraw.requestLayers();
    expect(calls).toEqual(['layers']);
    vi.advanceTimersByTime(MAP_CONFIG.softwareGlMinFrameMs - 1);
    expect(calls).toEqual(['layers']);
    vi.advanceTimersByTime(1);
    expect(calls).toEqual(['layers', 'layers']);
    // nothing waiting: the timer does not build again
    vi.advanceTimersByTime(5 * MAP_CONFIG.softwareGlMinFrameMs);
    expect(calls).toEqual(['layers', 'layers']);
    // a GPU again: every change at once
    redraw.setSoftwareGl(false);
    redraw.requestLayers();
    redraw.requestLayers();
    expect(calls).toEqual(['layers', 'layers', 'layers', 'layers']);
    redraw.dispose();
  });

  it('draws nothing while off and draws the waiting layers once when switched back', () => {
    const { calls, redraw } = rig(false);
    redraw.setRedrawMode('off');
    redraw.requestLayers();
    redraw.requestLayers();
    redraw.customRender('a');
    expect(calls).toEqual(['redraw:ioc-mode']);
    redraw.setRedrawMode('every-change');
    expect(calls).toEqual(['redraw:ioc-mode', 'layers', 'redraw:ioc-mode']);
  });

  it('on the console, coalesces changes inside the frame interval into one deferred frame', () => {
    const { calls, redraw } = rig(true);
    redraw.requestLayers();
    redraw.customRender('first');
    expect(calls).toEqual(['layers', 'draw:first']);
    redraw.requestLayers();
    redraw.requestLayers();
    redraw.customRender('too-soon');
    expect(calls).toHaveLength(2);
    vi.advanceTimersByTime(MAP_CONFIG.consoleRedraw.minFrameIntervalMs);
    expect(calls).toEqual(['layers', 'draw:first', 'layers', 'redraw:ioc-deferred']);
    expect(redraw.governor!.stats().deferred).toBe(3);
    redraw.dispose();
  });

  it('builds the first layers whatever the mode', () => {
    const { calls, redraw } = rig(true);
    redraw.setRedrawMode('off');
    redraw.renderNow();
    expect(calls).toEqual(['redraw:ioc-mode', 'layers']);
  });
});
