import { describe, expect, it } from 'vitest';
import { deviceToken, DEV_DEVICE_SECRET } from '../server/device-token';
import type { IngestResult, SignedReading } from '../scenes/protocol';
import { GatewayClient } from './gateway-client';
import type { SignedReadingWithoutToken } from './simulator';

function readings(n: number, from = 0): SignedReadingWithoutToken[] {
  return Array.from({ length: n }, (_, i) => ({ deviceId: `dev-${(from + i) % 7}`, ts: 1_000 + from + i, seq: (from + i) * 10, metrics: { v: i } }));
}

/** A fake /api/ingest: answers with the scripted statuses in order, then 200. */
function fakeServer(statuses: (number | 'network')[] = []) {
  const bodies: { readings: SignedReading[] }[] = [];
  const urls: string[] = [];
  const fetchImpl = (async (url: string | URL | Request, init?: RequestInit) => {
    urls.push(String(url));
    const next = statuses.shift();
    if (next === 'network') throw new TypeError('fetch failed');
    const body = JSON.parse(String(init?.body)) as { readings: SignedReading[] };
    if (next !== undefined && next !== 200) return new Response('{"error":{"code":"E_INTERNAL"}}', { status: next });
    bodies.push(body);
    const result: IngestResult = { accepted: body.readings.length, duplicates: 0, outOfOrder: 0, rejected: [] };
    return new Response(JSON.stringify(result), { status: 200, headers: { 'content-type': 'application/json' } });
  }) as typeof fetch;
  return { fetchImpl, bodies, urls };
}

const noSleep = async () => {};

describe('GatewayClient', () => {
  it('POSTs batches of at most 1000 readings to /api/ingest, each with its device token', async () => {
    const server = fakeServer();
    const client = new GatewayClient({
      serverUrl: 'http://127.0.0.1:9/',
      deviceSecret: DEV_DEVICE_SECRET,
      fetchImpl: server.fetchImpl,
      log: () => {},
      statusIntervalMs: 0,
    });
    client.enqueue(readings(2500));
    await client.flush();
    expect(server.urls[0]).toBe('http://127.0.0.1:9/api/ingest');
    expect(server.bodies.map((b) => b.readings.length)).toEqual([1000, 1000, 500]);
    for (const r of server.bodies[0].readings.slice(0, 10)) expect(r.token).toBe(deviceToken(DEV_DEVICE_SECRET, r.deviceId));
    expect(client.stats()).toMatchObject({ sent: 2500, accepted: 2500, rejected: 0, dropped: 0, pendingBatches: 0 });
  });

  it('keeps readings in order across batches', async () => {
    const server = fakeServer();
    const client = new GatewayClient({
      serverUrl: 'http://x',
      deviceSecret: DEV_DEVICE_SECRET,
      fetchImpl: server.fetchImpl,
      log: () => {},
      statusIntervalMs: 0,
      maxBatchReadings: 10,
    });
    client.enqueue(readings(25));
    client.enqueue(readings(25, 25));
    await client.flush();
    const seqs = server.bodies.flatMap((b) => b.readings.map((r) => r.seq));
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(seqs).toHaveLength(50);
  });

  it('retries network errors and 5xx with backoff, then delivers', async () => {
    const server = fakeServer(['network', 503, 500]);
    const sleeps: number[] = [];
    const client = new GatewayClient({
      serverUrl: 'http://x',
      deviceSecret: DEV_DEVICE_SECRET,
      fetchImpl: server.fetchImpl,
      log: () => {},
      statusIntervalMs: 0,
      retryBaseMs: 100,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    });
    client.start();
    client.enqueue(readings(5));
    await vi_waitFor(() => client.stats().sent === 5);
    await client.stop();
    expect(client.stats().failedAttempts).toBe(3);
    expect(sleeps).toHaveLength(3);
    // exponential: ~100, ~200, ~400 ms (±20 % jitter)
    expect(sleeps[1]).toBeGreaterThan(sleeps[0]);
    expect(sleeps[2]).toBeGreaterThan(sleeps[1]);
  });

  it('never holds more than maxPendingBatches: drops the oldest and counts them', async () => {
    const server = fakeServer(Array(100).fill('network'));
    const client = new GatewayClient({
      serverUrl: 'http://x',
      deviceSecret: DEV_DEVICE_SECRET,
      fetchImpl: server.fetchImpl,
      log: () => {},
      statusIntervalMs: 0,
      maxBatchReadings: 10,
      maxPendingBatches: 3,
      sleep: noSleep,
    });
    client.enqueue(readings(100));
    expect(client.stats()).toMatchObject({ pendingBatches: 3, pendingReadings: 30, dropped: 70 });
    await client.flush(); // fails once, keeps the batch at the head
    expect(client.stats()).toMatchObject({ pendingBatches: 3, dropped: 70, failedAttempts: 1 });
  });

  it('does not retry a batch the server refused with 4xx, and counts it as rejected', async () => {
    const server = fakeServer([400]);
    const lines: string[] = [];
    const client = new GatewayClient({
      serverUrl: 'http://x',
      deviceSecret: DEV_DEVICE_SECRET,
      fetchImpl: server.fetchImpl,
      log: (l) => lines.push(l),
      statusIntervalMs: 0,
    });
    client.enqueue(readings(4));
    await client.flush();
    expect(client.stats()).toMatchObject({ sent: 0, rejected: 4, pendingBatches: 0 });
    expect(lines.join('\n')).toMatch(/HTTP 400/);
  });

  it('reports a one-line status with readings/s sent, rejected and dropped', async () => {
    const server = fakeServer();
    const client = new GatewayClient({
      serverUrl: 'http://x',
      deviceSecret: DEV_DEVICE_SECRET,
      fetchImpl: server.fetchImpl,
      log: () => {},
      statusIntervalMs: 0,
    });
    client.enqueue(readings(50));
    await client.flush();
    const line = client.statusLine(Date.now() + 10_000);
    expect(line).not.toContain('\n');
    expect(line).toMatch(/readings\/s sent, 0 rejected, 0 dropped/);
  });

  it("signs each reading with its device's own token and sends nothing for a device it holds no token for", async () => {
    const server = fakeServer();
    const client = new GatewayClient({ serverUrl: 'http://x', fetchImpl: server.fetchImpl, log: () => {}, statusIntervalMs: 0 });
    client.setTokens(new Map([['dev-1', 'token-of-dev-1-0123456789']]));
    client.enqueue(readings(14));
    await client.flush();
    const sent = server.bodies.flatMap((b) => b.readings);
    expect(sent.map((r) => r.deviceId)).toEqual(['dev-1', 'dev-1']);
    for (const r of sent) expect(r.token).toBe('token-of-dev-1-0123456789');
    expect(client.stats()).toMatchObject({ sent: 2, withoutToken: 12 });
    client.forgetToken('dev-1');
    client.enqueue(readings(7));
    expect(client.stats().pendingReadings).toBe(0);
  });

  it('tells which device each refused reading belongs to', async () => {
    const fetchImpl = (async (_url: string | URL | Request, init?: RequestInit) => {
      const body = JSON.parse(String(init?.body)) as { readings: SignedReading[] };
      const rejected = body.readings.flatMap((r, index) => (r.deviceId === 'dev-3' ? [{ index, code: 'E_UNAUTHORIZED', message: 'bad token' }] : []));
      const result = { accepted: body.readings.length - rejected.length, duplicates: 0, outOfOrder: 0, rejected };
      return new Response(JSON.stringify(result), { status: 200 });
    }) as typeof fetch;
    const refused: [string, string][] = [];
    const client = new GatewayClient({
      serverUrl: 'http://x',
      deviceSecret: DEV_DEVICE_SECRET,
      fetchImpl,
      log: () => {},
      statusIntervalMs: 0,
      onRejected: (deviceId, code) => refused.push([deviceId, code]),
    });
    client.enqueue(readings(14));
    await client.flush();
    expect(refused).toEqual([
      ['dev-3', 'E_UNAUTHORIZED'],
      ['dev-3', 'E_UNAUTHORIZED'],
    ]);
  });
});

async function vi_waitFor(cond: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for condition');
    await new Promise((r) => setTimeout(r, 5));
  }
}
