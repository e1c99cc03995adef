/**
 * The session backends' shared contract: memory and a real Redis (tests/helpers/redis-server.ts)
 * behave the same — expiry, guarded patches (a rotation and a touch never undo each other),
 * removal, per-user and kiosk listings.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { startRedisServer, type TestRedisServer } from '../../tests/helpers/redis-server';
import { MemorySessionBackend, type SessionBackend, type SessionRecord } from './session-store';
import { RedisSessionBackend } from './session-store-redis';

let redis: TestRedisServer | null = null;
let client: Redis | null = null;
beforeAll(async () => {
  redis = await startRedisServer();
  if (redis) client = new Redis(redis.url);
});
afterAll(async () => {
  client?.disconnect();
  await redis?.stop();
});

function record(overrides: Partial<SessionRecord> & { sid: string }): SessionRecord {
  const now = Date.now();
  return {
    username: 'officer1',
    role: 'officer',
    kind: 'console',
    displayName: '值班员',
    createdTs: now,
    lastSeenTs: now,
    expiresTs: now + 3600_000,
    refreshHash: 'h0',
    usedRefreshHashes: '',
    source: '10.0.0.1',
    userAgent: 'ua',
    ...overrides,
  };
}

let seq = 0;
const backends: [string, () => SessionBackend | null][] = [
  ['memory', () => new MemorySessionBackend()],
  ['redis', () => (client ? new RedisSessionBackend(client, `sst${process.pid}-${seq++}`) : null)],
];

describe.each(backends)('session backend: %s', (_name, make) => {
  it('creates, reads and removes records, and lists them per user', async () => {
    const b = make();
    if (!b) return;
    await b.create(record({ sid: 'sid-aaaaaaaa' }));
    await b.create(record({ sid: 'sid-bbbbbbbb' }));
    await b.create(record({ sid: 'sid-cccccccc', username: 'officer2' }));
    expect((await b.get('sid-aaaaaaaa'))?.username).toBe('officer1');
    expect((await b.listByUser('officer1')).map((r) => r.sid).sort()).toEqual(['sid-aaaaaaaa', 'sid-bbbbbbbb']);
    const gone = await b.remove(['sid-aaaaaaaa', 'sid-missing0']);
    expect(gone.map((r) => r.sid)).toEqual(['sid-aaaaaaaa']);
    expect(await b.get('sid-aaaaaaaa')).toBeNull();
    expect((await b.listByUser('officer1')).map((r) => r.sid)).toEqual(['sid-bbbbbbbb']);
  });

  it('patches only when the expected refresh hash is current, and never moves "last seen" back', async () => {
    const b = make();
    if (!b) return;
    const r = record({ sid: 'sid-patch000', lastSeenTs: 1000 });
    await b.create(r);
    expect(await b.patch('sid-patch000', { refreshHash: 'h1', usedRefreshHashes: 'h0' }, 'h0')).toBe('ok');
    // the same spent hash again: someone else rotated first
    expect(await b.patch('sid-patch000', { refreshHash: 'h2', usedRefreshHashes: 'h1 h0' }, 'h0')).toBe('conflict');
    expect(await b.patch('sid-patch000', { lastSeenTs: 5000 })).toBe('ok');
    expect(await b.patch('sid-patch000', { lastSeenTs: 3000 })).toBe('ok');
    const now = await b.get('sid-patch000');
    expect(now).toMatchObject({ refreshHash: 'h1', usedRefreshHashes: 'h0', lastSeenTs: 5000, expiresTs: r.expiresTs, createdTs: r.createdTs });
    expect(await b.patch('sid-nothere0', { lastSeenTs: 1 })).toBe('missing');
  });

  it('forgets a record at its end', async () => {
    const b = make();
    if (!b) return;
    await b.create(record({ sid: 'sid-short000', expiresTs: Date.now() + 150 }));
    expect(await b.get('sid-short000')).not.toBeNull();
    const deadline = Date.now() + 5000;
    while ((await b.get('sid-short000')) !== null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(await b.get('sid-short000')).toBeNull();
    expect(await b.listByUser('officer1')).toEqual([]);
  });

  it('lists kiosk sessions apart, keeping their scenes', async () => {
    const b = make();
    if (!b) return;
    await b.create(
      record({
        sid: 'sid-kiosk000',
        username: 'kiosk:sid-kiosk000',
        role: 'screen',
        kind: 'kiosk',
        scenes: ['overview', 'water'],
        createdBy: 'admin',
      }),
    );
    await b.create(record({ sid: 'sid-kiosk001', username: 'kiosk:sid-kiosk001', role: 'screen', kind: 'kiosk', scenes: [] }));
    await b.create(record({ sid: 'sid-console0' }));
    // a touch rewrites the record (Redis: through cjson, which turns [] into {}); it must read back the same
    await b.patch('sid-kiosk001', { lastSeenTs: Date.now() + 10 });
    const kiosks = (await b.listKiosk()).sort((x, y) => x.sid.localeCompare(y.sid));
    expect(kiosks.map((k) => k.sid)).toEqual(['sid-kiosk000', 'sid-kiosk001']);
    expect(kiosks[0]).toMatchObject({ scenes: ['overview', 'water'], createdBy: 'admin' });
    expect(kiosks[1]!.scenes ?? []).toEqual([]);
    await b.remove(['sid-kiosk000']);
    expect((await b.listKiosk()).map((k) => k.sid)).toEqual(['sid-kiosk001']);
  });
});
