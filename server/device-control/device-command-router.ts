/**
 * REST of remote control (issue 13), the same service as `/live` `device:command(s)`:
 * - `POST /api/devices/:deviceId/commands` body `{commandId, name, params?}` → 202 `{command}`
 *   (the record as sent, or the stored one for a retried commandId) or `{error}` with the typed
 *   error's HTTP status;
 * - `GET /api/devices/:deviceId/commands?limit=20` → `{commands}` newest first.
 * Any signed-in role reaches the service, which decides (role, data scope) and audits, so a
 * refusal is recorded as a `device.command` denial like one over the socket.
 */
import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import { z } from 'zod';
import { IdSchema, type Role } from '../../scenes/domain';
import { DEVICE_COMMANDS_PAGE_MAX, type IocError } from '../../scenes/protocol';
import type { SessionClaims } from '../auth/tokens';
import { userAgentOf } from '../audit/audit-request';
import { httpStatusOf, iocError } from '../errors';
import { safeValidate, sourceOf, type EntryGuard } from '../guard';
import type { DeviceCommandService } from './device-command-service';

type AuthedRequest = Request & { user?: SessionClaims };
type RouteHandler = (req: AuthedRequest, res: Response) => unknown;

export interface DeviceCommandRouterDeps {
  deviceControl: DeviceCommandService;
  guard: EntryGuard;
  /** http.ts's guard wrapper: a throw becomes a typed answer */
  route: (entry: string, handler: RouteHandler) => RequestHandler;
  /** http.ts's session check for the given roles (none: any signed-in role) */
  auth: (...roles: Role[]) => RequestHandler;
}

const DEFAULT_LIMIT = 20;
const DeviceParamsSchema = z.object({ deviceId: IdSchema });
/** the body names no deviceId: the path does */
const CommandBodySchema = z.looseObject({ deviceId: z.never().optional() });
const ListQuerySchema = z.strictObject({ limit: z.coerce.number().int().min(1).max(DEVICE_COMMANDS_PAGE_MAX).optional() });

function sendError(res: Response, e: IocError): void {
  const retryAfterMs = (e.details as { retryAfterMs?: unknown } | undefined)?.retryAfterMs;
  if (e.code === 'E_RATE_LIMIT' && typeof retryAfterMs === 'number') res.set('Retry-After', String(Math.max(1, Math.ceil(retryAfterMs / 1000))));
  res.status(httpStatusOf(e.code)).json({ error: e });
}

export function createDeviceCommandRouter(d: DeviceCommandRouterDeps): Router {
  const r = express.Router();
  const actorOf = (req: AuthedRequest) => ({ username: req.user!.username, role: req.user!.role });

  r.post(
    '/devices/:deviceId/commands',
    d.auth(),
    d.route('device-command', async (req, res) => {
      const params = safeValidate(DeviceParamsSchema, req.params, 'device id');
      if (!params.ok) return sendError(res, params.error);
      const body = safeValidate(CommandBodySchema, req.body ?? {}, 'device command');
      if (!body.ok)
        return sendError(
          res,
          iocError('E_VALIDATION', 'the body is an object {commandId, name, params?}; the device is named by the path, not the body'),
        );
      const limited = d.guard.takeCommand(req.user!.username);
      if (limited) return sendError(res, limited);
      const ua = userAgentOf(req.headers['user-agent']);
      const result = await d.deviceControl.send(
        actorOf(req),
        { ...body.data, deviceId: params.data.deviceId },
        { source: sourceOf(req.socket.remoteAddress, req.headers['x-forwarded-for']), ...(ua ? { userAgent: ua } : {}) },
      );
      if (!result.ok) return sendError(res, result.error);
      res.status(202).json({ command: result.command });
    }),
  );

  r.get(
    '/devices/:deviceId/commands',
    d.auth(),
    d.route('device-commands', async (req, res) => {
      const params = safeValidate(DeviceParamsSchema, req.params, 'device id');
      if (!params.ok) return sendError(res, params.error);
      const query = safeValidate(ListQuerySchema, { ...(req.query as Record<string, unknown>) }, 'query');
      if (!query.ok) return sendError(res, query.error);
      const result = await d.deviceControl.list(actorOf(req), params.data.deviceId, query.data.limit ?? DEFAULT_LIMIT);
      if (!result.ok) return sendError(res, result.error);
      res.json({ commands: result.commands });
    }),
  );
  return r;
}
