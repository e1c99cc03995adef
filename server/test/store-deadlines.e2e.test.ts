/**
 * Store calls have deadlines (issue 10, defect #6): while Redis is dead, stopped (accepts nothing,
 * answers nothing) or not yet reachable, every RedisStore call settles with StoreUnavailableError
 * (`E_UNAVAILABLE`) instead of hanging, and ping() answers false. Each test runs its own
 * throwaway redis-server so it can SIGKILL / SIGSTOP it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReplyError } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import type { Alert, Incident } from '../../scenes/domain';
import { freePort } from '../../tests/helpers/free-port';
import { findRedisServerBinary } from '../../tests/helpers/redis-server';
import { isRedisUnavailableError, RedisStore } from '../store/redis-store';
import { StoreUnavailableError, type Store } from '../store/store';

const binary = findRedisServerBinary();
if (binary === null && process.env.CI) throw new Error('redis-server binary missing in CI');
/** generous: the requirement is "settles with a typed error", not a latency (that is bench/ work) */
const SETTLE_TIMEOUT_MS = 10_000;
/** a short command deadline keeps the stopped-server case quick; the default is 2 s */
const TEST_COMMAND_TIMEOUT_MS = 500;

interface OwnRedis {
  child: ChildProcess;
  url: string;
  dir: string;
}

const started: OwnRedis[] = [];
const stores: Store[] = [];

async function startOwnRedis(): Promise<OwnRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'ioc-deadline-redis-'));
  const child = spawn(binary!, ['--save', '', '--appendonly', 'no', '--port', String(port), '--bind', '127.0.0.1', '--dir', dir], {
    stdio: 'ignore',
  });
  const own = { child, url: `redis://127.0.0.1:${port}`, dir };
  started.push(own);
  return own;
}

function storeAt(url: string): RedisStore {
  const store = new RedisStore(
    url,
    { prefix: `deadline-${randomUUID().slice(0, 8)}` },
    { commandTimeoutMs: TEST_COMMAND_TIMEOUT_MS, pingTimeoutMs: 500 },
  );
  stores.push(store);
  return store;
}

/** Wait until the store answers (the server may still be starting). */
async function untilUp(store: Store): Promise<void> {
  await expect.poll(() => store.ping(), { timeout: SETTLE_TIMEOUT_MS, interval: 50 }).toBe(true);
}

afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
  for (const own of started.splice(0)) {
    own.child.kill('SIGCONT');
    own.child.kill('SIGKILL');
    rmSync(own.dir, { recursive: true, force: true });
  }
});

const T0 = Date.now();
const incident: Incident = {
  id: 'inc-deadline',
  version: 1,
  state: 'reported',
  priority: 'P2',
  level: 'orange',
  scene: 'water',
  category: 'waterlogging',
  title: 'deadline',
  district: '370202',
  location: [120.38, 36.06],
  source: 'manual',
  alertIds: [],
  assignees: [],
  escalated: false,
  createdTs: T0,
  updatedTs: T0,
  slaDueTs: T0 + 3_600_000,
  slaResponseDueTs: T0 + 1_800_000,
  reportedBy: 'officer01',
  photos: [],
  history: [{ action: 'create', from: null, to: 'reported', actor: 'officer01', ts: T0, commandId: 'c0' }],
};
const alert: Alert = {
  id: 'gas-1|gas-lel|1',
  deviceId: 'gas-1',
  deviceKind: 'gas-detector',
  ruleId: 'gas-lel',
  scene: 'emergency',
  district: '370203',
  location: [120.35, 36.09],
  level: 'yellow',
  peakLevel: 'yellow',
  cleared: false,
  acknowledged: false,
  firstTs: T0,
  lastTs: T0,
  count: 1,
  value: 12,
  metric: 'lel',
  title: 'gas',
  titleEn: 'gas',
};

/** Every kind of call the server makes on a command or ingest path. */
function everyCall(store: Store): Record<string, () => Promise<unknown>> {
  const next: Incident = { ...incident, version: 2, state: 'dispatched', updatedTs: T0 + 1 };
  return {
    appendReadings: () => store.appendReadings([{ deviceId: 'd1', ts: T0, seq: 1, metrics: { a: 1 } }], 'b1'),
    saveAlert: () => store.saveAlert(alert, { ts: T0, type: 'alert.raised', scene: 'emergency', alert }, 'ack-1'),
    transitionIncident: () => store.transitionIncident(next, 1, 'c1'),
    createIncident: () => store.createIncident(incident, 'c0'),
    getIncident: () => store.getIncident(incident.id),
    loadAlerts: () => store.loadAlerts(0),
    readingsCursor: () => store.readingsCursor(),
  };
}

async function expectAllUnavailable(store: Store): Promise<void> {
  const calls = everyCall(store);
  const settled = await Promise.allSettled(Object.values(calls).map((call) => call()));
  const outcomes = Object.keys(calls).map((name, i) => {
    const s = settled[i];
    return [
      name,
      s.status === 'rejected' && s.reason instanceof StoreUnavailableError ? s.reason.code : s.status === 'rejected' ? String(s.reason) : 'resolved',
    ];
  });
  expect(Object.fromEntries(outcomes)).toEqual(Object.fromEntries(Object.keys(calls).map((name) => [name, 'E_UNAVAILABLE'])));
  expect(await store.ping()).toBe(false);
}

describe.skipIf(binary === null)('RedisStore deadlines', () => {
  it('rejects every call with E_UNAVAILABLE, and ping answers false, once Redis was killed', { timeout: 3 * SETTLE_TIMEOUT_MS }, async () => {
    const own = await startOwnRedis();
    const store = storeAt(own.url);
    await untilUp(store);
    await store.createIncident(incident, 'c0');

    own.child.kill('SIGKILL');
    await expect.poll(() => store.ping(), { timeout: SETTLE_TIMEOUT_MS, interval: 50 }).toBe(false);
    await expectAllUnavailable(store);
  });

  it(
    'rejects every call with E_UNAVAILABLE while Redis is stopped (connected but silent), and works after it resumes',
    { timeout: 3 * SETTLE_TIMEOUT_MS },
    async () => {
      const own = await startOwnRedis();
      const store = storeAt(own.url);
      await untilUp(store);
      await store.createIncident(incident, 'c0');

      own.child.kill('SIGSTOP');
      await expectAllUnavailable(store);

      own.child.kill('SIGCONT');
      await untilUp(store);
      expect((await store.getIncident(incident.id))?.id).toBe(incident.id);
    },
  );

  it('rejects a call with E_UNAVAILABLE when Redis never answered since the store was built', { timeout: SETTLE_TIMEOUT_MS }, async () => {
    const store = storeAt(`redis://127.0.0.1:${await freePort()}`);
    await expect(store.getIncident('x')).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.appendReadings([{ deviceId: 'd1', ts: T0, seq: 1, metrics: {} }])).rejects.toMatchObject({ code: 'E_UNAVAILABLE' });
    expect(await store.ping()).toBe(false);
  });
});

describe('isRedisUnavailableError', () => {
  it('treats "not serving now" replies and connection failures as unavailable, and command errors as bugs', () => {
    expect(isRedisUnavailableError(new ReplyError('LOADING Redis is loading the dataset in memory'))).toBe(true);
    expect(isRedisUnavailableError(new ReplyError('BUSY Redis is busy running a script'))).toBe(true);
    expect(isRedisUnavailableError(new Error('Command timed out'))).toBe(true);
    expect(isRedisUnavailableError(new Error("Stream isn't writeable and enableOfflineQueue options is false"))).toBe(true);
    expect(isRedisUnavailableError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isRedisUnavailableError(new ReplyError('WRONGTYPE Operation against a key holding the wrong kind of value'))).toBe(false);
    expect(isRedisUnavailableError(new ReplyError('ERR Error running script: user_script:3: bad argument'))).toBe(false);
    expect(isRedisUnavailableError(new RangeError('version'))).toBe(false);
  });
});
