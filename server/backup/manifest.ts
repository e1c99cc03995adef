/**
 * The backup manifest (manifest.json, written last: a directory without one is an unfinished
 * backup) and the checksum walk restore runs before it touches Redis.
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';

export const BACKUP_FORMAT = 'city-ioc-backup/1';
export const MANIFEST_FILE = 'manifest.json';

/**
 * keys: logical snapshot lines (`KeyDumpLine`); registry / audit: readable exports (not restored,
 * for people and `audit:verify --file`); rdb: a copy of dump.rdb after BGSAVE (restored by hand)
 */
export const BackupFileKindSchema = z.enum(['keys', 'registry', 'audit', 'rdb']);
export type BackupFileKind = z.infer<typeof BackupFileKindSchema>;

export const BackupFileSchema = z.object({
  /** file name inside the backup directory (no path) */
  name: z.string().regex(/^[a-zA-Z0-9._-]+$/),
  kind: BackupFileKindSchema,
  bytes: z.number().int().gte(0),
  /** hex */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** lines (keys, records); 0 for rdb */
  records: z.number().int().gte(0),
});
export type BackupFile = z.infer<typeof BackupFileSchema>;

export const BackupManifestSchema = z.object({
  format: z.literal(BACKUP_FORMAT),
  /** epoch ms when the key scan started */
  createdTs: z.number().int(),
  /** the same instant, ISO 8601 UTC */
  createdAt: z.string(),
  /** `redis_version` of the source (DUMP payloads restore into the same or a newer Redis) */
  redisVersion: z.string(),
  prefix: z.string(),
  /** SCAN patterns backed up, e.g. `ioc:*`, `ioc-audit:*` */
  families: z.array(z.string()),
  /** keys dumped per family pattern */
  keyCounts: z.record(z.string(), z.number().int().gte(0)),
  /** keys dumped per Redis type */
  keyTypes: z.record(z.string(), z.number().int().gte(0)),
  files: z.array(BackupFileSchema),
});
export type BackupManifest = z.infer<typeof BackupManifestSchema>;

/** One line of a `keys-NNNN.ndjson` file. */
export interface KeyDumpLine {
  /** key, base64 (binary-safe) */
  k: string;
  /** key as UTF-8 text, for people; restore uses `k` */
  key: string;
  /** Redis type at dump time */
  type: string;
  /** absolute expiry, epoch ms; null = persistent */
  expireAtMs: number | null;
  /** DUMP payload, base64 */
  dump: string;
}

/** The backup cannot be trusted: a file is missing, has another size or checksum, or the manifest is unreadable. */
export class BackupIntegrityError extends Error {
  readonly code = 'E_BACKUP_INTEGRITY' as const;
  constructor(
    message: string,
    /** the file at fault */
    readonly file: string,
  ) {
    super(message);
    this.name = 'BackupIntegrityError';
  }
}

export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

export async function readManifest(dir: string): Promise<BackupManifest> {
  let text: string;
  try {
    text = await readFile(join(dir, MANIFEST_FILE), 'utf8');
  } catch (err) {
    throw new BackupIntegrityError(
      `${MANIFEST_FILE} is missing in ${dir} (an unfinished or foreign backup): ${(err as Error).message}`,
      MANIFEST_FILE,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new BackupIntegrityError(`${MANIFEST_FILE} is not valid JSON`, MANIFEST_FILE);
  }
  const parsed = BackupManifestSchema.safeParse(json);
  if (!parsed.success) {
    throw new BackupIntegrityError(
      `${MANIFEST_FILE} is not a ${BACKUP_FORMAT} manifest: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      MANIFEST_FILE,
    );
  }
  return parsed.data;
}

/**
 * Check every file the manifest lists (size, then SHA-256); throws BackupIntegrityError naming the
 * first bad file. Files are read one at a time (each at most a chunk, or the RDB copy).
 */
export async function verifyBackupFiles(dir: string, manifest: BackupManifest): Promise<void> {
  for (const file of manifest.files) {
    const path = join(dir, file.name);
    let size: number;
    try {
      size = (await stat(path)).size;
    } catch {
      throw new BackupIntegrityError(`${file.name}: listed in the manifest but missing`, file.name);
    }
    if (size !== file.bytes) throw new BackupIntegrityError(`${file.name}: ${size} bytes, the manifest says ${file.bytes}`, file.name);
    const actual = sha256Hex(await readFile(path));
    if (actual !== file.sha256)
      throw new BackupIntegrityError(`${file.name}: sha256 ${actual} does not match the manifest (${file.sha256})`, file.name);
  }
}
