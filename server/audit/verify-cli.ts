/**
 * `npm run audit:verify` (scripts/audit-verify.ts): walks the audit chain in Redis, or an NDJSON
 * export, and names the first record that was changed, inserted or deleted.
 *
 *   npm run audit:verify                          the chain in REDIS_URL under IOC_REDIS_PREFIX
 *   npm run audit:verify -- --file export.ndjson  an export (server/audit/audit-export.ts)
 *   npm run audit:verify -- --incidents           then cross-checks the stored incidents against it
 *   options: --key-file <json with auditKey>  --anchors <anchor file>
 *
 * Key: --key-file, else IOC_AUDIT_KEY, else `auditKey` of var/secrets.json (a development
 * install's generated secrets), else the development default (refused with NODE_ENV=production).
 * Anchors: --anchors, else IOC_AUDIT_ANCHOR_FILE, else var/audit-anchors.jsonl.
 * Prints `OK <n> records, seq a–b, head …, anchored …` (exit 0) or `TAMPERED: record seq N (<stream
 * id>) was changed|inserted|deleted …` (exit 1); 2: usage or configuration; 3: Redis unavailable.
 * With --incidents, once the chain verifies: `OK <n> incidents agree with the audit chain` or one
 * `TAMPERED: incident INC-… step <commandId> (<action> by <actor>) has no audit record` (or
 * `… lacks step …`, `… was done by …`, `… rolled back` — incident-crosscheck.ts) per incident (exit 1).
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { DEV_AUDIT_KEY } from '../config';
import type { Incident } from '../../scenes/domain';
import { RedisStore } from '../store/redis-store';
import { parseAuditRecord } from './audit-chain';
import { readAnchors, type AuditAnchor } from './audit-anchors';
import { parseAuditExport } from './audit-export';
import { RedisAuditBackend } from './redis-audit-backend';
import { ChainVerifier, type VerifyResult } from './verify';
import { commandAuditFact, crosscheckIncidents, type CommandAuditFact, type CrosscheckResult } from './incident-crosscheck';

export const EXIT_TAMPERED = 1;
export const EXIT_USAGE = 2;
export const EXIT_STORE = 3;

/** records per XRANGE page while walking */
const VERIFY_PAGE = 1000;
/** deadline of one Redis command of the CLI, ms */
const CLI_COMMAND_TIMEOUT_MS = 10_000;
/**
 * --incidents, after a trim: steps this close after the chain's first retained record are not
 * judged (a step's time is the applying node's clock, the record's the sealing node's), ms
 */
const INCIDENT_CLOCK_MARGIN_MS = 60_000;
/** --incidents: disagreeing incidents printed one per line; the rest are counted */
const INCIDENT_FINDINGS_PRINTED = 20;
/** IOC_RETENTION_DAYS when unset (server/config.ts): how long a closed incident is kept */
const DEFAULT_RETENTION_DAYS = 184;
const DAY_MS = 24 * 3600_000;

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
      options: {
        file: { type: 'string' },
        'key-file': { type: 'string' },
        anchors: { type: 'string' },
        incidents: { type: 'boolean' },
        help: { type: 'boolean' },
      },
      strict: true,
    });
    if (values.help) {
      io.out('usage: npm run audit:verify [-- --file export.ndjson | --incidents] [--key-file secrets.json] [--anchors audit-anchors.jsonl]');
      return 0;
    }
    if (values.incidents && values.file) throw new CliError('--incidents checks the store in Redis; it cannot be used with --file', EXIT_USAGE);
    const retentionMs = values.incidents ? closedRetentionMs(env) : 0;
    const key = resolveAuditKey(values['key-file'], env, cwd, io.err);
    const anchorFile = resolve(cwd, values.anchors ?? env.IOC_AUDIT_ANCHOR_FILE ?? resolve(cwd, 'var', 'audit-anchors.jsonl'));
    if (values.file) {
      const result = await verifyExport(resolve(cwd, values.file), key, anchorFile, io);
      io.out(describe(result));
      return result.ok ? 0 : EXIT_TAMPERED;
    }
    const result = await verifyRedis(env, key, anchorFile, io, values.incidents ? retentionMs : null);
    io.out(describe(result.chain));
    if (!result.chain.ok) return EXIT_TAMPERED;
    if (!result.incidents) return 0;
    const lines = describeCrosscheck(result.incidents);
    for (const line of lines) io.out(line);
    return result.incidents.disagreements.length === 0 ? 0 : EXIT_TAMPERED;
  } catch (err) {
    if (err instanceof CliError) {
      (err.exitCode === EXIT_TAMPERED ? io.out : io.err)(err.message);
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

/** IOC_RETENTION_DAYS as the server reads it (server/config.ts), in ms */
function closedRetentionMs(env: NodeJS.ProcessEnv): number {
  const text = env.IOC_RETENTION_DAYS;
  if (text === undefined || text === '') return DEFAULT_RETENTION_DAYS * DAY_MS;
  const days = Number(text);
  if (!Number.isSafeInteger(days) || days <= 0)
    throw new CliError(`IOC_RETENTION_DAYS must be a positive whole number of days, not ${text}`, EXIT_USAGE);
  return days * DAY_MS;
}

function describeCrosscheck(r: CrosscheckResult & { judgedFromTs: number | null }): string[] {
  if (r.disagreements.length > 0) {
    const lines = r.disagreements.slice(0, INCIDENT_FINDINGS_PRINTED).map((d) => `TAMPERED: ${d.message}`);
    const more = r.disagreements.length - INCIDENT_FINDINGS_PRINTED;
    if (more > 0) lines.push(`TAMPERED: … and ${more} more incidents disagree with the audit chain`);
    return lines;
  }
  const since = r.judgedFromTs === null ? 'no audit record retained' : `older than ${new Date(r.judgedFromTs).toISOString()}`;
  const notJudged = r.notJudged > 0 || r.stepsNotJudged > 0 ? ` (not judged, ${since}: ${r.notJudged} incidents, ${r.stepsNotJudged} steps)` : '';
  return [`OK ${r.agreeing} incidents agree with the audit chain${notJudged}`];
}

/**
 * Open and retained closed incidents, plus any other the chain names (read by id: one whose index
 * entry is gone may still be stored). A stored incident that is not JSON was written by hand.
 */
async function loadIncidentsFor(store: RedisStore, facts: readonly CommandAuditFact[]): Promise<Incident[]> {
  try {
    const incidents = await store.loadIncidents(0);
    const have = new Set(incidents.map((i) => i.id));
    for (const id of new Set(facts.map((f) => f.incidentId))) {
      if (have.has(id)) continue;
      const one = await store.getIncident(id);
      if (one) incidents.push(one);
    }
    const odd = incidents.find((i) => i === null || typeof i !== 'object' || typeof i.id !== 'string');
    if (odd !== undefined) throw new CliError(`TAMPERED: a stored incident is not an incident: ${JSON.stringify(odd).slice(0, 80)}`, EXIT_TAMPERED);
    return incidents;
  } catch (err) {
    if (err instanceof SyntaxError) throw new CliError(`TAMPERED: a stored incident is not readable JSON (${err.message})`, EXIT_TAMPERED);
    if ((err as { code?: unknown }).code === 'E_UNAVAILABLE') throw new CliError((err as Error).message, EXIT_STORE);
    throw err;
  }
}

async function verifyRedis(
  env: NodeJS.ProcessEnv,
  key: string,
  anchorFile: string,
  io: CliIo,
  incidentsRetentionMs: number | null,
): Promise<{ chain: VerifyResult; incidents: (CrosscheckResult & { judgedFromTs: number | null }) | null }> {
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
    // for --incidents: what the command records say, used only once the whole chain verified
    const facts: CommandAuditFact[] = [];
    let judgedFromTs: number | null = null;
    let after: string | null = null;
    for (;;) {
      const page = await backend.readForward(after, VERIFY_PAGE);
      let goOn = true;
      for (const e of page) {
        if (!(goOn = v.push(e))) break;
        if (incidentsRetentionMs === null) continue;
        const record = parseAuditRecord(e.text);
        // records up to the trim point may still be in the stream (a trim stopped between steps)
        if (!record || record.seq <= (trimPoint?.seq ?? 0)) continue;
        judgedFromTs ??= record.ts;
        const fact = commandAuditFact(record);
        if (fact) facts.push(fact);
      }
      if (!goOn || page.length < VERIFY_PAGE) break;
      after = page[page.length - 1]!.id;
    }
    const chain = v.finish();
    if (!chain.ok || incidentsRetentionMs === null) return { chain, incidents: null };
    const store = new RedisStore(client, { prefix, closedRetentionMs: incidentsRetentionMs });
    const incidents = await loadIncidentsFor(store, facts);
    const result = crosscheckIncidents({
      incidents,
      facts,
      judgedFromTs,
      // nothing before the first record was ever trimmed when the chain starts at seq 1
      clockMarginMs: trimPoint ? INCIDENT_CLOCK_MARGIN_MS : 0,
      nowTs: Date.now(),
      closedRetentionMs: incidentsRetentionMs,
    });
    return { chain, incidents: { ...result, judgedFromTs } };
  } finally {
    client.disconnect();
  }
}
