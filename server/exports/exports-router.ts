/**
 * Standard exports for other platforms (issue 16), in the caller's data scope:
 * - `GET /api/exports/geojson/:layer` (devices|assets|incidents|alerts) → RFC 7946 FeatureCollection;
 * - `GET /api/exports/cap[?format=atom]` → an Atom feed, one inline CAP 1.2 `<alert>` per entry
 *   (Atom is the one format of the list: a bare list of CAP documents is not one XML document);
 * - `GET /api/exports/cap/:identifier` → that CAP 1.2 `<alert>` document;
 * - OGC API – Features under `/ogc` (scenes/exports/ogc-features.ts): landing, conformance,
 *   collections, items with bbox/datetime/limit/offset, one item, and `/ogc/api`, the OpenAPI 3.0
 *   definition of them (scenes/exports/ogc-openapi.ts). Errors there are OGC style
 *   `{ code, description }`; elsewhere the house `{ error: { code, message } }`.
 * - admins: `GET/POST /api/admin/api-keys`, `DELETE /api/admin/api-keys/:id` (revoke), audited.
 *
 * Who reads: officers, leaders and admins with their session (handlers see their own tasks only;
 * wall screens show, they do not export), and machine clients with an API key (the whole city or
 * the key's districts, read only, these routes only — every other route wants a session and
 * answers a key with 401).
 * A person's data export is audited before it leaves (`export`, like the registry's); a key's use
 * is audited once per key and interval (`api_key.use`), a refused key each time (rate limited).
 */
import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import { z } from 'zod';
import { IdSchema, type Role } from '../../scenes/domain';
import type { IocError } from '../../scenes/protocol';
import { alertInScope, districtInScope, incidentInScope, placeInScope, scopeKey, type DataScope } from '../../scenes/scope';
import type { AreaWarning } from '../../scenes/storm/area-warnings';
import {
  buildCapMessages,
  capAlertXml,
  capAtomFeed,
  ATOM_MEDIA_TYPE,
  CAP_MEDIA_TYPE,
  DEFAULT_CAP_SENDER,
  type CapSender,
} from '../../scenes/exports/cap';
import { EXPORT_LAYERS, type ExportLayer } from '../../scenes/exports/geojson';
import { alertCandidates, assetCandidates, deviceCandidates, incidentCandidates, type OgcCandidate } from '../../scenes/exports/ogc-candidates';
import {
  buildOgcCollection,
  buildOgcCollections,
  buildOgcConformance,
  buildOgcItem,
  buildOgcItemsPage,
  buildOgcLanding,
  GEOJSON_MEDIA_TYPE,
  OPENAPI_MEDIA_TYPE,
  parseOgcItemsQuery,
  type OgcError,
} from '../../scenes/exports/ogc-features';
import { buildOgcOpenApi } from '../../scenes/exports/ogc-openapi';
import type { AuditEntry, AuditRecorder } from '../audit/audit';
import { auditWho } from '../audit/audit-request';
import type { SessionClaims } from '../auth/tokens';
import { httpStatusOf, iocError } from '../errors';
import type { Fusion } from '../fusion';
import { safeValidate, sourceOf } from '../guard';
import type { DeviceRegistry } from '../registry/device-registry';
import type { ApiKeyRecord } from '../store/api-key-store';
import { apiKeyScope, CreateApiKeySchema, presentedApiKey, publicApiKey, type ApiKeyService } from './api-keys';

type ExportRequest = Request & { user?: SessionClaims; apiKey?: ApiKeyRecord };
type RouteHandler = (req: ExportRequest, res: Response, next: () => void) => unknown;

export interface ExportsRouterDeps {
  registry: Pick<DeviceRegistry, 'listDevices' | 'listAssets'>;
  fusion: Pick<Fusion, 'incidents' | 'listAlerts' | 'deviceStates' | 'devices'>;
  /** the area warnings in force (server/storm/warning-service.ts) */
  activeWarnings: () => readonly AreaWarning[];
  apiKeys: ApiKeyService;
  audit: AuditRecorder;
  capSender?: CapSender;
  /** a layer's selectable items are reused this long per scope, ms (a GIS client pages in quick succession); default EXPORT_ITEMS_CACHE_MS */
  itemsCacheMs?: number;
  now?: () => number;
  /** http.ts's guard wrapper: a throw becomes a typed answer */
  route: (entry: string, handler: RouteHandler) => RequestHandler;
  /** http.ts's session check for the given roles */
  auth: (...roles: Role[]) => RequestHandler;
  /** the session's data scope, read from the stored user */
  scopeOf: (req: ExportRequest) => Promise<DataScope>;
}

/** people who may read the exports with their session */
export const EXPORT_READER_ROLES: Role[] = ['officer', 'leader', 'admin'];
const AUDIT_REASON_MAX_CHARS = 300;
/** how long a layer's item list is reused, ms: exports may lag the live state by this much */
export const EXPORT_ITEMS_CACHE_MS = 1_000;
/** (layer, scope) lists kept at most: scopes are few (whole city, district sets) */
const EXPORT_ITEMS_CACHE_ENTRIES = 64;

const GeojsonQuerySchema = z.strictObject({ apiKey: z.string().optional() });
const CapQuerySchema = z.strictObject({ format: z.enum(['atom']).optional(), apiKey: z.string().optional() });
const LayerSchema = z.enum(EXPORT_LAYERS);
const CAP_IDENTIFIER_MAX_CHARS = 300;

function sendError(res: Response, e: IocError): void {
  res.status(httpStatusOf(e.code)).json({ error: e });
}

function sendOgcError(res: Response, e: OgcError): void {
  res.status(e.code === 'E_NOT_FOUND' ? 404 : 400).json(e);
}

function originOf(req: Request): string {
  return `${req.protocol}://${req.get('host') ?? 'localhost'}`;
}

/** The query as flat strings (paging links repeat it); a repeated parameter stays an array for the validator to refuse. */
function queryOf(req: Request): Record<string, unknown> {
  return { ...(req.query as Record<string, unknown>) };
}

export function createExportsRouters(d: ExportsRouterDeps): { api: Router; ogc: Router } {
  const { route, auth } = d;
  const now = d.now ?? Date.now;
  const capSender = d.capSender ?? DEFAULT_CAP_SENDER;
  const sessionReader = auth(...EXPORT_READER_ROLES);

  /** A session of a reader role, or an API key (never both needed). */
  const reader = route('exports:auth', async (req, res, next) => {
    const presented = presentedApiKey(req.headers.authorization, req.query);
    if (presented === null) return sessionReader(req, res, next);
    if (typeof presented === 'object') return sendError(res, iocError('E_VALIDATION', 'present one API key, once'));
    const source = sourceOf(req.socket.remoteAddress, req.headers['x-forwarded-for']);
    const checked = await d.apiKeys.check(presented, source);
    if (!checked.ok) {
      if (checked.error.code === 'E_UNAUTHORIZED')
        // best effort: the request is refused whether or not the record lands (the rate limit bounds the records)
        d.audit
          .record({
            ...auditWho(req),
            action: 'api_key.use',
            target: `${req.method} ${req.baseUrl}${req.path}`.slice(0, 200),
            outcome: 'denied',
            reason: `${checked.error.code}: ${checked.error.message}`,
          })
          .catch(() => undefined);
      return sendError(res, checked.error);
    }
    req.apiKey = checked.key;
    if (checked.firstUseInInterval)
      await d.audit.record({
        actor: `api_key:${checked.key.id}`,
        source,
        action: 'api_key.use',
        target: `${req.method} ${req.baseUrl}${req.path}`.slice(0, 200),
        outcome: 'success',
        details: { name: checked.key.name },
      });
    next();
  });

  /** The one place a caller becomes a scope: a key's from its stored record (never from the request), a person's from the stored user. */
  const scopeOf = async (req: ExportRequest): Promise<DataScope> => (req.apiKey ? apiKeyScope(req.apiKey) : d.scopeOf(req));

  /** A person's data export is recorded before it leaves; a key's use was recorded at the check. */
  const auditExport = async (req: ExportRequest, target: string, details: Record<string, unknown>): Promise<IocError | null> => {
    if (req.apiKey) return null;
    try {
      await d.audit.record({ ...auditWho(req), action: 'export', target, outcome: 'success', details });
      return null;
    } catch {
      return iocError('E_UNAVAILABLE', 'the audit log could not be written; the export was not handed out');
    }
  };

  const itemsCacheMs = d.itemsCacheMs ?? EXPORT_ITEMS_CACHE_MS;
  const itemsCache = new Map<string, { ts: number; items: OgcCandidate[] }>();
  /** A layer's items in scope, sorted by id, reused for `itemsCacheMs`; features are built only for what a response returns. */
  const layerItems = (layer: ExportLayer, scope: DataScope): OgcCandidate[] => {
    const key = `${layer}|${scopeKey(scope)}`;
    const nowTs = now();
    const hit = itemsCache.get(key);
    if (hit && nowTs - hit.ts < itemsCacheMs) return hit.items;
    const items = freshLayerItems(layer, scope);
    itemsCache.delete(key);
    if (itemsCache.size >= EXPORT_ITEMS_CACHE_ENTRIES) itemsCache.delete(itemsCache.keys().next().value!);
    itemsCache.set(key, { ts: nowTs, items });
    return items;
  };
  const freshLayerItems = (layer: ExportLayer, scope: DataScope): OgcCandidate[] => {
    switch (layer) {
      case 'devices':
        return deviceCandidates(
          d.registry.listDevices().filter((x) => placeInScope(scope, x)),
          (id) => d.fusion.deviceStates.get(id),
        );
      case 'assets':
        return assetCandidates(d.registry.listAssets().filter((x) => placeInScope(scope, x)));
      case 'incidents':
        return incidentCandidates([...d.fusion.incidents.values()].filter((i) => incidentInScope(scope, i)));
      case 'alerts':
        return alertCandidates(d.fusion.listAlerts().filter((a) => alertInScope(scope, a)));
      default: {
        const never: never = layer;
        return never;
      }
    }
  };

  const capMessages = (scope: DataScope) =>
    buildCapMessages({
      warnings: d.activeWarnings().filter((w) => districtInScope(scope, w.district)),
      alerts: d.fusion.listAlerts().filter((a) => alertInScope(scope, a)),
      kindOf: (id) => d.fusion.devices.get(id)?.kind,
      sender: capSender,
    });

  // --- /api/exports and /api/admin/api-keys -------------------------------------------------------
  const api = express.Router();

  api.get(
    '/exports/geojson/:layer',
    reader,
    route('exports:geojson', async (req, res) => {
      const layer = LayerSchema.safeParse(req.params.layer);
      if (!layer.success) return sendError(res, iocError('E_NOT_FOUND', `no layer ${String(req.params.layer)}; layers: ${EXPORT_LAYERS.join(', ')}`));
      const q = safeValidate(GeojsonQuerySchema, queryOf(req), 'geojson query');
      if (!q.ok) return sendError(res, q.error);
      const features = layerItems(layer.data, await scopeOf(req)).map((c) => c.feature());
      const refused = await auditExport(req, `geojson:${layer.data}`, { features: features.length });
      if (refused) return sendError(res, refused);
      res
        .type(GEOJSON_MEDIA_TYPE)
        .set('content-disposition', `inline; filename="city-ioc-${layer.data}.geojson"`)
        .send(JSON.stringify({ type: 'FeatureCollection', features }));
    }),
  );

  api.get(
    '/exports/cap',
    reader,
    route('exports:cap-feed', async (req, res) => {
      const q = safeValidate(CapQuerySchema, queryOf(req), 'cap query');
      if (!q.ok) return sendError(res, q.error);
      const messages = capMessages(await scopeOf(req));
      const refused = await auditExport(req, 'cap:feed', { messages: messages.length });
      if (refused) return sendError(res, refused);
      const base = `${originOf(req)}/api/exports/cap`;
      res
        .type(ATOM_MEDIA_TYPE)
        .send(capAtomFeed({ messages, feedUrl: base, capUrl: (id) => `${base}/${encodeURIComponent(id)}`, sender: capSender, nowTs: now() }));
    }),
  );

  api.get(
    '/exports/cap/:identifier',
    reader,
    route('exports:cap-alert', async (req, res) => {
      const identifier = String(req.params.identifier);
      if (identifier.length > CAP_IDENTIFIER_MAX_CHARS) return sendError(res, iocError('E_VALIDATION', 'identifier too long'));
      const q = safeValidate(GeojsonQuerySchema, queryOf(req), 'cap query');
      if (!q.ok) return sendError(res, q.error);
      const message = capMessages(await scopeOf(req)).find((m) => m.identifier === identifier);
      if (!message) return sendError(res, iocError('E_NOT_FOUND', 'no such CAP message in your scope (it may have ended)'));
      const refused = await auditExport(req, `cap:${message.subject.kind}:${message.subject.id}`.slice(0, 200), {});
      if (refused) return sendError(res, refused);
      res.type(CAP_MEDIA_TYPE).send(capAlertXml(message));
    }),
  );

  api.get(
    '/admin/api-keys',
    auth('admin'),
    route('exports:api-keys', async (_req, res) => res.json({ keys: (await d.apiKeys.list()).map(publicApiKey) })),
  );

  api.post(
    '/admin/api-keys',
    auth('admin'),
    route('exports:api-key-create', async (req, res) => {
      const p = safeValidate(CreateApiKeySchema, req.body, 'api key');
      if (!p.ok) return sendError(res, p.error);
      const { key, record } = await d.apiKeys.create(p.data, req.user!.username);
      const entry: AuditEntry = {
        ...auditWho(req),
        action: 'api_key.create',
        target: `api_key:${record.id}`,
        outcome: 'success',
        details: { name: record.name, scope: record.scope, ...(record.districts ? { districts: record.districts } : {}) },
      };
      try {
        await d.audit.record(entry);
      } catch {
        // fail closed: a key whose creation is not on record is not handed out (and not left valid)
        await d.apiKeys.revoke(record.id, 'system').catch(() => undefined);
        return sendError(res, iocError('E_UNAVAILABLE', 'the audit log could not be written; no key was created'));
      }
      res.status(201).json({ key, apiKey: publicApiKey(record) });
    }),
  );

  api.delete(
    '/admin/api-keys/:id',
    auth('admin'),
    route('exports:api-key-revoke', async (req, res) => {
      const id = safeValidate(IdSchema, req.params.id, 'api key id');
      if (!id.ok) return sendError(res, id.error);
      const out = await d.apiKeys.revoke(id.data, req.user!.username);
      if (out.status === 'not_found') return sendError(res, iocError('E_NOT_FOUND', `no API key ${id.data}`));
      try {
        await d.audit.record({
          ...auditWho(req),
          action: 'api_key.revoke',
          target: `api_key:${id.data}`,
          outcome: out.status === 'revoked' ? 'success' : 'failure',
          ...(out.status === 'revoked' ? {} : { reason: 'already revoked'.slice(0, AUDIT_REASON_MAX_CHARS) }),
          details: { name: out.record.name },
        });
      } catch {
        return sendError(res, iocError('E_UNAVAILABLE', 'the audit log could not be written; the key is revoked all the same'));
      }
      res.json({ apiKey: publicApiKey(out.record), alreadyRevoked: out.status === 'already_revoked' });
    }),
  );

  // --- /ogc: OGC API – Features -------------------------------------------------------------------
  const ogc = express.Router();
  const ogcBase = (req: Request) => `${originOf(req)}/ogc`;
  const keyOf = (req: ExportRequest): string | undefined => (typeof req.query.apiKey === 'string' ? req.query.apiKey : undefined);
  const ogcLayer = (res: Response, raw: unknown): ExportLayer | null => {
    const layer = LayerSchema.safeParse(raw);
    if (layer.success) return layer.data;
    sendOgcError(res, { code: 'E_NOT_FOUND', description: `no collection ${String(raw)}; collections: ${EXPORT_LAYERS.join(', ')}` });
    return null;
  };

  ogc.get(
    '/',
    reader,
    route('ogc:landing', (req, res) => res.json(buildOgcLanding(ogcBase(req), keyOf(req)))),
  );
  ogc.get(
    '/api',
    reader,
    route('ogc:api', (req, res) => {
      res.type(OPENAPI_MEDIA_TYPE).send(JSON.stringify(buildOgcOpenApi(ogcBase(req), EXPORT_LAYERS)));
    }),
  );
  ogc.get(
    '/conformance',
    reader,
    route('ogc:conformance', (_req, res) => res.json(buildOgcConformance())),
  );
  ogc.get(
    '/collections',
    reader,
    route('ogc:collections', async (req, res) => {
      const scope = await scopeOf(req);
      res.json(
        buildOgcCollections(
          ogcBase(req),
          EXPORT_LAYERS.map((layer) => ({ layer, candidates: layerItems(layer, scope) })),
          keyOf(req),
        ),
      );
    }),
  );
  ogc.get(
    '/collections/:collectionId',
    reader,
    route('ogc:collection', async (req, res) => {
      const layer = ogcLayer(res, req.params.collectionId);
      if (!layer) return;
      res.json(buildOgcCollection(ogcBase(req), layer, layerItems(layer, await scopeOf(req)), keyOf(req)));
    }),
  );
  ogc.get(
    '/collections/:collectionId/items',
    reader,
    route('ogc:items', async (req, res) => {
      const layer = ogcLayer(res, req.params.collectionId);
      if (!layer) return;
      const raw = queryOf(req);
      const q = parseOgcItemsQuery(raw);
      if (!q.ok) return sendOgcError(res, q.error);
      const page = buildOgcItemsPage({
        baseUrl: ogcBase(req),
        layer,
        candidates: layerItems(layer, await scopeOf(req)),
        query: q.query,
        rawQuery: raw as Record<string, string>,
        nowTs: now(),
      });
      const refused = await auditExport(req, `ogc:${layer}`, { returned: page.numberReturned, matched: page.numberMatched });
      if (refused) return sendError(res, refused);
      res.type(GEOJSON_MEDIA_TYPE).send(JSON.stringify(page));
    }),
  );
  ogc.get(
    '/collections/:collectionId/items/:featureId',
    reader,
    route('ogc:item', async (req, res) => {
      const layer = ogcLayer(res, req.params.collectionId);
      if (!layer) return;
      const featureId = String(req.params.featureId);
      const item = buildOgcItem(ogcBase(req), layer, layerItems(layer, await scopeOf(req)), featureId, keyOf(req));
      if (!item) return sendOgcError(res, { code: 'E_NOT_FOUND', description: `no feature ${featureId} in ${layer}` });
      const refused = await auditExport(req, `ogc:${layer}:${featureId}`.slice(0, 200), {});
      if (refused) return sendError(res, refused);
      res.type(GEOJSON_MEDIA_TYPE).send(JSON.stringify(item));
    }),
  );
  ogc.use((_req, res) => sendOgcError(res, { code: 'E_NOT_FOUND', description: 'no such OGC API resource' }));

  return { api, ogc };
}
