/**
 * Closed-loop broadcast used by the fan-out measurement, identical for City IOC and its peers:
 * emit numbered copies of one pre-built frame as fast as the event loop allows, but never more
 * than `windowFrames` ahead of the slowest reporting client's acknowledgement, for `durationMs`.
 */

export interface BlastParams {
  /** the frame to broadcast; `bench` is overwritten with the frame number */
  frame: Record<string, unknown>;
  durationMs: number;
  /** frames emitted but not yet acknowledged by every reporter */
  windowFrames: number;
  /** number of reporting clients that acknowledge every frame */
  reporters: number;
  /** give up waiting for the last acknowledgements after this, ms */
  drainTimeoutMs: number;
}

export interface BlastResult {
  framesEmitted: number;
  /** lowest frame number acknowledged by every reporter at the end */
  framesAcked: number;
  /** ms from the first emit to the last acknowledgement */
  elapsedMs: number;
  cpuMicros: number;
}

/** Frames emitted per event-loop turn before yielding to I/O. */
const FRAMES_PER_TURN = 4;
/** Poll interval while the window is full, ms. */
const WINDOW_POLL_MS = 1;

export async function runBlast(p: BlastParams, emit: (msg: Record<string, unknown>) => void, acks: () => number[]): Promise<BlastResult> {
  const minAcked = (): number => {
    const a = acks();
    return a.length < p.reporters ? 0 : Math.min(...a);
  };
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let n = 0;
  while (performance.now() - t0 < p.durationMs) {
    if (n - minAcked() >= p.windowFrames) {
      await new Promise((r) => setTimeout(r, WINDOW_POLL_MS));
      continue;
    }
    for (let i = 0; i < FRAMES_PER_TURN && n - minAcked() < p.windowFrames; i++) {
      n++;
      emit({ ...p.frame, bench: n });
    }
    await new Promise((r) => setImmediate(r));
  }
  const drainDeadline = performance.now() + p.drainTimeoutMs;
  while (minAcked() < n && performance.now() < drainDeadline) await new Promise((r) => setTimeout(r, WINDOW_POLL_MS));
  const cpu = process.cpuUsage(cpu0);
  return { framesEmitted: n, framesAcked: minAcked(), elapsedMs: performance.now() - t0, cpuMicros: cpu.user + cpu.system };
}
