/**
 * REST of impact ranges and live resources (issue 17):
 * - `GET /api/incidents/:id/impact?radiusM=` (officer, leader, admin) → ImpactRange around the incident;
 * - `GET /api/impact?lng=&lat=&category=&radiusM=` (officer, leader, admin) → ImpactRange around a point;
 *   a district-scoped user's range holds only what is in their districts (the state is cut first);
 * - `GET /api/incidents/:id/resources` (officer, leader, admin) → `{assignments}`;
 * - `POST /api/incidents/:id/resources` `{resourceId, amount, commandId}` (officer, admin) →
 *   `{assignment, resource, duplicate}`; E_CONFLICT when not enough is available;
 * - `DELETE /api/incidents/:id/resources/:resourceId` (officer, admin) → `{released, resource}`.
 * Errors are `{error: {code, message}}` with the code's HTTP status.
 */
import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import { z } from 'zod';
import { LngLatSchema, type Role } from '../../scenes/domain';
import { impactRange } from '../../scenes/impact/impact-range';
import { IMPACT_VIEW_ROLES } from '../../scenes/impact/impact-types';
import { DEFAULT_IMPACT_CONFIG, type ImpactConfig } from '../../scenes/impact/impact-config';
import type { IocError } from '../../scenes/protocol';
import { scopeFusedState, districtInScope, type DataScope } from '../../scenes/scope';
import type { FusedState } from '../../scenes/scene-model';
import type { SessionClaims } from '../auth/tokens';
import { userAgentOf } from '../audit/audit-request';
import { httpStatusOf, iocError, validationError } from '../errors';
import { sourceOf } from '../guard';
import type { Incident } from '../../scenes/domain';
import { RESOURCE_ASSIGN_ROLES, type ResourceService } from './resource-service';

type AuthedRequest = Request & { user?: SessionClaims };
type RouteHandler = (req: AuthedRequest, res: Response) => unknown;

export interface ResourceRouterDeps {
  resources: ResourceService;
  /** fusion's live state (devices, alerts, assets, resources with live availability) */
  fusedState: (nowTs: number) => FusedState;
  incidents: ReadonlyMap<string, Incident>;
  impactConfig?: ImpactConfig;
  /** http.ts's guard wrapper: a throw becomes a typed answer */
  route: (entry: string, handler: RouteHandler) => RequestHandler;
  /** http.ts's session check for the given roles */
  auth: (...roles: Role[]) => RequestHandler;
  scopeOf: (req: AuthedRequest) => Promise<DataScope>;
}

const RadiusSchema = z.coerce.number().positive().max(20_000).optional();
const IncidentImpactQuerySchema = z.object({ radiusM: RadiusSchema });
const PointImpactQuerySchema = z.object({
  lng: z.coerce.number(),
  lat: z.coerce.number(),
  category: z.string().min(1).max(40).default('default'),
  radiusM: RadiusSchema,
});

function sendError(res: Response, e: IocError): void {
  res.status(httpStatusOf(e.code)).json({ error: e });
}

export function createResourceRouter(d: ResourceRouterDeps): Router {
  const r = express.Router();
  const config = d.impactConfig ?? DEFAULT_IMPACT_CONFIG;
  const actorOf = (req: AuthedRequest) => ({ username: req.user!.username, role: req.user!.role });
  const contextOf = (req: AuthedRequest) => {
    const ua = userAgentOf(req.headers['user-agent']);
    return { source: sourceOf(req.socket.remoteAddress, req.headers['x-forwarded-for']), ...(ua ? { userAgent: ua } : {}) };
  };
  const scopedState = (scope: DataScope) => {
    const nowTs = Date.now();
    return { nowTs, state: scopeFusedState(d.fusedState(nowTs), scope) };
  };

  r.get(
    '/incidents/:id/impact',
    d.auth(...IMPACT_VIEW_ROLES),
    d.route('incident-impact', async (req, res) => {
      const q = IncidentImpactQuerySchema.safeParse(req.query);
      if (!q.success) return sendError(res, validationError(q.error, 'impact query'));
      const scope = await d.scopeOf(req);
      const incident = d.incidents.get(String(req.params.id));
      if (!incident || !districtInScope(scope, incident.district))
        return sendError(res, iocError('E_NOT_FOUND', `no incident ${String(req.params.id)}`));
      const { nowTs, state } = scopedState(scope);
      res.json(impactRange({ center: incident.location, category: incident.category, radiusM: q.data.radiusM, nowTs }, state, config));
    }),
  );

  r.get(
    '/impact',
    d.auth(...IMPACT_VIEW_ROLES),
    d.route('point-impact', async (req, res) => {
      const q = PointImpactQuerySchema.safeParse(req.query);
      if (!q.success) return sendError(res, validationError(q.error, 'impact query'));
      const center = LngLatSchema.safeParse([q.data.lng, q.data.lat]);
      if (!center.success) return sendError(res, validationError(center.error, 'impact centre'));
      const { nowTs, state } = scopedState(await d.scopeOf(req));
      res.json(impactRange({ center: center.data, category: q.data.category, radiusM: q.data.radiusM, nowTs }, state, config));
    }),
  );

  r.get(
    '/incidents/:id/resources',
    d.auth(...IMPACT_VIEW_ROLES),
    d.route('incident-resources', async (req, res) => {
      const result = await d.resources.list(await d.scopeOf(req), String(req.params.id));
      if (!result.ok) return sendError(res, result.error);
      res.json({ assignments: result.assignments });
    }),
  );

  r.post(
    '/incidents/:id/resources',
    d.auth(...RESOURCE_ASSIGN_ROLES),
    d.route('resource-assign', async (req, res) => {
      const result = await d.resources.assign(actorOf(req), await d.scopeOf(req), String(req.params.id), req.body ?? {}, contextOf(req));
      if (!result.ok) return sendError(res, result.error);
      res.json({ assignment: result.assignment, resource: result.resource, duplicate: result.duplicate });
    }),
  );

  r.delete(
    '/incidents/:id/resources/:resourceId',
    d.auth(...RESOURCE_ASSIGN_ROLES),
    d.route('resource-release', async (req, res) => {
      const result = await d.resources.release(
        actorOf(req),
        await d.scopeOf(req),
        String(req.params.id),
        String(req.params.resourceId),
        contextOf(req),
      );
      if (!result.ok) return sendError(res, result.error);
      res.json({ released: result.released, resource: result.resource });
    }),
  );
  return r;
}
