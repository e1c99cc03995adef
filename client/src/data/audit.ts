/**
 * The audit log for the admin page (server: GET /api/audit, admins only; server/audit/audit-router.ts).
 * Pages come newest first with a cursor; the CSV export is fetched with the bearer token and handed
 * to the browser as a file (a plain link would carry no token).
 */
import type { IocError } from '@scenes/protocol';
import { call, type ApiResult } from './rest';

export type AuditOutcome = 'success' | 'failure' | 'denied';
export const AUDIT_OUTCOMES = ['success', 'failure', 'denied'] as const satisfies readonly AuditOutcome[];

/** One record as the server answers it (the chain fields seq/prevHash/hash and the stream id). */
export interface AuditRecordView {
  id: string;
  seq: number;
  /** epoch ms */
  ts: number;
  actor: string;
  role?: string;
  source?: string;
  userAgent?: string;
  action: string;
  target?: string;
  outcome: AuditOutcome;
  reason?: string;
  details?: Record<string, unknown>;
}

/** The filters of the audit tab; empty strings and nulls mean "any". */
export interface AuditFilterForm {
  /** epoch ms or null */
  from: number | null;
  to: number | null;
  actor: string;
  /** an action or its family (`auth` = every `auth.*`) */
  action: string;
  outcome: AuditOutcome | '';
  /** exact target, or a prefix ending in `:` */
  target: string;
}

export const EMPTY_AUDIT_FILTER: AuditFilterForm = { from: null, to: null, actor: '', action: '', outcome: '', target: '' };

/** Records per page the tab asks for. */
export const AUDIT_PAGE_RECORDS = 100;

/** `from=…&actor=…` for the filled-in filters (trimmed), plus cursor/limit/format when given. */
export function auditQueryString(f: AuditFilterForm, extra: { cursor?: string; limit?: number; format?: 'csv' } = {}): string {
  const q = new URLSearchParams();
  if (f.from !== null) q.set('from', String(f.from));
  if (f.to !== null) q.set('to', String(f.to));
  for (const k of ['actor', 'action', 'target'] as const) {
    const v = f[k].trim();
    if (v) q.set(k, v);
  }
  if (f.outcome) q.set('outcome', f.outcome);
  if (extra.cursor) q.set('cursor', extra.cursor);
  if (extra.limit) q.set('limit', String(extra.limit));
  if (extra.format) q.set('format', extra.format);
  return q.toString();
}

export function fetchAuditPage(
  token: string,
  f: AuditFilterForm,
  cursor?: string,
): Promise<ApiResult<{ records: AuditRecordView[]; next?: string }>> {
  return call(token, `/api/audit?${auditQueryString(f, { cursor, limit: AUDIT_PAGE_RECORDS })}`);
}

/** The filtered log as CSV (at most the server's export bound), as a Blob to save. */
export async function exportAuditCsv(
  token: string,
  f: AuditFilterForm,
): Promise<{ ok: true; blob: Blob; fileName: string } | { ok: false; error: IocError; network: boolean }> {
  let res: Response;
  try {
    res = await fetch(`/api/audit?${auditQueryString(f, { format: 'csv' })}`, { headers: { authorization: `Bearer ${token}` } });
  } catch (e) {
    return { ok: false, network: true, error: { code: 'E_INTERNAL', message: e instanceof Error ? e.message : String(e) } };
  }
  if (!res.ok) {
    const body = (await res.json().catch(() => null)) as { error?: IocError } | null;
    return { ok: false, network: false, error: body?.error ?? { code: 'E_INTERNAL', message: `HTTP ${res.status}` } };
  }
  const name = /filename="?([^";]+)"?/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? 'audit.csv';
  return { ok: true, blob: await res.blob(), fileName: name };
}

/** `<input type="datetime-local">` value (read as Beijing time) → epoch ms, or null when empty/invalid. */
export function beijingLocalToEpoch(value: string): number | null {
  const m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)(?::(\d\d))?$/.exec(value);
  if (!m) return null;
  const [, y, mo, d, h, mi, s] = m;
  return Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h) - 8, Number(mi), Number(s ?? 0));
}

/** `2026-11-21 14:05:09` in Beijing time (the audit table shows full dates: records span months). */
export function beijingStamp(ts: number): string {
  return new Date(ts + 8 * 3600_000).toISOString().slice(0, 19).replace('T', ' ');
}
