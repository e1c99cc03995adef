/**
 * Entry-point limits (issue 10 #8): message sizes per namespace, per-connection and per-user
 * budgets, replay pages, unauthenticated connections and failed authentications per source,
 * and dropping a client that stopped reading. Every limit comes from server/config.ts; this file
 * sets small ones. Tests that count per source pretend distinct sources with X-Forwarded-For
 * (trusted from loopback only, like Express's `trust proxy: loopback`).
 */
import { io, type Socket } from 'socket.io-client';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Socket as ServerSocket } from 'socket.io';
import type { IocServer } from '../app';
import { PROTOCOL_VERSION, type LogEvent } from '../../scenes/protocol';
import { DEVICE_CATALOGUE } from '../../scenes/catalogue';
import type { Device } from '../../scenes/domain';
import { deviceToken, DEV_DEVICE_SECRET } from '../device-token';
import { emitAck, login, startTestServer } from './helpers';

/** a budget that does not come back within a test (one token per 1,000 s) */
const NO_REFILL_PER_S = 0.001;
const LIMITS = {
  liveMaxMessageBytes: 16 * 1024,
  commandRatePerS: NO_REFILL_PER_S,
  commandBurst: 3,
  liveJoinRatePerS: NO_REFILL_PER_S,
  liveJoinBurst: 2,
  liveEventRatePerS: NO_REFILL_PER_S,
  liveEventBurst: 40,
  liveReplayBurst: 40,
  replayPageMaxEvents: 50,
  replayPageMaxBytes: 8 * 1024,
  authFailureBurst: 3,
  authFailureRefillPerS: NO_REFILL_PER_S,
  unauthConnectionsPerSource: 2,
  liveMaxBufferedBytes: 256 * 1024,
  liveMaxQueuedPackets: 64,
  liveBufferCheckIntervalMs: 50,
};
const WAIT_MS = 10_000;

let server: IocServer;
const tokens: Record<string, string> = {};
const sockets: Socket[] = [];

beforeAll(async () => {
  server = await startTestServer(LIMITS);
  for (const u of ['officer1', 'screen1', 'leader1', 'admin']) tokens[u] = await login(server, u);
});

afterAll(async () => {
  for (const s of sockets) s.close();
  await server?.close();
});

/** A /live or /device client that pretends to come from `source`. */
function connect(nsp: '/live' | '/device', auth: Record<string, unknown>, source: string): Socket {
  const s = io(`${server.url}${nsp}`, {
    auth,
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    extraHeaders: { 'x-forwarded-for': source },
  });
  sockets.push(s);
  return s;
}

function connected(s: Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    s.once('connect', () => resolve());
    s.once('connect_error', (e) => reject(e));
  });
}

function refused(s: Socket): Promise<{ code?: string; message?: string }> {
  return new Promise((resolve, reject) => {
    s.once('connect', () => reject(new Error('connection was accepted')));
    s.once('connect_error', (e) => resolve((e as { data?: { code?: string } }).data ?? {}));
  });
}

async function until(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const liveAuth = (user: string) => ({ token: tokens[user], protocol: PROTOCOL_VERSION });
const metricsOf = (d: Device) => ({ [DEVICE_CATALOGUE[d.kind].metrics[0]!.name]: 1 });

describe('message size per namespace', () => {
  it('closes a /live client whose message exceeds liveMaxMessageBytes, before its payload is parsed', async () => {
    const s = connect('/live', liveAuth('officer1'), '198.51.100.1');
    await connected(s);
    const told = new Promise<{ code: string }>((resolve) => s.once('server:error' as never, resolve as never));
    const gone = new Promise<string>((resolve) => s.once('disconnect', resolve));
    let answered = false;
    s.emit('command', { type: 'incident.note', note: 'x'.repeat(LIMITS.liveMaxMessageBytes) }, () => (answered = true));
    expect(await told).toMatchObject({ code: 'E_PAYLOAD_TOO_LARGE' });
    expect(await gone).toBe('transport close');
    expect(answered).toBe(false);
  });

  it('still takes a 1 MB batch on /device', async () => {
    const devices = [...server.fusion.devices.values()];
    const gateway = devices[0]!;
    const s = connect('/device', { deviceId: gateway.id, token: deviceToken(DEV_DEVICE_SECRET, gateway.id) }, '198.51.100.2');
    await connected(s);
    const now = Date.now();
    const readings = Array.from({ length: 4000 }, (_, i) => {
      const d = devices[i % devices.length]!;
      return { deviceId: d.id, ts: now - 4000 + i, seq: 1_000 + i, metrics: metricsOf(d), token: deviceToken(DEV_DEVICE_SECRET, d.id) };
    });
    const bytes = Buffer.byteLength(JSON.stringify({ readings }));
    expect(bytes).toBeGreaterThan(512 * 1024);
    const answer = await emitAck<{ ok: boolean; accepted: number }>(s, 'readings', { readings }, WAIT_MS);
    expect(answer.ok).toBe(true);
    expect(answer.accepted).toBeGreaterThan(0);
  });
});

describe('budgets per connection and per user', () => {
  it('limits commands per user across REST and the socket with E_RATE_LIMIT', async () => {
    const note = (i: number) => ({ commandId: `limits-note-${process.pid}-${i}`, type: 'incident.note', incidentId: 'INC-none', note: 'n' });
    const rest = async (i: number) => {
      const r = await fetch(`${server.url}/api/commands`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens.leader1}` },
        body: JSON.stringify(note(i)),
      });
      return { status: r.status, body: (await r.json()) as { error?: { code: string; details?: { retryAfterMs?: number } } } };
    };
    const within = await Promise.all([1, 2, 3].map(rest));
    for (const r of within) expect(r.body.error?.code).not.toBe('E_RATE_LIMIT');
    const over = await rest(4);
    expect(over.status).toBe(429);
    expect(over.body.error?.code).toBe('E_RATE_LIMIT');
    expect(over.body.error?.details?.retryAfterMs).toBeGreaterThan(0);

    const s = connect('/live', liveAuth('leader1'), '198.51.100.3');
    await connected(s);
    const viaSocket = await emitAck<{ ok: boolean; error?: { code: string } }>(s, 'command', note(5));
    expect(viaSocket).toMatchObject({ ok: false, error: { code: 'E_RATE_LIMIT' } });
  });

  it('limits scene joins per connection, and every event through the connection budget', async () => {
    const s = connect('/live', liveAuth('screen1'), '198.51.100.4');
    await connected(s);
    const joins = [];
    for (let i = 0; i < LIMITS.liveJoinBurst + 1; i++)
      joins.push(await emitAck<{ ok: boolean; error?: { code: string } }>(s, 'scene:join', { scene: 'overview' }));
    expect(joins.slice(0, LIMITS.liveJoinBurst).every((j) => j.ok)).toBe(true);
    expect(joins[LIMITS.liveJoinBurst]).toMatchObject({ ok: false, error: { code: 'E_RATE_LIMIT' } });

    const answers = [];
    for (let i = 0; i < LIMITS.liveEventBurst; i++) answers.push(await emitAck<{ ok: boolean; error?: { code: string } }>(s, 'incidents:list', {}));
    const limited = answers.filter((a) => !a.ok && a.error?.code === 'E_RATE_LIMIT');
    expect(limited.length).toBeGreaterThan(0);
    expect(s.connected).toBe(true);
  });
});

describe('replay pages', () => {
  const T0 = 1_000_000;
  const EVENTS = 60;

  beforeAll(async () => {
    for (let i = 0; i < EVENTS; i++) {
      const incident = { id: `INC-replay-${i}`, title: 'x'.repeat(600), version: 1 } as unknown as LogEvent['incident'];
      // several events share a ms: the cursor must not lose or repeat them
      await server.store.appendEvent({ ts: T0 + Math.floor(i / 3), type: 'incident.created', scene: i % 2 ? 'water' : 'bridge', incident });
    }
  });

  it('answers a long range in pages bounded in bytes, chained by a cursor, losing and repeating nothing', async () => {
    const s = connect('/live', liveAuth('screen1'), '198.51.100.5');
    await connected(s);
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await emitAck<{ ok: boolean; events: LogEvent[]; next?: string }>(s, 'replay:range', {
        scene: 'overview',
        fromTs: T0,
        toTs: T0 + EVENTS,
        ...(cursor ? { cursor } : {}),
      });
      expect(page.ok).toBe(true);
      if (page.events.length > 1) expect(Buffer.byteLength(JSON.stringify(page.events))).toBeLessThanOrEqual(LIMITS.replayPageMaxBytes + 2);
      seen.push(...page.events.map((e) => e.incident!.id));
      cursor = page.next;
      pages++;
    } while (cursor && pages < EVENTS);
    expect(pages).toBeGreaterThan(1);
    expect(seen).toEqual(Array.from({ length: EVENTS }, (_, i) => `INC-replay-${i}`));
  });

  it('filters a scene across pages and pages REST /api/events the same way', async () => {
    const s = connect('/live', liveAuth('screen1'), '198.51.100.6');
    await connected(s);
    const water: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await emitAck<{ ok: boolean; events: LogEvent[]; next?: string }>(s, 'replay:range', {
        scene: 'water',
        fromTs: T0,
        toTs: T0 + EVENTS,
        ...(cursor ? { cursor } : {}),
      });
      water.push(...page.events.map((e) => e.incident!.id));
      cursor = page.next;
    } while (cursor);
    expect(water).toEqual(Array.from({ length: EVENTS / 2 }, (_, i) => `INC-replay-${2 * i + 1}`));

    const rest: string[] = [];
    let next: string | undefined;
    do {
      const r = await fetch(`${server.url}/api/events?from=${T0}&to=${T0 + EVENTS}${next ? `&cursor=${next}` : ''}`, {
        headers: { authorization: `Bearer ${tokens.screen1}` },
      });
      const body = (await r.json()) as { events: LogEvent[]; next?: string };
      rest.push(...body.events.map((e) => e.incident!.id));
      next = body.next;
    } while (next);
    expect(rest).toHaveLength(EVENTS);
  });

  it('refuses a cursor outside the range with E_VALIDATION', async () => {
    const s = connect('/live', liveAuth('screen1'), '198.51.100.7');
    await connected(s);
    const r = await emitAck(s, 'replay:range', { scene: 'overview', fromTs: T0, toTs: T0 + 10, cursor: `${T0 + 99}.0` });
    expect(r).toMatchObject({ ok: false, error: { code: 'E_VALIDATION' } });
  });
});

describe('unauthenticated sources', () => {
  it('caps transport connections per source that have not authenticated', async () => {
    const source = '198.51.100.8';
    const open = () =>
      new Promise<WebSocket | { status: number; body: string }>((resolve) => {
        const ws = new WebSocket(`${server.url.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`, {
          headers: { 'x-forwarded-for': source },
        });
        ws.once('open', () => resolve(ws));
        ws.once('unexpected-response', (_req, res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
      });
    // authenticated connections from the same source do not count
    for (let i = 0; i < LIMITS.unauthConnectionsPerSource + 1; i++) await connected(connect('/live', liveAuth('officer1'), source));
    const first = await open();
    const second = await open();
    expect(first).toBeInstanceOf(WebSocket);
    expect(second).toBeInstanceOf(WebSocket);
    // engine.io answers a refused WebSocket upgrade 400 with the reason, a refused polling handshake 403
    expect(await open()).toMatchObject({ status: 400, body: expect.stringContaining('E_RATE_LIMIT') });
    const polling = await fetch(`${server.url}/socket.io/?EIO=4&transport=polling`, { headers: { 'x-forwarded-for': source } });
    expect(polling.status).toBe(403);
    expect(await polling.text()).toContain('E_RATE_LIMIT');
    // an authenticated client from elsewhere is not affected
    const s = connect('/live', liveAuth('officer1'), '198.51.100.9');
    await connected(s);
    // once one closes, the source may open another
    (first as WebSocket).close();
    let again = await open();
    const deadline = Date.now() + WAIT_MS;
    while (!(again instanceof WebSocket) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
      again = await open();
    }
    expect(again).toBeInstanceOf(WebSocket);
    (second as WebSocket).close();
    (again as WebSocket).close();
  });

  it('throttles failing /device handshakes per source, then refuses that source with E_RATE_LIMIT', async () => {
    const source = '198.51.100.10';
    const device = [...server.fusion.devices.values()][1]!;
    for (let i = 0; i < LIMITS.authFailureBurst; i++) {
      expect(await refused(connect('/device', { deviceId: device.id, token: 'wrong-token-0123456789' }, source))).toMatchObject({
        code: 'E_UNAUTHORIZED',
      });
    }
    expect(await refused(connect('/device', { deviceId: device.id, token: 'wrong-token-0123456789' }, source))).toMatchObject({
      code: 'E_RATE_LIMIT',
    });
    // another source with the right token still connects
    await connected(connect('/device', { deviceId: device.id, token: deviceToken(DEV_DEVICE_SECRET, device.id) }, '198.51.100.11'));
  });

  it('refuses ingest from a source that sent only unauthenticated batches, before reading the body', async () => {
    const device = [...server.fusion.devices.values()][2]!;
    const post = (source: string, token: string) =>
      fetch(`${server.url}/api/ingest`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': source },
        body: JSON.stringify({ readings: [{ deviceId: device.id, ts: Date.now(), seq: 1, metrics: metricsOf(device), token }] }),
      });
    for (let i = 0; i < LIMITS.authFailureBurst; i++) expect((await post('198.51.100.12', 'wrong-token-0123456789')).status).toBe(200);
    const refusedPost = await post('198.51.100.12', deviceToken(DEV_DEVICE_SECRET, device.id));
    expect(refusedPost.status).toBe(429);
    expect(((await refusedPost.json()) as { error: { code: string } }).error.code).toBe('E_RATE_LIMIT');
    const other = await post('198.51.100.13', deviceToken(DEV_DEVICE_SECRET, device.id));
    expect(other.status).toBe(200);
  });
});

describe('clients that stop reading', () => {
  it('drops a /live client whose output buffer passes the bound, and keeps the others', async () => {
    const reader = connect('/live', liveAuth('officer1'), '198.51.100.14');
    const stalled = connect('/live', liveAuth('screen1'), '198.51.100.15');
    await Promise.all([connected(reader), connected(stalled)]);
    // stop reading: pause the client's TCP socket under its WebSocket
    const engine = stalled.io.engine as unknown as { transport: { ws: { _socket: { pause(): void } } } };
    engine.transport.ws._socket.pause();
    const serverSide = [...server.realtime.live.sockets.values()].find((x: ServerSocket) => x.id === stalled.id)!;
    expect(serverSide).toBeDefined();
    const chunk = 'x'.repeat(64 * 1024);
    const maxChunks = 1024; // 64 MB at most, far beyond loopback's kernel buffers
    for (let i = 0; i < maxChunks && serverSide.connected; i++) {
      serverSide.emit('test:fill', chunk);
      if (i % 16 === 15) await new Promise((r) => setImmediate(r));
    }
    await until(() => !serverSide.connected, 'the stalled client to be dropped');
    expect(reader.connected).toBe(true);
    const still = await emitAck<{ ok: boolean }>(reader, 'incidents:list', {});
    expect(still.ok).toBe(true);
  });
});
