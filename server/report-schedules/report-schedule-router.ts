/**
 * Scheduled reports over REST (issue 16):
 * - `GET /api/reports/schedules` → { schedules }                          (admin)
 * - `POST /api/reports/schedules` body ReportSchedule → 201 { schedule }   (admin, audited `report_schedule.create`)
 * - `PUT /api/reports/schedules/:id` body ReportSchedule → { schedule }    (admin, audited `report_schedule.update`)
 * - `DELETE /api/reports/schedules/:id` → 204                             (admin, audited `report_schedule.delete`)
 * - `POST /api/reports/schedules/:id/run` → 201 { run }  运行 now          (admin, audited `report_schedule.run`)
 * - `GET /api/reports/inbox` → { runs (newest first, with `read`), unread } (the caller's delivered reports)
 * - `GET /api/reports/runs/:id` → { run, report }                          (its recipients and admins; marks it read)
 * - `GET /api/reports/runs/:id/export?format=xlsx|csv` → the file          (same; audited `export`, no file without its record)
 * Validation errors are E_VALIDATION (a recipient who may not receive the report is named), a taken
 * id E_CONFLICT, an unknown id E_NOT_FOUND, another's report E_FORBIDDEN.
 */
import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import { z } from 'zod';
import type { Role } from '../../scenes/domain';
import type { IocError } from '../../scenes/protocol';
import { ReportFormatSchema } from '../../scenes/reports/report-query';
import type { AuditEntry, AuditRecorder } from '../audit/audit';
import { auditWho } from '../audit/audit-request';
import type { SessionClaims } from '../auth/tokens';
import { httpStatusOf, iocError } from '../errors';
import { safeValidate } from '../guard';
import { REPORT_READERS } from '../reports/report-router';
import { CONTENT_TYPES, contentDisposition, reportCsv, reportFileNames, reportXlsx } from '../reports/report-files';
import type { StoredReportSchedule } from '../store/report-schedule-store';
import type { ReportScheduleService, ServiceResult } from './report-schedule-service';

type AuthedRequest = Request & { user?: SessionClaims };
type RouteHandler = (req: AuthedRequest, res: Response) => unknown;

export interface ReportScheduleRouterDeps {
  service: ReportScheduleService;
  audit: AuditRecorder;
  route: (entry: string, handler: RouteHandler) => RequestHandler;
  auth: (...roles: Role[]) => RequestHandler;
}

const IdParamSchema = z.strictObject({
  id: z
    .string()
    .min(1)
    .max(120)
    .regex(/^[a-z0-9][a-z0-9-]*$/),
});

function sendError(res: Response, e: IocError): void {
  res.status(httpStatusOf(e.code)).json({ error: e });
}

const summary = (s: StoredReportSchedule) => ({ cron: s.cron, kind: s.kind, district: s.district ?? null, recipients: s.recipients });

export function createReportScheduleRouter(d: ReportScheduleRouterDeps): Router {
  const r = express.Router();
  const { route, auth, service } = d;
  const audited = (req: AuthedRequest, entry: Omit<AuditEntry, 'actor' | 'role' | 'source' | 'userAgent'>) =>
    d.audit.record({ ...auditWho(req), ...entry });
  /** a refused change is recorded too (best effort: the answer is the refusal either way) */
  const answer = async <T>(req: AuthedRequest, res: Response, action: string, out: ServiceResult<T>, ok: (v: T) => void): Promise<void> => {
    if (out.ok) return ok(out.value);
    await audited(req, {
      action,
      target: `report_schedule:${String(req.params.id ?? (req.body as { id?: unknown } | undefined)?.id ?? '?')}`.slice(0, 200),
      outcome: 'failure',
      reason: `${out.error.code}: ${out.error.message}`.slice(0, 300),
    }).catch(() => undefined);
    sendError(res, out.error);
  };
  const idOf = (req: AuthedRequest, res: Response): string | null => {
    const p = safeValidate(IdParamSchema, { id: req.params.id }, 'schedule id');
    if (p.ok) return p.data.id;
    sendError(res, p.error);
    return null;
  };

  r.get(
    '/reports/schedules',
    auth('admin'),
    route('report-schedules', async (_req, res) => {
      res.json({ schedules: await service.list() });
    }),
  );

  r.post(
    '/reports/schedules',
    auth('admin'),
    route('report-schedule-create', async (req, res) => {
      const out = await service.create(req.body, req.user!.username, (s) =>
        audited(req, { action: 'report_schedule.create', target: `report_schedule:${s.id}`, outcome: 'success', details: summary(s) }),
      );
      await answer(req, res, 'report_schedule.create', out, (schedule) => res.status(201).json({ schedule }));
    }),
  );

  r.put(
    '/reports/schedules/:id',
    auth('admin'),
    route('report-schedule-update', async (req, res) => {
      const id = idOf(req, res);
      if (id === null) return;
      const out = await service.update(id, req.body, (s) =>
        audited(req, { action: 'report_schedule.update', target: `report_schedule:${s.id}`, outcome: 'success', details: summary(s) }),
      );
      await answer(req, res, 'report_schedule.update', out, (schedule) => res.json({ schedule }));
    }),
  );

  r.delete(
    '/reports/schedules/:id',
    auth('admin'),
    route('report-schedule-delete', async (req, res) => {
      const id = idOf(req, res);
      if (id === null) return;
      const out = await service.remove(id, (s) =>
        audited(req, { action: 'report_schedule.delete', target: `report_schedule:${s.id}`, outcome: 'success' }),
      );
      await answer(req, res, 'report_schedule.delete', out, () => res.status(204).end());
    }),
  );

  r.post(
    '/reports/schedules/:id/run',
    auth('admin'),
    route('report-schedule-run', async (req, res) => {
      const id = idOf(req, res);
      if (id === null) return;
      const out = await service.runNow(id, req.user!.username, (s) =>
        audited(req, { action: 'report_schedule.run', target: `report_schedule:${s.id}`, outcome: 'success', details: summary(s) }),
      );
      await answer(req, res, 'report_schedule.run', out, (run) => res.status(201).json({ run }));
    }),
  );

  r.get(
    '/reports/inbox',
    auth(...REPORT_READERS),
    route('report-inbox', async (req, res) => {
      res.json(await service.inbox(req.user!.username));
    }),
  );

  r.get(
    '/reports/runs/:id',
    auth(...REPORT_READERS),
    route('report-run', async (req, res) => {
      const out = await service.readRun(String(req.params.id).slice(0, 200), req.user!);
      if (!out.ok) return sendError(res, out.error);
      res.json({ run: out.value.meta, report: out.value.report });
    }),
  );

  r.get(
    '/reports/runs/:id/export',
    auth(...REPORT_READERS),
    route('report-run-export', async (req, res) => {
      const runId = String(req.params.id).slice(0, 200);
      const format = safeValidate(ReportFormatSchema, req.query.format, 'export format (xlsx or csv)');
      const out = format.ok ? await service.readRun(runId, req.user!) : format;
      const error = out.ok ? null : out.error;
      // data leaving the system: the record is part of the export (no file without it); refusals too
      try {
        await audited(req, {
          action: 'export',
          target: `report_run:${runId}`,
          outcome: error ? (error.code === 'E_FORBIDDEN' ? 'denied' : 'failure') : 'success',
          ...(error ? { reason: `${error.code}: ${error.message}`.slice(0, 300) } : {}),
          details: format.ok ? { format: format.data } : {},
        });
      } catch {
        return sendError(res, iocError('E_UNAVAILABLE', 'the audit log could not be written; the export was not made'));
      }
      if (!out.ok || !format.ok) return sendError(res, error!);
      const report = out.value.report;
      const names = reportFileNames(report, format.data);
      const body = format.data === 'xlsx' ? await reportXlsx(report) : Buffer.from(reportCsv(report), 'utf8');
      res.set('content-type', CONTENT_TYPES[format.data]);
      res.set('content-disposition', contentDisposition(names));
      res.set('cache-control', 'no-store');
      res.send(body);
    }),
  );

  return r;
}
