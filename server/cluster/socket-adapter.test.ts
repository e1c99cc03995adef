/**
 * Fan-out between two Socket.IO servers through the Redis Streams adapter on a throwaway
 * `redis-server` (issue 15). Outside CI a missing binary is a loud skip; in CI it fails.
 */
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';
import { io as connectClient, type Socket as ClientSocket } from 'socket.io-client';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { redisClientOptions } from '../store/redis-store';
import { startRedisServer } from '../../tests/helpers/redis-server';
import { createClusterAdapter, type ClusterAdapter } from './socket-adapter';

const redis = await startRedisServer();
afterAll(async () => {
  await redis?.stop();
});

/** How long a broadcast may take to reach a client on the other node on a loaded machine. */
const DELIVERY_TIMEOUT_MS = 5_000;

interface Node {
  io: Server;
  http: HttpServer;
  url: string;
  store: Redis;
  cluster: ClusterAdapter;
}

const nodes: Node[] = [];
const clients: ClientSocket[] = [];

async function startNode(url: string, prefix: string, { reachable = true } = {}): Promise<Node> {
  // the store's client, with the store's deadlines (the adapter must not inherit them)
  const store = new Redis(url, redisClientOptions());
  store.on('error', () => undefined);
  const cluster = createClusterAdapter(store, prefix);
  const http = createServer();
  const io = new Server(http, { adapter: cluster.adapter });
  if (reachable) expect(await cluster.connected(DELIVERY_TIMEOUT_MS)).toBe(true);
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const node = { io, http, url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`, store, cluster };
  nodes.push(node);
  return node;
}

function connect(node: Node): Promise<ClientSocket> {
  const socket = connectClient(node.url, { transports: ['websocket'], forceNew: true });
  clients.push(socket);
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', reject);
  });
}

function nextEvent<T>(socket: ClientSocket, event: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no '${event}' within ${DELIVERY_TIMEOUT_MS} ms`)), DELIVERY_TIMEOUT_MS);
    socket.once(event, (payload: T) => {
      clearTimeout(timer);
      resolve(payload);
    });
  });
}

/** Both nodes read the stream (the reader starts at `$`: entries before it are not replayed). */
async function waitForReaders(a: Node): Promise<void> {
  const end = Date.now() + DELIVERY_TIMEOUT_MS;
  while (
    (await a.io
      .of('/')
      .adapter.serverCount()
      .catch(() => 0)) < nodes.length
  ) {
    if (Date.now() > end) throw new Error('the nodes did not subscribe in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

afterEach(async () => {
  for (const c of clients.splice(0)) c.disconnect();
  for (const n of nodes.splice(0)) {
    await new Promise<void>((resolve) => n.io.close(() => resolve()));
    await n.cluster.close();
    n.store.disconnect();
  }
});

describe.skipIf(redis === null)('cluster fan-out (Redis Streams adapter)', () => {
  it('delivers a broadcast emitted on one node to a client connected to another', async () => {
    const prefix = `t${process.pid}a`;
    const a = await startNode(redis!.url, prefix);
    const b = await startNode(redis!.url, prefix);
    await waitForReaders(a);
    const onB = await connect(b);
    const got = nextEvent<{ n: number }>(onB, 'frame');
    a.io.emit('frame', { n: 1 });
    expect(await got).toEqual({ n: 1 });
  });

  it('keeps its broadcasts under the store prefix', async () => {
    const prefix = `t${process.pid}b`;
    const a = await startNode(redis!.url, prefix);
    await waitForReaders(a);
    a.io.emit('frame', { n: 2 });
    const probe = new Redis(redis!.url);
    try {
      const end = Date.now() + DELIVERY_TIMEOUT_MS;
      while ((await probe.xlen(`${prefix}:sio:stream`)) === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      expect(await probe.xlen(`${prefix}:sio:stream`)).toBe(1);
      expect(a.cluster.streamKey).toBe(`${prefix}:sio:stream`);
    } finally {
      probe.disconnect();
    }
  });

  it('still reaches its own clients, and does not crash the process, while Redis is unreachable', async () => {
    // a port nothing listens on: every adapter command fails
    const http = createServer();
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const deadPort = (http.address() as AddressInfo).port;
    await new Promise<void>((resolve) => http.close(() => resolve()));
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const a = await startNode(`redis://127.0.0.1:${deadPort}`, `t${process.pid}c`, { reachable: false });
      const local = await connect(a);
      const got = nextEvent<{ n: number }>(local, 'frame');
      a.io.emit('frame', { n: 3 });
      expect(await got).toEqual({ n: 3 });
      // ephemeral requests go over PUBLISH, whose promise the adapter drops
      a.io.serverSideEmit('ping');
      await new Promise((r) => setTimeout(r, 200));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
