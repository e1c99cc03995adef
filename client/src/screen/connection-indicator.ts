/**
 * What the header indicator and the disconnect banner show for a connection status.
 */
import type { ConnectionStatus } from '../connection';
import { CLIENT_CONFIG } from '../client-config';

export type IndicatorTone = 'ok' | 'warn' | 'down';

export interface ConnectionIndicator {
  tone: IndicatorTone;
  label: 'conn.connected' | 'conn.pending' | 'conn.reconnecting' | 'conn.disconnected' | 'conn.shutdown';
  /** ms since the connection was lost (0 when connected) */
  downForMs: number;
  /** the full-width "connection lost" banner is shown */
  banner: boolean;
}

/** green connected / amber connecting or just lost / red lost for a while (with how long). */
export function connectionIndicator(
  status: Pick<ConnectionStatus, 'state' | 'disconnectedSinceTs'>,
  nowTs: number,
  config: { reconnectingGraceMs: number; disconnectBannerDelayMs: number } = CLIENT_CONFIG,
): ConnectionIndicator {
  const downForMs = status.disconnectedSinceTs === null ? 0 : Math.max(0, nowTs - status.disconnectedSinceTs);
  switch (status.state) {
    case 'connected':
      return { tone: 'ok', label: 'conn.connected', downForMs: 0, banner: false };
    case 'pending':
      return { tone: 'warn', label: 'conn.pending', downForMs, banner: downForMs >= config.disconnectBannerDelayMs };
    case 'disconnected':
      return {
        tone: downForMs < config.reconnectingGraceMs ? 'warn' : 'down',
        label: downForMs < config.reconnectingGraceMs ? 'conn.reconnecting' : 'conn.disconnected',
        downForMs,
        banner: downForMs >= config.disconnectBannerDelayMs,
      };
    case 'shutdown':
      return { tone: 'down', label: 'conn.shutdown', downForMs, banner: false };
    default: {
      const unknownState: never = status.state;
      throw new Error(`unknown connection state ${String(unknownState)}`);
    }
  }
}
