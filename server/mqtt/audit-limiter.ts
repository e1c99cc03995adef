/**
 * Security-relevant MQTT events go to the audit log (server/audit/), but a flood must not flood
 * it: at most one record per key (e.g. source + device) per interval, and a bounded number of
 * keys. What is held back is counted and carried by the next record of that key
 * (`details.suppressedSinceLastRecord`). The event itself (a refused CONNECT, a closed connection)
 * has already happened: a failing audit write is logged, never retried and never blocks a device.
 */
import type { AuditEntry, AuditRecorder } from '../audit/audit';
import type { Logger } from '../logger';

export interface AuditLimiterOptions {
  audit: AuditRecorder;
  log: Logger;
  /** at most one record per key this often, ms */
  intervalMs: number;
  /** keys remembered at most; past it, new keys are held back until old ones expire */
  maxKeys: number;
  now?: () => number;
}

interface KeyState {
  lastTs: number;
  suppressed: number;
}

export class AuditLimiter {
  private readonly keys = new Map<string, KeyState>();
  private readonly now: () => number;
  /** records held back because the key table was full (logged with the next write failure or overflow) */
  overflowed = 0;

  constructor(private readonly o: AuditLimiterOptions) {
    this.now = o.now ?? Date.now;
  }

  /** Records `entry` unless `key` was recorded within the interval. True when it was handed to the audit log. */
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
    this.o.audit
      .record(details === undefined ? entry : { ...entry, details })
      .catch((err: unknown) => this.o.log.error({ err, action: entry.action }, 'MQTT audit record could not be written'));
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
