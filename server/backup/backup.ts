/**
 * `npm run backup`: a logical snapshot of every key of an install's two key families
 * (`<prefix>:*` and `<prefix>-audit:*`), plus readable exports and a manifest with checksums.
 *
 * Keys: SCAN each family, then DUMP + PTTL + TYPE per key in pipelines. DUMP payloads are Redis'
 * own binary serialisation (any type, binary-safe), stored base64 in NDJSON chunk files
 * `keys-0001.ndjson`… with each key's absolute expiry, so restore gives a key the expiry it had, not
 * a fresh full TTL. A key that expires between SCAN and DUMP is skipped. Per key the snapshot is
 * exact; across keys it is not point-in-time (the server keeps writing): take it with the server
 * stopped, or use the RDB copy (`rdbPath`, BGSAVE) for a crash-consistent image.
 *
 * Readable exports (not restored; for people, audits and `audit:verify --file`):
 * `registry-device|asset|rule|setting.ndjson` (the registry records) and `audit.ndjson` (the audit chain,
 * server/audit/audit-export.ts format).
 *
 * Every file is written, fsynced and checksummed; manifest.json is written last.
 */
import { copyFile, mkdir, open, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { writeAuditExport } from '../audit/audit-export';
import { RedisAuditBackend } from '../audit/redis-audit-backend';
import { BACKUP_FORMAT, MANIFEST_FILE, sha256Hex, type BackupFile, type BackupManifest, type KeyDumpLine } from './manifest';

export interface BackupLimits {
  /** keys per SCAN step and per DUMP pipeline */
  scanCount: number;
  /** a keys file is closed after this many keys… */
  maxKeysPerFile: number;
  /** …or once it holds this many bytes (a single larger key still goes whole into one file) */
  maxFileBytes: number;
  /** entries per XRANGE / fields per HSCAN page of the readable exports */
  exportPageSize: number;
  /** how long to wait for BGSAVE to finish, ms */
  bgsaveTimeoutMs: number;
  /** pause between LASTSAVE polls, ms */
  bgsavePollMs: number;
}

export const DEFAULT_BACKUP_LIMITS: BackupLimits = {
  scanCount: 500,
  maxKeysPerFile: 10_000,
  maxFileBytes: 64 * 1024 * 1024,
  exportPageSize: 1_000,
  bgsaveTimeoutMs: 10 * 60_000,
  bgsavePollMs: 200,
};

/** Registry collections exported readably (server/store/redis-store.ts `reg:<c>` hashes). */
const REGISTRY_COLLECTIONS = ['device', 'asset', 'rule', 'setting'] as const;

export interface BackupOptions {
  /** a client of a user that may SCAN, DUMP, PTTL, TYPE, HSCAN, XRANGE, INFO (deploy/redis: ioc-ops) */
  redis: Redis;
  prefix: string;
  /** parent directory; the backup goes into a new `<prefix>-<UTC timestamp>` directory inside it */
  outDir: string;
  /**
   * path of the server's dump.rdb (only when this runs on the Redis host): BGSAVE, wait for it, and
   * copy the file into the backup as `dump.rdb` (the weekly full image; see deploy/redis/README.md)
   */
  rdbPath?: string;
  limits?: Partial<BackupLimits>;
  now?: () => number;
}

export interface BackupResult {
  /** the backup directory (give it to restore) */
  dir: string;
  manifest: BackupManifest;
}

/** SCAN patterns of an install's key families. */
export function keyFamilies(prefix: string): string[] {
  return [`${escapeGlob(prefix)}:*`, `${escapeGlob(prefix)}-audit:*`];
}

function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

/** Writes one file, fsynced, and describes it for the manifest. */
async function writeBackupFile(dir: string, name: string, kind: BackupFile['kind'], data: Buffer, records: number): Promise<BackupFile> {
  const handle = await open(join(dir, name), 'wx', 0o600);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  return { name, kind, bytes: data.length, sha256: sha256Hex(data), records };
}

/** NDJSON lines collected up to the chunk limits, then written as `<base>-NNNN.ndjson`. */
class ChunkWriter {
  private lines: string[] = [];
  private bytes = 0;
  private seq = 0;
  readonly files: BackupFile[] = [];
  constructor(
    private readonly dir: string,
    private readonly base: string,
    private readonly kind: BackupFile['kind'],
    private readonly limits: BackupLimits,
  ) {}

  async add(line: object): Promise<void> {
    const text = `${JSON.stringify(line)}\n`;
    this.lines.push(text);
    this.bytes += Buffer.byteLength(text);
    if (this.lines.length >= this.limits.maxKeysPerFile || this.bytes >= this.limits.maxFileBytes) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.lines.length === 0) return;
    const name = `${this.base}-${String(++this.seq).padStart(4, '0')}.ndjson`;
    this.files.push(await writeBackupFile(this.dir, name, this.kind, Buffer.from(this.lines.join(''), 'utf8'), this.lines.length));
    this.lines = [];
    this.bytes = 0;
  }
}

export async function redisVersionOf(redis: Redis): Promise<string> {
  const info = await redis.info('server');
  return /redis_version:([^\r\n]+)/.exec(info)?.[1] ?? 'unknown';
}

/** Every key of one SCAN pattern, in SCAN order (a key may be answered twice: de-duplicated). */
async function* scanKeys(redis: Redis, pattern: string, count: number): AsyncGenerator<Buffer[]> {
  const seen = new Set<string>();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scanBuffer(cursor, 'MATCH', pattern, 'COUNT', count);
    cursor = next.toString();
    const fresh = keys.filter((k) => {
      const id = k.toString('base64');
      if (seen.has(id)) return false;
      seen.add(id);
      return true;
    });
    if (fresh.length > 0) yield fresh;
  } while (cursor !== '0');
}

async function dumpFamilies(redis: Redis, prefix: string, writer: ChunkWriter, limits: BackupLimits, now: () => number) {
  const keyCounts: Record<string, number> = {};
  const keyTypes: Record<string, number> = {};
  for (const pattern of keyFamilies(prefix)) {
    keyCounts[pattern] = 0;
    for await (const keys of scanKeys(redis, pattern, limits.scanCount)) {
      const pipeline = redis.pipeline();
      for (const key of keys) pipeline.type(key).pttl(key).dumpBuffer(key);
      const replies = await pipeline.exec();
      if (replies === null) throw new Error('backup: pipeline aborted');
      const dumpedTs = now();
      for (let i = 0; i < keys.length; i++) {
        const [typeErr, type] = replies[3 * i]!;
        const [ttlErr, pttl] = replies[3 * i + 1]!;
        const [dumpErr, dump] = replies[3 * i + 2]!;
        const err = typeErr ?? ttlErr ?? dumpErr;
        if (err) throw err;
        // gone since SCAN (expired or removed): nothing to keep
        if (dump === null || type === 'none' || pttl === -2) continue;
        const ms = Number(pttl);
        const line: KeyDumpLine = {
          k: keys[i]!.toString('base64'),
          key: keys[i]!.toString('utf8'),
          type: String(type),
          expireAtMs: ms >= 0 ? dumpedTs + ms : null,
          dump: (dump as Buffer).toString('base64'),
        };
        await writer.add(line);
        keyCounts[pattern]++;
        keyTypes[line.type] = (keyTypes[line.type] ?? 0) + 1;
      }
    }
  }
  await writer.flush();
  return { keyCounts, keyTypes };
}

async function exportRegistry(redis: Redis, prefix: string, dir: string, limits: BackupLimits): Promise<BackupFile[]> {
  const files: BackupFile[] = [];
  for (const collection of REGISTRY_COLLECTIONS) {
    const byId = new Map<string, string>();
    let cursor = '0';
    do {
      const [next, flat] = await redis.hscan(`${prefix}:reg:${collection}`, cursor, 'COUNT', limits.exportPageSize);
      for (let i = 0; i + 1 < flat.length; i += 2) byId.set(flat[i]!, flat[i + 1]!);
      cursor = next;
    } while (cursor !== '0');
    // the stored JSON as it is, one record a line, ordered by id
    const lines = [...byId.keys()].sort().map((id) => `${byId.get(id)}\n`);
    files.push(await writeBackupFile(dir, `registry-${collection}.ndjson`, 'registry', Buffer.from(lines.join(''), 'utf8'), lines.length));
  }
  return files;
}

/**
 * The audit chain in the format of server/audit/audit-export.ts (a header line with head and trim
 * point, then `{id, record}` per record, oldest first), so `npm run audit:verify -- --file` checks it.
 */
async function exportAudit(redis: Redis, prefix: string, dir: string): Promise<BackupFile> {
  const lines: string[] = [];
  const records = await writeAuditExport(new RedisAuditBackend(redis, prefix), (line) => lines.push(`${line}\n`));
  return writeBackupFile(dir, 'audit.ndjson', 'audit', Buffer.from(lines.join(''), 'utf8'), records);
}

/** BGSAVE, wait until LASTSAVE moves past the start, copy the RDB file into the backup. */
async function snapshotRdb(redis: Redis, rdbPath: string, dir: string, limits: BackupLimits, now: () => number): Promise<BackupFile> {
  const before = await redis.lastsave();
  // LASTSAVE has one-second resolution: a save finishing within the second of the previous one
  // (e.g. a fresh server's) would look like no save at all, so start only once Redis's clock has
  // moved past it (at most a second)
  for (let tries = 0; tries < 40; tries++) {
    const [seconds] = (await redis.time()) as [string | number, string | number];
    if (Number(seconds) > before) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  // SCHEDULE: if an AOF rewrite is running, the save starts after it instead of failing
  await redis.call('BGSAVE', 'SCHEDULE');
  const deadline = now() + limits.bgsaveTimeoutMs;
  for (;;) {
    const persistence = await redis.info('persistence');
    const inProgress = /rdb_bgsave_in_progress:1/.test(persistence);
    if (!inProgress && (await redis.lastsave()) > before) {
      if (!/rdb_last_bgsave_status:ok/.test(persistence)) throw new Error('backup: BGSAVE failed (rdb_last_bgsave_status is not ok)');
      break;
    }
    if (now() > deadline) throw new Error(`backup: BGSAVE did not finish within ${limits.bgsaveTimeoutMs} ms`);
    await new Promise((r) => setTimeout(r, limits.bgsavePollMs));
  }
  await copyFile(rdbPath, join(dir, 'dump.rdb'));
  const data = await readFile(join(dir, 'dump.rdb'));
  return { name: 'dump.rdb', kind: 'rdb', bytes: data.length, sha256: sha256Hex(data), records: 0 };
}

function timestampForName(ts: number): string {
  return new Date(ts)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

export async function createBackup(opts: BackupOptions): Promise<BackupResult> {
  const limits = { ...DEFAULT_BACKUP_LIMITS, ...opts.limits };
  const now = opts.now ?? Date.now;
  const createdTs = now();
  await mkdir(opts.outDir, { recursive: true });
  const base = `${opts.prefix.replace(/:/g, '_')}-${timestampForName(createdTs)}`;
  // two backups in the same second get their own directories
  const taken = new Set(await readdir(opts.outDir));
  let name = base;
  for (let n = 2; taken.has(name); n++) name = `${base}-${n}`;
  const dir = join(opts.outDir, name);
  await mkdir(dir, { mode: 0o700 });

  const redisVersion = await redisVersionOf(opts.redis);
  const files: BackupFile[] = [];
  if (opts.rdbPath !== undefined) files.push(await snapshotRdb(opts.redis, opts.rdbPath, dir, limits, now));
  const keys = new ChunkWriter(dir, 'keys', 'keys', limits);
  const { keyCounts, keyTypes } = await dumpFamilies(opts.redis, opts.prefix, keys, limits, now);
  files.push(...keys.files);
  files.push(...(await exportRegistry(opts.redis, opts.prefix, dir, limits)));
  files.push(await exportAudit(opts.redis, opts.prefix, dir));

  const manifest: BackupManifest = {
    format: BACKUP_FORMAT,
    createdTs,
    createdAt: new Date(createdTs).toISOString(),
    redisVersion,
    prefix: opts.prefix,
    families: keyFamilies(opts.prefix),
    keyCounts,
    keyTypes,
    files,
  };
  await writeBackupFile(dir, MANIFEST_FILE, 'keys', Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`, 'utf8'), 0);
  return { dir, manifest };
}
