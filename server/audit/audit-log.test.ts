/**
 * The audit chain's contract, against the memory backend and Redis (a throwaway redis-server;
 * skipped loudly when the binary is missing outside CI): appends chain and verify; an edited, an
 * inserted and a deleted record are each named; two logs on one Redis keep one chain; a failed
 * write rejects with AuditUnavailableError.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { startRedisServer } from '../../tests/helpers/redis-server';
import { AuditUnavailableError, type AuditEntry } from './audit';
import { GENESIS_HASH, hashMatches, parseAuditRecord, sealRecord } from './audit-chain';
import { MemoryAuditBackend, type AuditBackend, type AuditStreamEntry } from './audit-backend';
import { RedisAuditBackend, auditKeys } from './redis-audit-backend';
import { AuditLog } from './audit-log';
import { readAnchors } from './audit-anchors';
import { verifyChain } from './verify';
import { parseAuditExport, writeAuditExport } from './audit-export';

const KEY = 'test-audit-key-0123456789abcdef0123456789';
const redis = await startRedisServer();
const clients: Redis[] = [];
const tmp = mkdtempSync(join(tmpdir(), 'ioc-audit-'));
afterAll(async () => {
  await Promise.all(clients.map((c) => c.quit()));
  await redis?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

let prefixCounter = 0;
function redisClient(): Redis {
  const c = new Redis(redis!.url);
  clients.push(c);
  return c;
}

interface Backends {
  name: 'memory' | 'redis';
  available: boolean;
  /** a fresh chain, and a second handle on the SAME chain (another process) */
  make(): { backend: AuditBackend; sibling: () => AuditBackend; prefix: string };
}

const BACKENDS: Backends[] = [
  {
    name: 'memory',
    available: true,
    make: () => {
      const backend = new MemoryAuditBackend();
      return { backend, sibling: () => backend, prefix: '' };
    },
  },
  {
    name: 'redis',
    available: redis !== null,
    make: () => {
      const prefix = `t${++prefixCounter}`;
      return { backend: new RedisAuditBackend(redisClient(), prefix), sibling: () => new RedisAuditBackend(redisClient(), prefix), prefix };
    },
  },
];

const entry = (i: number, extra: Partial<AuditEntry> = {}): AuditEntry => ({
  actor: `user${i % 3}`,
  role: 'admin',
  source: '10.0.0.1',
  action: i % 2 ? 'auth.login' : 'command',
  target: `incident:INC-${i}`,
  outcome: 'success',
  details: { i, nested: { b: 1, a: [1, 2] } },
  ...extra,
});

async function allEntries(backend: AuditBackend): Promise<AuditStreamEntry[]> {
  const out: AuditStreamEntry[] = [];
  let after: string | null = null;
  for (;;) {
    const page = await backend.readForward(after, 3);
    out.push(...page);
    if (page.length < 3) return out;
    after = page[page.length - 1]!.id;
  }
}

describe('canonical seal', () => {
  it('hashes the same record the same whatever its key order, and any edit breaks it', () => {
    const r = sealRecord(KEY, { seq: 0, hash: GENESIS_HASH }, entry(1), 1_700_000_000_000);
    expect(r.seq).toBe(1);
    expect(r.prevHash).toBe(GENESIS_HASH);
    const reordered = JSON.parse(JSON.stringify({ ...r, details: { nested: { a: [1, 2], b: 1 }, i: 1 } }));
    expect(hashMatches(KEY, reordered)).toBe(true);
    expect(hashMatches(KEY, { ...r, outcome: 'failure' })).toBe(false);
    expect(hashMatches('another-key-0123456789abcdef0123456789', r)).toBe(false);
  });
});

for (const b of BACKENDS) {
  describe.skipIf(!b.available)(`audit log on ${b.name}`, () => {
    it('appends records 1, 2, 3… each chained to the previous, and the chain verifies', async () => {
      const { backend } = b.make();
      const log = new AuditLog(backend, { key: KEY });
      for (let i = 1; i <= 7; i++) await log.record(entry(i));
      const entries = await allEntries(backend);
      const records = entries.map((e) => parseAuditRecord(e.text)!);
      expect(records.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
      expect(records[0]!.prevHash).toBe(GENESIS_HASH);
      for (let i = 1; i < records.length; i++) expect(records[i]!.prevHash).toBe(records[i - 1]!.hash);
      const v = verifyChain(entries, { key: KEY, storedHead: await backend.readHead() });
      expect(v).toMatchObject({ ok: true, count: 7, firstSeq: 1, lastSeq: 7, headHash: records[6]!.hash });
      // with the wrong key nothing verifies
      expect(verifyChain(entries, { key: 'wrong-key-0123456789abcdef0123456789' })).toMatchObject({ ok: false, kind: 'changed', seq: 1 });
    });

    it('keeps one chain when two logs append to the same store concurrently', async () => {
      const { backend, sibling } = b.make();
      const a = new AuditLog(backend, { key: KEY });
      const c = new AuditLog(sibling(), { key: KEY });
      await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : c).record(entry(i))));
      const entries = await allEntries(backend);
      expect(entries).toHaveLength(40);
      expect(verifyChain(entries, { key: KEY, storedHead: await backend.readHead() })).toMatchObject({ ok: true, count: 40, lastSeq: 40 });
    });

    it('answers filtered pages newest first with a cursor', async () => {
      const { backend } = b.make();
      const log = new AuditLog(backend, { key: KEY });
      for (let i = 1; i <= 12; i++) await log.record(entry(i, { outcome: i % 4 === 0 ? 'denied' : 'success' }));
      const first = await log.query({ action: 'auth' }, { limit: 2, scanMax: 100 });
      expect(first.records.map((r) => r.details?.i)).toEqual([11, 9]);
      const second = await log.query({ action: 'auth' }, { limit: 10, scanMax: 100, cursor: first.next });
      expect(second.records.map((r) => r.details?.i)).toEqual([7, 5, 3, 1]);
      expect(second.next).toBeUndefined();
      const denied = await log.query({ outcome: 'denied', actor: 'user0' }, { limit: 10, scanMax: 100 });
      expect(denied.records.map((r) => r.details?.i)).toEqual([12]);
      // a page scans a bounded number of records and hands back a cursor to go on
      const bounded = await log.query({ target: 'incident:INC-1' }, { limit: 10, scanMax: 5 });
      expect(bounded.records).toEqual([]);
      expect(bounded.next).toBeDefined();
      const rest = await log.query({ target: 'incident:INC-1' }, { limit: 10, scanMax: 100, cursor: bounded.next });
      expect(rest.records.map((r) => r.details?.i)).toEqual([1]);
      const prefix = await log.query({ target: 'incident:' }, { limit: 100, scanMax: 100 });
      expect(prefix.records).toHaveLength(12);
    });

    it('exports the chain as NDJSON that verifies like the log', async () => {
      const { backend } = b.make();
      const log = new AuditLog(backend, { key: KEY });
      for (let i = 1; i <= 5; i++) await log.record(entry(i));
      const lines: string[] = [];
      expect(await writeAuditExport(backend, (l) => lines.push(l))).toBe(5);
      const parsed = parseAuditExport(lines.join('\n'));
      expect(parsed.header?.head?.seq).toBe(5);
      expect(verifyChain(parsed.entries, { key: KEY, storedHead: parsed.header?.head })).toMatchObject({ ok: true, count: 5 });
      const edited = lines.map((l, i) => (i === 3 ? l.replace('"outcome":"success"', '"outcome":"failure"') : l));
      expect(verifyChain(parseAuditExport(edited.join('\n')).entries, { key: KEY })).toMatchObject({ ok: false, kind: 'changed', seq: 3 });
    });

    it('anchors the head to a 0600 file, and verify finds a tail cut off after the anchor', async () => {
      const { backend } = b.make();
      const file = join(tmp, `anchors-${b.name}-${prefixCounter}.jsonl`);
      const log = new AuditLog(backend, { key: KEY, anchorFile: file, anchorIntervalMs: 3_600_000 });
      for (let i = 1; i <= 4; i++) await log.record(entry(i));
      await log.close();
      await expect(log.record(entry(5))).rejects.toBeInstanceOf(AuditUnavailableError);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const { anchors } = await readAnchors(file, backend.chainName);
      expect(anchors.map((a) => a.seq)).toEqual([4]);
      expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(1);
      const entries = await allEntries(backend);
      expect(verifyChain(entries, { key: KEY, anchors })).toMatchObject({ ok: true, lastSeq: 4, anchorsChecked: 1 });
      expect(verifyChain(entries.slice(0, 2), { key: KEY, anchors })).toMatchObject({ ok: false, kind: 'truncated', seq: 3 });
    });

    it('rejects with AuditUnavailableError when the store cannot take the record', async () => {
      const { backend } = b.make();
      const log = new AuditLog(backend, { key: KEY });
      await log.record(entry(1));
      if (backend instanceof MemoryAuditBackend) backend.failAppends = true;
      else {
        // an operator's ACL revoked the application's rights: the script fails
        const c = (backend as unknown as { client: Redis }).client;
        c.defineCommand('iocAuditAppend', { numberOfKeys: 2, lua: "return redis.error_reply('NOPERM injected')" });
      }
      await expect(log.record(entry(2))).rejects.toBeInstanceOf(AuditUnavailableError);
    });
  });
}

describe('verify names the first tampered record (pure walk)', () => {
  async function chain(n: number): Promise<AuditStreamEntry[]> {
    const backend = new MemoryAuditBackend();
    const log = new AuditLog(backend, { key: KEY });
    for (let i = 1; i <= n; i++) await log.record(entry(i));
    return backend.readForward(null, 1000);
  }

  it('names an edited record as changed', async () => {
    const es = await chain(6);
    const edited = es.map((e, i) => (i === 2 ? { ...e, text: e.text.replace('"actor":"user0"', '"actor":"mallory"') } : e));
    expect(verifyChain(edited, { key: KEY })).toMatchObject({ ok: false, kind: 'changed', seq: 3, id: es[2]!.id });
    const garbled = es.map((e, i) => (i === 4 ? { ...e, text: '{"not":"a record"}' } : e));
    expect(verifyChain(garbled, { key: KEY })).toMatchObject({ ok: false, kind: 'changed', seq: 5 });
  });

  it('names the last record as changed when it was edited', async () => {
    const es = await chain(3);
    const edited = es.map((e, i) => (i === 2 ? { ...e, text: e.text.replace('"success"', '"failure"') } : e));
    expect(verifyChain(edited, { key: KEY })).toMatchObject({ ok: false, kind: 'changed', seq: 3 });
  });

  it('names a forged record slipped in as inserted', async () => {
    const es = await chain(5);
    const forged = sealRecord('not-the-key-0123456789abcdef01234567', { seq: 2, hash: parseAuditRecord(es[1]!.text)!.hash }, entry(99), Date.now());
    const withForged = [...es.slice(0, 2), { id: 'forged-id', text: JSON.stringify(forged) }, ...es.slice(2)];
    expect(verifyChain(withForged, { key: KEY })).toMatchObject({ ok: false, kind: 'inserted', seq: 3, id: 'forged-id' });
  });

  it('names a genuine record replayed out of place as inserted', async () => {
    const es = await chain(5);
    const replayed = [...es.slice(0, 4), { ...es[1]!, id: 'replay-id' }, es[4]!];
    expect(verifyChain(replayed, { key: KEY })).toMatchObject({ ok: false, kind: 'inserted', seq: 2, id: 'replay-id' });
  });

  it('names the first missing record as deleted', async () => {
    const es = await chain(6);
    const gap = [...es.slice(0, 2), ...es.slice(4)];
    const v = verifyChain(gap, { key: KEY });
    expect(v).toMatchObject({ ok: false, kind: 'deleted', seq: 3 });
    expect(!v.ok && v.message).toContain('seqs 3–4 missing');
    expect(verifyChain(es.slice(1), { key: KEY })).toMatchObject({ ok: false, kind: 'deleted', seq: 1 });
  });

  it('names a record whose anchored hash differs (a chain rewritten with the key)', async () => {
    const es = await chain(4);
    const anchors = [{ ts: 1, seq: 2, hash: 'f'.repeat(64), chain: 'memory' }];
    expect(verifyChain(es, { key: KEY, anchors })).toMatchObject({ ok: false, kind: 'changed', seq: 2, id: es[1]!.id });
  });

  it('finds a cut tail from the stored head, and starts after an operator trim point', async () => {
    const es = await chain(6);
    const last = parseAuditRecord(es[5]!.text)!;
    expect(verifyChain(es.slice(0, 4), { key: KEY, storedHead: { seq: 6, hash: last.hash } })).toMatchObject({
      ok: false,
      kind: 'truncated',
      seq: 5,
    });
    const trimmedAt = parseAuditRecord(es[2]!.text)!;
    const trimPoint = { seq: trimmedAt.seq, hash: trimmedAt.hash };
    expect(verifyChain(es.slice(3), { key: KEY, trimPoint })).toMatchObject({ ok: true, count: 3, firstSeq: 4, lastSeq: 6 });
    // a trim that stopped between writing the trim point and trimming: the old records are skipped
    expect(verifyChain(es, { key: KEY, trimPoint })).toMatchObject({ ok: true, count: 3, firstSeq: 4 });
    expect(verifyChain(es.slice(4), { key: KEY, trimPoint })).toMatchObject({ ok: false, kind: 'deleted', seq: 4 });
  });
});

describe.skipIf(redis === null)('tampering in the Redis stream', () => {
  /** An operator's direct access: the stream rebuilt with explicit ids, or XDEL. */
  async function setup(n: number) {
    const prefix = `tamper${++prefixCounter}`;
    const backend = new RedisAuditBackend(redisClient(), prefix);
    const log = new AuditLog(backend, { key: KEY });
    for (let i = 1; i <= n; i++) await log.record(entry(i));
    const keys = auditKeys(prefix);
    const op = redisClient();
    const stored = (await op.xrange(keys.log, '-', '+')) as [string, string[]][];
    const rebuild = async (rows: [string, string][]) => {
      await op.del(keys.log);
      for (const [id, text] of rows) await op.xadd(keys.log, id, 'r', text);
    };
    const verify = async () => verifyChain(await allEntries(backend), { key: KEY, storedHead: await backend.readHead() });
    return { op, keys, stored: stored.map(([id, f]) => [id, f[1]!] as [string, string]), rebuild, verify, log };
  }

  it('names a record edited in place (stream rebuilt with the same ids)', async () => {
    const t = await setup(5);
    await t.rebuild(t.stored.map(([id, text], i) => [id, i === 2 ? text.replace('"outcome":"success"', '"outcome":"denied"') : text]));
    expect(await t.verify()).toMatchObject({ ok: false, kind: 'changed', seq: 3, id: t.stored[2]![0] });
  });

  it('names a record inserted between two others (explicit id)', async () => {
    const t = await setup(5);
    // ids of our choosing (records appended within one ms leave no room between theirs)
    const renumbered = t.stored.map(([, text], i) => [`${(i + 1) * 1000}-0`, text] as [string, string]);
    const insertedId = '2500-0';
    const fake = JSON.stringify({ ...parseAuditRecord(t.stored[2]![1])!, actor: 'ghost' });
    await t.rebuild([...renumbered.slice(0, 2), [insertedId, fake], ...renumbered.slice(2)]);
    expect(await t.verify()).toMatchObject({ ok: false, kind: 'inserted', seq: 3, id: insertedId });
  });

  it('names a record deleted with XDEL', async () => {
    const t = await setup(5);
    await t.op.xdel(t.keys.log, t.stored[3]![0]);
    expect(await t.verify()).toMatchObject({ ok: false, kind: 'deleted', seq: 4, id: `before ${t.stored[4]![0]}` });
  });

  it('refuses to append when the head key is gone but the log is not (no fork)', async () => {
    const t = await setup(2);
    await t.op.del(t.keys.head);
    const fresh = new AuditLog(new RedisAuditBackend(redisClient(), t.keys.log.replace(/-audit:log$/, '')), { key: KEY });
    await expect(fresh.record(entry(3))).rejects.toBeInstanceOf(AuditUnavailableError);
  });
});
