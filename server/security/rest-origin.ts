/**
 * CORS and CSRF for the REST API (issue 12), one middleware before every route:
 * - an allowed origin (IOC_ALLOWED_ORIGINS) gets CORS headers, and its preflight a 204;
 * - same-origin and Origin-less requests (gateways, the simulator, curl) pass without CORS headers;
 * - another origin gets no CORS headers (the browser hides the answer from that page) and a
 *   state-changing request from it (POST, PUT, PATCH, DELETE) — or its preflight — is refused
 *   403 E_FORBIDDEN before any handler runs: a page of another site cannot make this server act.
 */
import type { RequestHandler } from 'express';
import { httpStatusOf, iocError } from '../errors';
import type { OriginPolicy } from './origin-policy';

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** How long a browser may cache a preflight answer, s. */
const PREFLIGHT_MAX_AGE_S = 600;
const ALLOWED_METHODS = 'GET, HEAD, POST, PUT, PATCH, DELETE';
const ALLOWED_HEADERS = 'Authorization, Content-Type';

export function restOriginGuard(policy: OriginPolicy): RequestHandler {
  return (req, res, next) => {
    const verdict = policy.judge(req.headers, req.socket.remoteAddress);
    const origin = req.headers.origin;
    // caches must not hand one origin's answer to another
    if (origin !== undefined) res.vary('Origin');
    if (verdict === 'allowed' && origin !== undefined) {
      res.set('Access-Control-Allow-Origin', origin);
      if (req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined) {
        res.set({
          'Access-Control-Allow-Methods': ALLOWED_METHODS,
          'Access-Control-Allow-Headers': ALLOWED_HEADERS,
          'Access-Control-Max-Age': String(PREFLIGHT_MAX_AGE_S),
        });
        res.status(204).end();
        return;
      }
      return next();
    }
    const preflight = req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined;
    if (verdict === 'refused' && (STATE_CHANGING.has(req.method) || preflight)) {
      const e = iocError('E_FORBIDDEN', `requests from origin ${String(origin)} are not allowed (set IOC_ALLOWED_ORIGINS to allow it)`);
      res.status(httpStatusOf(e.code)).json({ error: e });
      return;
    }
    next();
  };
}
