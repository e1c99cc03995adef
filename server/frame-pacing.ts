/**
 * Frame pacing: telemetry frames slow down when sending them would take over the event loop.
 *
 * A telemetry frame costs one socket write per watcher (Socket.IO encodes it once per room, but
 * the kernel is called once per socket). With thousands of screens on a node, 4 frames/s can
 * fill the loop with writes; then readings, commands and the next frames queue behind them and
 * every screen falls seconds behind. The pacer watches the share of wall time the paced flushes
 * take (build, diff and broadcast, measured around each flush) and stretches the coalescing
 * interval so that share stays near `targetShare`, between `baseIntervalMs` and `maxIntervalMs`;
 * it returns to the base interval when the load goes. Alerts and incident changes are not paced
 * (they go out at once, SceneHub.flushSoon), and a screen still gets every change, in fewer frames.
 *
 * Pure: the caller passes the clock and the measured cost.
 */

export interface FramePacingOptions {
  /** the configured coalescing interval: frames never come faster, ms */
  baseIntervalMs: number;
  /** frames never come slower than this, whatever the load, ms (= base: pacing off) */
  maxIntervalMs: number;
  /** share of wall time the paced flushes may take, 0–1 */
  targetShare: number;
  /** the share is judged over windows of this length at least, ms */
  windowMs: number;
}

/** The interval shrinks only once the share fell below this fraction of the target (no flapping). */
const SHRINK_BELOW_FRACTION = 0.6;
/** …and then to where the share would be this fraction of the target. */
const SHRINK_TO_FRACTION = 0.8;
/** Intervals are rounded to this step, ms. */
const STEP_MS = 10;

export class FramePacer {
  private interval: number;
  private windowStartTs: number;
  private busyMs = 0;
  /** the last window's share, 0–1 (for metrics and logs) */
  lastShare = 0;

  constructor(
    private readonly opts: FramePacingOptions,
    nowTs: number,
  ) {
    if (!(opts.baseIntervalMs > 0) || !(opts.maxIntervalMs >= opts.baseIntervalMs)) throw new RangeError('frame pacing: need 0 < base ≤ max');
    if (!(opts.targetShare > 0 && opts.targetShare <= 1)) throw new RangeError('frame pacing: target share must be in (0, 1]');
    this.interval = opts.baseIntervalMs;
    this.windowStartTs = nowTs;
  }

  /** the current coalescing interval, ms */
  get intervalMs(): number {
    return this.interval;
  }

  /**
   * A paced flush took `busyMs` of wall time, ending at `nowTs`. At the end of each window the
   * interval moves to where the window's share would have met the target (the cost of a frame is
   * about constant, so the share falls in proportion as the interval grows). Returns true when the
   * interval changed.
   */
  record(busyMs: number, nowTs: number): boolean {
    this.busyMs += Math.max(0, busyMs);
    const elapsed = nowTs - this.windowStartTs;
    if (elapsed < this.opts.windowMs) return false;
    const share = this.busyMs / elapsed;
    this.lastShare = share;
    this.busyMs = 0;
    this.windowStartTs = nowTs;
    const { baseIntervalMs: base, maxIntervalMs: max, targetShare: target } = this.opts;
    let next = this.interval;
    if (share > target) next = this.interval * (share / target);
    else if (share < target * SHRINK_BELOW_FRACTION) next = this.interval * (share / (target * SHRINK_TO_FRACTION));
    next = Math.min(max, Math.max(base, Math.round(next / STEP_MS) * STEP_MS));
    if (next === this.interval) return false;
    this.interval = next;
    return true;
  }
}
