/**
 * Acknowledged means durable (issue 10, #4 and #5), against a real, throwaway Redis:
 * - a reading answered `accepted` and resent after the server went away before its device states
 *   were flushed is a duplicate, and the readings stream holds it once;
 * - a reading answered `deferred` while Redis was down is in the stream exactly once after Redis
 *   and the server come back, even when the spool is replayed twice.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRedisServer } from '../../tests/helpers/redis-server';
import { RedisStore } from '../store/redis-store';
import type { DeviceState, Reading } from '../../scenes/domain';
import type { ReadingsCursor } from '../store/store';
import { ingest, sign, startTestServer } from './helpers';

const redis = await startRedisServer();
const dirs: string[] = [];
afterAll(async () => {
  await redis?.stop();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** How long a condition may take on a loaded machine before the test fails. */
const WAIT_MS = 20_000;
async function waitUntil(what: string, cond: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A Redis store whose device-state flushes can be made to fail: the server "crashes" before its next flush. */
class FlushBlockingStore extends RedisStore {
  blockFlush = false;
  override async saveDeviceStates(states: readonly DeviceState[], cursor?: ReadingsCursor): Promise<void> {
    if (this.blockFlush) throw new Error('device state flush blocked (simulated crash before the flush)');
    return super.saveDeviceStates(states, cursor);
  }
}

function readingsFor(deviceId: string, metric: string, seqs: number[], ts: number): Reading[] {
  return seqs.map((seq) => ({ deviceId, ts: ts + seq, seq, metrics: { [metric]: 100 + seq } }));
}

let prefixCounter = 0;
const prefix = () => `ingestdur${Date.now().toString(36)}${prefixCounter++}`;

describe.skipIf(redis === null)('acknowledged readings across a restart (real Redis)', () => {
  it('answers readings accepted before a crash as duplicates when resent, and stores each once', { timeout: 60_000 }, async () => {
    const p = prefix();
    const storeA = new FlushBlockingStore(redis!.url, { prefix: p });
    const a = await startTestServer({}, { store: storeA });
    const [strain, other] = [...a.fusion.devices.values()].filter((d) => d.kind === 'strain-gauge');
    const now = Date.now() - 60_000;
    const first = readingsFor(strain!.id, 'strain', [1, 2, 3, 4, 5], now);
    expect((await ingest(a, sign(first))).body).toMatchObject({ accepted: 5, duplicates: 0, rejected: [] });
    // one flush covers the first batch (its cursor is the stream's end)…
    const cursorAfterFirst = await storeA.readingsCursor();
    await waitUntil(
      'the device states were flushed with the cursor of the first batch',
      async () => (await storeA.deviceStatesCursor()) === cursorAfterFirst,
    );
    // …then the server goes away before the next flush: the second batch is only in the stream
    storeA.blockFlush = true;
    const second = [...readingsFor(strain!.id, 'strain', [6, 7, 8, 9, 10], now), ...readingsFor(other!.id, 'strain', [1, 2, 3], now)];
    expect((await ingest(a, sign(second))).body).toMatchObject({ accepted: 8, rejected: [] });
    await a.close();

    const b = await startTestServer({}, { store: new RedisStore(redis!.url, { prefix: p }) });
    try {
      // out of order and shuffled on purpose: every one of them was acknowledged before
      const resent = sign([...second].reverse().concat(first));
      expect((await ingest(b, resent)).body).toMatchObject({ accepted: 0, outOfOrder: 0, duplicates: 13, rejected: [] });
      const stored = await b.store.readReadings([strain!.id, other!.id], 0, Date.now(), 100);
      expect(stored).toHaveLength(13);
      expect(new Set(stored.map((r) => `${r.deviceId}#${r.seq}`)).size).toBe(13);
      // the latest values came back with the replay, and the device moves on from there
      expect(b.fusion.deviceStates.get(other!.id)).toMatchObject({ lastSeq: 3, metrics: { strain: 103 } });
      expect((await ingest(b, sign(readingsFor(strain!.id, 'strain', [11], now)))).body).toMatchObject({ accepted: 1 });
    } finally {
      await b.close();
    }
  });

  it('keeps readings answered deferred while Redis is down and writes them once after Redis and the server return', { timeout: 90_000 }, async () => {
    const p = prefix();
    const spoolDir = await mkdtemp(join(tmpdir(), 'ioc-spool-e2e-'));
    dirs.push(spoolDir);
    const a = await startTestServer({ spoolDir }, { store: new RedisStore(redis!.url, { prefix: p }) });
    const gas = [...a.fusion.devices.values()].find((d) => d.kind === 'gas-detector')!;
    const readings = readingsFor(gas.id, 'lel', [1, 2, 3, 4, 5, 6], Date.now() - 60_000);

    redis!.kill();
    const r = await ingest(a, sign(readings));
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ accepted: 6, deferred: 6, rejected: [] });
    const spoolFile = join(spoolDir, 'ingest-0.jsonl');
    const spooled = await readFile(spoolFile, 'utf8');
    expect(spooled.trim().split('\n')).toHaveLength(1);
    // the server goes away while Redis is still down: nothing of the batch reached Redis
    await a.close();

    await redis!.restart();
    const b = await startTestServer({ spoolDir }, { store: new RedisStore(redis!.url, { prefix: p }) });
    try {
      const stored = await b.store.readReadings([gas.id], 0, Date.now(), 100);
      expect(stored.map((x) => x.seq)).toEqual([1, 2, 3, 4, 5, 6]);
      expect((await ingest(b, sign(readings))).body).toMatchObject({ accepted: 0, duplicates: 6 });
      await waitUntil('the spool was truncated', async () => (await stat(spoolFile)).size === 0);
    } finally {
      await b.close();
    }

    // a crash after the store write but before the truncation leaves the batch in the spool: replayed, it is not appended again
    await writeFile(spoolFile, spooled);
    const c = await startTestServer({ spoolDir }, { store: new RedisStore(redis!.url, { prefix: p }) });
    try {
      expect(await c.store.readReadings([gas.id], 0, Date.now(), 100)).toHaveLength(6);
    } finally {
      await c.close();
    }
  });
});
