/**
 * Shared by the data-scope tests (issue 12): a server on a real Redis when one can be started
 * (else memory, as every e2e test here), REST and socket calls as a named user, and collectors
 * that show absence by order — pushes to one socket arrive in the order they were sent, so once a
 * later marker arrived, an earlier change that was never pushed will not be.
 */
import type { Socket } from 'socket.io-client';
import type { IocServer } from '../app';
import type { Incident } from '../../scenes/domain';
import type { CommandResult, IocError } from '../../scenes/protocol';
import { RedisStore } from '../store/redis-store';
import { startRedisServer, type TestRedisServer } from '../../tests/helpers/redis-server';
import { emitAck, liveSocket, login, startTestServer } from './helpers';

export interface ScopeHarness {
  server: IocServer;
  redis: TestRedisServer | null;
  close(): Promise<void>;
  token(username: string): Promise<string>;
  socket(username: string): Promise<Socket>;
  get(path: string, username: string): Promise<{ status: number; body: any }>;
  patch(path: string, username: string, body: unknown): Promise<{ status: number; body: any }>;
  /** a command over REST; errors come back as `{ ok: false, error }` like the socket's */
  command(username: string, body: Record<string, unknown>): Promise<CommandResult>;
  /** a command that must succeed; its incident */
  must(username: string, body: Record<string, unknown>): Promise<Incident>;
}

export async function startScopeHarness(tag: string): Promise<ScopeHarness> {
  const redis = await startRedisServer();
  // commands as fast as the setup sends them: the per-user budget is a requirement of its own
  const server = await startTestServer(
    { commandRatePerS: 10_000, commandBurst: 10_000 },
    redis ? { store: new RedisStore(redis.url, { prefix: `${tag}${process.pid}` }) } : {},
  );
  const tokens = new Map<string, string>();
  const sockets: Socket[] = [];
  let seq = 0;
  const token = async (username: string) => {
    if (!tokens.has(username)) tokens.set(username, await login(server, username));
    return tokens.get(username)!;
  };
  const call = async (method: string, path: string, username: string, body?: unknown) => {
    const r = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${await token(username)}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await r.text();
    return { status: r.status, body: text ? (JSON.parse(text) as unknown) : null } as { status: number; body: any };
  };
  const command = async (username: string, body: Record<string, unknown>): Promise<CommandResult> => {
    const r = await call('POST', '/api/commands', username, { commandId: `${tag}-${process.pid}-${++seq}`, ...body });
    return r.status === 200 ? (r.body as CommandResult) : { ok: false, error: (r.body as { error: IocError }).error };
  };
  return {
    server,
    redis,
    token,
    async socket(username) {
      const s = await liveSocket(server, await token(username));
      sockets.push(s);
      return s;
    },
    get: (path, username) => call('GET', path, username),
    patch: (path, username, body) => call('PATCH', path, username, body),
    command,
    async must(username, body) {
      const r = await command(username, body);
      if (!r.ok || !r.incident) throw new Error(`setup ${String(body.type)} as ${username} failed: ${JSON.stringify(r)}`);
      return r.incident;
    },
    async close() {
      for (const s of sockets) s.close();
      await server.close();
      await redis?.stop();
    },
  };
}

/** Every message of `event` a socket receives, in order, with a wait for the first that matches. */
export function collect<T>(socket: Socket, event: string) {
  const seen: T[] = [];
  const waiters: { pred: (x: T) => boolean; resolve: (x: T) => void }[] = [];
  socket.on(event, (x: T) => {
    seen.push(x);
    for (const w of waiters.splice(0)) {
      if (w.pred(x)) w.resolve(x);
      else waiters.push(w);
    }
  });
  return {
    seen,
    waitFor(pred: (x: T) => boolean, timeoutMs = 10_000): Promise<T> {
      const hit = seen.find(pred);
      if (hit) return Promise.resolve(hit);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`timed out waiting for a matching ${event}`)), timeoutMs);
        waiters.push({
          pred,
          resolve: (x) => {
            clearTimeout(t);
            resolve(x);
          },
        });
      });
    },
  };
}

/** A socket call's answer; an ack of `{ ok: false }` is returned, not thrown. */
export function ask<T = any>(socket: Socket, event: string, payload: unknown = {}): Promise<T> {
  return emitAck<T>(socket, event, payload, 10_000);
}

/** Where the two districts of the tests are (scenes/geo/districts.ts puts these points in them). */
export const SHINAN = { district: '370202', location: [120.38, 36.07] } as const; // 市南区
export const LAOSHAN = { district: '370212', location: [120.47, 36.1] } as const; // 崂山区

/** An `incident.create` body for a manual incident in `at` on `scene`. */
export function incidentAt(at: typeof SHINAN | typeof LAOSHAN, title: string, scene = 'emergency'): Record<string, unknown> {
  return { type: 'incident.create', title, category: 'gas-leak', scene, location: [...at.location], district: at.district, priority: 'P2' };
}
