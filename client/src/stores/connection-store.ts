/**
 * Connection status for the UI (header indicator, banner) and the server clock offset.
 * The live connection itself stays in connection.ts; this store only mirrors its status.
 */
import { defineStore } from 'pinia';
import { ref } from 'vue';
import { getLiveConnection } from '../connection';
import type { ConnectionStatus, LiveConnection } from '../connection';
import { loadSession } from '../auth/session';

const INITIAL: ConnectionStatus = {
  state: 'pending',
  lastMessageTs: 0,
  disconnectedSinceTs: null,
  errorCode: null,
  serverClockOffsetMs: 0,
  role: null,
  username: null,
  reconnectCount: 0,
};

export const useConnectionStore = defineStore('connection', () => {
  const status = ref<ConnectionStatus>({ ...INITIAL });
  let bound: LiveConnection | null = null;
  let offStatus: (() => void) | null = null;

  /** Open (or reuse) the live connection of the signed-in session; false when not signed in. */
  function ensureConnected(): boolean {
    const session = loadSession();
    if (!session) return false;
    const conn = getLiveConnection(session.token);
    if (conn !== bound) {
      offStatus?.();
      bound = conn;
      status.value = conn.getStatus();
      offStatus = conn.onStatus((s) => {
        status.value = s;
      });
    }
    return true;
  }

  /** epoch ms on the server's clock (SLA countdowns, staleness against server timestamps) */
  function serverNow(clientNowTs: number = Date.now()): number {
    return clientNowTs + status.value.serverClockOffsetMs;
  }

  return { status, ensureConnected, serverNow };
});
