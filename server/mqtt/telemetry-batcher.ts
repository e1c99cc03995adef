/**
 * Merges the telemetry of many MQTT messages into one ingest call (issue 13, throughput).
 *
 * Each MQTT message carries one reading (or a small `{readings: [...]}`), and a full ingest call
 * per message — token buckets, the batch's bookkeeping, one store append with its own batch id,
 * the scene hub's frame check, the metrics — cost more than the reading itself. The messages that
 * arrive within one batch window (`windowMs` after the first of them; 0: the rest of that turn of
 * the event loop, flushed on the next `setImmediate`) are ingested together, grouped by source so each source's budget still
 * applies to its own readings; each message then gets back the verdicts of ITS readings (indices
 * rebased to the message), so the gate decides the PUBACK of every message exactly as before.
 *
 * What a merged call must not do: let one sender's bad readings cost another sender's. Ingest's
 * "the first N readings failed authentication → refuse the rest unread" shortcut is for a single
 * sender's batch; merged calls switch it off (`mergedSenders`). Ordering is kept: readings enter
 * the merged batch in arrival order, and ingest applies a device's readings in seq order.
 */
import type { IngestResult } from '../../scenes/protocol';

/** The verdicts a message's sender needs: which of its readings were refused, and why. */
export type IngestVerdicts = Pick<IngestResult, 'rejected'>;

export interface MergingIngest {
  ingest(raw: readonly unknown[], source?: string, opts?: { mergedSenders?: boolean }): Promise<IngestResult>;
}

export interface TelemetryBatcherOptions {
  /** a merged call is started at once when it holds this many readings (≥ 1) */
  maxBatchReadings: number;
  /**
   * how long the first waiting message waits for others, ms; 0: until the next `setImmediate`.
   * Every merged call costs a store append and a read-back of the shared log (one network round
   * trip each, whatever its size), so at thousands of messages/s a few ms here cut those calls
   * several-fold for a few ms of latency (config.mqttBatchWindowMs).
   */
  windowMs?: number;
}

interface Pending {
  readings: readonly unknown[];
  resolve: (v: IngestVerdicts) => void;
  reject: (err: unknown) => void;
}

export class TelemetryBatcher {
  /** per source, the messages waiting for the next merged call, in arrival order */
  private waiting = new Map<string, Pending[]>();
  private waitingReadings = 0;
  private scheduled = false;
  private timer: NodeJS.Timeout | null = null;
  /** merged calls not yet answered */
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly target: MergingIngest,
    private readonly opts: TelemetryBatcherOptions,
  ) {}

  /** The verdicts of `readings` once the merged call they joined has answered. */
  ingest(readings: readonly unknown[], source = 'unknown'): Promise<IngestVerdicts> {
    return new Promise<IngestVerdicts>((resolve, reject) => {
      let list = this.waiting.get(source);
      if (!list) this.waiting.set(source, (list = []));
      list.push({ readings, resolve, reject });
      this.waitingReadings += readings.length;
      if (this.waitingReadings >= this.opts.maxBatchReadings) this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        const windowMs = this.opts.windowMs ?? 0;
        if (windowMs > 0) this.timer = setTimeout(() => this.flush(), windowMs);
        else setImmediate(() => this.flush());
      }
    });
  }

  /**
   * Starts the waiting messages' call now and resolves once every call started so far has
   * answered: what a device published BEFORE a message the gate handles at once (a command ack,
   * `{"online": false}`, a last will) is fused first, so MQTT's per-connection order holds.
   */
  drain(): Promise<void> {
    this.flush();
    return this.inFlight.size === 0 ? Promise.resolve() : Promise.all(this.inFlight).then(() => undefined);
  }

  private flush(): void {
    // an early flush (a full batch) ends the window: the next message opens a new one
    this.scheduled = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.waitingReadings === 0) return;
    const groups = this.waiting;
    this.waiting = new Map();
    this.waitingReadings = 0;
    for (const [source, list] of groups) {
      const call = this.ingestGroup(source, list);
      this.inFlight.add(call);
      void call.finally(() => this.inFlight.delete(call));
    }
  }

  private async ingestGroup(source: string, list: Pending[]): Promise<void> {
    if (list.length === 1) {
      const only = list[0]!;
      try {
        const { rejected } = await this.target.ingest(only.readings, source, { mergedSenders: true });
        only.resolve({ rejected });
      } catch (err) {
        only.reject(err);
      }
      return;
    }
    const merged: unknown[] = [];
    for (const p of list) for (const r of p.readings) merged.push(r);
    let result: IngestResult;
    try {
      result = await this.target.ingest(merged, source, { mergedSenders: true });
    } catch (err) {
      for (const p of list) p.reject(err);
      return;
    }
    // hand each message the verdicts inside its own range, rebased (in index order)
    const rejected = result.rejected.length > 1 ? [...result.rejected].sort((a, b) => a.index - b.index) : result.rejected;
    let k = 0;
    let offset = 0;
    for (const p of list) {
      const end = offset + p.readings.length;
      const mine: IngestResult['rejected'] = [];
      while (k < rejected.length && rejected[k]!.index < end) {
        const r = rejected[k++]!;
        if (r.index >= offset) mine.push({ ...r, index: r.index - offset });
      }
      p.resolve({ rejected: mine });
      offset = end;
    }
  }
}
