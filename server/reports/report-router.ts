/**
 * Reports (issue 16) for leaders, officers and admins, in the caller's data scope:
 * - `GET /api/reports?kind=daily|weekly|monthly|custom&date=YYYY-MM-DD&from=&to=&district=` → Report;
 * - `GET /api/reports/export?…&format=xlsx|csv` → the report as a file, recorded in the audit log
 *   (data leaving the system) — no file without its record;
 * - `GET /api/reports/incidents/:id/summary` → IncidentSummary (事件总结).
 * A district outside the caller's districts is refused (E_FORBIDDEN); without `district` a user
 * limited to districts gets a report of their districts only.
 */
import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import type { Alert, DistrictCode, Incident, Role } from '../../scenes/domain';
import type { IocError } from '../../scenes/protocol';
import { type DataScope, alertInScope, districtInScope, incidentInScope } from '../../scenes/scope';
import { type Report, buildReport } from '../../scenes/reports/build-report';
import { type ReportIncidentSummaryLimits, DEFAULT_SUMMARY_LIMITS } from './report-router-config';
import { buildIncidentSummary } from '../../scenes/reports/incident-summary';
import { planInstancesInScope } from '../../scenes/plans/plan-range';
import { type ReportQuery, ReportFormatSchema, ReportQuerySchema, periodOfQuery } from '../../scenes/reports/report-query';
import { type ReportPeriod, previousPeriod, samePeriodLastYear } from '../../scenes/reports/report-period';
import type { AuditRecorder } from '../audit/audit';
import { auditWho } from '../audit/audit-request';
import type { SessionClaims } from '../auth/tokens';
import { httpStatusOf, iocError } from '../errors';
import type { Fusion } from '../fusion';
import { safeValidate } from '../guard';
import { incidentReadings } from '../incident-readings';
import type { Store } from '../store/store';
import { CONTENT_TYPES, contentDisposition, reportCsv, reportFileNames, reportXlsx } from './report-files';
import type { ReportSource } from './report-source';

type AuthedRequest = Request & { user?: SessionClaims };
type RouteHandler = (req: AuthedRequest, res: Response) => unknown;

export interface ReportRouterDeps {
  source: ReportSource;
  /** how far back `source` holds complete records, ms: a 同比 period older than this is left out (no false zeros) */
  horizonMs: number;
  store: Pick<Store, 'getIncident' | 'readReadings' | 'loadAlerts'>;
  fusion: Pick<Fusion, 'incidents' | 'devices' | 'listHandlers' | 'getAlert'>;
  /** asset names for the top places */
  registry: { listAssets(): readonly { id: string; name: string; nameEn?: string }[] };
  audit: AuditRecorder;
  route: (entry: string, handler: RouteHandler) => RequestHandler;
  auth: (...roles: Role[]) => RequestHandler;
  scopeOf: (req: AuthedRequest) => Promise<DataScope>;
  now?: () => number;
  summaryLimits?: ReportIncidentSummaryLimits;
}

/** who reads reports: the people who take them into meetings, not handlers or wall screens */
export const REPORT_READERS: Role[] = ['leader', 'officer', 'admin'];
const AUDIT_REASON_MAX_CHARS = 300;

function sendError(res: Response, e: IocError): void {
  res.status(httpStatusOf(e.code)).json({ error: e });
}

export type ReportGeneratorDeps = Pick<ReportRouterDeps, 'source' | 'horizonMs' | 'fusion' | 'registry'>;

/**
 * The report of a validated query in `scope` (the caller's, or a scheduled report's recipients'):
 * the period, the one before (环比) and, within the source's horizon, the same period a year before (同比);
 * the period's contingency responses in `scope` (planInstancesInScope: the plan's districts).
 */
export async function generateReport(d: ReportGeneratorDeps, query: ReportQuery, scope: DataScope, nowTs: number): Promise<Report> {
  const recordsOf = async (period: ReportPeriod): Promise<{ period: ReportPeriod; incidents: Incident[]; alerts: Alert[] }> => {
    const [incidents, alerts] = await Promise.all([d.source.incidents(period.fromTs, period.toTs), d.source.alerts(period.fromTs, period.toTs)]);
    return { period, incidents: incidents.filter((i) => incidentInScope(scope, i)), alerts: alerts.filter((a) => alertInScope(scope, a)) };
  };
  const period = periodOfQuery(query);
  const lastYear = samePeriodLastYear(period);
  const [current, previous, previousYear, plans] = await Promise.all([
    recordsOf(period),
    recordsOf(previousPeriod(period)),
    nowTs - lastYear.fromTs <= d.horizonMs ? recordsOf(lastYear) : Promise.resolve(undefined),
    d.source.planInstances?.(period.fromTs, period.toTs),
  ]);
  return buildReport({
    ...current,
    ...(plans ? { planInstances: planInstancesInScope(plans.instances, plans.plans, scope), planDefinitions: plans.plans } : {}),
    ...(query.district !== undefined ? { district: query.district } : {}),
    previous,
    ...(previousYear ? { previousYear } : {}),
    devices: [...d.fusion.devices.values()],
    assets: d.registry.listAssets().map((a) => ({ id: a.id, name: a.name, nameEn: a.nameEn ?? a.name })),
    handlers: d.fusion.listHandlers(),
    generatedTs: nowTs,
  });
}

export function createReportRouter(d: ReportRouterDeps): Router {
  const r = express.Router();
  const { route, auth } = d;
  const now = d.now ?? Date.now;

  /** The validated query and the report, or the error to answer. */
  async function reportFor(
    req: AuthedRequest,
    query: Record<string, unknown>,
  ): Promise<{ ok: true; report: Report; query: ReportQuery } | { ok: false; error: IocError }> {
    const q = safeValidate(ReportQuerySchema, query, 'report query');
    if (!q.ok) return q;
    const scope = await d.scopeOf(req);
    if (q.data.district !== undefined && !districtInScope(scope, q.data.district as DistrictCode))
      return { ok: false, error: iocError('E_FORBIDDEN', `district ${q.data.district} is outside your districts`) };
    const report = await generateReport(d, q.data, scope, now());
    return { ok: true, report, query: q.data };
  }

  r.get(
    '/reports',
    auth(...REPORT_READERS),
    route('reports', async (req, res) => {
      const out = await reportFor(req, { ...(req.query as Record<string, unknown>) });
      if (!out.ok) return sendError(res, out.error);
      res.json(out.report);
    }),
  );

  r.get(
    '/reports/export',
    auth(...REPORT_READERS),
    route('reports-export', async (req, res) => {
      const { format: rawFormat, ...query } = req.query as Record<string, unknown>;
      const format = safeValidate(ReportFormatSchema, rawFormat, 'export format (xlsx or csv)');
      const out = format.ok ? await reportFor(req, query) : format;
      const error = out.ok ? null : out.error;
      // data leaving the system: the record is part of the export (no file without it); refusals too
      try {
        await d.audit.record({
          ...auditWho(req),
          action: 'export',
          target: 'reports',
          outcome: error ? (error.code === 'E_FORBIDDEN' ? 'denied' : 'failure') : 'success',
          ...(error ? { reason: `${error.code}: ${error.message}`.slice(0, AUDIT_REASON_MAX_CHARS) } : {}),
          // only validated fields: a refused query's raw text could be anything
          details: format.ok ? { format: format.data, ...(out.ok ? out.query : {}) } : {},
        });
      } catch {
        return sendError(res, iocError('E_UNAVAILABLE', 'the audit log could not be written; the export was not made'));
      }
      if (!out.ok || !format.ok) return sendError(res, error!);
      const names = reportFileNames(out.report, format.data);
      const body = format.data === 'xlsx' ? await reportXlsx(out.report) : Buffer.from(reportCsv(out.report), 'utf8');
      res.set('content-type', CONTENT_TYPES[format.data]);
      res.set('content-disposition', contentDisposition(names));
      res.set('cache-control', 'no-store');
      res.send(body);
    }),
  );

  r.get(
    '/reports/incidents/:id/summary',
    auth(...REPORT_READERS),
    route('reports-incident-summary', async (req, res) => {
      const id = String(req.params.id);
      const incident = d.fusion.incidents.get(id) ?? (await d.store.getIncident(id));
      if (!incident) return sendError(res, iocError('E_NOT_FOUND', `no incident ${id}`));
      if (!incidentInScope(await d.scopeOf(req), incident)) return sendError(res, iocError('E_FORBIDDEN', 'not your incident'));
      const limits = d.summaryLimits ?? DEFAULT_SUMMARY_LIMITS;
      const readings = await incidentReadings(incident, d.fusion as Fusion, d.store as Store, now());
      // alerts: live ones first, then the store's (an alert finished long ago may be gone: the summary lists what is known)
      const known = new Map<string, Alert>();
      for (const alertId of incident.alertIds) {
        const a = d.fusion.getAlert(alertId);
        if (a) known.set(alertId, a);
      }
      if (known.size < incident.alertIds.length) {
        for (const a of await d.store.loadAlerts(incident.createdTs - limits.alertLookbackMs))
          if (incident.alertIds.includes(a.id)) known.set(a.id, a);
      }
      res.json(
        buildIncidentSummary({
          incident,
          alerts: [...known.values()],
          readings: { ...readings, readings: readings.readings.slice(-limits.readingsMax) },
        }),
      );
    }),
  );

  return r;
}
