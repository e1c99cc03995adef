/**
 * Security-relevant events that come in floods go to the audit log (server/audit/) at a bounded
 * rate: at most one record per key (e.g. source + device, or user + camera) per interval, and a
 * bounded number of keys. What is held back is counted and carried by the next record of that key
 * (`details.suppressedSinceLastRecord`). The event itself (a refused CONNECT, a closed connection,
 * a video segment served) has already happened: a failing audit write is logged and never blocks
 * the caller; with `retryAfterFailure` the key is forgotten so its next event tries again.
 *
 * Used by the MQTT endpoint (refused connects, closed connections) and the video router
 * (`video.view` once per user and camera per window).
 */
import type { AuditEntry, AuditRecorder } from './audit';
import type { Logger } from '../logger';

export interface AuditLimiterOptions {
  audit: AuditRecorder;
  log: Pick<Logger, 'error'>;
  /** at most one record per key this often, ms */
  intervalMs: number;
  /** keys remembered at most; past it, new keys are held back until old ones expire */
  maxKeys: number;
  /** a record that could not be written is tried again with the key's next event (default: not) */
  retryAfterFailure?: boolean;
  /** what the failure log line calls these records */
  what?: string;
  now?: () => number;
}

interface KeyState {
  lastTs: number;
  suppressed: number;
}

export class AuditLimiter {
  private readonly keys = new Map<string, KeyState>();
  private readonly now: () => number;
  /** records held back because the key table was full */
  overflowed = 0;

  constructor(private readonly o: AuditLimiterOptions) {
    this.now = o.now ?? Date.now;
  }

  /**
   * Records `entry` unless `key` was recorded within the interval. True when it was handed to the
   * audit log (the write itself settles later).
   */
  record(key: string, entry: AuditEntry): boolean {
    const now = this.now();
    let state = this.keys.get(key);
    if (state && now - state.lastTs < this.o.intervalMs) {
      state.suppressed++;
      return false;
    }
    if (!state) {
      if (this.keys.size >= this.o.maxKeys) this.sweep(now);
      if (this.keys.size >= this.o.maxKeys) {
        this.overflowed++;
        return false;
      }
      state = { lastTs: now, suppressed: 0 };
      this.keys.set(key, state);
    }
    const held = state.suppressed;
    state.lastTs = now;
    state.suppressed = 0;
    const details = held > 0 ? { ...entry.details, suppressedSinceLastRecord: held } : entry.details;
    const written = state;
    this.o.audit.record(details === undefined ? entry : { ...entry, details }).catch((err: unknown) => {
      if (this.o.retryAfterFailure && this.keys.get(key) === written) this.keys.delete(key);
      this.o.log.error({ err, action: entry.action, target: entry.target }, `${this.o.what ?? 'audit record'} could not be written`);
    });
    return true;
  }

  /** Keys remembered now (tests). */
  get size(): number {
    return this.keys.size;
  }

  private sweep(now: number): void {
    for (const [key, s] of this.keys) if (now - s.lastTs >= this.o.intervalMs) this.keys.delete(key);
  }
}
