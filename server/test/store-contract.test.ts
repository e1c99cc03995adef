/**
 * Store contract: the same requirements run against MemoryStore and RedisStore (on a throwaway
 * redis-server from tests/helpers; skipped loudly when the binary is missing outside CI).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Alert, Incident, Reading } from '../../scenes/domain';
import type { DeviceCommandRecord } from '../../scenes/device-commands';
import { freePort } from '../../tests/helpers/free-port';
import { startRedisServer } from '../../tests/helpers/redis-server';
import { Redis } from 'ioredis';
import { MemoryStore } from '../store/memory-store';
import { openStore } from '../store/open-store';
import { RedisStore, redisClientOptions } from '../store/redis-store';
import { aclSetUserArgs, appUserRules } from '../backup/redis-acl';
import { localRedisVersion } from '../../tests/helpers/acl-redis';
import {
  EMPTY_READINGS_CURSOR,
  StoreQuotaError,
  compareReadingsCursors,
  wellFormedCopy,
  wellFormedString,
  type Store,
  type StoreOptions,
  type RegistryChange,
  type RegistryRecord,
  type StoredUser,
} from '../store/store';

const redis = await startRedisServer();
afterAll(async () => {
  await redis?.stop();
});

/** unique per test file run, so parallel runs never share keys */
const FILE_PREFIX = `contract-${randomUUID().slice(0, 8)}`;
let storeCounter = 0;

interface Implementation {
  name: string;
  kind: 'memory' | 'redis';
  available: boolean;
  make(options?: Partial<StoreOptions>): Store;
}

const implementations: Implementation[] = [
  { name: 'memory', kind: 'memory', available: true, make: (options) => new MemoryStore(options) },
  {
    name: 'redis',
    kind: 'redis',
    available: redis !== null,
    make: (options) => new RedisStore(redis!.url, { ...options, prefix: `${FILE_PREFIX}-${++storeCounter}` }),
  },
  // the same contract through the least-privilege ACL user of deploy/redis (one user per prefix)
  { name: 'redis as ioc-app (ACL)', kind: 'redis', available: redis !== null, make: (options) => aclUserStore(options) },
];

const aclAdmin = redis === null ? null : new Redis(redis.url);
// the crash test below restarts Redis: this client reconnects quietly
aclAdmin?.on('error', () => {});
afterAll(() => aclAdmin?.disconnect());
function aclUserStore(options?: Partial<StoreOptions>): Store {
  const prefix = `${FILE_PREFIX}-${++storeCounter}`;
  const username = `ioc-app-${storeCounter}`;
  const password = randomUUID();
  const client = new Redis(redis!.url.replace('redis://', `redis://${username}:${password}@`), { ...redisClientOptions(), lazyConnect: true });
  const rules = appUserRules({ prefix, password, redisVersion: localRedisVersion() });
  // the store waits for the first connection (its command deadline); connect once the user exists
  void aclAdmin!
    .call('ACL', ...aclSetUserArgs(username, rules))
    .then(() => (client.status === 'wait' ? client.connect() : undefined))
    .catch(() => {});
  return new RedisStore(client, { ...options, prefix });
}

// Timestamps near "now": the Redis store finds stream entries by append time ± configured lag.
const T0 = Date.now() - 60_000;

function makeIncident(overrides: Partial<Incident> = {}): Incident {
  return {
    id: `inc-${randomUUID().slice(0, 8)}`,
    version: 1,
    state: 'reported',
    priority: 'P2',
    level: 'orange',
    scene: 'water',
    category: 'waterlogging',
    title: '积水 — 香港中路下穿',
    titleEn: 'Waterlogging at Xianggang Rd underpass',
    district: '370202',
    location: [120.3826, 36.0671],
    source: 'alert',
    alertIds: ['wl-01|wl-depth|1'],
    deviceId: 'wl-01',
    assignees: [],
    escalated: false,
    createdTs: T0,
    updatedTs: T0,
    slaDueTs: T0 + 4 * 3_600_000,
    slaResponseDueTs: T0 + 1_800_000,
    reportedBy: 'system',
    photos: [],
    history: [{ action: 'create', from: null, to: 'reported', actor: 'system', ts: T0, commandId: 'create-1' }],
    ...overrides,
  };
}

/** The transition a dispatch would produce from `current`. */
function dispatched(current: Incident, commandId: string, assignee = 'handler01'): Incident {
  const ts = current.updatedTs + 1_000;
  return {
    ...current,
    version: current.version + 1,
    state: 'dispatched',
    assignees: [assignee],
    updatedTs: ts,
    history: [
      ...current.history,
      { action: 'dispatch', from: current.state, to: 'dispatched', actor: 'officer01', ts, commandId, assignees: [assignee] },
    ],
  };
}

function makeAlert(overrides: Partial<Alert> = {}): Alert {
  const firstTs = overrides.firstTs ?? T0;
  return {
    id: `gas-07|gas-lel|${firstTs}`,
    deviceId: 'gas-07',
    deviceKind: 'gas-detector',
    ruleId: 'gas-lel',
    scene: 'emergency',
    district: '370203',
    location: [120.35, 36.09],
    level: 'yellow',
    peakLevel: 'yellow',
    cleared: false,
    acknowledged: false,
    firstTs,
    lastTs: firstTs,
    count: 1,
    value: 12,
    metric: 'lel',
    title: '燃气浓度超限',
    titleEn: 'Gas concentration over limit',
    ...overrides,
  };
}

const LONE_HIGH = '\ud83d';
const LONE_LOW = '\ude92';
/** what a phone sends when it cuts an emoji at the 2,000-character limit */
const HALF_EMOJI_NOTE = `${'注'.repeat(1_999)}${'🚒'.slice(0, 1)}`;
/** every kind of string that has broken a store or a decoder somewhere */
const ODD_STRINGS = [
  LONE_HIGH,
  LONE_LOW,
  `x${LONE_LOW}${LONE_HIGH}y`,
  HALF_EMOJI_NOTE,
  'nul\u0000inside',
  'line\u2028para\u2029end',
  '\u200fRTL mark \u202eoverride\u202c',
  '__proto__',
  'constructor',
  '"version":99,"title":"}',
  '\\ud83d looks like an escape',
  'x'.repeat(100_000),
  '🚒👩‍🚒🇨🇳 emoji',
  '积水 — 香港中路',
  '',
];

function makeUser(username: string): StoredUser {
  return {
    username,
    displayName: username.toUpperCase(),
    role: 'handler',
    passwordHash: 'scrypt$16384$8$1$c2FsdA==$aGFzaA==',
    disabled: false,
    failedLogins: 0,
    lockedUntil: 0,
    team: 'water-1',
    skills: ['waterlogging'],
    createdTs: T0,
  };
}

describe.each(implementations)('$name store', ({ kind, available, make }) => {
  const opened: Store[] = [];
  const fresh = (options?: Partial<StoreOptions>): Store => {
    const store = make(options);
    opened.push(store);
    return store;
  };
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close()));
  });

  describe.skipIf(!available)('contract', () => {
    it(`reports kind '${kind}'`, () => {
      expect(fresh().kind).toBe(kind);
    });

    it('returns readings of the requested devices within [fromTs, toTs], oldest first, at most limit', async () => {
      const store = fresh();
      const readings: Reading[] = [];
      for (let i = 0; i < 10; i++) {
        readings.push({ deviceId: 'sg-1', ts: T0 + i * 1_000, seq: i, metrics: { strain: 100 + i } });
        readings.push({ deviceId: 'sg-2', ts: T0 + i * 1_000 + 500, seq: i, metrics: { strain: 200 + i } });
        readings.push({ deviceId: 'sg-3', ts: T0 + i * 1_000, seq: i, metrics: { strain: 300 + i } });
      }
      // appended out of ts order: results must still come back oldest first
      await store.appendReadings(readings.slice().reverse());

      const got = await store.readReadings(['sg-1', 'sg-2'], T0 + 2_000, T0 + 4_000, 100);
      expect(got.map((r) => `${r.deviceId}@${r.ts - T0}`)).toEqual(['sg-1@2000', 'sg-2@2500', 'sg-1@3000', 'sg-2@3500', 'sg-1@4000']);
      expect(got[0]).toEqual({ deviceId: 'sg-1', ts: T0 + 2_000, seq: 2, metrics: { strain: 102 } });

      const limited = await store.readReadings(['sg-3'], T0, T0 + 100_000, 3);
      expect(limited.map((r) => r.seq)).toEqual([0, 1, 2]);
      expect(await store.readReadings(['nope'], T0, T0 + 100_000, 10)).toEqual([]);
      await store.appendReadings([]);
    });

    it('keeps the readings stream bounded near readingsStreamMaxLen', async () => {
      const maxLen = 100;
      const store = fresh({ readingsStreamMaxLen: maxLen });
      const readings = Array.from({ length: 1_000 }, (_, i) => ({ deviceId: 'wl-1', ts: T0 + i, seq: i, metrics: { level: i } }));
      await store.appendReadings(readings);
      const kept = await store.readReadings(['wl-1'], T0, T0 + 10_000, 10_000);
      expect(kept.length).toBeGreaterThanOrEqual(maxLen);
      expect(kept.length).toBeLessThan(readings.length);
      // the newest survive
      expect(kept[kept.length - 1].seq).toBe(999);
    });

    it('stores every reading of a batch larger than one append call, in order, with metrics intact', async () => {
      const store = fresh();
      const readings = Array.from({ length: 2_503 }, (_, i) => ({
        deviceId: `rg-${i % 7}`,
        ts: T0 + i,
        seq: Math.floor(i / 7),
        metrics: { rain: i / 10, ...(i % 2 ? { battery: 3.6 } : {}) },
      }));
      await store.appendReadings(readings);
      const ids = Array.from({ length: 7 }, (_, k) => `rg-${k}`);
      const got = await store.readReadings(ids, T0, T0 + 10_000, 10_000);
      expect(got).toHaveLength(readings.length);
      expect(got).toEqual(readings);
    });

    it('appends a readings batch retried with the same batch id only once, chunk by chunk', async () => {
      const store = fresh();
      const batch = Array.from({ length: 2_100 }, (_, i) => ({ deviceId: 'rg-b', ts: T0 + i, seq: i, metrics: { rain: i } }));
      await store.appendReadings(batch, 'gw-1:batch-7');
      await store.appendReadings(batch, 'gw-1:batch-7');
      // another batch id, and no batch id at all, append again
      await store.appendReadings(batch.slice(0, 3), 'gw-1:batch-8');
      await store.appendReadings(batch.slice(0, 2));
      const got = await store.readReadings(['rg-b'], T0, T0 + 10_000, 10_000);
      expect(got).toHaveLength(2_100 + 3 + 2);
      expect(got.filter((r) => r.seq === 0)).toHaveLength(3);
      expect(got.filter((r) => r.seq === 2_099)).toHaveLength(1);
    });

    it('appends only the missing chunks when a larger batch is retried after one chunk was stored', async () => {
      const store = fresh();
      const batch = Array.from({ length: 1_500 }, (_, i) => ({ deviceId: 'rg-c', ts: T0 + i, seq: i, metrics: { rain: 1 } }));
      // chunk 0 (the first 1,000) got through under the same id before the failure
      await store.appendReadings(batch.slice(0, 1_000), 'retry-me');
      await store.appendReadings(batch, 'retry-me');
      const got = await store.readReadings(['rg-c'], T0, T0 + 10_000, 10_000);
      expect(got.map((r) => r.seq)).toEqual(batch.map((r) => r.seq));
    });

    it('appends many concurrent small batches (MQTT: one reading each) once each, in call order, a repeated batch id once', async () => {
      const store = fresh();
      const one = (i: number): Reading[] => [{ deviceId: `rg-m${i % 3}`, ts: T0 + i, seq: i, metrics: { rain: i } }];
      const calls: Promise<void>[] = [];
      for (let i = 0; i < 300; i++) calls.push(store.appendReadings(one(i), `mqtt-${i}`));
      // the same batch ids again while the first ones may still be waiting or in flight, and a small batch without an id
      for (let i = 0; i < 300; i += 50) calls.push(store.appendReadings(one(i), `mqtt-${i}`));
      calls.push(store.appendReadings([...one(1_000), ...one(1_001)]));
      await Promise.all(calls);
      // retried alone afterwards, and inside a larger batch under the same id (its chunk 0): not again
      await store.appendReadings(one(7), 'mqtt-7');
      await store.appendReadings(
        Array.from({ length: 150 }, (_, k) => one(2_000 + k)[0]!),
        'mqtt-8',
      );
      const cursor = await store.readingsCursor();
      const page = await store.readReadingsAfter(EMPTY_READINGS_CURSOR, 10_000);
      expect(page.cursor).toBe(cursor);
      expect(page.readings.map((r) => r.seq)).toEqual([...Array.from({ length: 300 }, (_, i) => i), 1_000, 1_001]);
    });

    it('answers an empty readings cursor for an empty stream and reads entries strictly after a cursor, in append order', async () => {
      const store = fresh();
      expect(await store.readingsCursor()).toBe(EMPTY_READINGS_CURSOR);
      expect(await store.readReadingsAfter(EMPTY_READINGS_CURSOR, 10)).toEqual({ readings: [], cursor: EMPTY_READINGS_CURSOR });

      const first = [3, 1, 2].map((seq) => ({ deviceId: 'pz-1', ts: T0 + seq, seq, metrics: { p: seq } }));
      await store.appendReadings(first);
      const afterFirst = await store.readingsCursor();
      expect(compareReadingsCursors(afterFirst, EMPTY_READINGS_CURSOR)).toBeGreaterThan(0);
      const second = [4, 5, 6, 7].map((seq) => ({ deviceId: 'pz-2', ts: T0 + seq, seq, metrics: { p: seq } }));
      await store.appendReadings(second);
      const newest = await store.readingsCursor();
      expect(compareReadingsCursors(newest, afterFirst)).toBeGreaterThan(0);

      const all = await store.readReadingsAfter(EMPTY_READINGS_CURSOR, 100);
      expect(all.readings).toEqual([...first, ...second]);
      expect(all.cursor).toBe(newest);

      const page1 = await store.readReadingsAfter(afterFirst, 3);
      expect(page1.readings).toEqual(second.slice(0, 3));
      const page2 = await store.readReadingsAfter(page1.cursor, 3);
      expect(page2).toEqual({ readings: second.slice(3), cursor: newest });
      expect(await store.readReadingsAfter(newest, 3)).toEqual({ readings: [], cursor: newest });
    });

    it('stores a readings cursor with device states in the same step and answers it back', async () => {
      const store = fresh();
      expect(await store.deviceStatesCursor()).toBeNull();
      await store.appendReadings([{ deviceId: 'd1', ts: T0, seq: 1, metrics: { a: 1 } }]);
      const cursor = await store.readingsCursor();
      await store.saveDeviceStates([{ deviceId: 'd1', online: true, lastTs: T0, lastSeq: 1, metrics: { a: 1 } }], cursor);
      expect(await store.deviceStatesCursor()).toBe(cursor);
      // states saved without a cursor leave the stored one alone
      await store.saveDeviceStates([{ deviceId: 'd1', online: true, lastTs: T0 + 1, lastSeq: 2, metrics: { a: 2 } }]);
      expect(await store.deviceStatesCursor()).toBe(cursor);
      expect((await store.loadDeviceStates())[0].lastSeq).toBe(2);
    });

    it('records the command that wrote an alert with the alert, and answers it back', async () => {
      const store = fresh();
      const alert = makeAlert({ firstTs: T0 + 7 });
      expect(await store.alertForCommand('ack-77')).toBeNull();
      const acked = { ...alert, acknowledged: true, lastTs: T0 + 8 };
      await store.saveAlert(acked, { ts: acked.lastTs, type: 'alert.acked', scene: acked.scene, alert: acked }, 'ack-77');
      expect(await store.alertForCommand('ack-77')).toBe(alert.id);
      expect(await store.alertForCommand('ack-78')).toBeNull();
      expect((await store.loadAlerts(T0)).find((a) => a.id === alert.id)?.acknowledged).toBe(true);
    });

    it('never lets a write undo an acknowledgement or an incident link another node stored (issue 15)', async () => {
      const store = fresh();
      const alert = makeAlert({ firstTs: T0 + 20 });
      await store.saveAlert(alert);
      // node B: an officer acknowledges, the automation links an incident
      await store.saveAlert({ ...alert, acknowledged: true, ackTs: T0 + 21, ackBy: 'officer1', incidentId: 'INC-9' });
      // node A had not seen either: its next reading-driven write (a later observation, worse level)
      const later = { ...alert, level: 'red' as const, peakLevel: 'red' as const, lastTs: T0 + 30, count: 2 };
      await store.saveAlert(later, { ts: later.lastTs, type: 'alert.updated', scene: later.scene, alert: later });
      const stored = (await store.loadAlerts(T0)).find((a) => a.id === alert.id)!;
      expect(stored).toMatchObject({ level: 'red', lastTs: T0 + 30, count: 2, acknowledged: true, ackBy: 'officer1', incidentId: 'INC-9' });
      // and the logged event carries the folded copy, as every node will apply it
      const logged = (await store.readEvents(T0, T0 + 3_600_000_000_000, 100)).filter((e) => e.alert?.id === alert.id).at(-1);
      expect(logged?.alert).toMatchObject({ lastTs: T0 + 30, acknowledged: true, incidentId: 'INC-9' });
      // an older copy written late (a slow node) moves nothing backwards
      await store.saveAlert({ ...alert, lastTs: T0 + 25 });
      expect((await store.loadAlerts(T0)).find((a) => a.id === alert.id)).toMatchObject({ level: 'red', lastTs: T0 + 30, acknowledged: true });
    });

    it('upserts device states and loads the latest of each', async () => {
      const store = fresh();
      await store.saveDeviceStates([
        { deviceId: 'd1', online: true, lastTs: T0, lastSeq: 1, metrics: { a: 1 } },
        { deviceId: 'd2', online: true, lastTs: T0, lastSeq: 1, metrics: { a: 2 } },
      ]);
      await store.saveDeviceStates([{ deviceId: 'd1', online: false, lastTs: T0 + 5, lastSeq: 2, metrics: { a: 3 } }]);
      await store.saveDeviceStates([]);
      const states = (await store.loadDeviceStates()).sort((a, b) => a.deviceId.localeCompare(b.deviceId));
      expect(states).toEqual([
        { deviceId: 'd1', online: false, lastTs: T0 + 5, lastSeq: 2, metrics: { a: 3 } },
        { deviceId: 'd2', online: true, lastTs: T0, lastSeq: 1, metrics: { a: 2 } },
      ]);
    });

    it('loads open alerts plus those changed after sinceTs, and appends the given event with the alert', async () => {
      const store = fresh();
      const open = makeAlert({ firstTs: T0 });
      const clearedUnacked = makeAlert({ firstTs: T0 + 1, cleared: true, clearedTs: T0 + 2, lastTs: T0 + 2 });
      const oldDone = makeAlert({ firstTs: T0 + 3, cleared: true, acknowledged: true, lastTs: T0 + 4 });
      const recentDone = makeAlert({ firstTs: T0 + 5, cleared: true, acknowledged: true, lastTs: T0 + 20_000 });
      await store.saveAlert(open, { ts: open.lastTs, type: 'alert.raised', scene: open.scene, alert: open });
      for (const a of [clearedUnacked, oldDone, recentDone]) await store.saveAlert(a);

      const ids = (await store.loadAlerts(T0 + 10_000)).map((a) => a.id).sort();
      expect(ids).toEqual([open.id, clearedUnacked.id, recentDone.id].sort());

      // clearing + acking the open one takes it out of the open set
      const closed = { ...open, cleared: true, acknowledged: true, lastTs: T0 + 6 };
      await store.saveAlert(closed, { ts: closed.lastTs, type: 'alert.cleared', scene: closed.scene, alert: closed });
      const after = await store.loadAlerts(T0 + 10_000);
      expect(after.map((a) => a.id)).not.toContain(open.id);

      const events = await store.readEvents(T0, T0 + 100, 10);
      expect(events.map((e) => e.type)).toEqual(['alert.raised', 'alert.cleared']);
      expect(events[0].alert).toEqual(open);
      expect(events[0].id).toMatch(/^\d+-\d+$/);
    });

    it('creates an incident once per commandId and appends incident.created', async () => {
      const store = fresh();
      const incident = makeIncident();
      const first = await store.createIncident(incident, 'cmd-create-1');
      expect(first).toEqual({ status: 'applied', incident });
      const retry = await store.createIncident({ ...incident, id: 'inc-other', title: 'x' }, 'cmd-create-1');
      expect(retry).toEqual({ status: 'duplicate', incident });
      expect(await store.getIncident('inc-other')).toBeNull();
      expect(await store.getIncident(incident.id)).toEqual(incident);

      const events = await store.readEvents(T0, T0, 10);
      expect(events).toHaveLength(1);
      const { history, ...fields } = incident;
      // the event carries the change (newest history entry), not a copy of the whole history
      expect(events[0]).toMatchObject({ type: 'incident.created', scene: 'water', ts: T0, incident: fields, transition: history[0] });
      expect(events[0].incident).not.toHaveProperty('history');
    });

    it('applies a transition once: a retried commandId returns the stored outcome without bumping the version again', async () => {
      const store = fresh();
      const incident = makeIncident();
      await store.createIncident(incident, 'c0');
      const next = dispatched(incident, 'c1');
      expect(await store.transitionIncident(next, 1, 'c1')).toEqual({ status: 'applied', incident: next });

      const retry = await store.transitionIncident(next, 1, 'c1');
      expect(retry).toEqual({ status: 'duplicate', incident: next });
      expect((await store.getIncident(incident.id))?.version).toBe(2);

      const transitions = (await store.readEvents(T0, T0 + 10_000, 10)).filter((e) => e.type === 'incident.transition');
      expect(transitions).toHaveLength(1);
      expect(transitions[0].incident?.state).toBe('dispatched');
      expect(transitions[0].transition).toEqual(next.history[next.history.length - 1]);
      expect(transitions[0].incident).not.toHaveProperty('history');
    });

    it('refuses a transition from a stale version with conflict and the current incident', async () => {
      const store = fresh();
      const incident = makeIncident();
      await store.createIncident(incident, 'c0');
      const winner = dispatched(incident, 'c1', 'alice');
      await store.transitionIncident(winner, 1, 'c1');
      const stale = await store.transitionIncident(dispatched(incident, 'c2', 'bob'), 1, 'c2');
      expect(stale).toEqual({ status: 'conflict', current: winner });
    });

    it('answers not_found for a transition of an unknown incident', async () => {
      const store = fresh();
      const ghost = dispatched(makeIncident({ id: 'inc-ghost' }), 'c1');
      expect(await store.transitionIncident(ghost, 1, 'c1')).toEqual({ status: 'not_found' });
    });

    it('rejects a next incident whose version is not expectedVersion + 1', async () => {
      const store = fresh();
      const incident = makeIncident();
      await store.createIncident(incident, 'c0');
      await expect(store.transitionIncident({ ...dispatched(incident, 'c1'), version: 5 }, 1, 'c1')).rejects.toThrow(RangeError);
    });

    it('lets exactly one of ten concurrent conflicting transitions win', async () => {
      const store = fresh();
      const incident = makeIncident();
      await store.createIncident(incident, 'c0');
      const outcomes = await Promise.all(
        Array.from({ length: 10 }, (_, i) => store.transitionIncident(dispatched(incident, `race-${i}`, `h${i}`), 1, `race-${i}`)),
      );
      const statuses = outcomes.map((o) => o.status);
      expect(statuses.filter((s) => s === 'applied')).toHaveLength(1);
      expect(statuses.filter((s) => s === 'conflict')).toHaveLength(9);
      const stored = await store.getIncident(incident.id);
      expect(stored?.version).toBe(2);
      const winner = outcomes.find((o) => o.status === 'applied');
      expect(winner?.status === 'applied' && winner.incident).toEqual(stored);
    });

    it('loads open incidents and those closed after sinceTs', async () => {
      const store = fresh();
      const open = makeIncident({ id: 'inc-open' });
      const oldClosed = makeIncident({ id: 'inc-old', state: 'closed', closedTs: T0 + 10, updatedTs: T0 + 10 });
      const newClosed = makeIncident({ id: 'inc-new', state: 'closed', closedTs: T0 + 5_000, updatedTs: T0 + 5_000 });
      await store.createIncident(open, 'a');
      await store.createIncident(oldClosed, 'b');
      await store.createIncident(newClosed, 'c');
      expect((await store.loadIncidents(T0 + 1_000)).map((i) => i.id).sort()).toEqual(['inc-new', 'inc-open']);

      // closing moves an incident out of the open index
      const closing = { ...open, version: 2, state: 'closed' as const, closedTs: T0 + 500, updatedTs: T0 + 500 };
      await store.transitionIncident(closing, 1, 'close-open');
      expect((await store.loadIncidents(T0 + 1_000)).map((i) => i.id)).toEqual(['inc-new']);
    });

    it('reads events by ts range, oldest first, at most limit, with stream ids', async () => {
      const store = fresh();
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const alert = makeAlert({ firstTs: T0 + i * 100 });
        ids.push(await store.appendEvent({ ts: T0 + i * 100, type: 'alert.updated', scene: 'emergency', alert }));
      }
      expect(new Set(ids).size).toBe(5);
      const ranged = await store.readEvents(T0 + 100, T0 + 300, 10);
      expect(ranged.map((e) => e.ts - T0)).toEqual([100, 200, 300]);
      expect(ranged.map((e) => e.id)).toEqual(ids.slice(1, 4));
      expect((await store.readEvents(T0, T0 + 1_000, 2)).map((e) => e.ts - T0)).toEqual([0, 100]);
      expect(await store.readEvents(T0 + 1_000, T0 + 2_000, 10)).toEqual([]);
    });

    it('stores, gets and lists users', async () => {
      const store = fresh();
      await store.putUser(makeUser('bob'));
      await store.putUser(makeUser('alice'));
      await store.putUser({ ...makeUser('bob'), failedLogins: 2 });
      expect(await store.getUser('nobody')).toBeNull();
      expect((await store.getUser('bob'))?.failedLogins).toBe(2);
      expect((await store.listUsers()).map((u) => u.username)).toEqual(['alice', 'bob']);
    });

    it('deletes a user: gone from get and list, true only when it existed', async () => {
      const store = fresh();
      await store.putUser(makeUser('bob'));
      await store.putUser(makeUser('alice'));
      expect(await store.deleteUser('bob')).toBe(true);
      expect(await store.deleteUser('bob')).toBe(false);
      expect(await store.deleteUser('nobody')).toBe(false);
      expect(await store.getUser('bob')).toBeNull();
      expect((await store.listUsers()).map((u) => u.username)).toEqual(['alice']);
    });

    it('round-trips binary blobs byte for byte', async () => {
      const store = fresh();
      const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      await store.putBlob('photo-1', 'image/jpeg', bytes);
      const blob = await store.getBlob('photo-1');
      expect(blob?.contentType).toBe('image/jpeg');
      expect(blob?.data.equals(bytes)).toBe(true);
      expect(await store.getBlob('missing')).toBeNull();
    });

    it('claims a command id only once', async () => {
      const store = fresh();
      expect(await store.claimCommand('ack-1', 60_000)).toBe(true);
      expect(await store.claimCommand('ack-1', 60_000)).toBe(false);
      expect(await store.claimCommand('ack-2', 60_000)).toBe(true);
    });

    it('does not let callers mutate stored state through returned or passed objects', async () => {
      const store = fresh();
      const incident = makeIncident();
      await store.createIncident(incident, 'c0');
      incident.title = 'mutated after save';
      const loaded = await store.getIncident(incident.id);
      expect(loaded?.title).not.toBe('mutated after save');
      loaded!.assignees.push('intruder');
      expect((await store.getIncident(incident.id))?.assignees).toEqual([]);
    });

    it('answers ping while up', async () => {
      expect(await fresh().ping()).toBe(true);
    });

    it('stores every kind of odd string, reads it back well-formed, and keeps transitioning the incident', async () => {
      const store = fresh();
      const incident = makeIncident({
        title: ODD_STRINGS.join('|'),
        titleEn: HALF_EMOJI_NOTE,
        category: '__proto__',
        reportedBy: '\u202ehandler\u200f',
      });
      expect((await store.createIncident(incident, `odd-create-${LONE_HIGH}`)).status).toBe('applied');
      let current = wellFormedCopy(incident);
      expect(await store.getIncident(incident.id)).toEqual(current);

      for (const [i, note] of ODD_STRINGS.entries()) {
        const ts = current.updatedTs + 1;
        const next: Incident = {
          ...current,
          version: current.version + 1,
          updatedTs: ts,
          history: [
            ...current.history,
            { action: 'note', from: current.state, to: current.state, actor: note, ts, commandId: `odd-${i}-${note.slice(0, 8)}`, note },
          ],
        };
        const outcome = await store.transitionIncident(next, current.version, `odd-${i}-${note.slice(0, 8)}`);
        expect(outcome).toEqual({ status: 'applied', incident: wellFormedCopy(next) });
        current = wellFormedCopy(next);
      }
      expect(await store.getIncident(incident.id)).toEqual(current);
      // …and a stale retry still answers a typed conflict with the (decodable) current incident
      const stale = await store.transitionIncident(dispatched(incident, 'odd-stale'), 1, 'odd-stale');
      expect(stale).toEqual({ status: 'conflict', current });
      // …and the incident still moves on
      const onward = dispatched(current, 'odd-dispatch');
      expect((await store.transitionIncident(onward, current.version, 'odd-dispatch')).status).toBe('applied');

      const alert = makeAlert({ firstTs: T0 + 9, title: HALF_EMOJI_NOTE, titleEn: ODD_STRINGS.join('') });
      await store.saveAlert(alert, { ts: alert.lastTs, type: 'alert.raised', scene: alert.scene, alert }, `ack-${LONE_LOW}`);
      expect((await store.loadAlerts(T0)).find((a) => a.id === alert.id)).toEqual(wellFormedCopy(alert));

      const user = { ...makeUser('odd'), displayName: ODD_STRINGS.join(' '), skills: ODD_STRINGS };
      await store.putUser(user);
      expect(await store.getUser('odd')).toEqual(wellFormedCopy(user));

      const eventAlert = makeAlert({ firstTs: T0 + 11, title: LONE_HIGH + LONE_LOW.repeat(2) });
      await store.appendEvent({ ts: T0 + 11, type: 'alert.updated', scene: 'emergency', alert: eventAlert });
      const events = await store.readEvents(T0, T0 + 100_000, 1_000);
      expect(events.find((e) => e.alert?.id === eventAlert.id)?.alert).toEqual(wellFormedCopy(eventAlert));
      const noteEvents = events.filter((e) => e.incident?.id === incident.id && e.transition?.action === 'note');
      expect(noteEvents.map((e) => e.transition?.note)).toEqual(ODD_STRINGS.map(wellFormedString));
      // nothing read back holds a lone surrogate
      expect(wellFormedCopy(events)).toEqual(events);
    });

    it('forgets incidents closed and alerts finished longer than closedRetentionMs ago when housekeeping, and keeps the rest', async () => {
      const retention = 60_000;
      const store = fresh({ closedRetentionMs: retention });
      const oldClosed = makeIncident({ id: 'inc-hk-old', state: 'closed', closedTs: T0, updatedTs: T0 });
      const newClosed = makeIncident({ id: 'inc-hk-new', state: 'closed', closedTs: T0 + 50_000, updatedTs: T0 + 50_000 });
      const oldOpen = makeIncident({ id: 'inc-hk-open' });
      for (const i of [oldClosed, newClosed, oldOpen]) await store.createIncident(i, `hk-${i.id}`);
      const oldDone = makeAlert({ firstTs: T0, cleared: true, acknowledged: true, lastTs: T0 });
      const oldActive = makeAlert({ firstTs: T0 + 1, lastTs: T0 + 1 });
      const newDone = makeAlert({ firstTs: T0 + 2, cleared: true, acknowledged: true, lastTs: T0 + 50_000 });
      for (const a of [oldDone, oldActive, newDone]) await store.saveAlert(a);

      const { removed } = await store.housekeep(T0 + retention + 10_000);
      expect(removed).toBe(2);
      expect((await store.loadIncidents(0)).map((i) => i.id).sort()).toEqual(['inc-hk-new', 'inc-hk-open']);
      expect(await store.getIncident('inc-hk-old')).toBeNull();
      expect((await store.loadAlerts(0)).map((a) => a.id).sort()).toEqual([oldActive.id, newDone.id].sort());
      // idempotent
      expect(await store.housekeep(T0 + retention + 10_000)).toEqual({ removed: 0 });
    });

    it('refuses a blob that would exceed maxBlobBytesTotal with E_QUOTA, counting an overwritten id once', async () => {
      const store = fresh({ maxBlobBytesTotal: 1_000 });
      await store.putBlob('p1', 'image/jpeg', Buffer.alloc(600, 1));
      const refused = store.putBlob('p2', 'image/jpeg', Buffer.alloc(600, 2));
      await expect(refused).rejects.toBeInstanceOf(StoreQuotaError);
      await expect(refused).rejects.toMatchObject({ code: 'E_QUOTA' });
      expect(await store.getBlob('p2')).toBeNull();
      // replacing p1 releases its 600 bytes first
      await store.putBlob('p1', 'image/png', Buffer.alloc(900, 3));
      expect((await store.getBlob('p1'))?.data.length).toBe(900);
      await store.putBlob('p3', 'image/jpeg', Buffer.alloc(100, 4));
      await expect(store.putBlob('p4', 'image/jpeg', Buffer.alloc(1, 5))).rejects.toMatchObject({ code: 'E_QUOTA' });
    });
  });
});

describe('MemoryStore specifics', () => {
  it('expires blobs after blobRetentionMs by the injected clock and releases their bytes from the quota', async () => {
    let now = 1_000_000;
    const store = new MemoryStore({ blobRetentionMs: 10_000, maxBlobBytesTotal: 100 }, { now: () => now });
    await store.putBlob('a', 'image/jpeg', Buffer.alloc(80));
    await expect(store.putBlob('b', 'image/jpeg', Buffer.alloc(80))).rejects.toBeInstanceOf(StoreQuotaError);
    now += 10_000;
    expect(await store.getBlob('a')).toBeNull();
    await store.putBlob('b', 'image/jpeg', Buffer.alloc(80));
    expect((await store.getBlob('b'))?.data.length).toBe(80);
  });

  it('forgets a readings batch id after batchIdTtlMs by the injected clock', async () => {
    let now = 1_000_000;
    const store = new MemoryStore({ batchIdTtlMs: 5_000 }, { now: () => now });
    const batch = [{ deviceId: 'd', ts: 1, seq: 1, metrics: {} }];
    await store.appendReadings(batch, 'b');
    now += 4_999;
    await store.appendReadings(batch, 'b');
    expect((await store.readReadingsAfter(EMPTY_READINGS_CURSOR, 10)).readings).toHaveLength(1);
    now += 1;
    await store.appendReadings(batch, 'b');
    expect((await store.readReadingsAfter(EMPTY_READINGS_CURSOR, 10)).readings).toHaveLength(2);
  });

  it('forgets an alert command record after commandTtlMs by the injected clock', async () => {
    let now = 1_000_000;
    const store = new MemoryStore({ commandTtlMs: 5_000 }, { now: () => now });
    await store.saveAlert(makeAlert(), undefined, 'ack-x');
    expect(await store.alertForCommand('ack-x')).toBe(makeAlert().id);
    now += 5_000;
    expect(await store.alertForCommand('ack-x')).toBeNull();
  });

  it('lets a command claim expire after its ttl by the injected clock', async () => {
    let now = 1_000_000;
    const store = new MemoryStore({}, { now: () => now });
    expect(await store.claimCommand('x', 5_000)).toBe(true);
    now += 4_999;
    expect(await store.claimCommand('x', 5_000)).toBe(false);
    now += 1;
    expect(await store.claimCommand('x', 5_000)).toBe(true);
  });

  it('keeps the event log bounded near eventsStreamMaxLen', async () => {
    const store = new MemoryStore({ eventsStreamMaxLen: 10 });
    for (let i = 0; i < 100; i++) await store.appendEvent({ ts: i, type: 'alert.updated', scene: 'water' });
    const events = await store.readEvents(0, 1_000, 1_000);
    expect(events.length).toBeLessThanOrEqual(11);
    expect(events[events.length - 1].ts).toBe(99);
  });
});

describe('openStore', () => {
  it('falls back to the in-memory store with a reason when nothing listens at the Redis URL', async () => {
    const port = await freePort();
    const warnings: unknown[] = [];
    const logger = { info: () => {}, warn: (o: object | string) => warnings.push(o) };
    const { store, kind, reason } = await openStore({ redisUrl: `redis://127.0.0.1:${port}`, logger });
    expect(kind).toBe('memory');
    expect(store.kind).toBe('memory');
    expect(reason).toContain(`redis://127.0.0.1:${port}`);
    expect(reason).toContain('ECONNREFUSED');
    expect(reason).toContain('in-memory');
    expect(warnings).toHaveLength(1);
    await store.close();
  });

  it.skipIf(redis === null)('uses Redis when it answers', async () => {
    const { store, kind, reason } = await openStore({ redisUrl: redis!.url, options: { prefix: `${FILE_PREFIX}-open` } });
    expect(kind).toBe('redis');
    expect(reason).toBeUndefined();
    expect(await store.ping()).toBe(true);
    await store.close();
  });
});

describe.skipIf(redis === null)('RedisStore retention and encoding', () => {
  const raw = redis === null ? null : new Redis(redis.url);
  afterAll(() => raw?.disconnect());

  it('expires a closed incident after closedRetentionMs and keeps it again when it is re-opened', async () => {
    const prefix = `${FILE_PREFIX}-ttl-${randomUUID().slice(0, 6)}`;
    const store = new RedisStore(redis!.url, { prefix, closedRetentionMs: 3_600_000 });
    try {
      const open = makeIncident({ id: 'inc-ttl' });
      await store.createIncident(open, 'ttl-0');
      expect(await raw!.pttl(`${prefix}:incident:inc-ttl`)).toBe(-1);
      const closed = { ...open, version: 2, state: 'closed' as const, closedTs: T0 + 1, updatedTs: T0 + 1 };
      await store.transitionIncident(closed, 1, 'ttl-1');
      const ttl = await raw!.pttl(`${prefix}:incident:inc-ttl`);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(3_600_000);
      const reopened = { ...closed, version: 3, state: 'dispatched' as const, closedTs: undefined, updatedTs: T0 + 2 };
      await store.transitionIncident(reopened, 2, 'ttl-2');
      expect(await raw!.pttl(`${prefix}:incident:inc-ttl`)).toBe(-1);

      const alert = makeAlert({ firstTs: T0 + 3 });
      await store.saveAlert({ ...alert, cleared: true, acknowledged: true });
      expect(await raw!.pttl(`${prefix}:alert:${alert.id}`)).toBeGreaterThan(0);
      await store.saveAlert({ ...alert, cleared: false, acknowledged: true });
      expect(await raw!.pttl(`${prefix}:alert:${alert.id}`)).toBe(-1);

      await store.putBlob('ph', 'image/jpeg', Buffer.alloc(10));
      expect(await raw!.pttl(`${prefix}:blob:ph`)).toBeGreaterThan(0);
      expect(await raw!.pttl(`${prefix}:cmd:ttl-1`)).toBeGreaterThan(0);
    } finally {
      await store.close();
    }
  });

  it('releases the bytes of expired blobs from the quota', async () => {
    const prefix = `${FILE_PREFIX}-blobttl-${randomUUID().slice(0, 6)}`;
    const store = new RedisStore(redis!.url, { prefix, blobRetentionMs: 200, maxBlobBytesTotal: 100 });
    try {
      await store.putBlob('a', 'image/jpeg', Buffer.alloc(80));
      await expect(store.putBlob('b', 'image/jpeg', Buffer.alloc(80))).rejects.toBeInstanceOf(StoreQuotaError);
      await expect.poll(() => store.getBlob('a'), { timeout: 5_000, interval: 50 }).toBeNull();
      await store.putBlob('b', 'image/jpeg', Buffer.alloc(80));
      expect(await raw!.get(`${prefix}:blobs:bytes`)).toBe('80');
    } finally {
      await store.close();
    }
  });

  it('transitions an incident stored with a lone surrogate before well-formed encoding (a bricked incident recovers)', async () => {
    const prefix = `${FILE_PREFIX}-brick-${randomUUID().slice(0, 6)}`;
    const store = new RedisStore(redis!.url, { prefix });
    try {
      // what the old store wrote: JSON.stringify's `\ud83d` escape, which cjson refuses
      const bricked = makeIncident({ id: 'inc-brick', title: `cut ${LONE_HIGH}"version":99` });
      const rawJson = JSON.stringify(bricked);
      expect(rawJson).toContain('\\ud83d');
      await expect(raw!.eval('return cjson.decode(ARGV[1]).version', 0, rawJson)).rejects.toThrow();
      await raw!.set(`${prefix}:incident:inc-brick`, rawJson);
      await raw!.sadd(`${prefix}:incidents:open`, 'inc-brick');

      const stale = await store.transitionIncident(dispatched(bricked, 'brick-0'), 5, 'brick-0').catch((e: unknown) => e);
      expect(stale).toBeInstanceOf(RangeError);
      const conflict = await store.transitionIncident({ ...dispatched(bricked, 'brick-1'), version: 8 }, 7, 'brick-1');
      expect(conflict.status).toBe('conflict');
      const next = dispatched(bricked, 'brick-2');
      const applied = await store.transitionIncident(next, 1, 'brick-2');
      expect(applied).toEqual({ status: 'applied', incident: wellFormedCopy(next) });
      const stored = await store.getIncident('inc-brick');
      expect(stored?.title).toBe(`cut \ufffd"version":99`);
      expect(stored?.version).toBe(2);
      expect((await store.transitionIncident({ ...dispatched(stored!, 'brick-3'), state: 'accepted' }, 2, 'brick-3')).status).toBe('applied');
    } finally {
      await store.close();
    }
  });
});

describe.skipIf(redis === null)('RedisStore across a Redis crash', () => {
  it('reports ping false while Redis is down and works again after a restart', async () => {
    const server = redis!;
    const before = new RedisStore(server.url, { prefix: `${FILE_PREFIX}-crash` });
    expect(await before.ping()).toBe(true);

    server.kill();
    // wait until the client notices the connection is gone
    await expect.poll(() => before.ping(), { timeout: 5_000, interval: 100 }).toBe(false);
    // commands issued while down fail within bounded time instead of hanging
    await expect(before.claimCommand('while-down', 1_000)).rejects.toThrow();

    await server.restart();
    const after = new RedisStore(server.url, { prefix: `${FILE_PREFIX}-crash` });
    try {
      expect(await after.ping()).toBe(true);
      const incident = makeIncident();
      expect((await after.createIncident(incident, 'post-restart')).status).toBe('applied');
      expect(await after.getIncident(incident.id)).toEqual(incident);
      // the old instance reconnects by itself too
      await expect.poll(() => before.ping(), { timeout: 5_000, interval: 100 }).toBe(true);
    } finally {
      await before.close();
      await after.close();
    }
  });
});

describe.each(implementations)('$name store: registry (issue 11)', ({ available, make }) => {
  const opened: Store[] = [];
  const fresh = (options?: Partial<StoreOptions>): Store => {
    const store = make(options);
    opened.push(store);
    return store;
  };
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close()));
  });
  const device = (id: string, version: number, name = id) => ({ id, version, kind: 'strain-gauge', name });
  const change = (version: number, actor = 'admin') => ({ ts: T0 + version, actor, action: 'update', version, before: {}, after: { version } });

  describe.skipIf(!available)('contract', () => {
    it('stores records with their version and answers them by id and as a list', async () => {
      const store = fresh();
      expect(
        await store.writeRegistry('device', [
          { record: device('sg-1', 1), expectedVersion: 0 },
          { record: device('sg-2', 1), expectedVersion: 0 },
        ]),
      ).toEqual({
        status: 'applied',
      });
      expect(await store.getRegistry('device', 'sg-1')).toEqual(device('sg-1', 1));
      expect(await store.getRegistry('device', 'nope')).toBeNull();
      expect(await store.getRegistry('asset', 'sg-1')).toBeNull();
      const all = await store.listRegistry('device');
      expect(all.map((d) => d.id).sort()).toEqual(['sg-1', 'sg-2']);
    });

    it('refuses a whole batch when one write names a stale version (compare-and-set), writing nothing', async () => {
      const store = fresh();
      await store.writeRegistry('device', [{ record: device('sg-1', 1), expectedVersion: 0 }]);
      const outcome = await store.writeRegistry('device', [
        { record: device('sg-2', 1), expectedVersion: 0 },
        { record: device('sg-1', 1, 'again'), expectedVersion: 0 },
      ]);
      expect(outcome).toEqual({ status: 'conflict', conflicts: [{ id: 'sg-1', currentVersion: 1 }] });
      expect(await store.getRegistry('device', 'sg-2')).toBeNull();
      expect(await store.getRegistry('device', 'sg-1')).toEqual(device('sg-1', 1));
    });

    it('lets exactly one of two concurrent edits of the same version win', async () => {
      const store = fresh();
      await store.writeRegistry('rule', [{ record: { id: 'r1', version: 1 }, expectedVersion: 0 }]);
      const results = await Promise.all([
        store.writeRegistry('rule', [{ record: { id: 'r1', version: 2, by: 'a' } as RegistryRecord, expectedVersion: 1 }]),
        store.writeRegistry('rule', [{ record: { id: 'r1', version: 2, by: 'b' } as RegistryRecord, expectedVersion: 1 }]),
      ]);
      expect(results.map((r) => r.status).sort()).toEqual(['applied', 'conflict']);
      expect((await store.getRegistry<{ id: string; version: number }>('rule', 'r1'))?.version).toBe(2);
    });

    it('keeps setting documents (issue 14) apart from rules, compare-and-set with history', async () => {
      const store = fresh();
      const doc = (version: number, minCount: number) => ({ id: 'area-warning-rules', version, rules: [{ minCount }] }) as RegistryRecord;
      const change = (version: number): RegistryChange => ({ ts: 1000 + version, actor: 'admin', action: 'replace', version, before: {}, after: {} });
      expect((await store.writeRegistry('setting', [{ record: doc(1, 3), expectedVersion: 0, change: change(1) }])).status).toBe('applied');
      expect(await store.getRegistry('rule', 'area-warning-rules')).toBeNull();
      // a writer that read version 0 loses: the document exists now
      expect((await store.writeRegistry('setting', [{ record: doc(1, 9), expectedVersion: 0 }])).status).toBe('conflict');
      expect((await store.writeRegistry('setting', [{ record: doc(2, 4), expectedVersion: 1, change: change(2) }])).status).toBe('applied');
      expect(await store.getRegistry('setting', 'area-warning-rules')).toEqual(doc(2, 4));
      expect((await store.listRegistry('setting')).map((r) => r.id)).toEqual(['area-warning-rules']);
      expect((await store.registryHistory('setting', 'area-warning-rules', 10)).map((c) => c.version)).toEqual([1, 2]);
    });

    it('keeps only the newest registryHistoryPerRecord history entries per record, oldest first', async () => {
      const store = fresh({ registryHistoryPerRecord: 3 });
      for (let v = 1; v <= 5; v++)
        await store.writeRegistry('asset', [{ record: { id: 'br-1', version: v }, expectedVersion: v - 1, change: change(v) }]);
      expect((await store.registryHistory('asset', 'br-1', 10)).map((c) => c.version)).toEqual([3, 4, 5]);
      expect((await store.registryHistory('asset', 'br-1', 2)).map((c) => c.version)).toEqual([4, 5]);
      expect(await store.registryHistory('asset', 'other', 10)).toEqual([]);
    });

    it('stores device credentials with the write and replaces them on rotation', async () => {
      const store = fresh();
      await store.writeRegistry('device', [
        { record: device('sg-1', 1), expectedVersion: 0, credential: { deviceId: 'sg-1', kind: 'secret', sha256: 'a'.repeat(64), issuedTs: T0 } },
        { record: device('sg-2', 1), expectedVersion: 0, credential: { deviceId: 'sg-2', kind: 'demo-hmac', issuedTs: T0 } },
      ]);
      await store.writeRegistry('device', [
        { record: device('sg-1', 2), expectedVersion: 1, credential: { deviceId: 'sg-1', kind: 'secret', sha256: 'b'.repeat(64), issuedTs: T0 + 1 } },
      ]);
      const creds = (await store.listDeviceCredentials()).sort((a, b) => a.deviceId.localeCompare(b.deviceId));
      expect(creds).toEqual([
        { deviceId: 'sg-1', kind: 'secret', sha256: 'b'.repeat(64), issuedTs: T0 + 1 },
        { deviceId: 'sg-2', kind: 'demo-hmac', issuedTs: T0 },
      ]);
    });

    it('writes 5,000 records in chunks and reads them all back, each once (paged reads); odd strings and __proto__ keys survive as data', async () => {
      const store = fresh();
      const records = Array.from({ length: 5_000 }, (_, i) => ({ ...device(`d-${i}`, 1), note: ODD_STRINGS[i % ODD_STRINGS.length]!.slice(0, 200) }));
      for (let i = 0; i < records.length; i += 1_000)
        expect(
          (
            await store.writeRegistry(
              'device',
              records.slice(i, i + 1_000).map((record) => ({
                record,
                expectedVersion: 0,
                credential: { deviceId: record.id, kind: 'demo-hmac' as const, issuedTs: T0 },
              })),
            )
          ).status,
        ).toBe('applied');
      const listed = await store.listRegistry('device');
      expect(listed).toHaveLength(5_000);
      expect(new Set(listed.map((d) => d.id)).size).toBe(5_000);
      const creds = await store.listDeviceCredentials();
      expect(new Set(creds.map((c) => c.deviceId)).size).toBe(5_000);
      expect(creds).toHaveLength(5_000);
      const odd = JSON.parse('{"id":"odd","version":1,"attributes":{"__proto__":{"polluted":true}}}') as { id: string; version: number };
      await store.writeRegistry('asset', [{ record: odd, expectedVersion: 0 }]);
      const back = await store.getRegistry<RegistryRecord & { attributes: Record<string, unknown> }>('asset', 'odd');
      expect(Object.keys(back!.attributes)).toEqual(['__proto__']);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(back!.attributes).toEqual(wellFormedCopy(JSON.parse('{"__proto__":{"polluted":true}}')));
    });

    it('reads many records and credentials by id in one call, leaving unknown ids out', async () => {
      const store = fresh();
      await store.writeRegistry('device', [
        { record: device('sg-1', 1), expectedVersion: 0, credential: { deviceId: 'sg-1', kind: 'secret', sha256: 'a'.repeat(64), issuedTs: T0 } },
        { record: device('sg-2', 1), expectedVersion: 0, credential: { deviceId: 'sg-2', kind: 'demo-hmac', issuedTs: T0 } },
        { record: device('sg-3', 1), expectedVersion: 0 },
      ]);
      const byId = <T extends { id?: string; deviceId?: string }>(list: T[]) =>
        list.sort((a, b) => (a.id ?? a.deviceId!).localeCompare(b.id ?? b.deviceId!));
      expect(byId(await store.getRegistryRecords('device', ['sg-3', 'nope', 'sg-1', 'sg-1']))).toEqual([device('sg-1', 1), device('sg-3', 1)]);
      expect(await store.getRegistryRecords('asset', ['sg-1'])).toEqual([]);
      expect(await store.getRegistryRecords('device', [])).toEqual([]);
      expect(byId(await store.getDeviceCredentials(['sg-2', 'sg-3', 'sg-1']))).toEqual([
        { deviceId: 'sg-1', kind: 'secret', sha256: 'a'.repeat(64), issuedTs: T0 },
        { deviceId: 'sg-2', kind: 'demo-hmac', issuedTs: T0 },
      ]);
      expect(await store.getDeviceCredentials([])).toEqual([]);
    });

    it('appends one registry.changed event per applied write (issue 15), tagged with its node, and none for a refused one', async () => {
      const store = fresh({ nodeId: 'node-a' });
      const start = await store.logCursor();
      await store.writeRegistry('device', [
        { record: device('sg-1', 1), expectedVersion: 0 },
        { record: device('sg-2', 1), expectedVersion: 0 },
      ]);
      // a stale version: nothing written, nothing told
      expect((await store.writeRegistry('device', [{ record: device('sg-1', 1), expectedVersion: 0 }])).status).toBe('conflict');
      await store.writeRegistry('rule', [{ record: { id: 'r1', version: 1 }, expectedVersion: 0 }]);
      await store.writeRegistry('asset', []);
      const tail = await store.tailLog(start, 0, 100);
      expect(tail.events.map(({ event, node }) => ({ type: event.type, scene: event.scene, registry: event.registry, node }))).toEqual([
        { type: 'registry.changed', scene: 'overview', registry: { collection: 'device', ids: ['sg-1', 'sg-2'] }, node: 'node-a' },
        { type: 'registry.changed', scene: 'overview', registry: { collection: 'rule', ids: ['r1'] }, node: 'node-a' },
      ]);
      expect(tail.events.every(({ event }) => Math.abs(event.ts - Date.now()) < 60_000)).toBe(true);
    });

    it('names no ids but `all` when a write has more records than registryEventMaxIds', async () => {
      const store = fresh({ registryEventMaxIds: 2 });
      const start = await store.logCursor();
      await store.writeRegistry(
        'asset',
        [1, 2, 3].map((i) => ({ record: { id: `a-${i}`, version: 1 }, expectedVersion: 0 })),
      );
      await store.writeRegistry(
        'asset',
        [4, 5].map((i) => ({ record: { id: `a-${i}`, version: 1 }, expectedVersion: 0 })),
      );
      const tail = await store.tailLog(start, 0, 100);
      expect(tail.events.map(({ event }) => event.registry)).toEqual([
        { collection: 'asset', ids: [], all: true },
        { collection: 'asset', ids: ['a-4', 'a-5'] },
      ]);
    });

    it('never answers registry.changed events from readEvents (replay shows domain history only)', async () => {
      const store = fresh();
      const ts = Date.now();
      await store.appendEvent({ ts, type: 'alert.raised', scene: 'water' });
      await store.writeRegistry('device', [{ record: device('sg-1', 1), expectedVersion: 0 }]);
      await store.appendEvent({ ts: ts + 1, type: 'alert.cleared', scene: 'water' });
      const events = await store.readEvents(ts - 60_000, ts + 60_000, 10);
      expect(events.map((e) => e.type)).toEqual(['alert.raised', 'alert.cleared']);
    });
  });
});

describe.skipIf(redis === null)('RedisStore: registry writes on one node reach another (issue 15)', () => {
  const opened: Store[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close()));
  });

  it("shows another node's registry write in its tailLog with that node's tag, and the records it names are readable", async () => {
    const prefix = `${FILE_PREFIX}-${++storeCounter}`;
    const a = new RedisStore(redis!.url, { prefix, nodeId: 'node-a' });
    const b = new RedisStore(redis!.url, { prefix, nodeId: 'node-b' });
    opened.push(a, b);
    const start = await b.logCursor();
    const credential = { deviceId: 'sg-9', kind: 'secret' as const, sha256: 'c'.repeat(64), issuedTs: T0 };
    await a.writeRegistry('device', [{ record: { id: 'sg-9', version: 1, name: 'new' } as RegistryRecord, expectedVersion: 0, credential }]);
    const tail = await b.tailLog(start, 0, 100);
    expect(tail.events).toHaveLength(1);
    expect(tail.events[0]).toMatchObject({ node: 'node-a', event: { type: 'registry.changed', registry: { collection: 'device', ids: ['sg-9'] } } });
    expect(await b.getRegistryRecords('device', tail.events[0]!.event.registry!.ids)).toEqual([{ id: 'sg-9', version: 1, name: 'new' }]);
    expect(await b.getDeviceCredentials(['sg-9'])).toEqual([credential]);
  });
});

describe.each(implementations)('$name store: commands to devices (issue 13)', ({ available, make }) => {
  const opened: Store[] = [];
  const fresh = (options?: Partial<StoreOptions>): Store => {
    const store = make(options);
    opened.push(store);
    return store;
  };
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close()));
  });
  const command = (commandId: string, overrides: Partial<DeviceCommandRecord> = {}): DeviceCommandRecord => ({
    commandId,
    deviceId: 'pump-1',
    kind: 'pump-station',
    district: '370202',
    name: 'start',
    params: {},
    actor: 'officer1',
    role: 'officer',
    channel: 'mqtt',
    status: 'sent',
    issuedAt: T0,
    deadline: T0 + 10_000,
    ...overrides,
  });
  const event = (record: DeviceCommandRecord) => ({
    ts: record.settledAt ?? record.issuedAt,
    type: 'device.command' as const,
    scene: 'water' as const,
    deviceCommand: record,
  });

  describe.skipIf(!available)('contract', () => {
    it('creates a command once per commandId and answers the stored record to a second create, writing nothing', async () => {
      const store = fresh();
      const first = command(`c-${randomUUID()}`);
      expect(await store.createDeviceCommand(first, event(first))).toEqual({ status: 'created' });
      const again = await store.createDeviceCommand({ ...first, name: 'stop', actor: 'other' }, event(first));
      expect(again).toEqual({ status: 'duplicate', command: first });
      expect(await store.getDeviceCommand(first.commandId)).toEqual(first);
      const events = (await store.readEvents(T0, T0 + 1, 10)).filter((e) => e.type === 'device.command');
      expect(events).toHaveLength(1);
      expect(events[0]!.deviceCommand).toEqual(first);
    });

    it('lets exactly one of ten concurrent creates of one commandId create it', async () => {
      const store = fresh();
      const id = `c-${randomUUID()}`;
      const outcomes = await Promise.all(Array.from({ length: 10 }, (_, i) => store.createDeviceCommand(command(id, { actor: `u${i}` }))));
      expect(outcomes.filter((o) => o.status === 'created')).toHaveLength(1);
      expect((await store.listDeviceCommands('pump-1', 50)).map((c) => c.commandId)).toEqual([id]);
    });

    it('settles a command only from the expected status (sent by default), appending the event with it', async () => {
      const store = fresh();
      const sent = command(`c-${randomUUID()}`);
      await store.createDeviceCommand(sent);
      const acked = { ...sent, status: 'acknowledged' as const, settledAt: T0 + 500 };
      expect(await store.updateDeviceCommand(acked, 'sent', event(acked))).toEqual({ status: 'applied', command: acked });
      const timedOut = { ...sent, status: 'timed_out' as const, settledAt: T0 + 10_000 };
      expect(await store.updateDeviceCommand(timedOut)).toEqual({ status: 'conflict', command: acked });
      expect(await store.getDeviceCommand(sent.commandId)).toEqual(acked);
      expect(await store.updateDeviceCommand(command('never-created'))).toEqual({ status: 'not_found' });
      const events = (await store.readEvents(T0, T0 + 1_000, 10)).filter((e) => e.type === 'device.command');
      expect(events.map((e) => e.deviceCommand?.status)).toEqual(['acknowledged']);
    });

    it('records a late acknowledgement on a timed-out command by compare-and-set from timed_out', async () => {
      const store = fresh();
      const sent = command(`c-${randomUUID()}`);
      await store.createDeviceCommand(sent);
      const timedOut = { ...sent, status: 'timed_out' as const, settledAt: T0 + 10_000 };
      expect((await store.updateDeviceCommand(timedOut)).status).toBe('applied');
      const late = { ...timedOut, lateAck: { status: 'ok' as const, ts: T0 + 12_000 } };
      expect(await store.updateDeviceCommand(late, 'timed_out')).toEqual({ status: 'applied', command: late });
    });

    it('lists a device newest first, at most limit and at most deviceCommandsPerDevice, and only that device', async () => {
      const store = fresh({ deviceCommandsPerDevice: 3 });
      const ids = Array.from({ length: 5 }, (_, i) => `c-${i}-${randomUUID().slice(0, 6)}`);
      for (const [i, id] of ids.entries()) await store.createDeviceCommand(command(id, { issuedAt: T0 + i }));
      await store.createDeviceCommand(command(`other-${randomUUID()}`, { deviceId: 'pump-2' }));
      expect((await store.listDeviceCommands('pump-1', 50)).map((c) => c.commandId)).toEqual([ids[4], ids[3], ids[2]]);
      expect((await store.listDeviceCommands('pump-1', 2)).map((c) => c.commandId)).toEqual([ids[4], ids[3]]);
      expect(await store.listDeviceCommands('pump-9', 10)).toEqual([]);
    });

    it('answers the commands still sent, earliest deadline first, and forgets them once settled', async () => {
      const store = fresh();
      const late = command(`c-late-${randomUUID()}`, { deadline: T0 + 20_000 });
      const early = command(`c-early-${randomUUID()}`, { deadline: T0 + 5_000 });
      const settled = command(`c-done-${randomUUID()}`, { status: 'failed', settledAt: T0 });
      await store.createDeviceCommand(late);
      await store.createDeviceCommand(early);
      await store.createDeviceCommand(settled);
      expect((await store.pendingDeviceCommands(10)).map((c) => c.commandId)).toEqual([early.commandId, late.commandId]);
      await store.updateDeviceCommand({ ...early, status: 'timed_out', settledAt: T0 + 5_000 });
      expect((await store.pendingDeviceCommands(10)).map((c) => c.commandId)).toEqual([late.commandId]);
      expect(await store.pendingDeviceCommands(0)).toEqual([]);
    });
  });
});

describe('MemoryStore specifics: commands to devices', () => {
  it('forgets a command record deviceCommandTtlMs after its last write by the injected clock', async () => {
    let now = 1_000_000;
    const store = new MemoryStore({ deviceCommandTtlMs: 1_000 }, { now: () => now });
    const record: DeviceCommandRecord = {
      commandId: 'c1',
      deviceId: 'pump-1',
      kind: 'pump-station',
      name: 'start',
      params: {},
      actor: 'officer1',
      role: 'officer',
      channel: 'socket',
      status: 'sent',
      issuedAt: now,
      deadline: now + 500,
    };
    await store.createDeviceCommand(record);
    now += 999;
    expect(await store.getDeviceCommand('c1')).not.toBeNull();
    now += 1;
    expect(await store.getDeviceCommand('c1')).toBeNull();
    expect(await store.listDeviceCommands('pump-1', 10)).toEqual([]);
    expect(await store.pendingDeviceCommands(10)).toEqual([]);
    expect((await store.createDeviceCommand(record)).status).toBe('created');
  });
});
