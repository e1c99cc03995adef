/**
 * The seal of one audit record: HMAC-SHA256(key, prevHash + canonical JSON of the record without
 * `hash`). Canonical = keys sorted at every level, `undefined` left out, so the same record hashes
 * the same in any process and after any JSON round trip (Redis, an NDJSON export).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { AuditEntry, AuditOutcome, AuditRecord } from './audit';

/** prevHash of seq 1 */
export const GENESIS_HASH = '0'.repeat(64);

/** The tip of a chain: the last record's seq and hash (seq 0 + GENESIS_HASH for an empty chain). */
export interface ChainHead {
  seq: number;
  hash: string;
}

export const EMPTY_HEAD: ChainHead = { seq: 0, hash: GENESIS_HASH };

export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const keys = Object.keys(value as Record<string, unknown>)
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
}

/** The HMAC a record must carry, from its own fields (its `hash` field is ignored). */
export function hashOfRecord(key: string, record: Omit<AuditRecord, 'hash'> & { hash?: string }): string {
  const { hash: _ignored, ...content } = record;
  return createHmac('sha256', key)
    .update(record.prevHash + canonicalJson(content))
    .digest('hex');
}

/** Seals an entry as the record after `head`. */
export function sealRecord(key: string, head: ChainHead, entry: AuditEntry, ts: number): AuditRecord {
  // only the fields of the contract: a caller's extra properties never slip into the chain
  const content: Omit<AuditRecord, 'hash'> = {
    seq: head.seq + 1,
    ts,
    prevHash: head.hash,
    actor: entry.actor,
    action: entry.action,
    outcome: entry.outcome,
    ...(entry.role !== undefined ? { role: entry.role } : {}),
    ...(entry.source !== undefined ? { source: entry.source } : {}),
    ...(entry.userAgent !== undefined ? { userAgent: entry.userAgent } : {}),
    ...(entry.target !== undefined ? { target: entry.target } : {}),
    ...(entry.reason !== undefined ? { reason: entry.reason } : {}),
    ...(entry.details !== undefined ? { details: entry.details } : {}),
  };
  // a JSON round trip first: what is hashed is exactly what is stored and read back
  const stored = JSON.parse(JSON.stringify(content)) as Omit<AuditRecord, 'hash'>;
  return { ...stored, hash: hashOfRecord(key, stored) };
}

/** True when the record's hash is the HMAC of its content (constant time). */
export function hashMatches(key: string, record: AuditRecord): boolean {
  const expected = Buffer.from(hashOfRecord(key, record), 'hex');
  const actual = Buffer.from(typeof record.hash === 'string' ? record.hash : '', 'hex');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

const OUTCOMES: readonly AuditOutcome[] = ['success', 'failure', 'denied'];
const HEX64 = /^[0-9a-f]{64}$/;

/** A stored record read back, or null when its text is not a record's shape (then it is tampered). */
export function parseAuditRecord(text: string): AuditRecord | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  return isAuditRecord(v) ? v : null;
}

export function isAuditRecord(v: unknown): v is AuditRecord {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const r = v as Record<string, unknown>;
  return (
    Number.isSafeInteger(r.seq) &&
    (r.seq as number) > 0 &&
    Number.isSafeInteger(r.ts) &&
    typeof r.prevHash === 'string' &&
    HEX64.test(r.prevHash) &&
    typeof r.hash === 'string' &&
    HEX64.test(r.hash) &&
    typeof r.actor === 'string' &&
    typeof r.action === 'string' &&
    OUTCOMES.includes(r.outcome as AuditOutcome)
  );
}

/** `seq:hash`, the head key's value in Redis and the anchor's identity */
export function formatHead(h: ChainHead): string {
  return `${h.seq}:${h.hash}`;
}

export function parseHead(text: string | null | undefined): ChainHead | null {
  if (!text) return null;
  const m = /^(\d+):([0-9a-f]{64})$/.exec(text);
  if (!m) return null;
  const seq = Number(m[1]);
  return Number.isSafeInteger(seq) ? { seq, hash: m[2]! } : null;
}
