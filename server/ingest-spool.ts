/**
 * Ingest spool: the local, append-only file that makes `deferred` durable.
 *
 * When the store cannot take a batch, ingest appends the batch (with its batch id) here as one JSON
 * line and waits for `datasync` before it answers `deferred`: a reading acknowledged as deferred
 * survives a crash. Batches are written to the store later with the same batch id, so a crash
 * between the store write and the spool's truncation never appends a batch twice (the store's
 * append is idempotent by batch id). When every spooled batch is written the file is truncated.
 *
 * Appends are group-committed: batches that arrive while a write + datasync is in flight share
 * the next one (an outage under load costs one fsync per round, not one per batch).
 *
 * At start `IngestSpool.open` reads what a previous process left: a torn last line (crash during
 * a write: never acknowledged) or any unreadable line is skipped and counted. One process owns a
 * spool file at a time (a lock file with its pid); two servers never share one.
 */
import { mkdir, open, readFile, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { ReadingSchema, type Reading } from '../scenes/domain';

/** One line of the spool. */
export interface SpooledBatch {
  /** the batch's id for the store's idempotent append, generated once per batch */
  batchId: string;
  readings: Reading[];
}

const SpooledBatchSchema = z.object({
  batchId: z.string().min(1).max(200),
  readings: z.array(ReadingSchema).min(1),
});

export interface SpoolOpenResult {
  spool: IngestSpool;
  /** batches a previous process spooled and may not have written to the store, oldest first */
  batches: SpooledBatch[];
  /** lines skipped: a torn last line, or anything unreadable */
  skippedLines: number;
}

export class SpoolLockedError extends Error {
  readonly code = 'E_CONFLICT' as const;
}

/** Spool files held by this process (a lock file's pid cannot tell two servers of one process apart). */
const heldInProcess = new Set<string>();

interface PendingAppend {
  line: string;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class IngestSpool {
  /** batch ids appended (or being appended) and not yet released */
  private readonly live = new Set<string>();
  private pending: PendingAppend[] = [];
  private pumping: Promise<void> | null = null;
  private truncateWanted = false;
  private closed = false;
  /** the file ends in a torn line: the next write starts a new line first */
  private tornTail: boolean;
  /** bytes in the file (approximate after a failed write) */
  private fileBytes: number;

  private constructor(
    readonly path: string,
    private readonly lockPath: string,
    private readonly fh: FileHandle,
    initialBytes: number,
    tornTail: boolean,
  ) {
    this.fileBytes = initialBytes;
    this.tornTail = tornTail;
  }

  /**
   * Opens (creating `dir` with mode 0700 when missing) the spool `<dir>/<name>.jsonl`, takes its
   * lock and returns what it holds. The returned batches count as live until `release`d.
   */
  static async open(dir: string, name: string): Promise<SpoolOpenResult> {
    if (!/^[a-zA-Z0-9_.-]+$/.test(name)) throw new RangeError(`invalid spool name '${name}'`);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const path = join(dir, `${name}.jsonl`);
    const lockPath = join(dir, `${name}.lock`);
    await acquireLock(lockPath, path);
    try {
      let text = '';
      try {
        text = await readFile(path, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
      const { batches, skippedLines } = parseSpool(text);
      const fh = await open(path, 'a', 0o600);
      await syncDir(dir);
      const spool = new IngestSpool(path, lockPath, fh, Buffer.byteLength(text), text.length > 0 && !text.endsWith('\n'));
      for (const b of batches) spool.live.add(b.batchId);
      // nothing to keep (empty, or only torn lines): start from an empty file
      if (batches.length === 0 && text.length > 0) spool.requestTruncate();
      return { spool, batches, skippedLines };
    } catch (err) {
      heldInProcess.delete(path);
      await unlink(lockPath).catch(() => undefined);
      throw err;
    }
  }

  /** Batches spooled and not yet released. */
  get liveBatches(): number {
    return this.live.size;
  }

  /** Bytes in the spool file. */
  get bytes(): number {
    return this.fileBytes;
  }

  /** Appends a batch; resolves once it is on disk (datasync), rejects when it could not be written. */
  append(batch: SpooledBatch): Promise<void> {
    if (this.closed) return Promise.reject(new Error('spool is closed'));
    this.live.add(batch.batchId);
    const line = `${JSON.stringify(batch)}\n`;
    return new Promise<void>((resolve, reject) => {
      this.pending.push({
        line,
        resolve,
        reject: (err) => {
          this.live.delete(batch.batchId);
          reject(err);
        },
      });
      void this.pump();
    });
  }

  /** A spooled batch reached the store: once none is left, the file is truncated. */
  release(batchId: string): void {
    if (!this.live.delete(batchId)) return;
    if (this.live.size === 0) this.requestTruncate();
  }

  /** Resolves when every append and truncation requested so far is done. */
  async settled(): Promise<void> {
    while (this.pumping) await this.pumping;
  }

  /** Finishes pending writes, closes the file and drops the lock. What is spooled stays for the next start. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.settled();
    this.closed = true;
    await this.fh.close();
    heldInProcess.delete(this.path);
    await unlink(this.lockPath).catch(() => undefined);
  }

  private requestTruncate(): void {
    this.truncateWanted = true;
    void this.pump();
  }

  /** The only writer of the file: appends and truncations run one at a time, in order. */
  private pump(): Promise<void> {
    if (this.pumping) return this.pumping;
    this.pumping = (async () => {
      try {
        while (this.pending.length > 0 || this.truncateWanted) {
          if (this.pending.length > 0) {
            const group = this.pending;
            this.pending = [];
            const data = (this.tornTail ? '\n' : '') + group.map((g) => g.line).join('');
            try {
              await this.fh.appendFile(data, 'utf8');
              await this.fh.datasync();
              this.fileBytes += Buffer.byteLength(data);
              this.tornTail = false;
              for (const g of group) g.resolve();
            } catch (err) {
              for (const g of group) g.reject(err);
            }
            continue;
          }
          this.truncateWanted = false;
          // checked here, in the writer: a batch appended since the request keeps the file
          if (this.live.size > 0 || this.fileBytes === 0) continue;
          try {
            await this.fh.truncate(0);
            await this.fh.datasync();
            this.fileBytes = 0;
            this.tornTail = false;
          } catch {
            // the next release tries again; the replayed batches are idempotent anyway
          }
        }
      } finally {
        this.pumping = null;
      }
    })();
    return this.pumping;
  }
}

/** Parses spool text: one batch per line; unreadable lines (a torn last one) are skipped and counted. */
export function parseSpool(text: string): { batches: SpooledBatch[]; skippedLines: number } {
  const batches: SpooledBatch[] = [];
  let skippedLines = 0;
  for (const line of text.split('\n')) {
    if (line.length === 0) continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      skippedLines++;
      continue;
    }
    const parsed = SpooledBatchSchema.safeParse(value);
    if (parsed.success) batches.push(parsed.data);
    else skippedLines++;
  }
  return { batches, skippedLines };
}

async function syncDir(dir: string): Promise<void> {
  const d = await open(dir, 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Exclusive lock file holding our pid; a lock left by a dead process is taken over. */
async function acquireLock(lockPath: string, spoolPath: string): Promise<void> {
  if (heldInProcess.has(spoolPath)) throw new SpoolLockedError(`spool ${spoolPath} is already open in this process`);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fh = await open(lockPath, 'wx', 0o600);
      await fh.writeFile(String(process.pid));
      await fh.close();
      heldInProcess.add(spoolPath);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = Number.parseInt(await readFile(lockPath, 'utf8').catch(() => ''), 10);
    if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && pidAlive(holder)) {
      throw new SpoolLockedError(`spool ${spoolPath} is held by process ${holder}`);
    }
    // stale: its process is gone (or it was ours before a restart in this process)
    await unlink(lockPath).catch(() => undefined);
  }
  throw new SpoolLockedError(`could not take the lock ${lockPath}`);
}
