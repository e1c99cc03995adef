/**
 * 查重 for incidents opened by hand (issue 14): `GET /api/incidents/duplicates?category=&lng=&lat=`
 * answers `{candidates: [{incident, distanceM}]}` — the open incident of that category within the
 * configured radius and window that a new one would duplicate (at most one: the nearest), limited
 * to the caller's districts — so the console can offer "link to it" instead of a second incident.
 * Officers and admins only (those who create incidents from the console).
 */
import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import { z } from 'zod';
import { type Role } from '../scenes/domain';
import { findDuplicateIncident, type DedupConfig } from '../scenes/storm/incident-dedup';
import { incidentInScope, type DataScope } from '../scenes/scope';
import type { SessionClaims } from './auth/tokens';
import type { Fusion } from './fusion';
import { httpStatusOf } from './errors';
import { safeValidate } from './guard';

type AuthedRequest = Request & { user?: SessionClaims };
type RouteHandler = (req: AuthedRequest, res: Response) => unknown;

export interface IncidentDedupRouterDeps {
  fusion: Fusion;
  dedup: DedupConfig;
  scopeOf: (req: AuthedRequest) => Promise<DataScope>;
  /** http.ts's guard wrapper: a throw becomes a typed answer */
  route: (entry: string, handler: RouteHandler) => RequestHandler;
  /** http.ts's session check for the given roles */
  auth: (...roles: Role[]) => RequestHandler;
  now?: () => number;
}

const DuplicatesQuerySchema = z.strictObject({
  category: z.string().min(1).max(64),
  lng: z.coerce.number().gte(-180).lte(180),
  lat: z.coerce.number().gte(-90).lte(90),
});

export function createIncidentDedupRouter(d: IncidentDedupRouterDeps): Router {
  const router = express.Router();
  const now = d.now ?? Date.now;
  router.get(
    '/incidents/duplicates',
    d.auth('officer', 'admin'),
    d.route('incident-duplicates', async (req, res) => {
      const q = safeValidate(DuplicatesQuerySchema, req.query, 'query');
      if (!q.ok) return res.status(httpStatusOf(q.error.code)).json({ error: q.error });
      const scope = await d.scopeOf(req);
      const visible = [...d.fusion.incidents.values()].filter((i) => incidentInScope(scope, i));
      const dup = findDuplicateIncident({ category: q.data.category, location: [q.data.lng, q.data.lat], ts: now() }, visible, d.dedup);
      res.json({ candidates: dup ? [{ incident: dup.incident, distanceM: Math.round(dup.distanceM) }] : [] });
    }),
  );
  return router;
}
