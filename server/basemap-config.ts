/**
 * Basemap settings (issue 17), read from the environment once at start (config.ts `basemaps`)
 * and served to signed-in clients by `GET /api/basemaps`.
 *
 * One basemap from `IOC_BASEMAP_URL` (+ `IOC_BASEMAP_SUBDOMAINS`, `_ATTRIBUTION`, `_MIN_ZOOM`,
 * `_MAX_ZOOM`, `_DATUM`, `_NAME`, `_ANNOTATION_URL`, `_KIND`) and/or several as JSON in
 * `IOC_BASEMAPS` (scenes/geo/basemap-source.ts). A bad template refuses to start. Nothing set:
 * no basemap, the map draws its offline base and requests nothing from the internet.
 */
import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import { z } from 'zod';
import type { Role } from '../scenes/domain';
import {
  BasemapListSchema,
  basemapOrigins,
  BASEMAP_DATUMS,
  BASEMAP_KINDS,
  type BasemapSource,
  type BasemapsResponse,
} from '../scenes/geo/basemap-source';
import type { SessionClaims } from './auth/tokens';

const issuesOf = (e: z.ZodError): string => e.issues.map((i) => `${i.path.length > 0 ? `${i.path.join('.')}: ` : ''}${i.message}`).join('; ');

const optionalInt = z.coerce.number().int().min(0).optional();
const EnvSchema = z.object({
  IOC_BASEMAP_URL: z.string().trim().min(1).optional(),
  IOC_BASEMAP_ANNOTATION_URL: z.string().trim().min(1).optional(),
  IOC_BASEMAP_NAME: z.string().trim().min(1).optional(),
  IOC_BASEMAP_NAME_EN: z.string().trim().optional(),
  IOC_BASEMAP_KIND: z.enum(BASEMAP_KINDS).optional(),
  IOC_BASEMAP_SUBDOMAINS: z.string().trim().optional(),
  IOC_BASEMAP_ATTRIBUTION: z.string().trim().optional(),
  IOC_BASEMAP_MIN_ZOOM: optionalInt,
  IOC_BASEMAP_MAX_ZOOM: optionalInt,
  IOC_BASEMAP_DATUM: z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.enum(BASEMAP_DATUMS, { message: `IOC_BASEMAP_DATUM: one of ${BASEMAP_DATUMS.join(', ')}` }))
    .optional(),
  IOC_BASEMAPS: z.string().trim().optional(),
});

/** The id of the basemap from `IOC_BASEMAP_URL`. */
export const ENV_BASEMAP_ID = 'default';

/** The basemaps from `env` (single-variable one first); a bad value throws `toError(message)` (config.ts: a ConfigError). */
export function basemapsFromEnv(env: NodeJS.ProcessEnv, toError: (message: string) => Error = (m) => new Error(m)): BasemapSource[] {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) throw toError(`invalid basemap settings: ${issuesOf(parsed.error)}`);
  const e = parsed.data;
  const raw: unknown[] = [];
  if (e.IOC_BASEMAP_URL !== undefined) {
    raw.push({
      id: ENV_BASEMAP_ID,
      name: e.IOC_BASEMAP_NAME ?? '底图',
      nameEn: e.IOC_BASEMAP_NAME_EN ?? 'Basemap',
      url: e.IOC_BASEMAP_URL,
      ...(e.IOC_BASEMAP_ANNOTATION_URL !== undefined ? { annotationUrl: e.IOC_BASEMAP_ANNOTATION_URL } : {}),
      ...(e.IOC_BASEMAP_KIND !== undefined ? { kind: e.IOC_BASEMAP_KIND } : {}),
      subdomains: (e.IOC_BASEMAP_SUBDOMAINS ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
      ...(e.IOC_BASEMAP_ATTRIBUTION !== undefined ? { attribution: e.IOC_BASEMAP_ATTRIBUTION } : {}),
      ...(e.IOC_BASEMAP_MIN_ZOOM !== undefined ? { minZoom: e.IOC_BASEMAP_MIN_ZOOM } : {}),
      ...(e.IOC_BASEMAP_MAX_ZOOM !== undefined ? { maxZoom: e.IOC_BASEMAP_MAX_ZOOM } : {}),
      ...(e.IOC_BASEMAP_DATUM !== undefined ? { datum: e.IOC_BASEMAP_DATUM } : {}),
    });
  } else if (e.IOC_BASEMAP_ANNOTATION_URL !== undefined) {
    throw toError('IOC_BASEMAP_ANNOTATION_URL needs IOC_BASEMAP_URL; refusing to start');
  }
  if (e.IOC_BASEMAPS !== undefined && e.IOC_BASEMAPS !== '') {
    let list: unknown;
    try {
      list = JSON.parse(e.IOC_BASEMAPS);
    } catch (err) {
      throw toError(`IOC_BASEMAPS is not valid JSON (${(err as Error).message}); refusing to start`);
    }
    if (!Array.isArray(list)) throw toError('IOC_BASEMAPS must be a JSON array of basemaps; refusing to start');
    raw.push(...list);
  }
  const basemaps = BasemapListSchema.safeParse(raw);
  if (!basemaps.success) {
    const source = e.IOC_BASEMAPS ? 'IOC_BASEMAP_URL / IOC_BASEMAPS' : 'IOC_BASEMAP_URL';
    throw toError(`${source}: ${issuesOf(basemaps.error)}; refusing to start`);
  }
  return basemaps.data;
}

/** Every origin tiles may come from (added to the page's Content-Security-Policy `img-src` and `connect-src`). */
export function basemapTileOrigins(basemaps: readonly BasemapSource[]): string[] {
  return [...new Set(basemaps.flatMap(basemapOrigins))];
}

type AuthedRequest = Request & { user?: SessionClaims };

export interface BasemapRouterDeps {
  basemaps: readonly BasemapSource[];
  route: (entry: string, handler: (req: AuthedRequest, res: Response) => unknown) => RequestHandler;
  auth: (...roles: Role[]) => RequestHandler;
}

/**
 * `GET /api/basemaps` → `{ basemaps }`, for any signed-in session (a tile key such as 天地图's `tk`
 * reaches every browser that draws the tiles anyway; it is not published to anonymous callers).
 */
export function createBasemapRouter(d: BasemapRouterDeps): Router {
  const r = express.Router();
  const answer: BasemapsResponse = { basemaps: [...d.basemaps] };
  r.get(
    '/basemaps',
    d.auth(),
    d.route('basemaps', (_req, res) => {
      res.json(answer);
    }),
  );
  return r;
}
