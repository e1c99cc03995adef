/**
 * When the console's map may draw a frame.
 *
 * Why: with software GL (offices without a GPU; Chromium's SwiftShader) every WebGL frame is read
 * back synchronously on the page's main thread when the compositor takes it — one frame of the
 * city map blocked the main thread for 0.5–1.3 s on a loaded two-core machine. A click that lands
 * in such a frame waits for it, so during a storm (pulses, telemetry, alerts) the officer's
 * dispatch click took seconds to reach the socket. The map must yield to the officer:
 *
 * - frames are coalesced: at most one per `minFrameIntervalMs`, and no more often than keeps the
 *   map's share of the main thread at `mainThreadBudget` (measured frame cost ÷ interval);
 * - when frames are expensive (cost above `inputHoldAboveFrameCostMs`: software GL), frames wait
 *   `inputHoldMs` after the person's last input outside the map (pointer, keys, wheel), so a
 *   sequence of clicks on the panels never queues behind a map frame; a frame is postponed by
 *   input at most `maxInputHoldMs`, so a restless pointer cannot freeze the map. Cheap frames (a
 *   GPU) are not held: they cannot delay a click noticeably;
 * - while the person works the map itself (pointer down on it: pan, zoom, pick) frames are drawn at
 *   once — that is when the map is the thing being used;
 * - while the page is hidden nothing is drawn; one frame follows when it is shown again.
 *
 * Pure state and arithmetic over an injected clock (no DOM): tested with a fake clock.
 */

/** Tuning of the governor, units in names. */
export interface RedrawPolicy {
  /** shortest gap between two map frames, ms (250 = at most 4 frames/s) */
  minFrameIntervalMs: number;
  /** longest gap the main-thread budget may impose between frames, ms */
  maxFrameIntervalMs: number;
  /** share of the main thread map frames may take: the gap is at least frame cost ÷ this (0–1) */
  mainThreadBudget: number;
  /** after input outside the map, frames wait this long, ms … */
  inputHoldMs: number;
  /** … when one frame costs more than this, ms */
  inputHoldAboveFrameCostMs: number;
  /** input postpones a waiting frame by at most this much past the time it was due, ms */
  maxInputHoldMs: number;
  /** weight of the newest frame cost in the running estimate (0–1) */
  costSmoothing: number;
}

export interface GovernorClock {
  /** monotonic ms */
  now(): number;
  setTimer(fn: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
}

/** What the governor has seen, for tests, the bench and the debugging hook. */
export interface GovernorStats {
  /** frames allowed */
  frames: number;
  /** frame requests refused (coalesced into a later frame) */
  deferred: number;
  /** running estimate of one frame's main-thread cost, ms */
  frameCostMs: number;
  /** the gap the budget imposes now, ms */
  frameIntervalMs: number;
  /** clock time of the last frame, ms (−∞ before the first) */
  lastFrameTs: number;
}

export class RedrawGovernor {
  private lastFrameTs = Number.NEGATIVE_INFINITY;
  private lastInputTs = Number.NEGATIVE_INFINITY;
  private costMs = 0;
  private pendingSinceTs: number | null = null;
  private timer: unknown = null;
  private timerTs = 0;
  private hidden = false;
  private mapInteracting = false;
  private frames = 0;
  private deferred = 0;

  /** `onDue` is called when a refused frame may now be drawn (the caller then asks again). */
  constructor(
    private readonly policy: RedrawPolicy,
    private readonly clock: GovernorClock,
    private readonly onDue: () => void,
  ) {}

  /** The gap between frames the budget imposes at the current frame-cost estimate, ms. */
  frameIntervalMs(): number {
    const p = this.policy;
    const byBudget = p.mainThreadBudget > 0 ? this.costMs / p.mainThreadBudget : 0;
    return Math.min(p.maxFrameIntervalMs, Math.max(p.minFrameIntervalMs, byBudget));
  }

  /** Clock time from which a frame requested now may be drawn (≤ now: at once), ms; null while hidden. */
  allowedTs(now = this.clock.now()): number | null {
    if (this.mapInteracting) return now;
    if (this.hidden) return null;
    const dueTs = this.lastFrameTs + this.frameIntervalMs();
    // the input hold is capped from when the frame was due (or first asked for, if later)
    const capTs = Math.max(dueTs, this.pendingSinceTs ?? now) + this.policy.maxInputHoldMs;
    const holding = this.costMs > this.policy.inputHoldAboveFrameCostMs;
    const holdEndTs = holding ? Math.min(this.lastInputTs + this.policy.inputHoldMs, capTs) : dueTs;
    return Math.max(dueTs, holdEndTs);
  }

  /**
   * May a frame be drawn now? true: draw it and call `noteFrame`. false: it is coalesced into a
   * later frame, and `onDue` is called when that frame may be drawn (never while hidden).
   */
  requestFrame(): boolean {
    const now = this.clock.now();
    const at = this.allowedTs(now);
    if (at !== null && at <= now) {
      this.pendingSinceTs = null;
      this.cancelTimer();
      return true;
    }
    this.deferred++;
    this.pendingSinceTs ??= now;
    if (at !== null) this.schedule(at - now);
    return false;
  }

  /** A frame was drawn now. */
  noteFrame(): void {
    this.frames++;
    this.lastFrameTs = this.clock.now();
  }

  /** The main-thread cost one frame turned out to have, ms. */
  noteFrameCost(ms: number): void {
    if (!(ms >= 0)) return;
    const a = this.policy.costSmoothing;
    this.costMs = this.costMs === 0 ? ms : a * ms + (1 - a) * this.costMs;
  }

  /** The person used the page outside the map (pointer, key, wheel). */
  noteInput(): void {
    this.lastInputTs = this.clock.now();
  }

  /** The person is working the map itself (pointer down on it … up). */
  setMapInteracting(active: boolean): void {
    this.mapInteracting = active;
    if (active && this.pendingSinceTs !== null) this.fireDue();
  }

  setHidden(hidden: boolean): void {
    this.hidden = hidden;
    if (hidden) this.cancelTimer();
    else if (this.pendingSinceTs !== null) {
      const at = this.allowedTs();
      if (at !== null) this.schedule(Math.max(0, at - this.clock.now()));
    }
  }

  stats(): GovernorStats {
    return {
      frames: this.frames,
      deferred: this.deferred,
      frameCostMs: this.costMs,
      frameIntervalMs: this.frameIntervalMs(),
      lastFrameTs: this.lastFrameTs,
    };
  }

  dispose(): void {
    this.cancelTimer();
  }

  private schedule(delayMs: number): void {
    const at = this.clock.now() + delayMs;
    if (this.timer !== null && this.timerTs === at) return;
    this.cancelTimer();
    this.timerTs = at;
    this.timer = this.clock.setTimer(() => {
      this.timer = null;
      this.fireDue();
    }, delayMs);
  }

  private fireDue(): void {
    this.cancelTimer();
    this.onDue();
  }

  private cancelTimer(): void {
    if (this.timer !== null) this.clock.clearTimer(this.timer);
    this.timer = null;
  }
}
