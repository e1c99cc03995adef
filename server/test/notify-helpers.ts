/** Helpers of the notification tests: a local HTTP receiver on port 0, a test clock, store makers. */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { notifyConfigFromEnv, type NotifyConfig } from '../notify/notify-config';
import { MemoryNotifyStore, type NotifyStore } from '../notify/notify-store';
import { RedisNotifyStore } from '../notify/redis-notify-store';
import type { TestRedisServer } from '../../tests/helpers/redis-server';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface Receiver {
  url: string;
  received: ReceivedRequest[];
  /** the status (and headers) to answer the next request with; default 200 */
  respond: (req: ReceivedRequest) => { status: number; headers?: Record<string, string> };
  /** resolves once `n` requests arrived */
  waitFor(n: number, timeoutMs?: number): Promise<ReceivedRequest[]>;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const received: ReceivedRequest[] = [];
  let waiters: { n: number; resolve: () => void }[] = [];
  const receiver: Receiver = {
    url: '',
    received,
    respond: () => ({ status: 200 }),
    waitFor(n, timeoutMs = 5000) {
      if (received.length >= n) return Promise.resolve(received);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`receiver: ${received.length} of ${n} requests arrived`)), timeoutMs);
        waiters.push({
          n,
          resolve: () => {
            clearTimeout(t);
            resolve(received);
          },
        });
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: ReceivedRequest = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) };
      received.push(r);
      const answer = receiver.respond(r);
      res.writeHead(answer.status, answer.headers ?? {});
      res.end('ok');
      waiters = waiters.filter((w) => {
        if (received.length < w.n) return true;
        w.resolve();
        return false;
      });
    });
  });
  server.keepAliveTimeout = 1;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return receiver;
}

/** A clock the test moves by hand. */
export { TestClock } from './test-clock';

export function testNotifyConfig(overrides: Partial<NotifyConfig> = {}): NotifyConfig {
  return { ...notifyConfigFromEnv({ NODE_ENV: 'test' }, false), retryBaseMs: 1_000, retryMaxMs: 8_000, maxAttempts: 4, ...overrides };
}

export interface NotifyStoreMaker {
  name: string;
  available: boolean;
  /** the same `key` answers a store on the same data (a restart) */
  make(key: string, now: () => number): NotifyStore;
  close(): Promise<void>;
}

/** Memory and (on a throwaway Redis) Redis notify stores; each test names its data by a key. */
export function notifyStoreMakers(redis: TestRedisServer | null): NotifyStoreMaker[] {
  const memory = new Map<string, NotifyStore>();
  const clients: Redis[] = [];
  const run = randomUUID().slice(0, 8);
  return [
    {
      name: 'memory',
      available: true,
      make: (key, now) => {
        let s = memory.get(key);
        if (!s) memory.set(key, (s = new MemoryNotifyStore({}, now)));
        return s;
      },
      close: () => Promise.resolve(),
    },
    {
      name: 'redis',
      available: redis !== null,
      make: (key) => {
        const client = new Redis(redis!.url);
        clients.push(client);
        return new RedisNotifyStore(client, `notify-test-${run}-${key}`);
      },
      close: async () => {
        await Promise.all(clients.map((c) => c.quit().catch(() => undefined)));
      },
    },
  ];
}
