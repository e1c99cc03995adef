/**
 * `npm run audit:verify` (scripts/audit-verify.ts): walks the audit chain in Redis, or an NDJSON
 * export, and names the first record that was changed, inserted or deleted.
 *
 *   npm run audit:verify                          the chain in REDIS_URL under IOC_REDIS_PREFIX
 *   npm run audit:verify -- --file export.ndjson  an export (server/audit/audit-export.ts)
 *   options: --key-file <json with auditKey>  --anchors <anchor file>
 *
 * Key: --key-file, else IOC_AUDIT_KEY, else `auditKey` of var/secrets.json (a development
 * install's generated secrets), else the development default (refused with NODE_ENV=production).
 * Anchors: --anchors, else IOC_AUDIT_ANCHOR_FILE, else var/audit-anchors.jsonl.
 * Prints `OK <n> records, seq a–b, head …, anchored …` (exit 0) or `TAMPERED: record seq N (<stream
 * id>) was changed|inserted|deleted …` (exit 1); 2: usage or configuration; 3: Redis unavailable.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { DEV_AUDIT_KEY } from '../config';
import { readAnchors, type AuditAnchor } from './audit-anchors';
import { parseAuditExport } from './audit-export';
import { RedisAuditBackend } from './redis-audit-backend';
import { ChainVerifier, type VerifyResult } from './verify';

export const EXIT_TAMPERED = 1;
export const EXIT_USAGE = 2;
export const EXIT_STORE = 3;

/** records per XRANGE page while walking */
const VERIFY_PAGE = 1000;
/** deadline of one Redis command of the CLI, ms */
const CLI_COMMAND_TIMEOUT_MS = 10_000;

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/** The audit key: --key-file, IOC_AUDIT_KEY, var/secrets.json, or the development default. */
export function resolveAuditKey(keyFile: string | undefined, env: NodeJS.ProcessEnv, cwd: string, warn: (m: string) => void): string {
  const fromFile = (file: string): string => {
    let v: unknown;
    try {
      v = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new CliError(`cannot read ${file}: ${(err as Error).message}`, EXIT_USAGE);
    }
    const key = (v as { auditKey?: unknown } | null)?.auditKey;
    if (typeof key !== 'string' || key.length < 32) throw new CliError(`${file} holds no auditKey (at least 32 characters)`, EXIT_USAGE);
    return key;
  };
  if (keyFile) return fromFile(resolve(cwd, keyFile));
  if (env.IOC_AUDIT_KEY) return env.IOC_AUDIT_KEY;
  const secrets = resolve(cwd, 'var', 'secrets.json');
  if (existsSync(secrets)) return fromFile(secrets);
  if (env.NODE_ENV === 'production') throw new CliError('set IOC_AUDIT_KEY or pass --key-file <json with auditKey>', EXIT_USAGE);
  warn('no IOC_AUDIT_KEY, --key-file or var/secrets.json: using the development audit key');
  return DEV_AUDIT_KEY;
}

function describe(v: VerifyResult): string {
  if (!v.ok) return `TAMPERED: ${v.message}`;
  if (v.count === 0 && v.lastSeq === 0) return 'OK 0 records (the audit log is empty)';
  const range = v.firstSeq === null ? `none after the trim point at seq ${v.lastSeq}` : `seq ${v.firstSeq}–${v.lastSeq}`;
  const anchored = v.anchored
    ? `anchored ${new Date(v.anchored.ts).toISOString()} at seq ${v.anchored.seq} (${v.anchorsChecked} anchors checked)`
    : 'no anchor checked';
  return `OK ${v.count} records, ${range}, head ${v.headHash.slice(0, 16)}…, ${anchored}`;
}

export interface CliIo {
  out(line: string): void;
  err(line: string): void;
}

export async function auditVerifyMain(argv: string[], env: NodeJS.ProcessEnv, io: CliIo, cwd = process.cwd()): Promise<number> {
  try {
    const { values } = parseArgs({
      args: argv,
      options: { file: { type: 'string' }, 'key-file': { type: 'string' }, anchors: { type: 'string' }, help: { type: 'boolean' } },
      strict: true,
    });
    if (values.help) {
      io.out('usage: npm run audit:verify [-- --file export.ndjson] [--key-file secrets.json] [--anchors audit-anchors.jsonl]');
      return 0;
    }
    const key = resolveAuditKey(values['key-file'], env, cwd, io.err);
    const anchorFile = resolve(cwd, values.anchors ?? env.IOC_AUDIT_ANCHOR_FILE ?? resolve(cwd, 'var', 'audit-anchors.jsonl'));
    const result = values.file ? await verifyExport(resolve(cwd, values.file), key, anchorFile, io) : await verifyRedis(env, key, anchorFile, io);
    io.out(describe(result));
    return result.ok ? 0 : EXIT_TAMPERED;
  } catch (err) {
    if (err instanceof CliError) {
      io.err(err.message);
      return err.exitCode;
    }
    if ((err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.err((err as Error).message);
      return EXIT_USAGE;
    }
    throw err;
  }
}

async function loadAnchors(file: string, chain: string, io: CliIo): Promise<AuditAnchor[]> {
  const { anchors, unreadable } = await readAnchors(file, chain);
  if (unreadable > 0) io.err(`warning: ${unreadable} unreadable line(s) in ${file} were not used`);
  return anchors;
}

async function verifyExport(file: string, key: string, anchorFile: string, io: CliIo): Promise<VerifyResult> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as Error).message}`, EXIT_USAGE);
  }
  const { header, entries } = parseAuditExport(text);
  // anchors written after the export was taken name records it cannot hold
  const anchors = header ? (await loadAnchors(anchorFile, header.chain, io)).filter((a) => a.ts <= header.exportedTs) : [];
  const v = new ChainVerifier({ key, trimPoint: header?.trimPoint ?? null, storedHead: header?.head ?? null, anchors });
  for (const e of entries) if (!v.push(e)) break;
  return v.finish();
}

async function verifyRedis(env: NodeJS.ProcessEnv, key: string, anchorFile: string, io: CliIo): Promise<VerifyResult> {
  const url = env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const prefix = env.IOC_REDIS_PREFIX ?? 'ioc';
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false, commandTimeout: CLI_COMMAND_TIMEOUT_MS });
  client.on('error', () => undefined); // reported by the failing command below
  try {
    try {
      await client.connect();
    } catch (err) {
      throw new CliError(`Redis at ${url.replace(/\/\/[^@]*@/, '//***@')} is unavailable: ${(err as Error).message}`, EXIT_STORE);
    }
    const backend = new RedisAuditBackend(client, prefix);
    // anchors and head before the records: the chain only grows meanwhile, never shrinks
    const anchors = await loadAnchors(anchorFile, backend.chainName, io);
    const [trimPoint, storedHead] = await Promise.all([backend.readTrimPoint(), backend.readHead()]);
    const v = new ChainVerifier({ key, trimPoint, storedHead, anchors });
    let after: string | null = null;
    for (;;) {
      const page = await backend.readForward(after, VERIFY_PAGE);
      let goOn = true;
      for (const e of page) if (!(goOn = v.push(e))) break;
      if (!goOn || page.length < VERIFY_PAGE) break;
      after = page[page.length - 1]!.id;
    }
    return v.finish();
  } finally {
    client.disconnect();
  }
}
