/**
 * Reading the audit log for people: newest first, filtered, in pages. One page scans at most
 * `scanMax` records whatever the filter, so a filter that matches nothing costs a bounded amount
 * per request; the cursor (the last stream id scanned) lets the client go on.
 */
import type { AuditOutcome, AuditRecord } from './audit';
import { parseAuditRecord } from './audit-chain';
import type { AuditBackend } from './audit-backend';

export interface AuditFilter {
  /** record ts bounds, epoch ms, inclusive */
  fromTs?: number;
  toTs?: number;
  /** exact username (or `device:<id>`, the name tried for a failed login) */
  actor?: string;
  /** an action name, or its family: `auth` matches `auth.login`, `auth.login_failed`… */
  action?: string;
  outcome?: AuditOutcome;
  /** exact target, or a prefix ending in `:` (`incident:` = every incident) */
  target?: string;
}

export interface AuditPageRequest {
  /** continue after this stream id (the previous page's `next`) */
  cursor?: string;
  /** records answered at most */
  limit: number;
  /** records scanned at most for this page */
  scanMax: number;
}

export type AuditRow = AuditRecord & { id: string };

export interface AuditPage {
  records: AuditRow[];
  /** present when older records may match: pass as `cursor` */
  next?: string;
}

/** Stream ids come from Redis's clock, `ts` from the appending node's: the id window is this much wider. */
export const AUDIT_CLOCK_SKEW_MS = 5 * 60_000;
/** records read per backend call */
const READ_BATCH = 500;

export const STREAM_ID = /^\d{1,20}-\d{1,20}$/;

export function matchesFilter(r: AuditRecord, f: AuditFilter): boolean {
  if (f.fromTs !== undefined && r.ts < f.fromTs) return false;
  if (f.toTs !== undefined && r.ts > f.toTs) return false;
  if (f.actor !== undefined && r.actor !== f.actor) return false;
  if (f.outcome !== undefined && r.outcome !== f.outcome) return false;
  if (f.action !== undefined && r.action !== f.action && !r.action.startsWith(`${f.action}.`)) return false;
  if (f.target !== undefined) {
    const t = r.target ?? '';
    if (f.target.endsWith(':') ? !t.startsWith(f.target) : t !== f.target) return false;
  }
  return true;
}

export async function queryAudit(backend: AuditBackend, f: AuditFilter, page: AuditPageRequest): Promise<AuditPage> {
  const minId = f.fromTs !== undefined ? `${Math.max(0, f.fromTs - AUDIT_CLOCK_SKEW_MS)}-0` : null;
  let before: string | null = page.cursor ?? (f.toTs !== undefined ? `${f.toTs + AUDIT_CLOCK_SKEW_MS + 1}-0` : null);
  const records: AuditRow[] = [];
  let scanned = 0;
  for (;;) {
    const want = Math.min(READ_BATCH, page.scanMax - scanned);
    if (want <= 0) return { records, next: before ?? undefined };
    const batch = await backend.readBackward(before, minId, want);
    for (const e of batch) {
      scanned++;
      before = e.id;
      const r = parseAuditRecord(e.text);
      // an unreadable (tampered) record is not shown here: `npm run audit:verify` names it
      if (r && matchesFilter(r, f)) {
        records.push({ ...r, id: e.id });
        if (records.length >= page.limit) return { records, next: e.id };
      }
    }
    if (batch.length < want) return { records };
  }
}
