/**
 * Time that moves only when a test says so: `ts` is now (set it, or `advance`), `now` is the
 * injectable clock function. Shared by the notify, report-schedule and device-command tests.
 */
export class TestClock {
  constructor(public ts = Date.UTC(2026, 6, 1, 2, 0, 0)) {}
  readonly now = (): number => this.ts;
  advance(ms: number): void {
    this.ts += ms;
  }
}

/** Lets the store calls that timers started settle (a few event-loop turns). */
export async function settleMicrotasks(turns = 20): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** A TestClock with timers: `setTimeout`/`clearTimeout` run only when `advanceTimers` passes them. */
export class TestTimerClock extends TestClock {
  private seq = 0;
  private readonly pending = new Map<number, { at: number; run: () => void }>();
  readonly setTimeout = (run: () => void, ms: number): unknown => {
    const id = ++this.seq;
    this.pending.set(id, { at: this.ts + ms, run });
    return id;
  };
  readonly clearTimeout = (handle: unknown): void => {
    this.pending.delete(handle as number);
  };
  /** moves time on and runs the timers that fell due (earliest first), then lets their store calls settle */
  async advanceTimers(ms: number): Promise<void> {
    this.advance(ms);
    for (const [id, t] of [...this.pending].sort((a, b) => a[1].at - b[1].at)) {
      if (t.at > this.ts) continue;
      this.pending.delete(id);
      t.run();
    }
    await settleMicrotasks();
  }
}
