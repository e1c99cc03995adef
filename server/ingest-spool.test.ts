import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendFile, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IngestSpool, SpoolLockedError, parseSpool, type SpooledBatch } from './ingest-spool';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ioc-spool-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const batch = (id: string, seqs: number[]): SpooledBatch => ({
  batchId: id,
  readings: seqs.map((seq) => ({ deviceId: 'rg-1', ts: 1_000 + seq, seq, metrics: { rainfall: seq } })),
});

describe('ingest spool', () => {
  it('has every appended batch on disk when append resolves, and gives them back at the next open', async () => {
    const { spool, batches } = await IngestSpool.open(dir, 'ingest-1');
    expect(batches).toEqual([]);
    await Promise.all([spool.append(batch('a', [1, 2])), spool.append(batch('b', [3]))]);
    // read by a second reader, as a restarted process would
    expect(parseSpool(await readFile(spool.path, 'utf8')).batches.map((b) => b.batchId)).toEqual(['a', 'b']);
    await spool.close();

    const again = await IngestSpool.open(dir, 'ingest-1');
    expect(again.batches).toEqual([batch('a', [1, 2]), batch('b', [3])]);
    expect(again.skippedLines).toBe(0);
    expect(again.spool.liveBatches).toBe(2);
    await again.spool.close();
  });

  it('creates its directory private to the server (0700)', async () => {
    const nested = join(dir, 'var', 'spool');
    const { spool } = await IngestSpool.open(nested, 'ingest-1');
    expect((await stat(nested)).mode & 0o777).toBe(0o700);
    await spool.close();
  });

  it('skips and counts a torn last line (a crash during a write) and keeps the batches before it', async () => {
    const path = join(dir, 'ingest-1.jsonl');
    const good = JSON.stringify(batch('a', [1]));
    await writeFile(path, `${good}\n${JSON.stringify(batch('b', [2])).slice(0, 25)}`);
    const { spool, batches, skippedLines } = await IngestSpool.open(dir, 'ingest-1');
    expect(batches.map((b) => b.batchId)).toEqual(['a']);
    expect(skippedLines).toBe(1);
    // appends after a torn line start on a fresh line
    await spool.append(batch('c', [3]));
    await spool.close();
    const reread = await IngestSpool.open(dir, 'ingest-1');
    expect(reread.batches.map((b) => b.batchId)).toEqual(['a', 'c']);
    await reread.spool.close();
  });

  it('skips lines that are JSON but not a batch', async () => {
    await writeFile(join(dir, 'ingest-1.jsonl'), `{"batchId":"x","readings":[{"deviceId":1}]}\n[]\n${JSON.stringify(batch('a', [1]))}\n`);
    const { spool, batches, skippedLines } = await IngestSpool.open(dir, 'ingest-1');
    expect(batches.map((b) => b.batchId)).toEqual(['a']);
    expect(skippedLines).toBe(2);
    await spool.close();
  });

  it('truncates the file once every spooled batch was released, and not before', async () => {
    const { spool } = await IngestSpool.open(dir, 'ingest-1');
    await spool.append(batch('a', [1]));
    await spool.append(batch('b', [2]));
    spool.release('a');
    await spool.settled();
    expect(spool.bytes).toBeGreaterThan(0);
    expect(parseSpool(await readFile(spool.path, 'utf8')).batches).toHaveLength(2);
    spool.release('b');
    await spool.settled();
    expect(spool.bytes).toBe(0);
    expect(await readFile(spool.path, 'utf8')).toBe('');
    // appends after a truncation land at the start of the file
    await spool.append(batch('c', [3]));
    await spool.close();
    const reread = await IngestSpool.open(dir, 'ingest-1');
    expect(reread.batches.map((b) => b.batchId)).toEqual(['c']);
    await reread.spool.close();
  });

  it('keeps a batch appended while a truncation was requested', async () => {
    const { spool } = await IngestSpool.open(dir, 'ingest-1');
    await spool.append(batch('a', [1]));
    spool.release('a'); // truncation requested…
    const appended = spool.append(batch('b', [2])); // …and a new batch arrives before it ran
    await appended;
    await spool.settled();
    await spool.close();
    const reread = await IngestSpool.open(dir, 'ingest-1');
    expect(reread.batches.map((b) => b.batchId)).toEqual(['b']);
    await reread.spool.close();
  });

  it('starts from an empty file when only torn lines were left', async () => {
    const path = join(dir, 'ingest-1.jsonl');
    await appendFile(path, '{"batchId":"a","readi');
    const { spool, skippedLines } = await IngestSpool.open(dir, 'ingest-1');
    expect(skippedLines).toBe(1);
    await spool.settled();
    expect(await readFile(path, 'utf8')).toBe('');
    await spool.close();
  });

  it('is owned by one server at a time: a second open of the same spool is refused until the first closes', async () => {
    const { spool } = await IngestSpool.open(dir, 'ingest-1');
    await expect(IngestSpool.open(dir, 'ingest-1')).rejects.toBeInstanceOf(SpoolLockedError);
    const other = await IngestSpool.open(dir, 'ingest-2');
    await other.spool.close();
    await spool.close();
    const again = await IngestSpool.open(dir, 'ingest-1');
    await again.spool.close();
  });

  it('takes over the lock of a process that died', async () => {
    // pid 2^22 + 1 is above Linux's pid_max default: no such process
    await writeFile(join(dir, 'ingest-1.lock'), String(4_194_305));
    const { spool } = await IngestSpool.open(dir, 'ingest-1');
    await spool.close();
  });
});
