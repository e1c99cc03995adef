/**
 * `npm run audit:trim` (scripts/audit-trim.ts): retention for the audit log, run by an operator
 * with a Redis user that may XTRIM (the application's user may not; the server never deletes).
 *
 * Removes the records appended before now − IOC_AUDIT_RETENTION_DAYS (default 184; below 184 is
 * refused with NODE_ENV=production), after verifying the whole chain (a tampered chain is not
 * trimmed: that would destroy the evidence). First it writes the trim point
 * `${prefix}-audit:trimmed` = {seq, hash} of the last record removed — `audit:verify` starts after
 * it — then `XTRIM ${prefix}-audit:log MINID <cutoff>`. A run interrupted between the two steps
 * leaves records before the trim point, which verify skips; the next run finishes it.
 *
 *   REDIS_URL=redis://trim-operator:…@host:6379 npm run audit:trim [-- --days 200] [--dry-run] [--key-file f]
 */
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { MIN_AUDIT_RETENTION_DAYS } from '../config';
import { parseAuditRecord } from './audit-chain';
import { RedisAuditBackend } from './redis-audit-backend';
import { ChainVerifier } from './verify';
import { CliError, EXIT_STORE, EXIT_TAMPERED, EXIT_USAGE, resolveAuditKey, type CliIo } from './verify-cli';

const DAY_MS = 24 * 3600_000;
const TRIM_PAGE = 1000;
const CLI_COMMAND_TIMEOUT_MS = 10_000;

export async function auditTrimMain(argv: string[], env: NodeJS.ProcessEnv, io: CliIo, now = Date.now(), cwd = process.cwd()): Promise<number> {
  let client: Redis | null = null;
  try {
    const { values } = parseArgs({
      args: argv,
      options: { days: { type: 'string' }, 'dry-run': { type: 'boolean' }, 'key-file': { type: 'string' } },
      strict: true,
    });
    const days = Number(values.days ?? env.IOC_AUDIT_RETENTION_DAYS ?? MIN_AUDIT_RETENTION_DAYS);
    if (!Number.isSafeInteger(days) || days < 1) throw new CliError('--days / IOC_AUDIT_RETENTION_DAYS: a whole number of days', EXIT_USAGE);
    if (env.NODE_ENV === 'production' && days < MIN_AUDIT_RETENTION_DAYS)
      throw new CliError(`audit records are kept at least ${MIN_AUDIT_RETENTION_DAYS} days in production; refusing to trim to ${days}`, EXIT_USAGE);
    const key = resolveAuditKey(values['key-file'], env, cwd, io.err);
    const url = env.REDIS_URL ?? 'redis://127.0.0.1:6379';
    client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false, commandTimeout: CLI_COMMAND_TIMEOUT_MS });
    client.on('error', () => undefined);
    try {
      await client.connect();
    } catch (err) {
      throw new CliError(`Redis is unavailable: ${(err as Error).message}`, EXIT_STORE);
    }
    const backend = new RedisAuditBackend(client, env.IOC_REDIS_PREFIX ?? 'ioc');
    const cutoffMs = now - days * DAY_MS;

    // 1. the chain must verify before any of it is removed
    const [trimPoint, storedHead] = await Promise.all([backend.readTrimPoint(), backend.readHead()]);
    const v = new ChainVerifier({ key, trimPoint, storedHead });
    for (let after: string | null = null; ;) {
      const page = await backend.readForward(after, TRIM_PAGE);
      let goOn = true;
      for (const e of page) if (!(goOn = v.push(e))) break;
      if (!goOn || page.length < TRIM_PAGE) break;
      after = page[page.length - 1]!.id;
    }
    const verdict = v.finish();
    if (!verdict.ok) {
      io.err(`TAMPERED: ${verdict.message}`);
      io.err('not trimmed: keep the evidence and investigate');
      return EXIT_TAMPERED;
    }
    // 2. the newest record older than the cutoff becomes the trim point
    const [last] = await backend.readBackward(`${cutoffMs}-0`, null, 1);
    const record = last ? parseAuditRecord(last.text) : null;
    if (!last || !record || (trimPoint && record.seq <= trimPoint.seq)) {
      io.out(`nothing to trim: no record older than ${days} days (${new Date(cutoffMs).toISOString()})`);
      return 0;
    }
    const removed = record.seq - (trimPoint?.seq ?? 0);
    if (values['dry-run']) {
      io.out(`dry run: would remove ${removed} records up to seq ${record.seq} (${last.id}), older than ${new Date(cutoffMs).toISOString()}`);
      return 0;
    }
    await client.set(backend.keys.trimmed, JSON.stringify({ seq: record.seq, hash: record.hash, cutoffMs, trimmedTs: now }));
    await client.xtrim(backend.keys.log, 'MINID', `${cutoffMs}-0`);
    io.out(`trimmed ${removed} records up to seq ${record.seq} (${last.id}); audit:verify now starts after seq ${record.seq}`);
    return 0;
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
  } finally {
    client?.disconnect();
  }
}
