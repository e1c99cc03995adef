/**
 * REST of the long history (issue 16), every answer in the caller's data scope, decided here on
 * the server whatever the query asks:
 * - `GET /api/history/incidents?…` → IncidentHistoryAnswer. Officers, leaders, admins; a
 *   district-scoped one sees only their districts (a query naming others gets an empty page).
 *   Handlers too, but only incidents they are or were assigned to or reported (their tasks).
 * - `GET /api/history/alerts?…` → AlertHistoryAnswer. Officers, leaders, admins (handlers see no
 *   alerts anywhere: E_FORBIDDEN).
 * - `GET /api/history/incidents/:id` → IncidentHistoryDetail; E_NOT_FOUND when it is not archived
 *   or not in the caller's scope (a scope never learns what exists outside it).
 * The query is validated (scenes/history/history-query.ts): 400 E_VALIDATION naming the parameter.
 * Searches and record reads are audited (`history.search`, `history.read`; best effort: a read is
 * answered whether or not the record lands).
 */
import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import { IdSchema, type Role } from '../../scenes/domain';
import type { IocError } from '../../scenes/protocol';
import { incidentInScope, type DataScope } from '../../scenes/scope';
import { alertTimeline } from '../../scenes/history/alert-timeline';
import type { AlertHistoryAnswer, IncidentHistoryAnswer, IncidentHistoryDetail } from '../../scenes/history/history-answers';
import {
  AlertHistoryRequestSchema,
  alertQueryOf,
  decodeCursor,
  IncidentHistoryRequestSchema,
  incidentQueryOf,
  withinDistricts,
  type AlertHistoryQuery,
  type IncidentHistoryQuery,
} from '../../scenes/history/history-query';
import { wasAssigned } from '../../scenes/history/history-match';
import type { AuditRecorder } from '../audit/audit';
import { auditWho } from '../audit/audit-request';
import type { SessionClaims } from '../auth/tokens';
import { httpStatusOf, iocError } from '../errors';
import { safeValidate } from '../guard';
import type { Logger } from '../logger';
import type { HistoryStore } from '../store/history-store';

type AuthedRequest = Request & { user?: SessionClaims };
type RouteHandler = (req: AuthedRequest, res: Response) => unknown;

export interface HistorySearchRouterDeps {
  history: HistoryStore;
  audit: AuditRecorder;
  log: Logger;
  /** http.ts's guard wrapper: a throw becomes a typed answer */
  route: (entry: string, handler: RouteHandler) => RequestHandler;
  /** http.ts's session check for the given roles */
  auth: (...roles: Role[]) => RequestHandler;
  /** the session's data scope, read from the stored user */
  scopeOf: (req: AuthedRequest) => Promise<DataScope>;
}

const INCIDENT_READERS: Role[] = ['officer', 'leader', 'admin', 'handler'];
const ALERT_READERS: Role[] = ['officer', 'leader', 'admin'];
/** most linked alerts a detail answer carries */
const DETAIL_MAX_ALERTS = 50;
/** longest query string kept in an audit record, characters */
const AUDIT_QUERY_MAX_CHARS = 300;

function sendError(res: Response, e: IocError): void {
  res.status(httpStatusOf(e.code)).json({ error: e });
}

/** The query narrowed to the scope, or null: nothing in the scope can match. */
function scopedIncidentQuery(q: IncidentHistoryQuery, scope: DataScope): IncidentHistoryQuery | null {
  switch (scope.kind) {
    case 'all':
      return q;
    case 'districts':
      return withinDistricts(q, scope.districts);
    case 'handler':
      return { ...q, involves: scope.username };
    default: {
      const unreachable: never = scope;
      return unreachable;
    }
  }
}

function scopedAlertQuery(q: AlertHistoryQuery, scope: DataScope): AlertHistoryQuery | null {
  switch (scope.kind) {
    case 'all':
      return q;
    case 'districts':
      return withinDistricts(q, scope.districts);
    case 'handler':
      return null;
    default: {
      const unreachable: never = scope;
      return unreachable;
    }
  }
}

export function createHistorySearchRouter(d: HistorySearchRouterDeps): Router {
  const r = express.Router();
  const { route, auth } = d;

  const audited = (req: AuthedRequest, action: string, target: string): void => {
    d.audit
      .record({ ...auditWho(req), action, target: target.slice(0, AUDIT_QUERY_MAX_CHARS), outcome: 'success' })
      .catch((err: unknown) => d.log.warn({ err, action }, 'audit of a history read failed'));
  };

  /** The request's query, validated; a cursor that is not ours is refused too. */
  const validCursor = (cursor: string | undefined): IocError | null =>
    cursor === undefined || decodeCursor(cursor) !== null
      ? null
      : iocError('E_VALIDATION', 'invalid history query: cursor is not a cursor of this search');

  r.get(
    '/history/incidents',
    auth(...INCIDENT_READERS),
    route('history:incidents', async (req, res) => {
      const p = safeValidate(IncidentHistoryRequestSchema, { ...(req.query as Record<string, unknown>) }, 'history query');
      if (!p.ok) return sendError(res, p.error);
      const bad = validCursor(p.data.cursor);
      if (bad) return sendError(res, bad);
      const q = scopedIncidentQuery(incidentQueryOf(p.data), await d.scopeOf(req));
      audited(req, 'history.search', `incidents?${new URLSearchParams(req.query as Record<string, string>).toString()}`);
      if (q === null) return res.json({ incidents: [], complete: true } satisfies IncidentHistoryAnswer);
      const page = await d.history.searchIncidents(q);
      const answer: IncidentHistoryAnswer = {
        incidents: page.records,
        complete: page.complete,
        ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
      };
      res.json(answer);
    }),
  );

  r.get(
    '/history/alerts',
    auth(...ALERT_READERS),
    route('history:alerts', async (req, res) => {
      const p = safeValidate(AlertHistoryRequestSchema, { ...(req.query as Record<string, unknown>) }, 'history query');
      if (!p.ok) return sendError(res, p.error);
      const bad = validCursor(p.data.cursor);
      if (bad) return sendError(res, bad);
      const q = scopedAlertQuery(alertQueryOf(p.data), await d.scopeOf(req));
      audited(req, 'history.search', `alerts?${new URLSearchParams(req.query as Record<string, string>).toString()}`);
      if (q === null) return res.json({ alerts: [], complete: true } satisfies AlertHistoryAnswer);
      const page = await d.history.searchAlerts(q);
      const answer: AlertHistoryAnswer = {
        alerts: page.records,
        complete: page.complete,
        ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
      };
      res.json(answer);
    }),
  );

  r.get(
    '/history/incidents/:id',
    auth(...INCIDENT_READERS),
    route('history:incident', async (req, res) => {
      const id = safeValidate(IdSchema, req.params.id, 'incident id');
      if (!id.ok) return sendError(res, id.error);
      const scope = await d.scopeOf(req);
      const incident = await d.history.getIncident(id.data);
      // a handler's own tasks include those they were assigned to earlier and handed on
      const visible =
        incident !== null &&
        (scope.kind === 'handler'
          ? incident.reportedBy === scope.username || wasAssigned(incident, scope.username)
          : incidentInScope(scope, incident));
      if (!incident || !visible) return sendError(res, iocError('E_NOT_FOUND', `no archived incident ${id.data}`));
      audited(req, 'history.read', `incident:${incident.id}`);
      const alerts =
        scope.kind === 'handler'
          ? []
          : (await Promise.all(incident.alertIds.slice(0, DETAIL_MAX_ALERTS).map((a) => d.history.getAlert(a)))).flatMap((alert) =>
              alert ? [{ alert, timeline: alertTimeline(alert) }] : [],
            );
      const answer: IncidentHistoryDetail = { incident, alerts };
      res.json(answer);
    }),
  );

  return r;
}
