/**
 * Device ingest: validate → authenticate (per-device token) → drop duplicates → fuse → persist.
 *
 * Readings are fused (and alerts sent) before the store write: a red alert must not wait behind a
 * Redis round trip, and a store outage must not blind the wall. When the store write fails the
 * readings are kept in a bounded in-process queue and written when the store answers again
 * (`flushDeferred`); the batch is still answered 200, with `deferred` saying how many readings
 * wait. Only an outage longer than the queue holds (`maxDeferredReadings`) loses history, and
 * that is counted and logged. A batch is judged reading by reading: one bad reading never costs
 * the others.
 */
import { SignedReadingSchema, type IngestResult, type ErrorCode } from '../scenes/protocol';
import type { Reading } from '../scenes/domain';
import { metricSpec } from '../scenes/catalogue';
import type { Store } from './store/store';
import type { Fusion, AlertChangeRecord } from './fusion';
import type { DeviceTokenVerifier } from './device-token';

export interface IngestOptions {
  /** readings stamped further ahead of the server clock are rejected, ms */
  maxClockSkewMs: number;
  /** readings kept for the store while it is unavailable; beyond this the oldest are dropped */
  maxDeferredReadings: number;
  now?: () => number;
  onStoreError?: (err: unknown, deferred: number) => void;
  /** called right after a batch was fused, before the store write (scene frames that are due) */
  onFused?: () => void;
  /** called with every batch's outcome (metrics) */
  onBatch?: (result: IngestResult) => void;
}

export interface IngestCounters {
  accepted: number;
  duplicates: number;
  outOfOrder: number;
  rejected: number;
  /** readings whose store write failed and were queued */
  deferred: number;
  /** queued readings dropped because the queue was full (history lost) */
  droppedDeferred: number;
}

export class IngestService {
  readonly totals: IngestCounters = { accepted: 0, duplicates: 0, outOfOrder: 0, rejected: 0, deferred: 0, droppedDeferred: 0 };
  private readonly now: () => number;
  /** batches waiting for the store, oldest first */
  private readonly deferredBatches: Reading[][] = [];
  private deferredCount = 0;
  private flushing = false;

  constructor(
    private readonly store: Store,
    private readonly fusion: Fusion,
    private readonly verifier: DeviceTokenVerifier,
    private readonly onAlertChanges: (changes: AlertChangeRecord[]) => void,
    private readonly opts: IngestOptions,
  ) {
    this.now = opts.now ?? Date.now;
  }

  /** Ingests a batch of unvalidated readings. Never throws for a store failure (see above). */
  async ingest(raw: readonly unknown[]): Promise<IngestResult> {
    const result: IngestResult = { accepted: 0, duplicates: 0, outOfOrder: 0, rejected: [] };
    const fresh: Reading[] = [];
    /** seqs per device in this batch: one number for the usual single reading, a set beyond that */
    const batchSeqs = new Map<string, number | Set<number>>();
    /** a device's readings arrived in descending seq order within the batch */
    let shuffled = false;
    const nowTs = this.now();
    const reject = (index: number, code: ErrorCode, message: string) => result.rejected.push({ index, code, message });

    for (let i = 0; i < raw.length; i++) {
      const parsed = SignedReadingSchema.safeParse(raw[i]);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        reject(i, 'E_VALIDATION', `${issue?.path.join('.') || 'reading'}: ${issue?.message ?? 'invalid'}`);
        continue;
      }
      const signed = parsed.data;
      const reading: Reading = { deviceId: signed.deviceId, ts: signed.ts, seq: signed.seq, metrics: signed.metrics };
      const device = this.fusion.devices.get(reading.deviceId);
      if (!device) {
        reject(i, 'E_NOT_FOUND', `unknown device ${reading.deviceId}`);
        continue;
      }
      if (!this.verifier.verify(reading.deviceId, signed.token)) {
        reject(i, 'E_UNAUTHORIZED', `bad token for device ${reading.deviceId}`);
        continue;
      }
      if (reading.ts > nowTs + this.opts.maxClockSkewMs) {
        reject(i, 'E_VALIDATION', `ts ${reading.ts} is more than ${this.opts.maxClockSkewMs} ms in the future`);
        continue;
      }
      let unknownMetric: string | undefined;
      for (const m in reading.metrics) {
        if (!metricSpec(device.kind, m)) {
          unknownMetric = m;
          break;
        }
      }
      if (unknownMetric !== undefined) {
        reject(i, 'E_VALIDATION', `metric ${unknownMetric} is not defined for ${device.kind}`);
        continue;
      }
      const seen = batchSeqs.get(reading.deviceId);
      if (seen === reading.seq || (typeof seen === 'object' && seen.has(reading.seq)) || this.fusion.classify(reading) === 'duplicate') {
        result.duplicates++;
        continue;
      }
      if (seen === undefined) batchSeqs.set(reading.deviceId, reading.seq);
      else {
        const set = typeof seen === 'number' ? new Set([seen]) : seen;
        for (const s of set) if (s > reading.seq) shuffled = true;
        set.add(reading.seq);
        batchSeqs.set(reading.deviceId, set);
      }
      fresh.push(reading);
    }

    const changes: AlertChangeRecord[] = [];
    // readings of one device are applied in seq order so a batch arriving shuffled still moves forward
    if (shuffled) fresh.sort((a, b) => (a.deviceId < b.deviceId ? -1 : a.deviceId > b.deviceId ? 1 : a.seq - b.seq));
    for (const r of fresh) {
      const verdict = this.fusion.applyReading(r, changes);
      if (verdict === 'accepted') result.accepted++;
      else if (verdict === 'out_of_order') result.outOfOrder++;
      else result.duplicates++;
    }
    if (changes.length > 0) this.onAlertChanges(changes);
    if (result.accepted > 0) this.opts.onFused?.();

    if (fresh.length > 0) {
      try {
        await this.store.appendReadings(fresh);
      } catch (err) {
        this.defer(fresh);
        result.deferred = fresh.length;
        this.opts.onStoreError?.(err, this.deferredCount);
      }
    }

    this.totals.accepted += result.accepted;
    this.totals.duplicates += result.duplicates;
    this.totals.outOfOrder += result.outOfOrder;
    this.totals.rejected += result.rejected.length;
    this.opts.onBatch?.(result);
    return result;
  }

  /** Readings waiting for the store. */
  deferredReadings(): number {
    return this.deferredCount;
  }

  private defer(batch: Reading[]): void {
    this.deferredBatches.push(batch);
    this.deferredCount += batch.length;
    this.totals.deferred += batch.length;
    while (this.deferredCount > this.opts.maxDeferredReadings && this.deferredBatches.length > 0) {
      const dropped = this.deferredBatches.shift()!;
      this.deferredCount -= dropped.length;
      this.totals.droppedDeferred += dropped.length;
    }
  }

  /** Writes queued readings, oldest first, until done or the store fails again. Returns how many were written. */
  async flushDeferred(): Promise<number> {
    if (this.flushing || this.deferredBatches.length === 0) return 0;
    this.flushing = true;
    let written = 0;
    try {
      while (this.deferredBatches.length > 0) {
        const batch = this.deferredBatches[0]!;
        await this.store.appendReadings(batch);
        // the queue may have been trimmed meanwhile: remove this batch only if it is still first
        if (this.deferredBatches[0] === batch) {
          this.deferredBatches.shift();
          this.deferredCount -= batch.length;
        }
        written += batch.length;
      }
    } catch {
      // still down: try again on the next flush
    } finally {
      this.flushing = false;
    }
    return written;
  }
}
