/**
 * Device ingest: cheap identity check → authenticate (per-device token) → rate limits → validate →
 * drop duplicates → fuse → persist (store, or the local spool when the store is down).
 *
 * What an answer guarantees (README, "Device protocol"):
 * - `accepted` (and `outOfOrder`): fused, and either written to the store or — counted in
 *   `deferred` — fsync'ed in the local spool (`ingest-spool.ts`) before the answer. A resend after a
 *   crash is a duplicate: the sequence windows are restored from the device states plus the
 *   readings stream after the states' cursor plus the spool (`recover`).
 * - `E_RATE_LIMIT` per reading: over its device's budget (catalogue rate × `burstFactor`, a bucket
 *   of `burstSeconds`) or its source's; not fused, not stored — send it again later.
 * - `E_UNAVAILABLE` per reading: the store is down and the deferred queue is full (or the spool
 *   could not be written): not acknowledged, the gateway keeps it.
 *
 * Cheap checks first: a reading's `deviceId`/`token` are read with typeof checks and verified
 * before its schema is run, and when the first `authProbeReadings` readings of a batch all fail
 * authentication the rest of the batch is refused unread (each answered `E_UNAUTHORIZED`), so a
 * bogus 5,000-reading batch costs 16 token checks, not 5,000 schema runs.
 *
 * Readings are fused (and alerts sent) before the store write: a red alert must not wait behind a
 * Redis round trip, and a store outage must not blind the wall. A batch is judged reading by
 * reading: one bad reading never costs the others.
 */
import { randomUUID } from 'node:crypto';
import { SignedReadingSchema, type IngestResult, type ErrorCode } from '../scenes/protocol';
import { readSignedReadingFast } from '../scenes/reading-fast-path';
import type { DeviceKind, Reading } from '../scenes/domain';
import { DEVICE_CATALOGUE, metricSpec } from '../scenes/catalogue';
import { EMPTY_READINGS_CURSOR, type ReadingsCursor, type Store } from './store/store';
import type { Fusion, AlertChangeRecord, ReadingVerdict } from './fusion';
import type { DeviceTokenVerifier } from './device-token';
import type { IngestSpool, SpooledBatch } from './ingest-spool';
import { TokenBuckets, type TokenBucketLimits } from './token-buckets';

/** Rate limits and cheap-check thresholds (from config; see ServerConfig for each). */
export interface IngestLimits {
  burstFactor: number;
  deviceMinReadingsPerS: number;
  burstSeconds: number;
  sourceReadingsPerS: number;
  authProbeReadings: number;
}

export interface IngestOptions {
  /** readings stamped further ahead of the server clock are rejected, ms */
  maxClockSkewMs: number;
  /** readings waiting for the store at most; beyond this new readings are answered E_UNAVAILABLE */
  maxDeferredReadings: number;
  /** rate limits; none when absent */
  limits?: IngestLimits;
  /** where deferred batches are made durable; absent: memory only (memory store, tests) */
  spool?: IngestSpool | null;
  now?: () => number;
  newBatchId?: () => string;
  onStoreError?: (err: unknown, deferred: number) => void;
  /** the spool could not be written: readings were answered E_UNAVAILABLE */
  onSpoolError?: (err: unknown) => void;
  /** called right after a batch was fused, before the store write (scene frames that are due) */
  onFused?: () => void;
  /** called with every batch's outcome (metrics) */
  onBatch?: (result: IngestResult) => void;
  /** called with a batch's fresh readings once they are in the store or durably deferred (roll-ups, issue 16) */
  onStored?: (readings: readonly Reading[]) => void;
}

export interface IngestCounters {
  accepted: number;
  duplicates: number;
  outOfOrder: number;
  rejected: number;
  /** readings whose store write failed and were queued (and spooled) */
  deferred: number;
  /** readings refused with E_RATE_LIMIT (device or source budget) */
  rateLimited: number;
  /** readings refused with E_UNAVAILABLE (deferred queue full, spool unwritable) */
  unavailable: number;
}

export interface IngestRecovery {
  /** readings read back from the stream after the device states' cursor */
  replayedReadings: number;
  /** batches found in the spool (written to the store now, or queued) */
  spooledBatches: number;
  spooledReadings: number;
  /** spooled readings written to the store during recovery */
  writtenReadings: number;
}

/** Source buckets are swept of idle entries past this many sources, at most once per interval. */
const SOURCE_SWEEP_ABOVE_KEYS = 10_000;
const SOURCE_SWEEP_INTERVAL_MS = 1_000;

interface DeferredBatch {
  batchId: string;
  readings: Reading[];
}

export class IngestService {
  readonly totals: IngestCounters = { accepted: 0, duplicates: 0, outOfOrder: 0, rejected: 0, deferred: 0, rateLimited: 0, unavailable: 0 };
  private readonly now: () => number;
  private readonly newBatchId: () => string;
  /** batches waiting for the store, oldest first */
  private readonly deferredBatches: DeferredBatch[] = [];
  private deferredCount = 0;
  private flushing = false;
  private readonly deviceBuckets = new TokenBuckets({ sweepAboveKeys: Number.POSITIVE_INFINITY, sweepIntervalMs: 0 });
  private readonly sourceBuckets = new TokenBuckets({ sweepAboveKeys: SOURCE_SWEEP_ABOVE_KEYS, sweepIntervalMs: SOURCE_SWEEP_INTERVAL_MS });
  private readonly deviceLimits = new Map<DeviceKind, TokenBucketLimits>();
  private readonly sourceLimits: TokenBucketLimits | null;

  constructor(
    private readonly store: Store,
    private readonly fusion: Fusion,
    private readonly verifier: DeviceTokenVerifier,
    private readonly onAlertChanges: (changes: AlertChangeRecord[]) => void,
    private readonly opts: IngestOptions,
  ) {
    this.now = opts.now ?? Date.now;
    this.newBatchId = opts.newBatchId ?? randomUUID;
    const l = opts.limits;
    // one second of the source's rate: a full 5,000-reading batch passes at the default rate
    this.sourceLimits = l ? { ratePerS: l.sourceReadingsPerS, capacity: l.sourceReadingsPerS } : null;
  }

  /** Budget of one device of `kind`: catalogue rate × burst factor (at least the floor), `burstSeconds` of it. */
  deviceLimitsOf(kind: DeviceKind): TokenBucketLimits | null {
    const l = this.opts.limits;
    if (!l) return null;
    let limits = this.deviceLimits.get(kind);
    if (!limits) {
      const ratePerS = Math.max((1000 / DEVICE_CATALOGUE[kind].intervalMs) * l.burstFactor, l.deviceMinReadingsPerS);
      limits = { ratePerS, capacity: Math.max(1, ratePerS * l.burstSeconds) };
      this.deviceLimits.set(kind, limits);
    }
    return limits;
  }

  /**
   * Ingests a batch of unvalidated readings from `source` (remote address or socket id; used for
   * the per-source limit). Never throws for a store failure (see above). `mergedSenders`: the
   * batch merges the readings of several senders (MQTT messages, telemetry-batcher.ts), so one
   * sender's failed authentications must not refuse the others' readings unread.
   */
  async ingest(raw: readonly unknown[], source?: string, opts?: { mergedSenders?: boolean }): Promise<IngestResult> {
    const result: IngestResult = { accepted: 0, duplicates: 0, outOfOrder: 0, rejected: [] };
    const fresh: Reading[] = [];
    /** index in `raw` of each fresh reading */
    let freshIndex: number[] = [];
    /** fusion's verdict on each fresh reading's seq, taken once here and handed to applyReading */
    let freshVerdicts: ReadingVerdict[] = [];
    /** seqs per device in this batch: one number for the usual single reading, a set beyond that */
    const batchSeqs = new Map<string, number | Set<number>>();
    /** a device's readings arrived in descending seq order within the batch */
    let shuffled = false;
    const nowTs = this.now();
    const limits = this.opts.limits;
    let rateLimited = 0;
    let unavailable = 0;
    const reject = (index: number, code: ErrorCode, message: string) => result.rejected.push({ index, code, message });

    // per-source budget: readings beyond it are refused unread
    let allowed = raw.length;
    if (this.sourceLimits && source !== undefined) allowed = this.sourceBuckets.take(source, raw.length, this.sourceLimits, nowTs);

    let authenticated = 0;
    let authFailures = 0;
    const probe = opts?.mergedSenders ? Number.POSITIVE_INFINITY : (limits?.authProbeReadings ?? Number.POSITIVE_INFINITY);
    for (let i = 0; i < allowed; i++) {
      if (authenticated === 0 && authFailures >= probe) {
        reject(i, 'E_UNAUTHORIZED', `refused unread: the first ${probe} readings of this batch failed authentication`);
        continue;
      }
      // cheap identity check before any schema runs (input is JSON: plain data, no getters)
      const item = raw[i];
      const deviceId = typeof item === 'object' && item !== null ? (item as { deviceId?: unknown }).deviceId : undefined;
      const token = typeof item === 'object' && item !== null ? (item as { token?: unknown }).token : undefined;
      if (typeof deviceId !== 'string' || typeof token !== 'string') {
        authFailures++;
        reject(i, 'E_VALIDATION', 'reading: deviceId and token must be strings');
        continue;
      }
      const device = this.fusion.devices.get(deviceId);
      if (!device) {
        authFailures++;
        reject(i, 'E_NOT_FOUND', `unknown device ${deviceId.slice(0, 100)}`);
        continue;
      }
      if (!this.verifier.verify(deviceId, token)) {
        authFailures++;
        reject(i, 'E_UNAUTHORIZED', `bad token for device ${deviceId}`);
        continue;
      }
      authenticated++;
      const deviceLimits = this.deviceLimitsOf(device.kind);
      if (deviceLimits && !this.deviceBuckets.has(deviceId, deviceLimits, nowTs)) {
        rateLimited++;
        reject(i, 'E_RATE_LIMIT', `device ${deviceId} is over ${round2(deviceLimits.ratePerS)} readings/s`);
        continue;
      }

      // the plain case without zod (scenes/reading-fast-path.ts); anything else through the schema
      let reading: Reading | null;
      try {
        reading = readSignedReadingFast(item);
        if (reading === null) {
          const parsed = SignedReadingSchema.safeParse(item);
          if (!parsed.success) {
            const issue = parsed.error.issues[0];
            reject(i, 'E_VALIDATION', `${issue?.path.join('.') || 'reading'}: ${issue?.message ?? 'invalid'}`);
            continue;
          }
          const signed = parsed.data;
          reading = { deviceId: signed.deviceId, ts: signed.ts, seq: signed.seq, metrics: signed.metrics };
        }
      } catch {
        // zod reads hostile shapes (e.g. a `length` trap) and may throw instead of failing
        reject(i, 'E_VALIDATION', 'reading: invalid');
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
      const verdict = seen === reading.seq || (typeof seen === 'object' && seen.has(reading.seq)) ? 'duplicate' : this.fusion.classify(reading);
      if (verdict === 'duplicate') {
        result.duplicates++;
        continue;
      }
      // the store is known to be down and its queue is full: not fused, not acknowledged
      if (this.deferredCount > 0 && this.deferredCount + fresh.length + 1 > this.opts.maxDeferredReadings) {
        unavailable++;
        reject(i, 'E_UNAVAILABLE', 'store unavailable and the deferred queue is full; send this reading again later');
        continue;
      }
      if (deviceLimits) this.deviceBuckets.take(deviceId, 1, deviceLimits, nowTs);
      if (seen === undefined) batchSeqs.set(reading.deviceId, reading.seq);
      else {
        const set = typeof seen === 'number' ? new Set([seen]) : seen;
        for (const s of set) if (s > reading.seq) shuffled = true;
        set.add(reading.seq);
        batchSeqs.set(reading.deviceId, set);
      }
      fresh.push(reading);
      freshIndex.push(i);
      freshVerdicts.push(verdict);
    }
    for (let i = allowed; i < raw.length; i++) {
      rateLimited++;
      reject(i, 'E_RATE_LIMIT', `source is over ${this.sourceLimits?.ratePerS} readings/s`);
    }

    const changes: AlertChangeRecord[] = [];
    // readings of one device are applied in seq order so a batch arriving shuffled still moves forward
    if (shuffled) {
      const order = fresh.map((_, k) => k);
      const cmp = (a: Reading, b: Reading) => (a.deviceId < b.deviceId ? -1 : a.deviceId > b.deviceId ? 1 : a.seq - b.seq);
      order.sort((a, b) => cmp(fresh[a]!, fresh[b]!));
      const sorted = order.map((k) => fresh[k]!);
      freshIndex = order.map((k) => freshIndex[k]!);
      freshVerdicts = order.map((k) => freshVerdicts[k]!);
      fresh.splice(0, fresh.length, ...sorted);
    }
    let fusedAccepted = 0;
    let fusedOutOfOrder = 0;
    // A verdict taken above still holds here: nothing ran in between but this batch, whose readings
    // of one device are applied in ascending seq order, and a reading's verdict does not change when
    // lower seqs are recorded before it.
    for (let k = 0; k < fresh.length; k++) {
      const verdict = this.fusion.applyReading(fresh[k]!, changes, freshVerdicts[k]);
      if (verdict === 'accepted') fusedAccepted++;
      else if (verdict === 'out_of_order') fusedOutOfOrder++;
      else result.duplicates++;
    }
    result.accepted = fusedAccepted;
    result.outOfOrder = fusedOutOfOrder;
    if (changes.length > 0) this.onAlertChanges(changes);
    if (fusedAccepted > 0) this.opts.onFused?.();

    if (fresh.length > 0) {
      // one id per batch, kept through every retry: the store never appends it twice
      const batchId = this.newBatchId();
      let kept = true;
      try {
        await this.store.appendReadings(fresh, batchId);
      } catch (err) {
        const durable = await this.spoolBatch(batchId, fresh);
        this.defer({ batchId, readings: fresh });
        this.opts.onStoreError?.(err, this.deferredCount);
        if (durable) result.deferred = fresh.length;
        else {
          kept = false;
          // fused and kept in memory for the store, but NOT acknowledged: nothing on disk holds it
          result.accepted = 0;
          result.outOfOrder = 0;
          unavailable += fresh.length;
          for (const i of freshIndex) reject(i, 'E_UNAVAILABLE', 'store unavailable and the local spool could not be written');
          result.rejected.sort((a, b) => a.index - b.index);
        }
      }
      if (kept) this.opts.onStored?.(fresh);
    }

    this.totals.accepted += result.accepted;
    this.totals.duplicates += result.duplicates;
    this.totals.outOfOrder += result.outOfOrder;
    this.totals.rejected += result.rejected.length;
    this.totals.rateLimited += rateLimited;
    this.totals.unavailable += unavailable;
    this.opts.onBatch?.(result);
    return result;
  }

  /** True when the batch is durable locally (spooled), or there is no spool (memory-only deferral). */
  private async spoolBatch(batchId: string, readings: Reading[]): Promise<boolean> {
    const spool = this.opts.spool;
    if (!spool) return true;
    try {
      await spool.append({ batchId, readings });
      return true;
    } catch (err) {
      this.opts.onSpoolError?.(err);
      return false;
    }
  }

  /** Readings waiting for the store. */
  deferredReadings(): number {
    return this.deferredCount;
  }

  private defer(batch: DeferredBatch): void {
    this.deferredBatches.push(batch);
    this.deferredCount += batch.readings.length;
    this.totals.deferred += batch.readings.length;
  }

  /** Writes queued readings, oldest first, until done or the store fails again. Returns how many were written. */
  async flushDeferred(): Promise<number> {
    if (this.flushing || this.deferredBatches.length === 0) return 0;
    this.flushing = true;
    let written = 0;
    try {
      while (this.deferredBatches.length > 0) {
        const batch = this.deferredBatches[0]!;
        // same batch id as the failed attempt: a write that landed but was not answered is not repeated
        await this.store.appendReadings(batch.readings, batch.batchId);
        this.deferredBatches.shift();
        this.deferredCount -= batch.readings.length;
        this.opts.spool?.release(batch.batchId);
        written += batch.readings.length;
      }
    } catch {
      // still down: try again on the next flush
    } finally {
      this.flushing = false;
    }
    return written;
  }

  /**
   * Start-up recovery, after `fusion.restore` and before serving: the readings appended after the
   * device states' cursor, then the batches a previous process spooled, are noted in the sequence
   * windows (and latest values) without raising alerts again; the spooled batches are then written
   * to the store (idempotent by batch id) or stay queued until it answers.
   */
  async recover(stateCursor: ReadingsCursor | null, spooled: readonly SpooledBatch[], pageReadings: number): Promise<IngestRecovery> {
    const out: IngestRecovery = { replayedReadings: 0, spooledBatches: spooled.length, spooledReadings: 0, writtenReadings: 0 };
    let cursor = stateCursor ?? EMPTY_READINGS_CURSOR;
    for (;;) {
      const page = await this.store.readReadingsAfter(cursor, pageReadings);
      for (const r of page.readings) this.fusion.noteRecoveredReading(r);
      out.replayedReadings += page.readings.length;
      if (page.readings.length === 0 || page.cursor === cursor) break;
      cursor = page.cursor;
    }
    for (const b of spooled) {
      for (const r of b.readings) this.fusion.noteRecoveredReading(r);
      this.defer({ batchId: b.batchId, readings: b.readings });
      out.spooledReadings += b.readings.length;
    }
    this.totals.deferred -= out.spooledReadings; // not new deferrals of this process
    out.writtenReadings = await this.flushDeferred();
    return out;
  }

  /** Clean shutdown: writes what waits if the store answers; the spool keeps the rest for the next start. */
  async close(): Promise<void> {
    await this.flushDeferred();
    await this.opts.spool?.close();
  }
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
