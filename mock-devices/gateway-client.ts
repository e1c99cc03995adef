/**
 * GatewayClient: what a real IoT gateway does — sign each reading with its device's token, send
 * batches to `POST /api/ingest`, retry with backoff on network errors and 5xx/429.
 *
 * Memory is bounded: at most `maxPendingBatches` batches wait; beyond that the OLDEST batch is
 * dropped and counted (fresh telemetry is worth more than stale). Readings are never reordered
 * within a device: batches go out one at a time, in order.
 */
import type { IngestResult, SignedReading } from '../scenes/protocol';
import { DeviceTokenBook, emptyTransportTotals } from './reading-transport';
import type { SignedReadingWithoutToken } from './simulator';

export const GATEWAY_DEFAULTS = {
  /** readings per POST (the server accepts up to 5000; 1000 keeps bodies ~150 kB) */
  maxBatchReadings: 1000,
  /** batches waiting to be sent before the oldest is dropped */
  maxPendingBatches: 60,
  retryBaseMs: 500,
  retryMaxMs: 15_000,
  requestTimeoutMs: 10_000,
  statusIntervalMs: 10_000,
} as const;

export interface GatewayClientOptions {
  serverUrl: string;
  /** demo fleet secret: tokens derived from it for devices `setTokens` did not name (standalone drills, tests) */
  deviceSecret?: string;
  maxBatchReadings?: number;
  maxPendingBatches?: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
  requestTimeoutMs?: number;
  /** 0 = no periodic status line */
  statusIntervalMs?: number;
  fetchImpl?: typeof fetch;
  log?: (line: string) => void;
  /** injectable for tests */
  sleep?: (ms: number) => Promise<void>;
  /** a reading the server refused, by device (e.g. E_UNAUTHORIZED: its token was rotated or revoked) */
  onRejected?: (deviceId: string, code: string) => void;
}

/** Running totals since start. */
export interface GatewayStats {
  /** readings POSTed and answered 2xx */
  sent: number;
  accepted: number;
  duplicates: number;
  outOfOrder: number;
  /** readings the server refused (per-reading rejections, or a whole batch answered 4xx) */
  rejected: number;
  /** readings dropped because the pending queue was full */
  dropped: number;
  /** readings not sent: no token for their device */
  withoutToken: number;
  /** failed attempts (network error, timeout, 5xx, 429) */
  failedAttempts: number;
  pendingBatches: number;
  pendingReadings: number;
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Non-retryable: the server understood and refused; resending the same body cannot help. */
function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 429 || status === 408;
}

export class GatewayClient {
  private readonly opts: Required<Omit<GatewayClientOptions, 'fetchImpl' | 'log' | 'sleep' | 'onRejected' | 'deviceSecret'>>;
  private readonly onRejected?: (deviceId: string, code: string) => void;
  private readonly fetchImpl: typeof fetch;
  private readonly log: (line: string) => void;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly tokens: DeviceTokenBook;
  private readonly queue: SignedReading[][] = [];
  private totals = emptyTransportTotals();
  private running = false;
  private wake: (() => void) | undefined;
  private pump: Promise<void> | undefined;
  private statusTimer: ReturnType<typeof setInterval> | undefined;
  private lastStatus = { ts: Date.now(), sent: 0, rejected: 0, dropped: 0 };
  private lastErrorLogged = '';

  constructor(options: GatewayClientOptions) {
    this.opts = {
      serverUrl: options.serverUrl.replace(/\/+$/, ''),
      maxBatchReadings: options.maxBatchReadings ?? GATEWAY_DEFAULTS.maxBatchReadings,
      maxPendingBatches: options.maxPendingBatches ?? GATEWAY_DEFAULTS.maxPendingBatches,
      retryBaseMs: options.retryBaseMs ?? GATEWAY_DEFAULTS.retryBaseMs,
      retryMaxMs: options.retryMaxMs ?? GATEWAY_DEFAULTS.retryMaxMs,
      requestTimeoutMs: options.requestTimeoutMs ?? GATEWAY_DEFAULTS.requestTimeoutMs,
      statusIntervalMs: options.statusIntervalMs ?? GATEWAY_DEFAULTS.statusIntervalMs,
    };
    this.fetchImpl = options.fetchImpl ?? fetch;
    this.log = options.log ?? ((line) => console.log(line));
    this.sleep = options.sleep ?? defaultSleep;
    this.onRejected = options.onRejected;
    this.tokens = new DeviceTokenBook(options.deviceSecret);
  }

  /** The server refused this device's token: its readings are not sent until `setTokens` names it again. */
  forgetToken(deviceId: string): void {
    this.tokens.forget(deviceId);
  }

  /** The devices' own tokens from now on (the registry's answer); others fall back to the demo secret, if any. */
  setTokens(tokens: ReadonlyMap<string, string>): void {
    this.tokens.replace(tokens);
  }

  /** Sign readings and queue them in batches of ≤ maxBatchReadings; drops the oldest batches beyond the bound. */
  enqueue(readings: readonly SignedReadingWithoutToken[]): void {
    if (readings.length === 0) return;
    // top up the newest batch if it has room, so frequent small steps still make big POSTs
    let tail = this.queue.length > 0 ? this.queue[this.queue.length - 1] : undefined;
    for (const r of readings) {
      const token = this.tokens.tokenOf(r.deviceId);
      if (token === undefined) {
        this.totals.withoutToken++;
        continue;
      }
      if (!tail || tail.length >= this.opts.maxBatchReadings) {
        tail = [];
        this.queue.push(tail);
      }
      tail.push({ ...r, token });
    }
    this.trimQueue();
    this.wake?.();
  }

  stats(): GatewayStats {
    return {
      ...this.totals,
      pendingBatches: this.queue.length,
      pendingReadings: this.queue.reduce((n, b) => n + b.length, 0),
    };
  }

  /** Start the background sender (and the status line). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.pump = this.runPump();
    if (this.opts.statusIntervalMs > 0) {
      this.lastStatus = { ts: Date.now(), sent: 0, rejected: 0, dropped: 0 };
      this.statusTimer = setInterval(() => this.logStatus(), this.opts.statusIntervalMs);
      this.statusTimer.unref?.();
    }
  }

  /** Stop sending; with `drainMs` > 0, first try to send what is queued for up to that long. */
  async stop(drainMs = 0): Promise<void> {
    if (drainMs > 0 && this.running) {
      const deadline = Date.now() + drainMs;
      while (this.queue.length > 0 && Date.now() < deadline) await defaultSleep(50);
    }
    this.running = false;
    this.wake?.();
    if (this.statusTimer) clearInterval(this.statusTimer);
    this.statusTimer = undefined;
    await this.pump;
    this.pump = undefined;
  }

  /** Send everything queued now, in order (no background loop needed); used by tests and drill.ts. */
  async flush(): Promise<void> {
    while (this.queue.length > 0) {
      const ok = await this.sendHead();
      if (!ok) return;
    }
  }

  /** The one-line status: rates since the previous line. */
  statusLine(nowTs = Date.now()): string {
    const s = this.stats();
    const dtS = Math.max(0.001, (nowTs - this.lastStatus.ts) / 1000);
    const line =
      `[devices] ${((s.sent - this.lastStatus.sent) / dtS).toFixed(1)} readings/s sent, ` +
      `${s.rejected - this.lastStatus.rejected} rejected, ${s.dropped - this.lastStatus.dropped} dropped ` +
      `(totals: sent ${s.sent}, accepted ${s.accepted}, dup ${s.duplicates}, rejected ${s.rejected}, dropped ${s.dropped}; pending ${s.pendingReadings})`;
    this.lastStatus = { ts: nowTs, sent: s.sent, rejected: s.rejected, dropped: s.dropped };
    return line;
  }

  private logStatus(): void {
    this.log(this.statusLine());
  }

  /** The device's token; undefined when it has none here (its readings are not sent). */
  private trimQueue(): void {
    while (this.queue.length > this.opts.maxPendingBatches) {
      const dropped = this.queue.shift()!;
      this.totals.dropped += dropped.length;
    }
  }

  private async runPump(): Promise<void> {
    let failures = 0;
    while (this.running) {
      if (this.queue.length === 0) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
        continue;
      }
      const ok = await this.sendHead();
      if (ok) {
        failures = 0;
        continue;
      }
      failures++;
      const backoff = Math.min(this.opts.retryMaxMs, this.opts.retryBaseMs * 2 ** (failures - 1));
      // jitter ±20 % so many gateways do not retry in lockstep
      await this.sleep(backoff * (0.8 + 0.4 * Math.random()));
    }
  }

  /**
   * Send the oldest batch. true = done with it (accepted, or refused for good); false = retry
   * later (it stays at the head of the queue unless newer batches pushed it out).
   */
  private async sendHead(): Promise<boolean> {
    const batch = this.queue.shift();
    if (!batch) return true;
    try {
      const res = await this.fetchImpl(`${this.opts.serverUrl}/api/ingest`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ readings: batch }),
        signal: AbortSignal.timeout(this.opts.requestTimeoutMs),
      });
      if (res.ok) {
        const result = (await res.json().catch(() => undefined)) as Partial<IngestResult> | undefined;
        this.totals.sent += batch.length;
        this.totals.accepted += result?.accepted ?? 0;
        this.totals.duplicates += result?.duplicates ?? 0;
        this.totals.outOfOrder += result?.outOfOrder ?? 0;
        const rejected = result?.rejected ?? [];
        this.totals.rejected += rejected.length;
        if (rejected.length > 0) {
          this.logOnce(`[devices] server rejected ${rejected.length} readings, e.g. ${rejected[0].code}: ${rejected[0].message}`);
          for (const x of rejected) {
            const reading = batch[x.index];
            if (reading) this.onRejected?.(reading.deviceId, x.code);
          }
        }
        return true;
      }
      if (!isRetryableStatus(res.status)) {
        this.totals.rejected += batch.length;
        const body = await res.text().catch(() => '');
        this.logOnce(`[devices] batch refused: HTTP ${res.status} ${body.slice(0, 200)}`);
        return true;
      }
      this.requeue(batch, `HTTP ${res.status}`);
      return false;
    } catch (err) {
      this.requeue(batch, err instanceof Error ? err.message : String(err));
      return false;
    }
  }

  private requeue(batch: SignedReading[], reason: string): void {
    this.totals.failedAttempts++;
    this.logOnce(`[devices] send failed (${reason}); retrying with backoff`);
    this.queue.unshift(batch);
    this.trimQueue();
  }

  /** Avoid flooding the log with the same error every retry. */
  private logOnce(line: string): void {
    if (line === this.lastErrorLogged) return;
    this.lastErrorLogged = line;
    this.log(line);
  }
}
