/**
 * REST of sessions (issue 12): refresh, logout, "sign out everywhere", the owner's session list,
 * an admin's revoke, and kiosk screen tokens. Every route runs in http.ts's `route` guard and
 * validates with zod.
 */
import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import { z } from 'zod';
import { ScreenSceneIdSchema, type Role } from '../../scenes/domain';
import { RefreshRequestSchema, type IocError } from '../../scenes/protocol';
import { userAgentOf } from '../audit/audit-request';
import { httpStatusOf, iocError } from '../errors';
import { safeValidate, sourceOf } from '../guard';
import type { Actor, SessionContext, SessionService } from './sessions';
import type { SessionClaims, TokenService } from './tokens';
import type { UserService } from './users';
import type { Store } from '../store/store';

type AuthedRequest = Request & { user?: SessionClaims };
type RouteHandler = (req: AuthedRequest, res: Response) => unknown;

export interface SessionRouterDeps {
  sessions: SessionService;
  users: UserService;
  tokens: TokenService;
  store: Pick<Store, 'getUser'>;
  /** http.ts's guard wrapper: a throw becomes a typed answer */
  route: (entry: string, handler: RouteHandler) => RequestHandler;
  /** http.ts's session check for the given roles */
  auth: (...roles: Role[]) => RequestHandler;
}

/** screens a kiosk token is made for, at most (there are fewer scenes than this) */
const SCREEN_TOKEN_MAX_SCENES = 16;

export const ScreenTokenCreateSchema = z.object({
  name: z.string().trim().min(1).max(64),
  scenes: z.array(ScreenSceneIdSchema).max(SCREEN_TOKEN_MAX_SCENES).optional(),
});

const SidSchema = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'not a session id');

function sendError(res: Response, e: IocError): void {
  res.status(httpStatusOf(e.code)).json({ error: e });
}

export function contextOf(req: Request): SessionContext {
  const ctx: SessionContext = { source: sourceOf(req.socket.remoteAddress, req.headers['x-forwarded-for']) };
  const ua = userAgentOf(req.headers['user-agent']);
  if (ua) ctx.userAgent = ua;
  return ctx;
}

function actorOf(req: AuthedRequest): Actor {
  return { username: req.user!.username, role: req.user!.role, ...contextOf(req) };
}

function bearer(req: Request): string {
  const header = req.headers.authorization ?? '';
  return header.startsWith('Bearer ') ? header.slice(7) : '';
}

export function createSessionRouter(d: SessionRouterDeps): Router {
  const { sessions, users, route, auth } = d;
  const r = express.Router();

  r.post(
    '/auth/refresh',
    route('refresh', async (req, res) => {
      const p = safeValidate(RefreshRequestSchema, req.body, 'refresh');
      if (!p.ok) return sendError(res, p.error);
      // the account check of every request, without counting as a use (the refresh itself is one)
      const result = await sessions.refresh(p.data.refreshToken, contextOf(req), (claims) => users.sessionRefusal(claims, { touch: false }));
      if (!result.ok) return sendError(res, result.error);
      res.json(result.session);
    }),
  );

  // any validly signed token may end its own session (a password-change-only one too, or one already
  // revoked); so may the session's current refresh token, for a client whose access token has ended
  r.post(
    '/auth/logout',
    route('logout', async (req, res) => {
      const token = bearer(req);
      const claims = token ? await d.tokens.verify(token) : null;
      if (claims) {
        await sessions.logout(claims, contextOf(req));
        return res.json({ ok: true });
      }
      const p = safeValidate(RefreshRequestSchema, req.body, 'logout');
      if (p.ok && (await sessions.logoutByRefreshToken(p.data.refreshToken, contextOf(req)))) return res.json({ ok: true });
      sendError(res, iocError('E_UNAUTHORIZED', 'missing, invalid or expired session token'));
    }),
  );

  r.post(
    '/auth/logout-all',
    auth(),
    route('logout-all', async (req, res) => {
      const revoked = await sessions.logoutAll(req.user!, contextOf(req));
      res.json({ ok: true, revoked });
    }),
  );

  r.get(
    '/auth/sessions',
    auth(),
    route('sessions', async (req, res) => {
      res.json({ sessions: await sessions.listOwn(req.user!) });
    }),
  );

  r.post(
    '/users/:username/revoke-sessions',
    auth('admin'),
    route('revoke-sessions', async (req, res) => {
      const username = String(req.params.username);
      if (!(await d.store.getUser(username))) return sendError(res, iocError('E_NOT_FOUND', `no user ${username}`));
      const revoked = await sessions.revokeUser(username, 'admin_revoke', actorOf(req));
      res.json({ ok: true, revoked });
    }),
  );

  r.post(
    '/screen-tokens',
    auth('admin'),
    route('screen-token-create', async (req, res) => {
      const p = safeValidate(ScreenTokenCreateSchema, req.body, 'screen token');
      if (!p.ok) return sendError(res, p.error);
      res.status(201).json(await sessions.createScreenToken(p.data, actorOf(req)));
    }),
  );

  r.get(
    '/screen-tokens',
    auth('admin'),
    route('screen-tokens', async (_req, res) => {
      res.json({ screenTokens: await sessions.listScreenTokens() });
    }),
  );

  r.delete(
    '/screen-tokens/:sid',
    auth('admin'),
    route('screen-token-revoke', async (req, res) => {
      const p = safeValidate(SidSchema, req.params.sid, 'screen token id');
      if (!p.ok) return sendError(res, p.error);
      if (!(await sessions.revokeScreenToken(p.data, actorOf(req)))) return sendError(res, iocError('E_NOT_FOUND', `no screen token ${p.data}`));
      res.json({ ok: true });
    }),
  );

  return r;
}
