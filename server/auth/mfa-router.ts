/**
 * REST of the second factor (issue 12): the TOTP login step, enrolment of the signed-in user
 * (setup → confirm, recovery codes shown once), turning it off, and an administrator's reset.
 *
 * Enrolment routes accept a full session AND an enrol-only one (a role that requires TOTP signs
 * in without it to a session that may only enrol; every other route answers E_MFA_REQUIRED).
 * A password-change-only session is refused here: the password comes first.
 */
import express, { type NextFunction, type Request, type RequestHandler, type Response, type Router } from 'express';
import type { Role } from '../../scenes/domain';
import { MfaConfirmRequestSchema, MfaDisableRequestSchema, MfaLoginRequestSchema, type IocError } from '../../scenes/protocol';
import { httpStatusOf, iocError } from '../errors';
import { safeValidate } from '../guard';
import { contextOf } from './session-router';
import type { SessionClaims, TokenService } from './tokens';
import type { UserService } from './users';

type AuthedRequest = Request & { user?: SessionClaims };
type RouteHandler = (req: AuthedRequest, res: Response, next: NextFunction) => unknown;

export interface MfaRouterDeps {
  users: UserService;
  tokens: TokenService;
  /** http.ts's guard wrapper: a throw becomes a typed answer */
  route: (entry: string, handler: RouteHandler) => RequestHandler;
  /** http.ts's session check for the given roles */
  auth: (...roles: Role[]) => RequestHandler;
}

/** Answers an error; E_RATE_LIMIT with `Retry-After` (s) from `details.retryAfterMs`. */
export function sendIocError(res: Response, e: IocError): void {
  const retryAfterMs = (e.details as { retryAfterMs?: unknown } | undefined)?.retryAfterMs;
  if (e.code === 'E_RATE_LIMIT' && typeof retryAfterMs === 'number') res.set('Retry-After', String(Math.max(1, Math.ceil(retryAfterMs / 1000))));
  res.status(httpStatusOf(e.code)).json({ error: e });
}

export function createMfaRouter(d: MfaRouterDeps): Router {
  const r = express.Router();

  /** A full session, or one that may only enrol; the claims on `req.user`. */
  const enrolAuth = d.route('mfa-auth', async (req, res, next) => {
    const header = req.headers.authorization ?? '';
    const token = header.startsWith('Bearer ') ? header.slice(7) : '';
    const claims = token ? await d.tokens.verify(token) : null;
    if (!claims) return sendIocError(res, iocError('E_UNAUTHORIZED', 'missing, invalid or expired session token'));
    const refused = await d.users.sessionRefusal(claims);
    if (refused && refused.code !== 'E_MFA_REQUIRED') return sendIocError(res, refused);
    req.user = claims;
    next();
  });

  r.post(
    '/auth/login/mfa',
    d.route('login-mfa', async (req, res) => {
      const p = safeValidate(MfaLoginRequestSchema, req.body, 'second sign-in step');
      if (!p.ok) return sendIocError(res, p.error);
      const out = await d.users.loginMfa(p.data.mfaToken, { code: p.data.code, recoveryCode: p.data.recoveryCode }, contextOf(req));
      if (!out.ok) return sendIocError(res, out.error);
      res.json('session' in out ? out.session : out.mfa);
    }),
  );

  r.get(
    '/auth/mfa',
    enrolAuth,
    d.route('mfa-status', async (req, res) => {
      const status = await d.users.mfaStatus(req.user!.username);
      if (!status) return sendIocError(res, iocError('E_UNAUTHORIZED', 'account disabled or removed'));
      res.json(status);
    }),
  );

  r.post(
    '/auth/mfa/setup',
    enrolAuth,
    d.route('mfa-setup', async (req, res) => {
      const out = await d.users.mfaSetup(req.user!.username);
      if (!out.ok) return sendIocError(res, out.error);
      res.json(out.setup);
    }),
  );

  r.post(
    '/auth/mfa/confirm',
    enrolAuth,
    d.route('mfa-confirm', async (req, res) => {
      const p = safeValidate(MfaConfirmRequestSchema, req.body, 'code');
      if (!p.ok) return sendIocError(res, p.error);
      const out = await d.users.mfaConfirm(req.user!.username, p.data.code, contextOf(req));
      if (!out.ok) return sendIocError(res, out.error);
      res.json(out.result);
    }),
  );

  r.post(
    '/auth/mfa/disable',
    d.auth(),
    d.route('mfa-disable', async (req, res) => {
      const p = safeValidate(MfaDisableRequestSchema, req.body, 'turning two-factor sign-in off');
      if (!p.ok) return sendIocError(res, p.error);
      const out = await d.users.mfaDisable(
        req.user!.username,
        p.data.password,
        { code: p.data.code, recoveryCode: p.data.recoveryCode },
        contextOf(req),
      );
      if (!out.ok) return sendIocError(res, out.error);
      res.json({ ok: true });
    }),
  );

  r.post(
    '/users/:username/mfa-reset',
    d.auth('admin'),
    d.route('mfa-reset', async (req, res) => {
      const out = await d.users.mfaReset({ username: req.user!.username, role: req.user!.role, ...contextOf(req) }, String(req.params.username));
      if (!out.ok) return sendIocError(res, out.error);
      res.json({ ok: true });
    }),
  );

  return r;
}
