/**
 * REST of contingency plans, the same service as `/live` `plan:command` / `plans:list`:
 * - `GET /api/plans` (officer, leader, admin) → `{plans}`: the plan definitions;
 * - `GET /api/plans/instances` (officer, leader, admin, screen) → `{instances}`: open instances in
 *   the caller's data scope (PlanInstanceView); with `?from=&to=` (epoch ms or ISO 8601, both
 *   included) → `{from, to, instances}`: the instances overlapping that range, closed ones too, in
 *   the caller's scope, newest proposal first (not paged, like the open list: a range holds the
 *   responses of at most the plan store's retention);
 * - `POST /api/plans/commands` body a PlanCommand → `{ok: true, instance, …}` or `{error}` with the
 *   typed error's HTTP status. Any signed-in role reaches the service, which decides (role, data
 *   scope) and audits, so a refusal is recorded like one over the socket.
 */
import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import type { Role } from '../../scenes/domain';
import type { IocError } from '../../scenes/protocol';
import { PLAN_DEFINITION_ROLES, PLAN_VIEW_ROLES } from '../../scenes/plans/plan-protocol';
import { PlanInstanceRangeQuerySchema } from '../../scenes/plans/plan-range';
import type { SessionClaims } from '../auth/tokens';
import { userAgentOf } from '../audit/audit-request';
import { httpStatusOf } from '../errors';
import { safeValidate, sourceOf, type EntryGuard } from '../guard';
import type { Store } from '../store/store';
import { userScope } from '../user-scope';
import type { PlanService } from './plan-service';

type AuthedRequest = Request & { user?: SessionClaims };
type RouteHandler = (req: AuthedRequest, res: Response) => unknown;

export interface PlanRouterDeps {
  plans: PlanService;
  store: Pick<Store, 'getUser'>;
  guard: EntryGuard;
  /** http.ts's guard wrapper: a throw becomes a typed answer */
  route: (entry: string, handler: RouteHandler) => RequestHandler;
  /** http.ts's session check for the given roles (none: any signed-in role) */
  auth: (...roles: Role[]) => RequestHandler;
}

function sendError(res: Response, e: IocError): void {
  const retryAfterMs = (e.details as { retryAfterMs?: unknown } | undefined)?.retryAfterMs;
  if (e.code === 'E_RATE_LIMIT' && typeof retryAfterMs === 'number') res.set('Retry-After', String(Math.max(1, Math.ceil(retryAfterMs / 1000))));
  res.status(httpStatusOf(e.code)).json({ error: e });
}

export function createPlanRouter(d: PlanRouterDeps): Router {
  const r = express.Router();
  const actorOf = (req: AuthedRequest) => ({ username: req.user!.username, role: req.user!.role });

  r.get(
    '/plans',
    d.auth(...PLAN_DEFINITION_ROLES),
    d.route('plans', (_req, res) => {
      res.json({ plans: d.plans.definitions() });
    }),
  );

  r.get(
    '/plans/instances',
    d.auth(...PLAN_VIEW_ROLES),
    d.route('plan-instances', async (req, res) => {
      const query = req.query as Record<string, unknown>;
      const scope = await userScope(d.store, actorOf(req));
      if (query.from === undefined && query.to === undefined) return res.json({ instances: d.plans.viewsFor(scope) });
      const range = safeValidate(PlanInstanceRangeQuerySchema, { ...query }, 'plan instances range');
      if (!range.ok) return sendError(res, range.error);
      const { from, to } = range.data;
      res.json({ from, to, instances: await d.plans.viewsBetween(scope, from, to + 1) });
    }),
  );

  r.post(
    '/plans/commands',
    d.auth(),
    d.route('plan-command', async (req, res) => {
      const limited = d.guard.takeCommand(req.user!.username);
      if (limited) return sendError(res, limited);
      const ua = userAgentOf(req.headers['user-agent']);
      const result = await d.plans.execute(actorOf(req), req.body ?? {}, {
        source: sourceOf(req.socket.remoteAddress, req.headers['x-forwarded-for']),
        ...(ua ? { userAgent: ua } : {}),
      });
      if (!result.ok) return sendError(res, result.error);
      res.json(result);
    }),
  );
  return r;
}
