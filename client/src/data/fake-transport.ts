/**
 * An in-memory LiveTransport for tests: records requests, lets the test answer them and push
 * server events. Not used by the app.
 */
import type { LiveServerEvents } from '@scenes/protocol';
import type { AckEvent, AckOf, ConnectInfo, ConnectionStatus, LiveTransport } from '../connection';

export interface FakeRequest {
  event: AckEvent;
  payload: unknown;
  resolve: (r: unknown) => void;
}

export interface FakeTransport extends LiveTransport {
  requests: FakeRequest[];
  sent: { event: string; payload: unknown }[];
  emitServer<E extends keyof LiveServerEvents>(event: E, ...args: Parameters<LiveServerEvents[E]>): void;
  connect(reconnect: boolean): void;
  disconnect(): void;
}

export function createFakeTransport(initiallyConnected = true): FakeTransport {
  let status: ConnectionStatus = {
    state: initiallyConnected ? 'connected' : 'pending',
    lastMessageTs: 0,
    disconnectedSinceTs: null,
    errorCode: null,
    serverClockOffsetMs: 0,
    role: 'screen',
    username: 'screen1',
    reconnectCount: 0,
  };
  const handlers = new Map<string, Set<(...a: unknown[]) => void>>();
  const connectListeners = new Set<(i: ConnectInfo) => void>();
  const statusListeners = new Set<(s: ConnectionStatus) => void>();
  const fake: FakeTransport = {
    requests: [],
    sent: [],
    getStatus: () => status,
    onStatus(l) {
      statusListeners.add(l);
      return () => statusListeners.delete(l);
    },
    on(event, handler) {
      const set = handlers.get(event) ?? new Set();
      set.add(handler as (...a: unknown[]) => void);
      handlers.set(event, set);
      return () => set.delete(handler as (...a: unknown[]) => void);
    },
    onConnect(l) {
      connectListeners.add(l);
      return () => connectListeners.delete(l);
    },
    request<E extends AckEvent>(event: E, payload: unknown) {
      return new Promise<AckOf<E>>((resolve) => {
        fake.requests.push({ event, payload, resolve: resolve as (r: unknown) => void });
      });
    },
    send(event, payload) {
      fake.sent.push({ event, payload });
    },
    emitServer(event, ...args) {
      for (const h of handlers.get(event) ?? []) h(...args);
    },
    connect(reconnect) {
      status = { ...status, state: 'connected' };
      for (const l of statusListeners) l(status);
      for (const l of connectListeners) l({ reconnect });
    },
    disconnect() {
      status = { ...status, state: 'disconnected' };
      for (const l of statusListeners) l(status);
    },
  };
  return fake;
}
