/**
 * REST of readings history (issue 16):
 * `GET /api/devices/:deviceId/readings/history?window=24h|7d|30d&metric=<name>` → HistoryAnswer
 * (scenes/rollups/history-series.ts), read from the roll-up store. (`/api/devices/:id/history` is
 * the registry's record of a device's changes, server/registry/registry-router.ts.)
 *
 * Who may read: as the device detail (`device:detail`): every role but field handlers, and only a
 * device in the caller's district scope (E_FORBIDDEN otherwise); an unknown device is E_NOT_FOUND,
 * a bad window or a metric the device's kind does not measure E_VALIDATION.
 */
import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import type { Role } from '../../scenes/domain';
import type { IocError } from '../../scenes/protocol';
import { placeInScope, type DataScope } from '../../scenes/scope';
import { metricSpec } from '../../scenes/catalogue';
import { HistoryQuerySchema, assembleHistory, historyRange, type HistoryAnswer } from '../../scenes/rollups/history-series';
import { IdSchema } from '../../scenes/domain';
import type { SessionClaims } from '../auth/tokens';
import { httpStatusOf, iocError } from '../errors';
import type { Fusion } from '../fusion';
import { safeValidate } from '../guard';
import type { RollupStore } from '../store/rollup-store';

type AuthedRequest = Request & { user?: SessionClaims };
type RouteHandler = (req: AuthedRequest, res: Response) => unknown;

export interface HistoryRouterDeps {
  fusion: Pick<Fusion, 'devices'>;
  rollups: RollupStore;
  now?: () => number;
  /** http.ts's guard wrapper: a throw becomes a typed answer */
  route: (entry: string, handler: RouteHandler) => RequestHandler;
  /** http.ts's session check for the given roles */
  auth: (...roles: Role[]) => RequestHandler;
  /** the session's data scope, read from the stored user */
  scopeOf: (req: AuthedRequest) => Promise<DataScope>;
}

/** who reads device history: as the device detail, every role but field handlers */
const READERS: Role[] = ['officer', 'leader', 'admin', 'screen'];

function sendError(res: Response, e: IocError): void {
  res.status(httpStatusOf(e.code)).json({ error: e });
}

export function createHistoryRouter(d: HistoryRouterDeps): Router {
  const r = express.Router();
  const now = d.now ?? Date.now;

  r.get(
    '/devices/:deviceId/readings/history',
    d.auth(...READERS),
    d.route('device:history', async (req, res) => {
      const id = safeValidate(IdSchema, req.params.deviceId, 'deviceId');
      if (!id.ok) return sendError(res, id.error);
      const q = safeValidate(HistoryQuerySchema, req.query, 'history query');
      if (!q.ok) return sendError(res, q.error);
      const device = d.fusion.devices.get(id.data);
      if (!device) return sendError(res, iocError('E_NOT_FOUND', `no device ${id.data}`));
      if (!placeInScope(await d.scopeOf(req), device))
        return sendError(res, iocError('E_FORBIDDEN', `device ${device.id} is outside your data scope`));
      const spec = metricSpec(device.kind, q.data.metric);
      if (!spec) return sendError(res, iocError('E_VALIDATION', `a ${device.kind} does not measure ${q.data.metric}`));
      const nowTs = now();
      const range = historyRange(q.data.window, nowTs);
      const stored = await d.rollups.readRollups(device.id, spec.name, range.resolution, range.fromTs, range.toTs);
      const answer: HistoryAnswer = {
        deviceId: device.id,
        metric: spec.name,
        ...(spec.unit ? { unit: spec.unit } : {}),
        window: q.data.window,
        ...assembleHistory(stored, q.data.window, nowTs),
      };
      res.json(answer);
    }),
  );
  return r;
}
