/**
 * Flushes this node's roll-up accumulator into the roll-up store every `flushIntervalMs` (issue 16).
 *
 * - One call per flush with an id kept through every retry: a flush whose answer was lost is sent
 *   again with the same id and the store applies it once.
 * - While the store is down flushes queue (oldest first, at most `maxPendingFlushes`; beyond that
 *   the oldest is dropped and counted in `stats.droppedFlushes`), and are retried in order.
 * - No lease: every node flushes what it ingested, and the store merges.
 * - A crash loses what was accumulated since the last successful flush (≤ one interval while the
 *   store answers).
 */
import { randomUUID } from 'node:crypto';
import type { RollupFlush, RollupStore } from '../store/rollup-store';
import type { RollupAccumulator } from './rollup-accumulator';

export interface RollupFlusherOptions {
  flushIntervalMs: number;
  maxPendingFlushes: number;
  newFlushId?: () => string;
  onError?: (err: unknown, pendingFlushes: number) => void;
}

export interface RollupFlusherStats {
  appliedFlushes: number;
  duplicateFlushes: number;
  droppedFlushes: number;
  failedAttempts: number;
  /** flushes waiting for the store */
  pendingFlushes: number;
}

export class RollupFlusher {
  readonly stats: RollupFlusherStats = { appliedFlushes: 0, duplicateFlushes: 0, droppedFlushes: 0, failedAttempts: 0, pendingFlushes: 0 };
  private readonly pending: RollupFlush[] = [];
  private timer: ReturnType<typeof setInterval> | null = null;
  private running: Promise<void> | null = null;
  private readonly newFlushId: () => string;

  constructor(
    private readonly store: RollupStore,
    private readonly accumulator: RollupAccumulator,
    private readonly options: RollupFlusherOptions,
  ) {
    this.newFlushId = options.newFlushId ?? randomUUID;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.flush(), this.options.flushIntervalMs);
    this.timer.unref();
  }

  /** Drains the accumulator into a flush and sends every pending flush, oldest first; one run at a time. */
  flush(): Promise<void> {
    this.running ??= this.run().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async run(): Promise<void> {
    const entries = this.accumulator.drain();
    if (entries.length > 0) this.pending.push({ flushId: this.newFlushId(), entries });
    while (this.pending.length > this.options.maxPendingFlushes) {
      this.pending.shift();
      this.stats.droppedFlushes++;
    }
    while (this.pending.length > 0) {
      try {
        const outcome = await this.store.mergeRollups(this.pending[0]!);
        if (outcome.status === 'applied') this.stats.appliedFlushes++;
        else this.stats.duplicateFlushes++;
        this.pending.shift();
      } catch (err) {
        this.stats.failedAttempts++;
        this.options.onError?.(err, this.pending.length);
        break;
      }
    }
    this.stats.pendingFlushes = this.pending.length;
  }

  /** Stops the timer and makes a last flush (what the store takes now; the rest is lost with the process). */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
    await this.flush();
  }
}
