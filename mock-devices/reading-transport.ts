/**
 * What the simulator's main loop sends readings through: the HTTP gateway client
 * (gateway-client.ts, batches to POST /api/ingest) or the MQTT gateway (mqtt-gateway.ts, one
 * broker connection per device). Both sign with the device's own token, bound their memory, and
 * count the same totals (for MQTT, "accepted" = PUBACKed).
 */
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
