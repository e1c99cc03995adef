/**
 * What the simulator's main loop sends readings through: the HTTP gateway client
 * (gateway-client.ts, batches to POST /api/ingest) or the MQTT gateway (mqtt-gateway.ts, one
 * broker connection per device). Both sign with the device's own token, bound their memory, and
 * count the same totals (for MQTT, "accepted" = PUBACKed).
 */
import { deviceToken } from '../server/device-token';
import type { GatewayStats } from './gateway-client';
import type { SignedReadingWithoutToken } from './simulator';

export type ReadingProtocol = 'http' | 'mqtt';

export interface ReadingTransport {
  /** The devices' own tokens from now on (the registry's answer). */
  setTokens(tokens: ReadonlyMap<string, string>): void;
  /** The server refused this device's token: nothing is sent for it until `setTokens` names it again. */
  forgetToken(deviceId: string): void;
  /** Queue readings (bounded; the oldest are dropped and counted beyond the bound). */
  enqueue(readings: readonly SignedReadingWithoutToken[]): void;
  start(): void;
  /** Stop; with `drainMs` > 0, first try to send what is queued for up to that long. */
  stop(drainMs?: number): Promise<void>;
  stats(): GatewayStats;
  /** One status line: rates since the previous line and totals. */
  statusLine(nowTs?: number): string;
}

/** Totals every transport counts, all zero. */
export function emptyTransportTotals(): Omit<GatewayStats, 'pendingBatches' | 'pendingReadings'> {
  return { sent: 0, accepted: 0, duplicates: 0, outOfOrder: 0, rejected: 0, dropped: 0, withoutToken: 0, failedAttempts: 0 };
}

/**
 * The devices' tokens as a transport holds them: the registry's answer (`replace`), and for a
 * device it does not name, the token derived from the demo fleet secret when one is given (tests).
 */
export class DeviceTokenBook {
  private readonly tokens = new Map<string, string>();

  constructor(private readonly deviceSecret?: string) {}

  replace(tokens: ReadonlyMap<string, string>): void {
    this.tokens.clear();
    for (const [id, token] of tokens) this.tokens.set(id, token);
  }

  forget(deviceId: string): void {
    this.tokens.delete(deviceId);
  }

  has(deviceId: string): boolean {
    return this.tokens.has(deviceId);
  }

  /** The named devices and their tokens (derived ones included once used). */
  entries(): IterableIterator<[string, string]> {
    return this.tokens.entries();
  }

  tokenOf(deviceId: string): string | undefined {
    let t = this.tokens.get(deviceId);
    if (!t && this.deviceSecret !== undefined) {
      t = deviceToken(this.deviceSecret, deviceId);
      this.tokens.set(deviceId, t);
    }
    return t;
  }
}
