/**
 * REST of the audit log (issue 12), administrators only:
 *   GET /api/audit?from&to&actor&action&outcome&target&cursor&limit   → { records, next? } newest first
 *   GET /api/audit?…&format=csv                                        → CSV download (server/audit/audit-csv.ts)
 * Reading the log is itself audited (`audit.read`, `audit.export`) and fails closed: when that
 * record cannot be written nothing is answered but E_UNAVAILABLE.
 */
import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import { z } from 'zod';
import type { Role } from '../../scenes/domain';
import type { IocError } from '../../scenes/protocol';
import type { SessionClaims } from '../auth/tokens';
import { httpStatusOf, iocError } from '../errors';
import { safeValidate } from '../guard';
import type { AuditRecorder } from './audit';
import type { AuditFilter, AuditPage, AuditPageRequest, AuditRow } from './audit-query';
import { STREAM_ID } from './audit-query';
import { auditCsv, beijingTime } from './audit-csv';
import { auditWho } from './audit-request';

type AuthedRequest = Request & { user?: SessionClaims };
type RouteHandler = (req: AuthedRequest, res: Response) => unknown;

export interface AuditReader {
  query(filter: AuditFilter, page: AuditPageRequest): Promise<AuditPage>;
}

export interface AuditRouterLimits {
  /** records per JSON page at most */
  pageMaxRecords: number;
  /** records one JSON page scans at most (bounds a filter that matches little) */
  pageScanMaxRecords: number;
  /** rows of one CSV download at most (the `x-audit-next` header says where to go on) */
  exportMaxRecords: number;
  /** records one CSV download scans at most */
  exportScanMaxRecords: number;
}

export const DEFAULT_AUDIT_ROUTER_LIMITS: AuditRouterLimits = {
  pageMaxRecords: 500,
  pageScanMaxRecords: 5_000,
  exportMaxRecords: 100_000,
  exportScanMaxRecords: 1_000_000,
};

export interface AuditRouterDeps {
  /** the chain: records the reads, answers the queries (server/audit/audit-log.ts) */
  audit: AuditRecorder & AuditReader;
  /** http.ts's guard wrapper: a throw becomes a typed answer */
  route: (entry: string, handler: RouteHandler) => RequestHandler;
  /** http.ts's session check for the given roles */
  auth: (...roles: Role[]) => RequestHandler;
  limits?: Partial<AuditRouterLimits>;
}

/** epoch ms, or an ISO 8601 time with its offset */
const TimeSchema = z
  .string()
  .max(40)
  .transform((s, ctx) => {
    const ms = /^\d{1,15}$/.test(s) ? Number(s) : Date.parse(s);
    if (!Number.isSafeInteger(ms)) {
      ctx.addIssue({ code: 'custom', message: 'epoch ms or an ISO 8601 time' });
      return z.NEVER;
    }
    return ms;
  });

function querySchema(limits: AuditRouterLimits) {
  return z
    .object({
      from: TimeSchema.optional(),
      to: TimeSchema.optional(),
      actor: z.string().min(1).max(128).optional(),
      action: z
        .string()
        .regex(/^[a-z_]+(\.[a-z_]+)*$/)
        .max(64)
        .optional(),
      outcome: z.enum(['success', 'failure', 'denied']).optional(),
      target: z.string().min(1).max(200).optional(),
      cursor: z.string().regex(STREAM_ID).optional(),
      limit: z.coerce.number().int().min(1).max(limits.pageMaxRecords).default(100),
      format: z.enum(['json', 'csv']).default('json'),
    })
    .strict()
    .refine((q) => q.from === undefined || q.to === undefined || q.from <= q.to, { message: 'from must not be after to' });
}

function sendError(res: Response, e: IocError): void {
  res.status(httpStatusOf(e.code)).json({ error: e });
}

const unavailable = () => iocError('E_UNAVAILABLE', 'the audit log could not record this read; nothing was answered');

export function createAuditRouter(d: AuditRouterDeps): Router {
  const limits = { ...DEFAULT_AUDIT_ROUTER_LIMITS, ...d.limits };
  const QuerySchema = querySchema(limits);
  const r = express.Router();

  r.get(
    '/audit',
    d.auth('admin'),
    d.route('audit', async (req, res) => {
      const q = safeValidate(QuerySchema, { ...(req.query as Record<string, unknown>) }, 'audit query');
      if (!q.ok) return sendError(res, q.error);
      const { format, cursor, limit, from, to, ...rest } = q.data;
      const filter: AuditFilter = { ...rest, ...(from !== undefined ? { fromTs: from } : {}), ...(to !== undefined ? { toTs: to } : {}) };
      if (format === 'csv') {
        const rows: AuditRow[] = [];
        let next = cursor;
        let scanned = 0;
        // pages of at most the JSON scan bound, until the row or scan bound of a download
        do {
          const page = await d.audit.query(filter, {
            cursor: next,
            limit: limits.exportMaxRecords - rows.length,
            scanMax: Math.min(limits.pageScanMaxRecords, limits.exportScanMaxRecords - scanned),
          });
          rows.push(...page.records);
          scanned += limits.pageScanMaxRecords;
          next = page.next;
        } while (next !== undefined && rows.length < limits.exportMaxRecords && scanned < limits.exportScanMaxRecords);
        const body = auditCsv(rows);
        try {
          await d.audit.record({
            ...auditWho(req),
            action: 'audit.export',
            target: 'audit',
            outcome: 'success',
            details: { filter, rows: rows.length },
          });
        } catch {
          return sendError(res, unavailable());
        }
        if (next !== undefined) res.set('x-audit-next', next);
        return res
          .type('text/csv; charset=utf-8')
          .attachment(`audit-${beijingTime(Date.now()).slice(0, 10)}.csv`)
          .send(body);
      }
      const page = await d.audit.query(filter, { cursor, limit, scanMax: limits.pageScanMaxRecords });
      try {
        await d.audit.record({
          ...auditWho(req),
          action: 'audit.read',
          target: 'audit',
          outcome: 'success',
          details: { filter, ...(cursor ? { cursor } : {}), records: page.records.length },
        });
      } catch {
        return sendError(res, unavailable());
      }
      res.json(page.next === undefined ? { records: page.records } : { records: page.records, next: page.next });
    }),
  );
  return r;
}
