/**
 * Fuzz suite over every entry point (issue 10 #1): REST routes, every `/live` event (with and
 * without an ack), the `/device` `readings` event and both handshakes, fed with fast-check
 * payloads built to break validators — `length`/`valueOf`/`toString`/`toJSON` traps, huge and
 * odd numbers, lone surrogates, deep nesting, prototype keys, wrong types at every field.
 *
 * Deterministic (fixed seed); the server runs in this process, so a crash shows up as an
 * `uncaughtException` / `unhandledRejection`, which this file listens for. After the flood a
 * canary (login, a command, a reading, a scene join) must still be answered correctly.
 */
import fc from 'fast-check';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IocServer } from '../app';
import { httpStatusOf } from '../errors';
import { RedisStore } from '../store/redis-store';
import { startRedisServer, type TestRedisServer } from '../../tests/helpers/redis-server';
import { ERROR_CODES, PROTOCOL_VERSION } from '../../scenes/protocol';
import type { Device } from '../../scenes/domain';
import { deviceToken, DEV_DEVICE_SECRET } from '../device-token';
import { wellFormed } from '../guard';
import { DEVICE_CATALOGUE } from '../../scenes/catalogue';
import { emitAck, ingest, liveSocket, login, startTestServer } from './helpers';

/** change the seed to explore; keep it fixed in the suite */
const SEED = 20261121;
const RUNS = { rest: 1500, live: 2000, device: 500, handshakes: 100 } as const;
const ACK_TIMEOUT_MS = 10_000;
/** Node refuses request lines past 16 KB itself (431, before Express): keep fuzzed URL parts below that */
const URL_PART_MAX_CHARS = 1000;
/** limits so high that fuzz payloads reach the handlers (the limits have their own tests) */
const OPEN_LIMITS = {
  liveEventRatePerS: 1e6,
  liveEventBurst: 1e6,
  liveJoinRatePerS: 1e6,
  liveJoinBurst: 1e6,
  liveQueryRatePerS: 1e6,
  liveQueryBurst: 1e6,
  liveReplayRatePerS: 1e6,
  liveReplayBurst: 1e6,
  deviceEventRatePerS: 1e6,
  deviceEventBurst: 1e6,
  commandRatePerS: 1e6,
  commandBurst: 1e6,
  authFailureBurst: 1e6,
  unauthConnectionsPerSource: 1e6,
};

// --- process-level tripwires --------------------------------------------------------------------

const escaped: unknown[] = [];
const onEscape = (err: unknown) => escaped.push(err);

// --- arbitraries ----------------------------------------------------------------------------------

/** JSON text that parses into own keys `__proto__` etc. (an object literal would set the prototype) */
const fromJson = (text: string): unknown => JSON.parse(text) as unknown;

const traps = fc.constantFrom<unknown>(
  fromJson('{"length":{"valueOf":null,"toString":null}}'),
  fromJson('{"length":{"valueOf":{},"toString":{}}}'),
  fromJson('{"length":1e308}'),
  fromJson('{"length":-1}'),
  fromJson('{"length":"7"}'),
  fromJson('{"valueOf":null,"toString":null}'),
  fromJson('{"toJSON":null}'),
  fromJson('{"toJSON":"x","then":null}'),
  fromJson('{"__proto__":{"isAdmin":true}}'),
  fromJson('{"constructor":{"prototype":{"polluted":true}}}'),
  fromJson('{"prototype":{}}'),
  fromJson('{"hasOwnProperty":1}'),
  fromJson('[{"length":{"valueOf":null}}]'),
  [],
  {},
  null,
  true,
);

const oddNumbers = fc.constantFrom<unknown>(1e308, -1e308, -0, 0, 2 ** 53 + 1, -1, 0.5, 'NaN', 'Infinity', '1e308', '-0', '0x10', ' 12 ', '', 5e-324);

const LONE = ['\ud83d', '\ude00', 'a\udc00b', '\ud800\ud800', `${'界'.repeat(1999)}\ud83d`];
const oddStrings = fc.oneof(
  fc.constantFrom(...LONE),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('', ' ', '\u0000', 'x'.repeat(2001), 'overview', 'officer1', '../../etc/passwd', '<script>', '\u202e'),
);

/** nesting 10…200 levels of arrays or objects (the guard's limit is 32) */
const deep = fc.tuple(fc.integer({ min: 10, max: 200 }), fc.boolean()).map(([depth, arrays]) => {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = arrays ? [v] : { a: v };
  return v;
});

const hostile: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: traps },
  { weight: 2, arbitrary: oddNumbers },
  { weight: 3, arbitrary: oddStrings },
  { weight: 1, arbitrary: deep },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
);

/** A fuzz value as a URL query value (objects as their JSON: `String()` of a trap throws). */
const queryPart = (v: unknown): string =>
  encodeURIComponent(wellFormed(typeof v === 'string' ? v : (JSON.stringify(v) ?? '')).slice(0, URL_PART_MAX_CHARS));

/** Deep copy through JSON (keeps own `__proto__` keys that JSON.parse made). */
const copy = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

/** A valid-looking template with one field (possibly nested) replaced, a key added, or replaced whole. */
function mutated(template: Record<string, unknown>): fc.Arbitrary<unknown> {
  const paths: string[][] = [];
  const collect = (v: unknown, at: string[]) => {
    if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) collect(x, [...at, k]);
    if (at.length > 0) paths.push(at);
  };
  collect(template, []);
  const fieldChanged = paths.length
    ? fc.tuple(fc.constantFrom(...paths), hostile).map(([path, value]) => setAt(copy(template), path, value))
    : hostile.map((value) => ({ anything: value }));
  return fc.oneof(
    { weight: 6, arbitrary: fieldChanged },
    {
      weight: 2,
      arbitrary: fc
        .tuple(fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'length', 'toJSON'), hostile)
        .map(([key, value]) => {
          const fields = JSON.stringify(template).slice(1, -1);
          return fromJson(`{${fields}${fields ? ',' : ''}${JSON.stringify(key)}:${JSON.stringify(value) ?? 'null'}}`);
        }),
    },
    { weight: 2, arbitrary: hostile },
    { weight: 1, arbitrary: fc.constant(copy(template)) },
  );
}

function setAt(root: Record<string, unknown>, path: string[], value: unknown): unknown {
  let node = root as Record<string, unknown>;
  for (const k of path.slice(0, -1)) node = node[k] as Record<string, unknown>;
  node[path[path.length - 1]!] = value;
  return root;
}

// --- assertions -------------------------------------------------------------------------------------

const CODES = new Set<string>(ERROR_CODES);

/** A socket answer: a success shape or `{ ok: false, error: { code, message } }`, never E_INTERNAL. */
function expectTypedAnswer(answer: unknown, what: string): void {
  const a = answer as { ok?: unknown; error?: { code?: unknown; message?: unknown } };
  expect(typeof a, what).toBe('object');
  if (a.ok === true) return;
  expect(a.ok, what).toBe(false);
  expect(CODES.has(String(a.error?.code)), `${what}: ${JSON.stringify(a)}`).toBe(true);
  expect(typeof a.error?.message, what).toBe('string');
  expect(a.error?.code, `${what}: ${JSON.stringify(a).slice(0, 300)}`).not.toBe('E_INTERNAL');
}

/** A REST answer: JSON; an error is `{ error: { code, message } }` with the matching status, never a 500. */
async function expectTypedResponse(r: Response, what: string): Promise<void> {
  const text = await r.text();
  expect(r.status, `${what}: ${text.slice(0, 300)}`).not.toBe(500);
  if (r.status < 400) return;
  const body = JSON.parse(text) as { error?: { code?: string; message?: unknown } };
  expect(CODES.has(String(body.error?.code)), `${what}: ${text.slice(0, 300)}`).toBe(true);
  expect(typeof body.error?.message, what).toBe('string');
  expect(httpStatusOf(body.error!.code as (typeof ERROR_CODES)[number]), what).toBe(r.status);
}

// --- the server ------------------------------------------------------------------------------------

let redis: TestRedisServer | null;
let server: IocServer;
const tokens: Record<string, string> = {};
let device: Device;
let deviceSocket: Socket;
const live: Record<string, Socket> = {};

beforeAll(async () => {
  process.on('uncaughtException', onEscape);
  process.on('unhandledRejection', onEscape);
  redis = await startRedisServer();
  server = await startTestServer(OPEN_LIMITS, redis ? { store: new RedisStore(redis.url, { prefix: `fz${process.pid}` }) } : {});
  for (const u of ['officer1', 'handler1', 'screen1', 'admin']) tokens[u] = await login(server, u);
  for (const u of ['officer1', 'handler1', 'screen1']) live[u] = await liveSocket(server, tokens[u]!);
  device = [...server.fusion.devices.values()][0]!;
  deviceSocket = io(`${server.url}/device`, {
    auth: { deviceId: device.id, token: deviceToken(DEV_DEVICE_SECRET, device.id) },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  await new Promise<void>((resolve, reject) => {
    deviceSocket.once('connect', () => resolve());
    deviceSocket.once('connect_error', reject);
  });
}, 60_000);

afterAll(async () => {
  deviceSocket?.close();
  for (const s of Object.values(live)) s.close();
  await server?.close();
  await redis?.stop();
  process.off('uncaughtException', onEscape);
  process.off('unhandledRejection', onEscape);
});

// --- templates ---------------------------------------------------------------------------------------

let seq = 1_000_000;
const metricsOf = (d: Device) => ({ [DEVICE_CATALOGUE[d.kind].metrics[0]!.name]: 1 });
const reading = (d: Device = device) => ({
  deviceId: d.id,
  ts: Date.now(),
  seq: ++seq,
  metrics: metricsOf(d),
  token: deviceToken(DEV_DEVICE_SECRET, d.id),
});

const COMMAND_TEMPLATES: Record<string, unknown>[] = [
  {
    commandId: 'fuzz-create-00000001',
    type: 'incident.create',
    title: 'fuzz',
    category: 'flood',
    scene: 'water',
    location: [120.38, 36.07],
    priority: 'P2',
    note: 'n',
    alertIds: ['a'],
    photos: ['PH-1'],
  },
  { commandId: 'fuzz-note-000000001', type: 'incident.note', incidentId: 'INC-1', note: 'n', expectedVersion: 1 },
  { commandId: 'fuzz-dispatch-00000001', type: 'incident.dispatch', incidentId: 'INC-1', assignees: ['handler1'] },
  { commandId: 'fuzz-ack-00000001', type: 'alert.ack', alertId: 'ALR-1' },
];

const LIVE_TEMPLATES: Record<string, Record<string, unknown>> = {
  'scene:join': { scene: 'overview', sinceRev: 1 },
  'scene:leave': { scene: 'water' },
  'device:detail': { deviceId: 'dev-1' },
  'handler:position': { location: [120.38, 36.07], accuracyM: 5, ts: 1, simulated: true },
  'replay:range': { scene: 'overview', fromTs: 0, toTs: 1, cursor: '0.0' },
  'incidents:list': {},
  'incident:readings': { incidentId: 'INC-1' },
  'device:command': { commandId: 'fuzz-c-1', deviceId: 'dev-1', name: 'start' },
  'device:commands': { deviceId: 'dev-1', limit: 5 },
  'no:such-event': { x: 1 },
};

/** Makes every command id unique (a fuzz payload may otherwise replay an earlier one). */
let commandSeq = 0;
function freshIds(payload: unknown): unknown {
  if (
    payload !== null &&
    typeof payload === 'object' &&
    !Array.isArray(payload) &&
    typeof (payload as { commandId?: unknown }).commandId === 'string'
  ) {
    (payload as { commandId: string }).commandId = `fuzz-${process.pid}-${++commandSeq}`;
  }
  return payload;
}

// --- the suite ---------------------------------------------------------------------------------------

describe('fuzzed payloads at every entry point', () => {
  it('answers the exact /device payload that used to kill the process with E_VALIDATION, and stays up', async () => {
    const crash = JSON.parse('{"readings":{"length":{"valueOf":null,"toString":null}}}') as unknown;
    const answer = await emitAck<{ ok: boolean; error?: { code: string } }>(deviceSocket, 'readings', crash, ACK_TIMEOUT_MS);
    expect(answer).toMatchObject({ ok: false, error: { code: 'E_VALIDATION' } });
    const rest = await fetch(`${server.url}/api/ingest`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(crash),
    });
    expect(rest.status).toBe(400);
    const viaLive = await emitAck<{ ok: boolean; error?: { code: string } }>(
      live.officer1!,
      'command',
      JSON.parse('{"commandId":"crash-regression-1","type":"incident.note","incidentId":"INC-1","note":{"length":{"valueOf":null,"toString":null}}}'),
    );
    expect(viaLive).toMatchObject({ ok: false, error: { code: 'E_VALIDATION' } });
    expect(escaped).toEqual([]);
    expect(deviceSocket.connected).toBe(true);
  });

  it('stores a note cut in the middle of an emoji with U+FFFD, and the incident keeps taking commands', async () => {
    const create = async (note: string) =>
      emitAck<{ ok: boolean; incident?: { id: string; version: number; history: { note?: string }[] } }>(live.officer1!, 'command', {
        ...COMMAND_TEMPLATES[0],
        commandId: `surrogate-${process.pid}-${++commandSeq}`,
        alertIds: undefined,
        photos: undefined,
        note,
      });
    const created = await create(`${'界'.repeat(10)}\ud83d`);
    expect(created.ok).toBe(true);
    const id = created.incident!.id;
    const noted = await emitAck<{ ok: boolean; incident?: { version: number } }>(live.officer1!, 'command', {
      commandId: `surrogate-${process.pid}-${++commandSeq}`,
      type: 'incident.note',
      incidentId: id,
      note: 'after \udc00 it',
    });
    expect(noted.ok).toBe(true);
    const stored = await server.store.getIncident(id);
    expect(JSON.stringify(stored)).toContain('after \ufffd it');
    expect(JSON.stringify(stored)).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
  });

  it('types every REST answer (login, ingest, commands, users, events, photos, scenes, incidents) and never answers 500', async () => {
    await createFuzzUser();
    const request = fc.oneof(
      mutated({ username: 'fuzz-nobody', password: 'wrong-password' }).map((b) => ({
        method: 'POST',
        path: '/api/auth/login',
        body: b,
        as: undefined,
      })),
      mutated({ readings: [reading()] }).map((b) => ({ method: 'POST', path: '/api/ingest', body: b, as: undefined })),
      fc
        .constantFrom(...COMMAND_TEMPLATES)
        .chain(mutated)
        .map((b) => ({ method: 'POST', path: '/api/commands', body: freshIds(b), as: 'officer1' })),
      mutated({ commandId: 'fuzz-rest-1', name: 'start' }).map((b) => ({
        method: 'POST',
        path: '/api/devices/dev-1/commands',
        body: freshIds(b),
        as: 'officer1',
      })),
      mutated({ username: 'fuzzx', displayName: 'F', role: 'handler', password: 'short', team: 't', skills: ['gas-leak'] }).map((b) => ({
        method: 'POST',
        path: '/api/users',
        body: b,
        as: 'admin',
      })),
      mutated({ displayName: 'F', disabled: false, role: 'handler', team: 't', skills: ['gas-leak'] }).map((b) => ({
        method: 'PATCH',
        path: '/api/users/fuzzuser',
        body: b,
        as: 'admin',
      })),
      fc.tuple(hostile, hostile, hostile).map(([from, to, cursor]) => ({
        method: 'GET',
        path: `/api/events?from=${queryPart(from)}&to=${queryPart(to)}&cursor=${queryPart(cursor)}&from=1`,
        body: undefined,
        as: 'screen1',
      })),
      oddStrings.map((s) => ({
        method: 'GET',
        path: `/api/incidents/${encodeURIComponent(wellFormed(s).slice(0, URL_PART_MAX_CHARS))}`,
        body: undefined,
        as: 'handler1',
      })),
      oddStrings.map((s) => ({
        method: 'GET',
        path: `/api/scenes/${encodeURIComponent(wellFormed(s).slice(0, URL_PART_MAX_CHARS))}`,
        body: undefined,
        as: 'screen1',
      })),
      fc
        .constantFrom('/api/incidents/%ED%A0%BD', '/api/incidents/%E0%A4%A', '/api/users/%00', '/api/nope')
        .map((path) => ({ method: 'GET', path, body: undefined, as: 'admin' })),
      fc
        .tuple(fc.uint8Array({ maxLength: 64 }), fc.constantFrom('image/png', 'image/jpeg', 'text/plain', 'application/json', ''))
        .map(([bytes, type]) => ({
          method: 'POST',
          path: '/api/photos',
          body: { raw: Buffer.from(bytes), type },
          as: 'handler1',
        })),
      fc
        .constantFrom('{', '{"readings":[', 'null', '"x"', '[[[[', '\u0000')
        .map((text) => ({ method: 'POST', path: '/api/ingest', body: { text }, as: undefined })),
    );

    await fc.assert(
      fc.asyncProperty(request, async (req) => {
        const headers: Record<string, string> = {};
        if (req.as) headers.authorization = `Bearer ${tokens[req.as]}`;
        let body: string | Blob | undefined;
        const b = req.body as { raw?: Buffer; type?: string; text?: string } | undefined;
        if (b && typeof b === 'object' && b.raw instanceof Buffer) {
          body = new Blob([new Uint8Array(b.raw)]);
          if (b.type) headers['content-type'] = b.type;
        } else if (b && typeof b === 'object' && typeof b.text === 'string' && Object.keys(b).length === 1) {
          body = b.text;
          headers['content-type'] = 'application/json';
        } else if (req.method !== 'GET') {
          body = JSON.stringify(req.body ?? null);
          headers['content-type'] = 'application/json';
        }
        const r = await fetch(`${server.url}${req.path}`, { method: req.method, headers, body });
        await expectTypedResponse(r, `${req.method} ${req.path}`);
        expect(escaped).toEqual([]);
      }),
      { seed: SEED, numRuns: RUNS.rest, endOnFailure: true },
    );
  }, 120_000);

  it('types every /live answer, for every event, with and without an ack', async () => {
    const event = fc.oneof(
      fc
        .constantFrom(...COMMAND_TEMPLATES)
        .chain(mutated)
        .map((p) => ({ event: 'command', payload: freshIds(p) })),
      fc.constantFrom(...Object.keys(LIVE_TEMPLATES)).chain((name) => mutated(LIVE_TEMPLATES[name]!).map((payload) => ({ event: name, payload }))),
    );
    const who = fc.constantFrom('officer1', 'handler1', 'screen1');
    await fc.assert(
      fc.asyncProperty(event, who, fc.boolean(), async ({ event: name, payload }, user, withAck) => {
        const socket = live[user]!;
        if (!withAck) {
          socket.emit(name, payload);
          return;
        }
        if (name === 'scene:leave' || name === 'no:such-event') {
          // events without an answer: the client gets none; an ack it asked for stays unanswered
          socket.emit(name, payload);
          return;
        }
        const answer = await emitAck(socket, name, payload, ACK_TIMEOUT_MS);
        expectTypedAnswer(answer, `${user} ${name} ${JSON.stringify(payload)?.slice(0, 200)}`);
        expect(escaped).toEqual([]);
      }),
      { seed: SEED + 1, numRuns: RUNS.live, endOnFailure: true },
    );
    for (const s of Object.values(live)) expect(s.connected).toBe(true);
  }, 120_000);

  it('types every /device answer to a fuzzed readings batch', async () => {
    const batch = mutated({ readings: [reading(), reading()] });
    await fc.assert(
      fc.asyncProperty(batch, async (payload) => {
        const answer = await emitAck(deviceSocket, 'readings', payload, ACK_TIMEOUT_MS);
        expectTypedAnswer(answer, `readings ${JSON.stringify(payload)?.slice(0, 200)}`);
        expect(escaped).toEqual([]);
      }),
      { seed: SEED + 2, numRuns: RUNS.device, endOnFailure: true },
    );
    expect(deviceSocket.connected).toBe(true);
  }, 120_000);

  it('types every /device answer to a fuzzed command acknowledgement', async () => {
    const ack = mutated({ commandId: 'fuzz-c-1', status: 'ok', message: 'done', ts: 1 });
    await fc.assert(
      fc.asyncProperty(ack, async (payload) => {
        const answer = await emitAck(deviceSocket, 'command:ack', payload, ACK_TIMEOUT_MS);
        expectTypedAnswer(answer, `command:ack ${JSON.stringify(payload)?.slice(0, 200)}`);
        expect(escaped).toEqual([]);
      }),
      { seed: SEED + 4, numRuns: RUNS.device, endOnFailure: true },
    );
    expect(deviceSocket.connected).toBe(true);
  }, 120_000);

  it('refuses fuzzed handshakes on /live and /device with a typed connect error', async () => {
    const liveAuth = mutated({ token: 'x'.repeat(20), protocol: PROTOCOL_VERSION });
    const deviceAuth = mutated({ deviceId: 'dev-1', token: 'y'.repeat(20) });
    const attempt = fc.oneof(
      liveAuth.map((auth) => ({ nsp: '/live', auth })),
      deviceAuth.map((auth) => ({ nsp: '/device', auth })),
    );
    await fc.assert(
      fc.asyncProperty(attempt, async ({ nsp, auth }) => {
        const s = io(`${server.url}${nsp}`, {
          auth: auth as Record<string, unknown>,
          transports: ['websocket'],
          reconnection: false,
          forceNew: true,
        });
        try {
          const err = await new Promise<{ data?: { code?: string; message?: string } } | 'closed'>((resolve, reject) => {
            let refused: { data?: { code?: string; message?: string } } | undefined;
            s.once('connect', () => reject(new Error(`${nsp} accepted ${JSON.stringify(auth)}`)));
            s.once('connect_error', (e) => {
              refused = e as { data?: { code?: string; message?: string } };
              resolve(refused);
            });
            // the client closes its manager just before it emits connect_error; a CONNECT packet
            // whose auth is not an object breaks the protocol, and the server closes the connection
            s.io.once('close', () => setImmediate(() => resolve(refused ?? 'closed')));
          });
          if (err === 'closed') expect(Object.prototype.toString.call(auth), JSON.stringify(auth)).not.toBe('[object Object]');
          else {
            expect(CODES.has(String(err.data?.code)), JSON.stringify(err.data)).toBe(true);
            expect(err.data?.code).not.toBe('E_INTERNAL');
          }
        } finally {
          s.close();
        }
        expect(escaped).toEqual([]);
      }),
      { seed: SEED + 3, numRuns: RUNS.handshakes, endOnFailure: true },
    );
  }, 60_000);

  it('still answers a canary correctly afterwards: login, a command, a reading, a scene join', async () => {
    const token = await login(server, 'officer1');
    const created = await fetch(`${server.url}/api/commands`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ ...COMMAND_TEMPLATES[0], commandId: `canary-${process.pid}`, alertIds: undefined, photos: undefined }),
    });
    expect(created.status).toBe(200);
    expect(((await created.json()) as { incident?: { state: string } }).incident?.state).toBe('reported');

    // devices the fuzz did not use: the per-device budget of the fuzzed one may be spent
    const [restDevice, socketDevice] = [...server.fusion.devices.values()].slice(1, 3) as [Device, Device];
    const r = await ingest(server, [reading(restDevice)]);
    expect(r.status).toBe(200);
    expect(r.body.accepted + r.body.duplicates).toBe(1);
    const viaDevice = await emitAck<{ ok: boolean; accepted: number }>(deviceSocket, 'readings', { readings: [reading(socketDevice)] });
    expect(viaDevice).toMatchObject({ ok: true, accepted: 1 });

    const screen = await liveSocket(server, tokens.screen1!);
    const join = await emitAck<{ ok: boolean; snapshot?: { scene: string } }>(screen, 'scene:join', { scene: 'overview' });
    screen.close();
    expect(join.ok).toBe(true);
    expect(escaped).toEqual([]);
  });
});

async function createFuzzUser(): Promise<void> {
  const r = await fetch(`${server.url}/api/users`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens.admin}` },
    body: JSON.stringify({ username: 'fuzzuser', displayName: 'Fuzz', role: 'handler', password: 'fuzz-password-2026-long' }),
  });
  expect([201, 409]).toContain(r.status);
}
