/**
 * REST of area warnings, officer decisions and the alert list (issue 14), all in the caller's data scope:
 * - `GET /api/warnings` → WarningsMessage (as the `/live` `warnings` event);
 * - `GET /api/decisions` → DecisionsAnswer (scenes/storm/decisions.ts officerDecisions);
 * - `GET /api/alerts?state=&level=&scene=&district=&covered=&limit=` → AlertsAnswer (scenes/storm/alert-filter.ts);
 * - `GET /api/storm/area-warning-rules` → AreaWarningRuleSet; `…/history` → `{ changes }` (admins);
 * - `PUT /api/storm/area-warning-rules` `{ expectedVersion, rules }` → AreaWarningRuleSet: admins
 *   only, compare-and-set (E_CONFLICT with `details.currentVersion`), audited as `storm.area_rules.update`.
 */
import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import type { Role } from '../../scenes/domain';
import type { IocError } from '../../scenes/protocol';
import { alertInScope, incidentInScope, type DataScope } from '../../scenes/scope';
import { AlertQuerySchema, filterAlerts } from '../../scenes/storm/alert-filter';
import { officerDecisions } from '../../scenes/storm/decisions';
import type { AlertsAnswer, DecisionsAnswer } from '../../scenes/storm/warning-messages';
import type { AuditRecorder } from '../audit/audit';
import { auditWho } from '../audit/audit-request';
import type { SessionClaims } from '../auth/tokens';
import { httpStatusOf, iocError } from '../errors';
import type { Fusion } from '../fusion';
import { safeValidate } from '../guard';
import { AREA_WARNING_RULES_ID, AreaWarningRulesEditSchema, type AreaWarningRuleStore } from './area-warning-rules';
import type { WarningService } from './warning-service';

type AuthedRequest = Request & { user?: SessionClaims };
type RouteHandler = (req: AuthedRequest, res: Response) => unknown;

export interface WarningRouterDeps {
  fusion: Pick<Fusion, 'listAlerts' | 'incidents'>;
  warnings: WarningService;
  rules: AreaWarningRuleStore;
  audit: AuditRecorder;
  /** plans proposed to the officer in this scope (the plans service, when there is one) */
  proposedPlanIds?: (scope: DataScope) => readonly string[];
  /** http.ts's guard wrapper: a throw becomes a typed answer */
  route: (entry: string, handler: RouteHandler) => RequestHandler;
  /** http.ts's session check for the given roles (none: any signed-in role) */
  auth: (...roles: Role[]) => RequestHandler;
  /** the session's data scope, read from the stored user */
  scopeOf: (req: AuthedRequest) => Promise<DataScope>;
}

/** who reads warnings and the alert list: every role but field handlers (they see their own tasks only) */
const READERS: Role[] = ['officer', 'leader', 'admin', 'screen'];
/** who has decisions to make (or oversees them) */
const DECIDERS: Role[] = ['officer', 'leader', 'admin'];
const HISTORY_ENTRIES = 50;
const AUDIT_REASON_MAX_CHARS = 300;

function sendError(res: Response, e: IocError): void {
  res.status(httpStatusOf(e.code)).json({ error: e });
}

export function createWarningRouter(d: WarningRouterDeps): Router {
  const r = express.Router();
  const { route, auth } = d;

  r.get(
    '/warnings',
    auth(...READERS),
    route('storm:warnings', async (req, res) => res.json(d.warnings.messageFor(await d.scopeOf(req)))),
  );

  r.get(
    '/decisions',
    auth(...DECIDERS),
    route('storm:decisions', async (req, res) => {
      const scope = await d.scopeOf(req);
      const { warnings, coveredBy, generatedTs } = d.warnings.messageFor(scope);
      const alerts = d.fusion.listAlerts().filter((a) => alertInScope(scope, a));
      const incidents = [...d.fusion.incidents.values()].filter((i) => incidentInScope(scope, i));
      const decisions = officerDecisions({ alerts, warnings, coveredBy, incidents, proposedPlanIds: d.proposedPlanIds?.(scope) ?? [] });
      const incidentIds = new Set(decisions.flatMap((x) => (x.kind === 'incident' ? [x.incidentId] : [])));
      const alertIds = new Set(decisions.flatMap((x) => (x.kind === 'alert' ? [x.alertId] : [])));
      const answer: DecisionsAnswer = {
        generatedTs,
        decisions,
        warnings,
        coveredBy,
        incidents: incidents.filter((i) => incidentIds.has(i.id)),
        alerts: alerts.filter((a) => alertIds.has(a.id)),
      };
      res.json(answer);
    }),
  );

  r.get(
    '/alerts',
    auth(...READERS),
    route('storm:alerts', async (req, res) => {
      const q = safeValidate(AlertQuerySchema, { ...(req.query as Record<string, unknown>) }, 'alert query');
      if (!q.ok) return sendError(res, q.error);
      const scope = await d.scopeOf(req);
      const { coveredBy: scopedCoverage } = d.warnings.messageFor(scope);
      const inScope = d.fusion.listAlerts().filter((a) => alertInScope(scope, a));
      const { alerts, total } = filterAlerts(inScope, q.data, scopedCoverage);
      const coveredBy: Record<string, string> = {};
      for (const a of alerts) if (Object.hasOwn(scopedCoverage, a.id)) coveredBy[a.id] = scopedCoverage[a.id]!;
      const answer: AlertsAnswer = { alerts, total, coveredBy };
      res.json(answer);
    }),
  );

  r.get(
    '/storm/area-warning-rules',
    auth('admin', 'officer', 'leader'),
    route('storm:area-rules', (_req, res) => res.json(d.rules.get())),
  );

  r.get(
    '/storm/area-warning-rules/history',
    auth('admin'),
    route('storm:area-rules-history', async (_req, res) => res.json({ changes: await d.rules.history(HISTORY_ENTRIES) })),
  );

  r.put(
    '/storm/area-warning-rules',
    auth('admin'),
    route('storm:area-rules-update', async (req, res) => {
      const body = safeValidate(AreaWarningRulesEditSchema, req.body, 'area warning rules');
      const out = body.ok ? await d.rules.replace(body.data, req.user!.username) : body;
      const error = out.ok ? null : out.error;
      // the record is part of the action: no answer (and no retry advice) without it
      try {
        await d.audit.record({
          ...auditWho(req),
          action: 'storm.area_rules.update',
          target: `setting:${AREA_WARNING_RULES_ID}`,
          outcome: error ? 'failure' : 'success',
          ...(error ? { reason: `${error.code}: ${error.message}`.slice(0, AUDIT_REASON_MAX_CHARS) } : {}),
          details: out.ok ? { version: out.set.version, ruleIds: out.set.rules.map((x) => x.id) } : {},
        });
      } catch {
        return sendError(res, iocError('E_UNAVAILABLE', 'the audit log could not be written; reload the rules (a change already made stays made)'));
      }
      if (!out.ok) return sendError(res, out.error);
      res.json(out.set);
    }),
  );

  return r;
}
