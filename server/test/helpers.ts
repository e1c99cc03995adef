/** Shared helpers for server integration tests: start a real server, log in, open live sockets. */
import { io, type Socket } from 'socket.io-client';
import { loadConfig, type ServerConfig } from '../config';
import { startIocServer, type IocServer, type StartOptions } from '../app';
import { createLogger } from '../logger';
import { MemoryStore } from '../store/memory-store';
import { deviceToken, DEV_DEVICE_SECRET } from '../device-token';
import { PROTOCOL_VERSION, type SceneDeltaMessage, type SignedReading } from '../../scenes/protocol';
import type { Reading } from '../../scenes/domain';

export const DEMO_PASSWORD = 'ioc-demo-2026';

export function testConfig(overrides: Partial<ServerConfig> = {}): ServerConfig {
  return loadConfig(
    { NODE_ENV: 'test', IOC_DEMO_DEVICES: '300', IOC_LOG_LEVEL: 'silent' },
    { port: 0, host: '127.0.0.1', coalesceIntervalMs: 100, ...overrides },
  );
}

export async function startTestServer(overrides: Partial<ServerConfig> = {}, options: StartOptions = {}): Promise<IocServer> {
  const config = testConfig(overrides);
  // the store tags what it appends with the node's id (startIocServer refuses a mismatch)
  const store = options.store ?? new MemoryStore(options.nodeId === undefined ? {} : { nodeId: options.nodeId });
  return startIocServer(config, { logger: createLogger('silent'), ...options, store });
}

export async function login(server: IocServer, username: string, password = DEMO_PASSWORD): Promise<string> {
  const r = await fetch(`${server.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (!r.ok) throw new Error(`login ${username} failed: ${r.status} ${await r.text()}`);
  return ((await r.json()) as { token: string }).token;
}

export async function liveSocket(server: IocServer, token: string): Promise<Socket> {
  const s = io(`${server.url}/live`, { auth: { token, protocol: PROTOCOL_VERSION }, transports: ['websocket'], reconnection: false, forceNew: true });
  await new Promise<void>((resolve, reject) => {
    s.once('connect', () => resolve());
    s.once('connect_error', (e) => reject(e));
  });
  return s;
}

export function sign(readings: Reading[], secret = DEV_DEVICE_SECRET): SignedReading[] {
  return readings.map((r) => ({ ...r, token: deviceToken(secret, r.deviceId) }));
}

export async function ingest(server: IocServer, readings: unknown[]): Promise<{ status: number; body: any }> {
  const r = await fetch(`${server.url}/api/ingest`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ readings }),
  });
  return { status: r.status, body: await r.json() };
}

export function emitAck<T>(socket: Socket, event: string, payload: unknown, timeoutMs = 5000): Promise<T> {
  return socket.timeout(timeoutMs).emitWithAck(event, payload) as Promise<T>;
}

/** Collects scene deltas; `waitFor` resolves with the first delta matching the predicate. */
export class DeltaCollector {
  readonly deltas: (SceneDeltaMessage & { receivedTs: number })[] = [];
  private waiters: { pred: (d: SceneDeltaMessage) => boolean; resolve: (d: SceneDeltaMessage) => void }[] = [];
  constructor(socket: Socket) {
    socket.on('scene:delta', (d: SceneDeltaMessage) => {
      this.deltas.push({ ...d, receivedTs: Date.now() });
      this.waiters = this.waiters.filter((w) => {
        if (!w.pred(d)) return true;
        w.resolve(d);
        return false;
      });
    });
  }
  waitFor(pred: (d: SceneDeltaMessage) => boolean, timeoutMs = 5000): Promise<SceneDeltaMessage> {
    const hit = this.deltas.find(pred);
    if (hit) return Promise.resolve(hit);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('timed out waiting for a matching scene delta')), timeoutMs);
      this.waiters.push({
        pred,
        resolve: (d) => {
          clearTimeout(t);
          resolve(d);
        },
      });
    });
  }
}
