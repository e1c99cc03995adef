/**
 * What the console's map exposes to the bench (bench/console-click.ts) and the browser test on
 * `window.__iocBench`: when it drew its frames, what its RedrawGovernor estimates, and a switch
 * between redraw modes so that one run can measure peers on the same page under the same load:
 * - 'governed': frames yield to input and to the main-thread budget (the console's default);
 * - 'every-change': every update drawn at once (the console's policy before issue 14; other pages);
 * - 'off': no map frames at all (the floor: the click without any map work).
 */
import type { GovernorStats } from './redraw-governor';

export type RedrawMode = 'governed' | 'every-change' | 'off';

/** Map frames remembered for the probe (a ring of the newest). */
const MAX_FRAMES_KEPT = 2_000;

interface ProbeTarget {
  setRedrawMode(mode: RedrawMode): void;
  stats(): GovernorStats;
}

let target: ProbeTarget | null = null;
const frames: number[] = [];
const baseFrames: number[] = [];

function remember(list: number[], ts: number): void {
  list.push(ts);
  if (list.length > MAX_FRAMES_KEPT) list.splice(0, list.length - MAX_FRAMES_KEPT);
}

export const mapBenchProbe = {
  /** a map frame was drawn at `ts` (performance.now()) */
  noteFrame(ts: number): void {
    remember(frames, ts);
  },
  /** a software-GL map's base deck drew a frame at `ts` (base-deck.ts) */
  noteBaseFrame(ts: number): void {
    remember(baseFrames, ts);
  },
  attach(t: ProbeTarget): void {
    target = t;
  },
  detach(setRedrawMode: ProbeTarget['setRedrawMode']): void {
    if (target?.setRedrawMode === setRedrawMode) target = null;
  },
};

const w = window as unknown as { __iocBench?: Record<string, unknown> };
w.__iocBench = {
  ...w.__iocBench,
  /** performance.now() of the map's frames (newest last) */
  mapFrames: () => [...frames],
  /** performance.now() of the frames of a software-GL map's base deck (newest last) */
  mapBaseFrames: () => [...baseFrames],
  mapStats: () => target?.stats() ?? null,
  setRedraw: (mode: RedrawMode) => {
    if (!target) return false;
    target.setRedrawMode(mode);
    return true;
  },
};
