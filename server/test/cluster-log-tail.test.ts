/**
 * The shared log (issue 15): two RedisStores with different node ids on one throwaway
 * redis-server and one prefix, as two server nodes. Appends are tagged with the appending node;
 * each node's `tailLog` sees the other's entries in order; a trimmed hole is reported, never
 * skipped; a blocking tail answers as soon as an entry arrives and never holds the command
 * connection. MemoryStore keeps the same contract for its single node.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import type { Alert, Incident, Reading } from '../../scenes/domain';
import type { DeviceCommandRecord } from '../../scenes/device-commands';
import { localRedisVersion } from '../../tests/helpers/acl-redis';
import { startRedisServer } from '../../tests/helpers/redis-server';
import { aclSetUserArgs, appUserRules } from '../backup/redis-acl';
import { generateFleet } from '../../scenes/fleet';
import { LogFollower } from '../cluster/log-follower';
import { Fusion, type AlertChangeRecord } from '../fusion';
import { MemoryStore } from '../store/memory-store';
import { RedisStore, redisClientOptions } from '../store/redis-store';
import { EMPTY_LOG_CURSOR, StoreUnavailableError, type LogCursor, type LogTail, type Store, type StoreOptions } from '../store/store';

const redis = await startRedisServer();
const RUN = randomUUID().slice(0, 8);
let counter = 0;
/** a blocking read that must be cut short by an append: the test times out long before it expires */
const LONG_BLOCK_MS = 60_000;
const LIMIT = 1_000;

const stores: Store[] = [];
const admin = redis === null ? null : new Redis(redis.url);
admin?.on('error', () => {});
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
});
afterAll(async () => {
  admin?.disconnect();
  await redis?.stop();
});

/** Two nodes' stores on the same Redis and prefix. */
function twoNodes(options: Partial<StoreOptions> = {}): { a: RedisStore; b: RedisStore } {
  const prefix = `tail-${RUN}-${++counter}`;
  const a = new RedisStore(redis!.url, { ...options, prefix, nodeId: 'a' });
  const b = new RedisStore(redis!.url, { ...options, prefix, nodeId: 'b' });
  stores.push(a, b);
  return { a, b };
}

const T0 = Date.now();

function readings(deviceId: string, fromSeq: number, n: number): Reading[] {
  return Array.from({ length: n }, (_, i) => ({ deviceId, ts: T0 + fromSeq + i, seq: fromSeq + i, metrics: { level: fromSeq + i } }));
}

function makeAlert(id: string): Alert {
  return {
    id,
    deviceId: 'd1',
    deviceKind: 'water-level',
    ruleId: 'r1',
    scene: 'water',
    district: '370202',
    location: [120.3, 36.07],
    level: 'red',
    peakLevel: 'red',
    cleared: false,
    acknowledged: false,
    firstTs: T0,
    lastTs: T0,
    count: 1,
    title: 't',
    titleEn: 't',
  } as unknown as Alert;
}

function makeIncident(id: string): Incident {
  return {
    id,
    version: 1,
    state: 'open',
    priority: 'P2',
    level: 'red',
    scene: 'water',
    category: 'waterlogging',
    title: 't',
    district: '370202',
    location: [120.3, 36.07],
    alertIds: [],
    assignees: [],
    createdTs: T0,
    updatedTs: T0,
    history: [{ ts: T0, from: null, to: 'open', by: 'system' }],
  } as unknown as Incident;
}

/** Resolves once `n` clients sit in a blocking XREAD on the test Redis (the tail really waits there). */
async function blockedReads(n: number): Promise<void> {
  await vi.waitFor(
    async () => {
      const list = String(await admin!.call('CLIENT', 'LIST'));
      expect(list.split('\n').filter((line) => / cmd=xread /.test(line) && / flags=b /.test(line)).length).toBeGreaterThanOrEqual(n);
    },
    { timeout: 10_000, interval: 20 },
  );
}

/** Tails until `done` holds for everything read so far (each call blocks briefly). */
async function tailUntil(store: Store, from: LogCursor, done: (t: LogTail) => boolean): Promise<LogTail> {
  const all: LogTail = { readings: [], events: [], cursor: from };
  for (;;) {
    const t = await store.tailLog(all.cursor, 200, LIMIT);
    all.readings.push(...t.readings);
    all.events.push(...t.events);
    all.cursor = t.cursor;
    if (t.gap) all.gap = true;
    if (done(all)) return all;
  }
}

describe.skipIf(redis === null)('shared log on Redis: two nodes, one prefix', () => {
  it('tags readings with the node that appended them; the other node tails them in append order', async () => {
    const { a, b } = twoNodes();
    const start = await b.logCursor();
    // a small batch (grouped script) and a large one (chunked script): both paths tag
    await a.appendReadings(readings('d1', 1, 3));
    await a.appendReadings(readings('d1', 4, 250), 'batch-1');
    await b.appendReadings(readings('d2', 1, 2));
    const tail = await tailUntil(b, start, (t) => t.readings.length >= 255);
    expect(tail.gap).toBeUndefined();
    const fromA = tail.readings.filter((r) => r.node === 'a').map((r) => r.reading);
    expect(fromA).toEqual(readings('d1', 1, 253));
    expect(tail.readings.filter((r) => r.node === 'b').map((r) => r.reading)).toEqual(readings('d2', 1, 2));
    expect(tail.cursor.readings).toBe(await a.readingsCursor());
  });

  it("leaves the follower's own readings out undecoded (skipNode) and still counts them as read", async () => {
    const { a, b } = twoNodes();
    const start = await b.logCursor();
    await b.appendReadings(readings('mine', 1, 5));
    await a.appendReadings(readings('theirs', 1, 2));
    const tail = await b.tailLog(start, 0, LIMIT, 'b');
    expect(tail.readings.map((r) => [r.node, r.reading.deviceId])).toEqual([
      ['a', 'theirs'],
      ['a', 'theirs'],
    ]);
    expect(tail.readingsScanned).toBe(7);
    expect(tail.cursor.readings).toBe(await a.readingsCursor());
  });

  it('tags events with the node that wrote them (alerts, incidents, device commands, plain appends); readEvents answers LogEvents without the tag', async () => {
    const { a, b } = twoNodes();
    const start = await b.logCursor();
    const alert = makeAlert(`A-${RUN}`);
    await a.saveAlert(alert, { ts: T0, type: 'alert.raised', scene: 'water', alert });
    const incident = makeIncident(`INC-${RUN}`);
    expect((await a.createIncident(incident, `cmd-1-${RUN}`)).status).toBe('applied');
    const next: Incident = {
      ...incident,
      version: 2,
      state: 'dispatched',
      history: [...incident.history, { ts: T0 + 1, from: 'open', to: 'dispatched', by: 'o' }],
    } as unknown as Incident;
    expect((await a.transitionIncident(next, 1, `cmd-2-${RUN}`)).status).toBe('applied');
    const command = { commandId: `dc-${RUN}`, deviceId: 'g1', status: 'sent', deadline: T0 + 1_000 } as unknown as DeviceCommandRecord;
    await a.createDeviceCommand(command, { ts: T0 + 2, type: 'device.command', scene: 'water', deviceCommand: command });
    await b.appendEvent({ ts: T0 + 3, type: 'alert.updated', scene: 'water', alert });

    const tail = await tailUntil(b, start, (t) => t.events.length >= 5);
    expect(tail.events.map((e) => [e.event.type, e.node])).toEqual([
      ['alert.raised', 'a'],
      ['incident.created', 'a'],
      ['incident.transition', 'a'],
      ['device.command', 'a'],
      ['alert.updated', 'b'],
    ]);
    // the incident travels without its history (fetch it from the store), at its new version
    const transition = tail.events[2]!.event;
    expect(transition.incident?.version).toBe(2);
    expect(transition.incident?.history).toBeUndefined();
    for (const e of tail.events) {
      expect(e.event.id).toMatch(/^\d+-\d+$/);
      expect(e.event).not.toHaveProperty('node');
    }
    expect(tail.cursor.events).toBe(tail.events[4]!.event.id);
    const read = await a.readEvents(T0 - 1, T0 + 10, 10);
    expect(read).toHaveLength(5);
    for (const e of read) expect(e).not.toHaveProperty('node');
  });

  it('reports a gap when entries after the cursor were trimmed, and none when the cursor is within the stream', async () => {
    const { a, b } = twoNodes({ readingsStreamMaxLen: 10, eventsStreamMaxLen: 10 });
    await a.appendReadings(readings('d1', 1, 1));
    await a.appendEvent({ ts: T0, type: 'alert.raised', scene: 'water', alert: makeAlert('x') });
    const old = await b.logCursor();
    // MAXLEN ~ trims whole stream nodes (100 entries by default): push well past several
    for (let i = 0; i < 5; i++) await a.appendReadings(readings('d1', 2 + i * 200, 200));
    const tail = await b.tailLog(old, 0, LIMIT);
    expect(tail.gap).toBe(true);
    expect(tail.readings.length).toBeGreaterThan(0);

    // events alone: a cursor older than the events stream's head
    const eventsOld = await b.logCursor();
    await a.appendEvent({ ts: T0, type: 'alert.updated', scene: 'water', alert: makeAlert('x') });
    const afterFirst = await b.logCursor();
    for (let i = 0; i < 400; i++) await a.appendEvent({ ts: T0, type: 'alert.updated', scene: 'water', alert: makeAlert('x') });
    expect((await b.tailLog({ ...afterFirst, readings: (await b.logCursor()).readings }, 0, LIMIT)).gap).toBe(true);
    // an older cursor still: its successors were trimmed as well
    expect((await b.tailLog({ ...eventsOld, readings: (await b.logCursor()).readings }, 0, LIMIT)).gap).toBe(true);

    // a cursor at the end of the trimmed streams: what follows is all there
    const now = await b.logCursor();
    await a.appendReadings(readings('d1', 5_000, 3));
    const fresh = await tailUntil(b, now, (t) => t.readings.length >= 3);
    expect(fresh.gap).toBeUndefined();
    expect(fresh.readings.map((r) => r.reading.seq)).toEqual([5_000, 5_001, 5_002]);
  });

  it("answers a blocking tail as soon as another node appends, while the store's commands keep being served", async () => {
    const { a, b } = twoNodes();
    const start = await b.logCursor();
    const pending = b.tailLog(start, LONG_BLOCK_MS, LIMIT);
    await blockedReads(1);
    // the command connection is free while the tail blocks
    expect(await b.ping()).toBe(true);
    expect(await b.readingsCursor()).toBe(start.readings);
    await a.appendReadings(readings('d9', 1, 1));
    const tail = await pending;
    expect(tail.readings).toEqual([{ reading: readings('d9', 1, 1)[0], node: 'a' }]);
  }, 20_000);

  it('answers a blocked tail with E_UNAVAILABLE at once when the store closes', async () => {
    const { b } = twoNodes();
    const pending = b.tailLog(await b.logCursor(), LONG_BLOCK_MS, LIMIT);
    // the expectation is attached before the close: the tail may reject while close() is awaited
    const refused = expect(pending).rejects.toBeInstanceOf(StoreUnavailableError);
    await blockedReads(1);
    await b.close();
    await refused;
  }, 20_000);

  it('fails a tail Redis does not answer with E_UNAVAILABLE after blockMs plus the command deadline, and tails again on a fresh connection', async () => {
    const prefix = `tail-${RUN}-${++counter}`;
    const commandTimeoutMs = 300;
    const a = new RedisStore(redis!.url, { prefix, nodeId: 'a' });
    const b = new RedisStore(redis!.url, { prefix, nodeId: 'b' }, { commandTimeoutMs });
    stores.push(a, b);
    // the tail connection exists before Redis stops answering
    const start = (await b.tailLog(await b.logCursor(), 0, LIMIT)).cursor;
    // a Redis that accepts but does not answer (like a stopped process) for longer than the deadline
    await admin!.call('CLIENT', 'PAUSE', String(4 * commandTimeoutMs), 'ALL');
    await expect(b.tailLog(start, 100, LIMIT)).rejects.toBeInstanceOf(StoreUnavailableError);
    // the append waits out the pause
    await a.appendReadings(readings('d7', 1, 1));
    const tail = await tailUntil(b, start, (t) => t.readings.length >= 1);
    expect(tail.readings).toEqual([{ reading: readings('d7', 1, 1)[0], node: 'a' }]);
  }, 20_000);

  it('tails as the least-privilege ioc-app user (XREAD and XINFO STREAM are in its ACL)', async () => {
    const prefix = `tail-acl-${RUN}`;
    const username = `ioc-app-tail-${RUN}`;
    const password = randomUUID();
    await admin!.call('ACL', ...aclSetUserArgs(username, appUserRules({ prefix, password, redisVersion: localRedisVersion() })));
    const client = new Redis(redis!.url.replace('redis://', `redis://${username}:${password}@`), redisClientOptions());
    const store = new RedisStore(client, { prefix, nodeId: 'acl', readingsStreamMaxLen: 10 });
    const writer = new RedisStore(redis!.url, { prefix, nodeId: 'w', readingsStreamMaxLen: 10 });
    stores.push(store, writer);
    const start = await store.logCursor();
    await writer.appendReadings(readings('d1', 1, 1));
    const afterFirst = await store.logCursor();
    for (let i = 0; i < 3; i++) await writer.appendReadings(readings('d1', 2 + i * 200, 200));
    // a trimmed hole: the gap check (XRANGE head, XINFO STREAM) runs too
    const tail = await store.tailLog(afterFirst, 100, LIMIT);
    expect(tail.gap).toBe(true);
    expect(tail.readings.every((r) => r.node === 'w')).toBe(true);
    expect((await store.tailLog(start, 100, LIMIT)).gap).toBe(true);
  });
});

describe.skipIf(redis === null)('LogFollower on the shared Redis log', () => {
  it("brings node b's fusion to node a's state: a's readings fused in order, a's alert events applied and told to b's screens", async () => {
    const { a, b } = twoNodes();
    const fleet = generateFleet({ count: 50 });
    const gauge = fleet.find((d) => d.kind === 'rain-gauge')!;
    const fusionA = new Fusion(fleet);
    const fusionB = new Fusion(fleet);
    const told: Alert[] = [];
    let readingsApplied = 0;
    const follower = new LogFollower({
      store: b,
      nodeId: 'b',
      fusion: fusionB,
      onReadingsApplied: () => readingsApplied++,
      onAlert: (alert) => told.push(alert),
      onIncident: () => undefined,
      onGap: async () => undefined,
      log: { warn: () => undefined, error: () => undefined },
      blockMs: 200,
    });
    follower.start(await b.logCursor());
    try {
      // node a's ingest: fuse, append, persist and log the alert changes (the origin's part)
      const t = Date.now() - 5 * 60_000;
      // intense rain held past the rule's minimum duration (1 min): an alert is raised
      const rain = [80, 80, 80].map((mm, i) => ({ deviceId: gauge.id, ts: t + i * 61_000, seq: i + 1, metrics: { rainfall: mm } }));
      const changes: AlertChangeRecord[] = [];
      for (const r of rain) fusionA.applyReading(r, changes);
      await a.appendReadings(rain);
      for (const c of changes) await a.saveAlert(c.alert, { ts: c.alert.lastTs, type: `alert.${c.change}`, scene: c.alert.scene, alert: c.alert });
      expect(changes.length).toBeGreaterThan(0);
      const raised = changes.at(-1)!.alert;

      await vi.waitFor(() => expect(told).toHaveLength(changes.length), { timeout: 10_000 });
      expect(told.at(-1)?.id).toBe(raised.id);
      expect(fusionB.getAlert(raised.id)).toEqual(fusionA.getAlert(raised.id));
      expect(fusionB.deviceStates.get(gauge.id)).toEqual(fusionA.deviceStates.get(gauge.id));
      expect(readingsApplied).toBeGreaterThan(0);
    } finally {
      await follower.stop();
    }
  }, 20_000);
});

describe('shared log in memory (one node)', () => {
  it('tags its entries with its own node id, in append order', async () => {
    const store = new MemoryStore({ nodeId: 'solo' });
    stores.push(store);
    await store.appendReadings(readings('d1', 1, 3));
    await store.saveAlert(makeAlert('A'), { ts: T0, type: 'alert.raised', scene: 'water', alert: makeAlert('A') });
    const tail = await store.tailLog(EMPTY_LOG_CURSOR, 0, LIMIT);
    expect(tail.readings).toEqual(readings('d1', 1, 3).map((reading) => ({ reading, node: 'solo' })));
    expect(tail.events.map((e) => [e.event.type, e.node])).toEqual([['alert.raised', 'solo']]);
    expect(tail.cursor).toEqual(await store.logCursor());
    const again = await store.tailLog(tail.cursor, 0, LIMIT);
    expect(again.readings).toEqual([]);
    expect(again.events).toEqual([]);
  });

  it('answers a blocking tail as soon as an entry is appended', async () => {
    const store = new MemoryStore();
    stores.push(store);
    const pending = store.tailLog(await store.logCursor(), LONG_BLOCK_MS, LIMIT);
    await store.appendReadings(readings('d1', 1, 1));
    expect((await pending).readings).toHaveLength(1);
    // and a closing store ends a waiting tail
    const waiting = store.tailLog(await store.logCursor(), LONG_BLOCK_MS, LIMIT);
    await store.close();
    expect((await waiting).readings).toEqual([]);
  }, 20_000);

  it('reports a gap when entries after the cursor were trimmed', async () => {
    const store = new MemoryStore({ readingsStreamMaxLen: 10, eventsStreamMaxLen: 10 });
    stores.push(store);
    await store.appendReadings(readings('d1', 1, 1));
    const old = await store.logCursor();
    await store.appendReadings(readings('d1', 2, 50));
    const tail = await store.tailLog(old, 0, LIMIT);
    expect(tail.gap).toBe(true);
    // the newest readingsStreamMaxLen are kept: seq 42..51
    expect(tail.readings.map((r) => r.reading.seq)).toEqual(readings('d1', 42, 10).map((r) => r.seq));

    await store.appendEvent({ ts: T0, type: 'alert.updated', scene: 'water', alert: makeAlert('x') });
    const eventsOld = await store.logCursor();
    for (let i = 0; i < 20; i++) await store.appendEvent({ ts: T0, type: 'alert.updated', scene: 'water', alert: makeAlert('x') });
    expect((await store.tailLog(eventsOld, 0, LIMIT)).gap).toBe(true);
    expect((await store.tailLog(await store.logCursor(), 0, LIMIT)).gap).toBeUndefined();
  });
});
