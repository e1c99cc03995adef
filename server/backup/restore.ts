/**
 * `npm run restore`: put a logical backup (server/backup/backup.ts) back into Redis.
 *
 * Order: read the manifest, check every file's size and SHA-256 (BackupIntegrityError names the
 * first bad file; nothing is written), refuse a target that already holds keys of either family
 * (RestoreTargetNotEmptyError) unless `force`, then RESTORE every key with its absolute expiry
 * (ABSTTL; a key whose expiry passed since the backup is not restored) in pipelines. With `force`
 * each key is RESTOREd with REPLACE; keys in the target that the backup does not hold are left.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { keyFamilies } from './backup';
import { BackupIntegrityError, readManifest, verifyBackupFiles, type BackupManifest, type KeyDumpLine } from './manifest';

/** RESTOREs per pipeline. */
const RESTORE_PIPELINE_KEYS = 200;
/** SCAN COUNT hint of the emptiness check. */
const EMPTY_CHECK_SCAN_COUNT = 1_000;

export class RestoreTargetNotEmptyError extends Error {
  readonly code = 'E_RESTORE_TARGET_NOT_EMPTY' as const;
  constructor(
    message: string,
    /** a key found in the target */
    readonly sampleKey: string,
  ) {
    super(message);
    this.name = 'RestoreTargetNotEmptyError';
  }
}

export interface RestoreOptions {
  /** a client of a user that may SCAN and RESTORE the families (deploy/redis: ioc-ops) */
  redis: Redis;
  /** the backup directory (holds manifest.json) */
  fromDir: string;
  /** restore into a target that already has keys of the prefix, replacing keys of the same name */
  force?: boolean;
  now?: () => number;
}

export interface RestoreResult {
  manifest: BackupManifest;
  restoredKeys: number;
  /** keys whose expiry passed between backup and restore */
  expiredKeys: number;
}

/** Check a backup without touching Redis: manifest readable, every file intact. */
export async function verifyBackup(fromDir: string): Promise<BackupManifest> {
  const manifest = await readManifest(fromDir);
  await verifyBackupFiles(fromDir, manifest);
  return manifest;
}

/** The first key of the families in the target, or null when it holds none. */
async function firstExistingKey(redis: Redis, prefix: string): Promise<string | null> {
  for (const pattern of keyFamilies(prefix)) {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', EMPTY_CHECK_SCAN_COUNT);
      if (keys.length > 0) return keys[0]!;
      cursor = next;
    } while (cursor !== '0');
  }
  return null;
}

function parseLine(text: string, file: string, lineNo: number): KeyDumpLine {
  try {
    const line = JSON.parse(text) as KeyDumpLine;
    if (typeof line.k !== 'string' || typeof line.dump !== 'string') throw new Error('missing k or dump');
    return line;
  } catch (err) {
    // the checksum matched, so the backup was written this way: a bug or a foreign file
    throw new BackupIntegrityError(`${file}: line ${lineNo} is not a key dump (${(err as Error).message})`, file);
  }
}

export async function restoreBackup(opts: RestoreOptions): Promise<RestoreResult> {
  const now = opts.now ?? Date.now;
  const manifest = await verifyBackup(opts.fromDir);
  if (!opts.force) {
    const existing = await firstExistingKey(opts.redis, manifest.prefix);
    if (existing !== null) {
      throw new RestoreTargetNotEmptyError(
        `the target already holds keys of prefix '${manifest.prefix}' (e.g. ${existing}); restore into an empty Redis, or pass --force to replace keys of the same name`,
        existing,
      );
    }
  }
  let restoredKeys = 0;
  let expiredKeys = 0;
  for (const file of manifest.files.filter((f) => f.kind === 'keys')) {
    const lines = (await readFile(join(opts.fromDir, file.name), 'utf8')).split('\n').filter((l) => l.length > 0);
    for (let start = 0; start < lines.length; start += RESTORE_PIPELINE_KEYS) {
      const pipeline = opts.redis.pipeline();
      let queued = 0;
      const restoredAt = now();
      for (let i = start; i < Math.min(lines.length, start + RESTORE_PIPELINE_KEYS); i++) {
        const line = parseLine(lines[i]!, file.name, i + 1);
        if (line.expireAtMs !== null && line.expireAtMs <= restoredAt) {
          expiredKeys++;
          continue;
        }
        const args: (string | Buffer | number)[] = [Buffer.from(line.k, 'base64'), line.expireAtMs ?? 0, Buffer.from(line.dump, 'base64')];
        if (opts.force) args.push('REPLACE');
        if (line.expireAtMs !== null) args.push('ABSTTL');
        pipeline.call('RESTORE', ...args);
        queued++;
      }
      if (queued === 0) continue;
      const replies = await pipeline.exec();
      if (replies === null) throw new Error('restore: pipeline aborted');
      for (const [err] of replies) if (err) throw new Error(`restore: ${file.name}: ${err.message}`, { cause: err });
      restoredKeys += queued;
    }
  }
  return { manifest, restoredKeys, expiredKeys };
}
