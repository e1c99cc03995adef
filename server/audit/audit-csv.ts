/**
 * Audit records as CSV for an assessor: Beijing time (+08:00) first, one row per record, newest
 * first as queried. A UTF-8 BOM leads so Excel opens Chinese names correctly.
 */
import { stringify } from 'csv-stringify/sync';
import type { AuditRecord } from './audit';

export const AUDIT_CSV_COLUMNS = ['time', 'actor', 'role', 'source', 'user_agent', 'action', 'target', 'outcome', 'reason', 'seq'] as const;

const BEIJING_OFFSET_MS = 8 * 3600_000;

/** `2026-05-01T12:34:56.789+08:00` (China has no daylight saving time) */
export function beijingTime(ts: number): string {
  return new Date(ts + BEIJING_OFFSET_MS).toISOString().replace('Z', '+08:00');
}

/**
 * A cell an attacker may have chosen (the username tried at a failed login, a user agent) never
 * starts a spreadsheet formula: a leading = + - @ tab or CR is quoted with an apostrophe.
 */
export function safeCell(v: string): string {
  return /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
}

export function auditCsv(records: readonly AuditRecord[]): string {
  const rows = records.map((r) => [
    beijingTime(r.ts),
    ...[r.actor, r.role ?? '', r.source ?? '', r.userAgent ?? '', r.action, r.target ?? '', r.outcome, r.reason ?? ''].map(safeCell),
    String(r.seq),
  ]);
  return `\uFEFF${stringify([[...AUDIT_CSV_COLUMNS], ...rows])}`;
}
