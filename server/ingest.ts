/**
 * Device ingest: validate → authenticate (per-device token) → drop duplicates → persist → fuse.
 *
 * Readings are persisted before they are fused, so a store failure answers 503 and the gateway's
 * retry is not mistaken for a duplicate. A batch is judged reading by reading: one bad reading
 * never costs the others.
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
  now?: () => number;
}

export interface IngestCounters {
  accepted: number;
  duplicates: number;
  outOfOrder: number;
  rejected: number;
}

export class IngestService {
  readonly totals: IngestCounters = { accepted: 0, duplicates: 0, outOfOrder: 0, rejected: 0 };
  private readonly now: () => number;

  constructor(
    private readonly store: Store,
    private readonly fusion: Fusion,
    private readonly verifier: DeviceTokenVerifier,
    private readonly onAlertChanges: (changes: AlertChangeRecord[]) => void,
    private readonly opts: IngestOptions,
  ) {
    this.now = opts.now ?? Date.now;
  }

  /**
   * Ingests a batch of unvalidated readings. Throws only when the store fails (caller answers 503);
   * in that case nothing of the batch was fused.
   */
  async ingest(raw: readonly unknown[]): Promise<IngestResult> {
    const result: IngestResult = { accepted: 0, duplicates: 0, outOfOrder: 0, rejected: [] };
    const fresh: Reading[] = [];
    const seenInBatch = new Set<string>();
    const nowTs = this.now();
    const reject = (index: number, code: ErrorCode, message: string) => result.rejected.push({ index, code, message });

    for (let i = 0; i < raw.length; i++) {
      const parsed = SignedReadingSchema.safeParse(raw[i]);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        reject(i, 'E_VALIDATION', `${issue?.path.join('.') || 'reading'}: ${issue?.message ?? 'invalid'}`);
        continue;
      }
      const { token, ...reading } = parsed.data;
      const device = this.fusion.devices.get(reading.deviceId);
      if (!device) {
        reject(i, 'E_NOT_FOUND', `unknown device ${reading.deviceId}`);
        continue;
      }
      if (!this.verifier.verify(reading.deviceId, token)) {
        reject(i, 'E_UNAUTHORIZED', `bad token for device ${reading.deviceId}`);
        continue;
      }
      if (reading.ts > nowTs + this.opts.maxClockSkewMs) {
        reject(i, 'E_VALIDATION', `ts ${reading.ts} is more than ${this.opts.maxClockSkewMs} ms in the future`);
        continue;
      }
      const unknownMetric = Object.keys(reading.metrics).find((m) => !metricSpec(device.kind, m));
      if (unknownMetric) {
        reject(i, 'E_VALIDATION', `metric ${unknownMetric} is not defined for ${device.kind}`);
        continue;
      }
      const key = `${reading.deviceId}#${reading.seq}`;
      if (seenInBatch.has(key) || this.fusion.classify(reading) === 'duplicate') {
        result.duplicates++;
        continue;
      }
      seenInBatch.add(key);
      fresh.push(reading);
    }

    if (fresh.length > 0) await this.store.appendReadings(fresh);

    const changes: AlertChangeRecord[] = [];
    // readings of one device are applied in seq order so a batch arriving shuffled still moves forward
    fresh.sort((a, b) => (a.deviceId < b.deviceId ? -1 : a.deviceId > b.deviceId ? 1 : a.seq - b.seq));
    for (const r of fresh) {
      const verdict = this.fusion.applyReading(r, changes);
      if (verdict === 'accepted') result.accepted++;
      else if (verdict === 'out_of_order') result.outOfOrder++;
      else result.duplicates++;
    }
    if (changes.length > 0) this.onAlertChanges(changes);

    this.totals.accepted += result.accepted;
    this.totals.duplicates += result.duplicates;
    this.totals.outOfOrder += result.outOfOrder;
    this.totals.rejected += result.rejected.length;
    return result;
  }
}
