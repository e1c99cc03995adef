/**
 * REST API: auth, ingest, incidents, commands, users, photos, health and metrics.
 * Every body is validated; every error is `{ error: { code, message } }` with a matching status.
 * Every route goes through the entry guard (server/guard.ts): a throw is a typed `E_INTERNAL`,
 * a body is normalised before validation, and validation cannot throw.
 */
import express, { type NextFunction, type Request, type RequestHandler, type Response, type Router } from 'express';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import helmet from 'helmet';
import {
  IngestBatchSchema,
  LoginRequestSchema,
  PasswordChangeRequestSchema,
  PROTOCOL_VERSION,
  type IngestResult,
  type IocError,
} from '../scenes/protocol';
import { ScreenSceneIdSchema, type Role } from '../scenes/domain';
import { eventInScope, incidentInScope, type DataScope } from '../scenes/scope';
import { userScope } from './user-scope';
import type { SessionClaims, TokenService } from './auth/tokens';
import { CreateUserSchema, UpdateUserSchema, publicUser } from './auth/accounts';
import type { UserService } from './auth/users';
import type { SessionService } from './auth/sessions';
import { contextOf, createSessionRouter } from './auth/session-router';
import { createMfaRouter } from './auth/mfa-router';
import type { CommandService } from './commands';
import { recommendHandlers } from './dispatch';
import { briefingFor } from './briefing';
import type { ServerConfig } from './config';
import { httpStatusOf, iocError } from './errors';
import { safeValidate, sourceOf, type EntryGuard } from './guard';
import { readReplayPage } from './replay-page';
import type { DeviceRegistry } from './registry/device-registry';
import type { RuleRegistry } from './registry/rule-registry';
import { createRegistryRouter } from './registry/registry-router';
import type { AuditRecorder } from './audit/audit';
import { createAuditRouter, type AuditReader } from './audit/audit-router';
import { createDeviceCommandRouter } from './device-control/device-command-router';
import type { DeviceCommandService } from './device-control/device-command-service';
import { userAgentOf } from './audit/audit-request';
import type { Fusion } from './fusion';
import type { IngestService } from './ingest';
import type { Logger } from './logger';
import type { IocMetrics } from './metrics';
import type { SceneHub } from './scene-hub';
import type { Store } from './store/store';
import type { MetricsAccess } from './security/metrics-access';
import type { OriginPolicy } from './security/origin-policy';
import { restOriginGuard } from './security/rest-origin';
import { createWarningRouter, type WarningRouterDeps } from './storm/warning-router';
import { createIncidentDedupRouter } from './incident-dedup-router';
import { DEFAULT_DEDUP_CONFIG, type DedupConfig } from '../scenes/storm/incident-dedup';
import { createPlanRouter } from './plans/plan-router';
import type { PlanService } from './plans/plan-service';
import { createNotifyRouter, type NotifyRouterDeps } from './notify/notify-router';
import { DEFAULT_NODE_ID, SERVER_VERSION, type NodeInfo } from './cluster/node-info';
import { createNodesRouter } from './cluster/nodes-router';
import { createExportsRouters, type ExportsRouterDeps } from './exports/exports-router';
import { createHistorySearchRouter, type HistorySearchRouterDeps } from './history/history-search-router';
import { createHistoryRouter } from './rollups/history-router';
import { createResourceRouter, type ResourceRouterDeps } from './resources/resource-router';
import { createReportRouter, type ReportRouterDeps } from './reports/report-router';
import { createReportScheduleRouter } from './report-schedules/report-schedule-router';
import type { ReportScheduleService } from './report-schedules/report-schedule-service';
import type { RollupStore } from './store/rollup-store';
import { basemapTileOrigins, createBasemapRouter } from './basemap-config';
import { createVideoRouter } from './video/video-router';
import type { BasemapSource } from '../scenes/geo/basemap-source';

export interface HttpDeps {
  store: Store;
  fusion: Fusion;
  tokens: TokenService;
  users: UserService;
  commands: CommandService;
  ingest: IngestService;
  hub: SceneHub;
  metrics: IocMetrics;
  log: Logger;
  deviceSecret: string;
  maxBodyBytes: number;
  maxPhotoBytes: number;
  clientDist: string | null;
  startedTs: number;
  connectedClients: () => { live: number; device: number };
  /** the one guard of every entry point (shared with the sockets: command budgets, auth failures) */
  guard: EntryGuard;
  limits: Pick<ServerConfig, 'replayPageMaxEvents' | 'replayPageMaxBytes'>;
  /** the device and asset registry (server/registry/): `/api/devices`, `/api/assets` */
  registry: DeviceRegistry;
  rules: RuleRegistry;
  /** session records: refresh, logout, revocation, screen tokens (server/auth/sessions.ts) */
  sessions: SessionService;
  /** the tamper-evident audit log (server/audit/): records security-relevant actions, answers `/api/audit` */
  audit: AuditRecorder & AuditReader;
  /** which browser origins may call the API (server/security/origin-policy.ts): CORS and CSRF */
  originPolicy: OriginPolicy;
  /** who reads /metrics and the detailed /healthz (server/security/metrics-access.ts) */
  metricsAccess: MetricsAccess;
  /** remote control (issue 13): `/api/devices/:deviceId/commands`; absent = no such routes */
  deviceControl?: DeviceCommandService;
  /** area warnings, decisions, the alert list (issue 14, server/storm/): `/api/warnings`, `/api/decisions`, `/api/alerts`, `/api/storm/area-warning-rules` */
  storm?: Omit<WarningRouterDeps, 'route' | 'auth' | 'scopeOf'>;
  /** readings roll-ups (issue 16, server/rollups/): `GET /api/devices/:id/readings/history`; absent = no such route */
  rollups?: RollupStore;
  /** contingency plans (issue 14, server/plans/): `/api/plans`, `/api/plans/instances`, `/api/plans/commands` */
  plans?: PlanService;
  /** notifications beyond the open page (issue 14, server/notify/): `/api/notifications`, `/api/webhooks`, `/api/push` */
  notify?: Omit<NotifyRouterDeps, 'route' | 'auth' | 'scopeOf'>;
  /** 查重 radius and window (issue 14): `GET /api/incidents/duplicates`; default DEFAULT_DEDUP_CONFIG */
  dedup?: DedupConfig;
  /** this node's id (issue 15): in `/healthz` and `GET /api/admin/nodes`; default DEFAULT_NODE_ID ('local') */
  nodeId?: string;
  /**
   * the node has caught up from the store and the log and may serve (issue 15); `/healthz` answers
   * 503 until then. Default: always (a single node loads its state before it listens).
   */
  isReady?: () => boolean;
  /** the live nodes of the cluster (server/cluster/node-registry.ts); default: this node alone */
  listNodes?: () => Promise<NodeInfo[]>;
  /** reports (issue 16, server/reports/): where their records come from (`/api/reports`); absent = no such routes */
  reports?: Pick<ReportRouterDeps, 'source' | 'horizonMs'>;
  /** scheduled reports (issue 16, server/report-schedules/): `/api/reports/schedules`, `/api/reports/inbox`, `/api/reports/runs`; absent = no such routes */
  reportSchedules?: ReportScheduleService;
  /** the long history (issue 16, server/history/): `/api/history/incidents`, `/api/history/alerts`; absent = no such routes */
  history?: Pick<HistorySearchRouterDeps, 'history'>;
  /** impact ranges and live resources (issue 17, server/resources/): `/api/impact`, `/api/incidents/:id/impact|resources`; absent = no such routes */
  resources?: Omit<ResourceRouterDeps, 'route' | 'auth' | 'scopeOf'>;
  /** standard exports (issue 16, server/exports/): `/api/exports/*`, `/api/admin/api-keys`, `/ogc`; API keys count on these only */
  exports?: Omit<ExportsRouterDeps, 'route' | 'auth' | 'scopeOf' | 'audit'>;
  /** raster basemaps (issue 17, server/basemap-config.ts): `GET /api/basemaps`, their tile origins in the CSP; default none */
  basemaps?: readonly BasemapSource[];
}

function sendError(res: Response, e: IocError): void {
  // a rate limit says when to come back (RFC 9110 Retry-After, whole seconds)
  const retryAfterMs = (e.details as { retryAfterMs?: unknown } | undefined)?.retryAfterMs;
  if (e.code === 'E_RATE_LIMIT' && typeof retryAfterMs === 'number') res.set('Retry-After', String(Math.max(1, Math.ceil(retryAfterMs / 1000))));
  res.status(httpStatusOf(e.code)).json({ error: e });
}

type AuthedRequest = Request & { user?: SessionClaims };

function sourceOfRequest(req: Request): string {
  return sourceOf(req.socket.remoteAddress, req.headers['x-forwarded-for']);
}

/** A batch in which no reading proved its device's identity (counted against its source). */
function unauthenticatedOnly(r: IngestResult): boolean {
  if (r.accepted + r.duplicates + r.outOfOrder > 0) return false;
  return (
    r.rejected.some((x) => x.code === 'E_UNAUTHORIZED' || x.code === 'E_NOT_FOUND') &&
    r.rejected.every((x) => x.code !== 'E_RATE_LIMIT' && x.code !== 'E_UNAVAILABLE')
  );
}

const PHOTO_SIGNATURES: { type: string; magic: number[] }[] = [
  { type: 'image/jpeg', magic: [0xff, 0xd8, 0xff] },
  { type: 'image/png', magic: [0x89, 0x50, 0x4e, 0x47] },
  { type: 'image/webp', magic: [0x52, 0x49, 0x46, 0x46] },
];

export function createHttpApp(d: HttpDeps): express.Express {
  const app = express();
  // issue 17: the configured basemaps' tile hosts may be fetched and drawn (nothing else outside)
  const tileOrigins = basemapTileOrigins(d.basemaps ?? []);
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'", "'wasm-unsafe-eval'"],
          styleSrc: ["'self'", "'unsafe-inline'"],
          imgSrc: ["'self'", 'data:', 'blob:', ...tileOrigins],
          workerSrc: ["'self'", 'blob:'],
          // issue 17: the camera player feeds <video> through Media Source Extensions (a blob: URL)
          mediaSrc: ["'self'", 'blob:'],
          connectSrc: ["'self'", 'ws:', 'wss:', ...tileOrigins],
          fontSrc: ["'self'", 'data:'],
          upgradeInsecureRequests: null,
        },
      },
      crossOriginEmbedderPolicy: false,
    }),
  );
  // before every route: CORS for allowed origins, 403 for a state-changing request of another site
  app.use(restOriginGuard(d.originPolicy));

  /**
   * The guard around every route and middleware: whatever `handler` throws becomes a typed error
   * answer (or a cut connection when the headers were already sent), never an escaped exception.
   */
  const route =
    (entry: string, handler: (req: AuthedRequest, res: Response, next: NextFunction) => unknown): RequestHandler =>
    (req, res, next) => {
      Promise.resolve()
        .then(() => handler(req, res, next))
        .catch((err: unknown) => {
          const f = d.guard.failureOf(err, `http:${entry}`, { method: req.method, path: req.path });
          if (!res.headersSent) sendError(res, f.error);
          else res.destroy();
        });
    };

  const auth = (...roles: Role[]) =>
    route('auth', async (req, res, next) => {
      const header = req.headers.authorization ?? '';
      const token = header.startsWith('Bearer ') ? header.slice(7) : '';
      const claims = token ? await d.tokens.verify(token) : null;
      if (!claims) return sendError(res, iocError('E_UNAUTHORIZED', 'missing, invalid or expired session token'));
      // a disabled account, a revoked/idle/demoted session, or one that must change its password first (POST /api/auth/password)
      const refused = await d.users.sessionRefusal(claims);
      if (refused) return sendError(res, refused);
      if (roles.length > 0 && !roles.includes(claims.role)) {
        const denied = iocError('E_FORBIDDEN', `role ${claims.role} may not do this`);
        // a permission denial is audited; best effort: the request is refused whether or not the record lands
        d.audit
          .record({
            actor: claims.username,
            role: claims.role,
            source: sourceOfRequest(req),
            userAgent: userAgentOf(req.headers['user-agent']),
            action: 'access.denied',
            target: `${req.method} ${req.baseUrl}${req.path}`.slice(0, 200),
            outcome: 'denied',
            reason: denied.code,
          })
          .catch((err: unknown) => d.log.warn({ err }, 'audit of a permission denial failed'));
        return sendError(res, denied);
      }
      req.user = claims;
      next();
    });

  const nodeId = d.nodeId ?? DEFAULT_NODE_ID;
  const isReady = d.isReady ?? (() => true);
  /** without a registry (one node, memory store) the cluster is this node, described from here */
  const listNodes =
    d.listNodes ??
    (async (): Promise<NodeInfo[]> => {
      const c = d.connectedClients();
      const nowTs = Date.now();
      return [
        {
          nodeId,
          url: '',
          pid: process.pid,
          startedTs: d.startedTs,
          heartbeatTs: nowTs,
          version: SERVER_VERSION,
          ready: isReady() && (await d.store.ping()),
          clients: c.live + c.device,
          leases: [],
        },
      ];
    });

  /** the data scope of the session (scenes/scope.ts), read from the stored user per request */
  const scopeOfRequest = (req: AuthedRequest): Promise<DataScope> => userScope(d.store, req.user!);

  const api: Router = express.Router();
  // before any body is read: a source that lately sent only unauthenticated batches is refused
  // unread (and the connection closed, so its body is not read either)
  api.use(
    '/ingest',
    route('ingest-gate', (req, res, next) => {
      const blocked = req.method === 'POST' ? d.guard.authBlocked('ingest', sourceOfRequest(req)) : null;
      if (!blocked) return next();
      res.set('connection', 'close');
      sendError(res, blocked);
    }),
  );
  api.use(express.json({ limit: d.maxBodyBytes }));
  // every JSON body: well-formed strings, no prototype keys, bounded nesting (server/guard.ts)
  api.use(
    route('body', (req, res, next) => {
      if (req.body !== null && typeof req.body === 'object') {
        const n = d.guard.normalise(req.body, 'request body');
        if (!n.ok) return sendError(res, n.error);
      }
      next();
    }),
  );

  // readings first (the busiest route: devices posting one reading each would otherwise walk every
  // router below before reaching it); authenticated per reading by its device token, not by session
  api.post(
    '/ingest',
    route('ingest', async (req, res) => {
      const p = safeValidate(IngestBatchSchema, req.body, 'ingest batch');
      if (!p.ok) return sendError(res, p.error);
      const source = sourceOfRequest(req);
      const end = d.metrics.ingestBatchSeconds.startTimer();
      try {
        const r = await d.ingest.ingest(p.data.readings, source);
        if (unauthenticatedOnly(r)) d.guard.noteAuthFailure('ingest', source);
        res.json(r);
      } finally {
        end();
      }
    }),
  );

  // registry REST (issue 11): /devices, /assets — before the legacy device routes below, which it replaces
  api.use(
    createRegistryRouter({
      registry: d.registry,
      rules: d.rules,
      guard: d.guard,
      route,
      auth,
      deviceSecret: d.deviceSecret,
      scopeOf: scopeOfRequest,
      audit: d.audit,
    }),
  );
  // remote control (issue 13): POST/GET /devices/:deviceId/commands (server/device-control/)
  if (d.deviceControl) api.use(createDeviceCommandRouter({ deviceControl: d.deviceControl, guard: d.guard, route, auth }));
  if (d.storm) api.use(createWarningRouter({ ...d.storm, route, auth, scopeOf: scopeOfRequest }));
  if (d.rollups) api.use(createHistoryRouter({ fusion: d.fusion, rollups: d.rollups, route, auth, scopeOf: scopeOfRequest }));
  if (d.reports) api.use(createReportRouter({ ...d, ...d.reports, route, auth, scopeOf: scopeOfRequest }));
  if (d.reportSchedules) api.use(createReportScheduleRouter({ service: d.reportSchedules, audit: d.audit, route, auth }));
  if (d.plans) api.use(createPlanRouter({ plans: d.plans, store: d.store, guard: d.guard, route, auth }));
  if (d.notify) api.use(createNotifyRouter({ ...d.notify, route, auth, scopeOf: scopeOfRequest }));
  const exportsRouters = d.exports ? createExportsRouters({ ...d.exports, audit: d.audit, route, auth, scopeOf: scopeOfRequest }) : null;
  if (exportsRouters) api.use(exportsRouters.api);
  // before '/incidents/:id', which would take 'duplicates' for an id
  api.use(createIncidentDedupRouter({ fusion: d.fusion, dedup: d.dedup ?? DEFAULT_DEDUP_CONFIG, scopeOf: scopeOfRequest, route, auth }));
  // the audit log (issue 12): GET /api/audit, admins only
  api.use(createAuditRouter({ audit: d.audit, route, auth }));
  // the live server nodes (issue 15): GET /api/admin/nodes, admins only
  api.use(createNodesRouter({ nodeId, listNodes, route, auth }));
  api.use(createBasemapRouter({ basemaps: d.basemaps ?? [], route, auth }));
  // issue 17: cameras and their (demo) video, behind a session like the rest of /api
  api.use(createVideoRouter({ registry: d.registry, audit: d.audit, log: d.log, route, auth, scopeOf: scopeOfRequest }));
  if (d.resources) api.use(createResourceRouter({ ...d.resources, route, auth, scopeOf: scopeOfRequest }));
  if (d.history) api.use(createHistorySearchRouter({ ...d.history, audit: d.audit, log: d.log, route, auth, scopeOf: scopeOfRequest }));

  // sessions (issue 12): /auth/refresh, /auth/logout, /auth/logout-all, /auth/sessions, revoke, /screen-tokens
  // the second factor: TOTP login step, enrolment, disable, admin reset (issue 12)
  api.use(createMfaRouter({ users: d.users, tokens: d.tokens, route, auth }));
  api.use(createSessionRouter({ sessions: d.sessions, users: d.users, tokens: d.tokens, store: d.store, route, auth }));

  api.post(
    '/auth/login',
    route('login', async (req, res) => {
      const p = safeValidate(LoginRequestSchema, req.body, 'login');
      if (!p.ok) return sendError(res, p.error);
      // throttled per address and per (username, address), audited; a TOTP account answers a challenge (server/auth/mfa-router.ts)
      const r = await d.users.login(p.data.username, p.data.password, contextOf(req));
      if (!r.ok) return sendError(res, r.error);
      res.json('session' in r ? r.session : r.mfa);
    }),
  );

  /**
   * The owner changes their password: the one route a password-change-only session may use. The
   * answer is a fresh full session (the old token stays password-change-only until it expires).
   */
  api.post(
    '/auth/password',
    route('password-change', async (req, res) => {
      const header = req.headers.authorization ?? '';
      const token = header.startsWith('Bearer ') ? header.slice(7) : '';
      const claims = token ? await d.tokens.verify(token) : null;
      if (!claims || !(await d.users.isActive(claims.username, claims.sid)))
        return sendError(res, iocError('E_UNAUTHORIZED', 'missing, invalid or expired session token'));
      const p = safeValidate(PasswordChangeRequestSchema, req.body, 'password change');
      if (!p.ok) return sendError(res, p.error);
      const r = await d.users.changePassword(claims.username, p.data.currentPassword, p.data.newPassword, contextOf(req));
      if (!r.ok) return sendError(res, r.error);
      // the owner's other sessions end (one may be a thief's); the fresh one answered here stays
      await d.sessions.revokeUser(
        claims.username,
        'password_change',
        { username: claims.username, role: claims.role, ...contextOf(req) },
        r.session.sessionId,
      );
      res.json(r.session);
    }),
  );

  api.get(
    '/me',
    auth(),
    route('me', (req, res) => res.json(req.user)),
  );

  api.get(
    '/scenes/:scene',
    // handlers see their own incidents only, never a scene model (least privilege)
    auth('officer', 'leader', 'admin', 'screen'),
    route('scene', async (req, res) => {
      const p = safeValidate(ScreenSceneIdSchema, req.params.scene, 'scene');
      if (!p.ok) return sendError(res, p.error);
      res.json(d.hub.snapshot(p.data, await scopeOfRequest(req)));
    }),
  );

  api.get(
    '/incidents',
    auth(),
    route('incidents', async (req, res) => {
      const scope = await scopeOfRequest(req);
      const all = [...d.fusion.incidents.values()];
      res.json({ incidents: all.filter((i) => incidentInScope(scope, i)) });
    }),
  );

  api.get(
    '/incidents/:id',
    auth(),
    route('incident', async (req, res) => {
      const id = String(req.params.id);
      const incident = d.fusion.incidents.get(id) ?? (await d.store.getIncident(id));
      if (!incident) return sendError(res, iocError('E_NOT_FOUND', `no incident ${id}`));
      if (!incidentInScope(await scopeOfRequest(req), incident)) return sendError(res, iocError('E_FORBIDDEN', 'not your incident'));
      res.json({ incident });
    }),
  );

  /** REST mirror of the socket `command` event (same validation, authorisation, idempotency and per-user budget). */
  api.post(
    '/commands',
    auth(),
    route('command', async (req, res) => {
      const limited = d.guard.takeCommand(req.user!.username);
      if (limited) return sendError(res, limited);
      // validated (E_VALIDATION) and audited by the service, refused commands too
      const r = await d.commands.execute(
        req.body,
        { username: req.user!.username, role: req.user!.role },
        { source: sourceOfRequest(req), userAgent: userAgentOf(req.headers['user-agent']) },
      );
      if (!r.ok) return sendError(res, r.error);
      res.json(r);
    }),
  );

  /** The event log, paged like `replay:range`: `?from&to[&cursor]` → `{ events, next? }`. */
  api.get(
    '/events',
    auth('officer', 'leader', 'admin', 'screen'),
    route('events', async (req, res) => {
      const fromTs = Number(req.query.from ?? Date.now() - 3600_000);
      const toTs = Number(req.query.to ?? Date.now());
      if (!Number.isSafeInteger(fromTs) || !Number.isSafeInteger(toTs) || fromTs < 0 || toTs < fromTs)
        return sendError(res, iocError('E_VALIDATION', 'from/to must be epoch ms with from <= to'));
      const cursor = req.query.cursor;
      if (cursor !== undefined && typeof cursor !== 'string') return sendError(res, iocError('E_VALIDATION', 'cursor must be one string'));
      const release = d.guard.beginReplay(req.user!.username);
      if (!release) return sendError(res, iocError('E_RATE_LIMIT', 'a replay is already running for this account; wait for its answer'));
      try {
        const scope = await scopeOfRequest(req);
        const page = await readReplayPage(d.store, { scene: null, fromTs, toTs, cursor }, d.limits, (e) => eventInScope(scope, e));
        if (!page.ok) return sendError(res, page.error);
        res.json(page.next === undefined ? { events: page.events } : { events: page.events, next: page.next });
      } finally {
        release();
      }
    }),
  );

  api.get(
    '/users',
    auth('admin'),
    route('users', async (_req, res) => {
      res.json({ users: (await d.store.listUsers()).map(publicUser) });
    }),
  );
  api.post(
    '/users',
    auth('admin'),
    route('user-create', async (req, res) => {
      const p = safeValidate(CreateUserSchema, req.body, 'user');
      if (!p.ok) return sendError(res, p.error);
      const r = await d.users.createUser(p.data, { username: req.user!.username, role: req.user!.role, ...contextOf(req) });
      if (!r.ok) return sendError(res, r.error);
      res.status(201).json({ user: r.user });
    }),
  );
  api.patch(
    '/users/:username',
    auth('admin'),
    route('user-update', async (req, res) => {
      const p = safeValidate(UpdateUserSchema, req.body, 'user update');
      if (!p.ok) return sendError(res, p.error);
      const r = await d.users.updateUser(String(req.params.username), p.data, {
        username: req.user!.username,
        role: req.user!.role,
        ...contextOf(req),
      });
      if (!r.ok) return sendError(res, r.error);
      res.json({ user: r.user });
    }),
  );

  api.post(
    '/photos',
    auth('handler', 'officer', 'admin'),
    express.raw({ type: () => true, limit: d.maxPhotoBytes }),
    route('photo-upload', async (req, res) => {
      const body = req.body as unknown;
      if (!Buffer.isBuffer(body) || body.length === 0) return sendError(res, iocError('E_VALIDATION', 'send the image bytes as the request body'));
      const declared = String(req.headers['content-type'] ?? '')
        .split(';')[0]!
        .trim();
      const sig = PHOTO_SIGNATURES.find((s) => s.type === declared);
      if (!sig)
        return sendError(
          res,
          iocError('E_VALIDATION', `content type ${declared || '(none)'} is not allowed; use image/jpeg, image/png or image/webp`),
        );
      if (!sig.magic.every((b, i) => body[i] === b)) return sendError(res, iocError('E_VALIDATION', `the bytes are not a ${declared} image`));
      const id = `PH-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
      await d.store.putBlob(id, declared, body);
      res.status(201).json({ id, bytes: body.length, contentType: declared });
    }),
  );
  api.get(
    '/photos/:id',
    auth(),
    route('photo', async (req, res) => {
      const blob = await d.store.getBlob(String(req.params.id));
      if (!blob) return sendError(res, iocError('E_NOT_FOUND', 'no such photo'));
      res.type(blob.contentType).send(blob.data);
    }),
  );

  // --- dispatch loop: handlers, recommendations, leader briefing (server/dispatch.ts, server/briefing.ts)
  api.get(
    '/handlers',
    auth('officer', 'leader', 'admin'),
    route('handlers', (_req, res) => {
      res.json({ handlers: d.fusion.listHandlers() });
    }),
  );
  // the people directory: names for the accounts timelines and lists carry (officer1 → 值班员 王磊);
  // administrators and screens are not listed
  api.get(
    '/people',
    auth('officer', 'leader', 'admin', 'handler'),
    route('people', async (_req, res) => {
      const users = await d.store.listUsers();
      res.json({
        people: users
          .filter((u) => u.role === 'officer' || u.role === 'leader' || u.role === 'handler')
          .map((u) => ({ username: u.username, displayName: u.displayName, role: u.role })),
      });
    }),
  );
  api.get(
    '/incidents/:id/recommendations',
    auth('officer', 'admin'),
    route('recommendations', async (req, res) => {
      const id = String(req.params.id);
      const incident = d.fusion.incidents.get(id) ?? (await d.store.getIncident(id));
      if (!incident) return sendError(res, iocError('E_NOT_FOUND', `no incident ${id}`));
      if (!incidentInScope(await scopeOfRequest(req), incident)) return sendError(res, iocError('E_FORBIDDEN', 'not your incident'));
      res.json({ incidentId: id, recommendations: recommendHandlers(incident, d.fusion.listHandlers(), Date.now()) });
    }),
  );
  api.get(
    '/briefing',
    auth('leader', 'officer', 'admin'),
    route('briefing', async (req, res) => {
      // ?period=today|7d|30d|custom&from=&to= (issue 16); without it the 7-day briefing, as before
      const sources = { store: d.store, ...(d.reports ? { history: d.reports.source } : {}), handlers: () => d.fusion.listHandlers() };
      const out = await briefingFor(sources, { ...(req.query as Record<string, unknown>) }, await scopeOfRequest(req), Date.now());
      if (!out.ok) return sendError(res, out.error);
      res.json(out.briefing);
    }),
  );

  api.use((_req, res) => sendError(res, iocError('E_NOT_FOUND', 'no such API route')));

  /** Detailed health for the metrics token and for an administrator's session; minimal for anyone else. */
  const healthDetailAllowed = async (req: Request): Promise<boolean> => {
    const header = req.headers.authorization;
    if (d.metricsAccess.hasToken(header)) return true;
    const token = header?.startsWith('Bearer ') ? header.slice(7) : '';
    if (!token) return false;
    try {
      const claims = await d.tokens.verify(token);
      return claims !== null && claims.role === 'admin' && (await d.users.sessionRefusal(claims)) === null;
    } catch {
      // a session check that needs the store fails while it is down: the status is still answered
      return false;
    }
  };

  app.get(
    '/healthz',
    route('healthz', async (req, res) => {
      const storeUp = await d.store.ping();
      const catchingUp = !isReady();
      const ready = storeUp && !catchingUp;
      // not ready while the store does not answer or the node still catches up from the store and
      // the log: a load balancer sends new clients elsewhere, a cluster harness waits
      res.status(ready ? 200 : 503);
      const status = !storeUp ? 'degraded' : catchingUp ? 'starting' : 'ok';
      // anonymous callers (load balancers, the supervisor, the cluster harness) need status, node and
      // readiness only (the node id is no secret); the rest tells an attacker about the install
      if (!(await healthDetailAllowed(req))) return res.json({ status, nodeId, ready });
      const s = d.fusion.stats();
      res.json({
        status,
        nodeId,
        ready,
        catchingUp,
        store: d.store.kind,
        storeReachable: storeUp,
        deferredReadings: d.ingest.deferredReadings(),
        protocol: PROTOCOL_VERSION,
        uptimeS: Math.round((Date.now() - d.startedTs) / 1000),
        devices: s.devices,
        devicesOnline: s.online,
        openAlerts: s.openAlerts,
        openIncidents: s.openIncidents,
        clients: d.connectedClients(),
      });
    }),
  );

  app.get(
    '/metrics',
    route('metrics', async (req, res) => {
      if (!d.metricsAccess.allows(req.headers.authorization, sourceOfRequest(req)))
        return sendError(res, iocError('E_FORBIDDEN', 'metrics need the metrics token (IOC_METRICS_TOKEN) or an allowed source (IOC_METRICS_ALLOW)'));
      res.type(d.metrics.registry.contentType).send(await d.metrics.registry.metrics());
    }),
  );

  app.use('/api', api);
  // OGC API – Features (issue 16) for GIS clients, outside /api like /healthz
  if (exportsRouters) app.use('/ogc', exportsRouters.ogc);

  if (d.clientDist && existsSync(path.join(d.clientDist, 'index.html'))) {
    const dist = d.clientDist;
    app.use(express.static(dist, { index: false, maxAge: '1h' }));
    // SPA fallback for client routes (/screen/…, /console, /mobile, /brief, /login)
    app.get(/^\/(?!api\/|socket\.io\/).*/, (_req, res) => res.sendFile(path.join(dist, 'index.html'), { maxAge: 0 }));
  } else {
    app.get('/', (_req, res) =>
      res.type('text/plain').send('City IOC server is running. The client is not built: run `npm run build` (npm start does it for you).'),
    );
  }

  // body parser and other errors: typed, never a stack trace
  app.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    const e = err as { type?: string; status?: number; message?: string };
    if (e.type === 'entity.too.large') return sendError(res, iocError('E_PAYLOAD_TOO_LARGE', 'request body too large'));
    if (e.type === 'entity.parse.failed') return sendError(res, iocError('E_VALIDATION', 'request body is not valid JSON'));
    if (typeof e.status === 'number' && e.status >= 400 && e.status < 500)
      return sendError(res, iocError('E_VALIDATION', e.message ?? 'bad request'));
    d.log.error({ err }, 'http error');
    sendError(res, iocError('E_INTERNAL', 'internal error'));
  });

  return app;
}
