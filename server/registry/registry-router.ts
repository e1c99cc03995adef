/**
 * REST of the registry (issue 11): `/api/devices` and `/api/assets`. Admins write; officers and
 * leaders read; handlers and screens are refused. Every route runs inside the entry guard's
 * `route` wrapper (typed errors, no escaped exception) and validates with zod (`safeValidate`).
 */
import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import { z } from 'zod';
import { IdSchema, type Role } from '../../scenes/domain';
import type { IocError } from '../../scenes/protocol';
import type { SessionClaims } from '../auth/tokens';
import { deviceToken } from '../device-token';
import { httpStatusOf, iocError } from '../errors';
import { safeValidate, type EntryGuard } from '../guard';
import type { DeviceRegistry } from './device-registry';
import type { RuleRegistry } from './rule-registry';
import type { AuditOutcome, AuditRecorder } from '../audit/audit';
import { auditWho } from '../audit/audit-request';
import { isWholeCity, placeInScope, WHOLE_CITY, type DataScope } from '../../scenes/scope';
import {
  RuleDefaultEditSchema,
  RuleOverrideDeleteSchema,
  RuleOverrideEditSchema,
  RuleOverrideParamsSchema,
  RuleParamsSchema,
} from '../../scenes/rule-overrides';
import { importFormatOf, parseCsvRows, parseGeoJsonRows, type ImportRow } from './import-format';
import {
  ASSET_COLUMNS,
  AssetInputSchema,
  CreateDeviceSchema,
  DEVICE_COLUMNS,
  PatchAssetSchema,
  PatchDeviceSchema,
  VersionBodySchema,
} from './registry-schemas';

type AuthedRequest = Request & { user?: SessionClaims };

/** ids per bulk demo-token request */
const DEMO_TOKENS_MAX_IDS = 5_000;
const DemoTokensRequestSchema = z.object({ ids: z.array(IdSchema).min(1).max(DEMO_TOKENS_MAX_IDS) });
type RouteHandler = (req: AuthedRequest, res: Response) => unknown;

export interface RegistryRouterDeps {
  registry: DeviceRegistry;
  guard: EntryGuard;
  /** http.ts's guard wrapper: a throw becomes a typed answer */
  route: (entry: string, handler: RouteHandler) => RequestHandler;
  /** http.ts's session check for the given roles */
  auth: (...roles: Role[]) => RequestHandler;
  /** the demo fleet's HMAC secret (only devices flagged demo accept these tokens) */
  deviceSecret: string;
  /** rules and thresholds; without it the `/rules` routes are absent */
  rules?: RuleRegistry;
  /** every write, token rotation/read and export is recorded here (server/audit/) */
  audit: AuditRecorder;
  /**
   * the session's data scope (scenes/scope.ts): officers and leaders limited to districts read
   * only their districts' devices and assets; absent = every reader sees the whole registry
   */
  scopeOf?: (req: AuthedRequest) => Promise<DataScope>;
}

const READERS: Role[] = ['officer', 'leader', 'admin'];
const WRITERS: Role[] = ['admin'];
/** rule history entries answered per request */
const HISTORY_ENTRIES = 50;

const ExportQuerySchema = z.object({ format: z.enum(['csv', 'geojson']).default('csv') });
const ImportQuerySchema = z.object({
  dryRun: z.enum(['0', '1', 'true', 'false']).optional(),
  partial: z.enum(['0', '1', 'true', 'false']).optional(),
});
const VersionQuerySchema = z.object({ version: z.coerce.number().int().positive().optional() });

function sendError(res: Response, e: IocError): void {
  res.status(httpStatusOf(e.code)).json({ error: e });
}

const flag = (v: string | undefined) => v === '1' || v === 'true';

/** What an audited route did: the action name (server/audit/audit.ts), its target and small extras. */
interface AuditedAction {
  action: string;
  target?: string;
  details?: Record<string, unknown>;
}

/** longest reason kept in an audit record, characters */
const AUDIT_REASON_MAX_CHARS = 300;

function auditOutcomeOf(e: IocError | null): AuditOutcome {
  if (!e) return 'success';
  return e.code === 'E_FORBIDDEN' || e.code === 'E_UNAUTHORIZED' || e.code === 'E_RATE_LIMIT' ? 'denied' : 'failure';
}

/**
 * Records what the route did, then answers: `error`, or `send()` on success. Writing the record is
 * part of the action: when it fails the answer is E_UNAVAILABLE and nothing is handed out (a new
 * token, an export). A registry write already applied stays applied; the client's retry (same
 * version) is answered E_CONFLICT or repeated, and is audited again.
 */
async function answerAudited(
  audit: AuditRecorder,
  req: AuthedRequest,
  res: Response,
  what: AuditedAction,
  error: IocError | null,
  send: () => unknown,
): Promise<void> {
  try {
    await audit.record({
      ...auditWho(req),
      action: what.action,
      outcome: auditOutcomeOf(error),
      ...(what.target !== undefined ? { target: what.target } : {}),
      ...(error ? { reason: `${error.code}: ${error.message}`.slice(0, AUDIT_REASON_MAX_CHARS) } : {}),
      ...(what.details !== undefined ? { details: what.details } : {}),
    });
  } catch {
    return sendError(res, iocError('E_UNAVAILABLE', 'the audit log could not be written; retry (a change already made stays made)'));
  }
  if (error) return sendError(res, error);
  send();
}

/** A single `?name=value` query as an object of strings (repeated parameters are refused by the schema). */
function queryOf(req: Request): unknown {
  return { ...(req.query as Record<string, unknown>) };
}

export function createRegistryRouter(d: RegistryRouterDeps): Router {
  const r = express.Router();
  const { registry, route, auth } = d;
  const actor = (req: AuthedRequest) => ({ username: req.user!.username });
  const answer = (req: AuthedRequest, res: Response, what: AuditedAction, error: IocError | null, send: () => unknown = () => undefined) =>
    answerAudited(d.audit, req, res, what, error, send);
  const scopeOf = (req: AuthedRequest): Promise<DataScope> => (d.scopeOf ? d.scopeOf(req) : Promise.resolve(WHOLE_CITY));
  /** a device or asset outside the reader's districts answers like one that is not theirs to see */
  const outOfScope = (what: string, id: string) => iocError('E_FORBIDDEN', `${what} ${id} is outside your data scope`);
  /** exports are whole-registry files: only for whole-city readers */
  const exportRefusal = async (req: AuthedRequest): Promise<IocError | null> =>
    isWholeCity(await scopeOf(req)) ? null : iocError('E_FORBIDDEN', 'registry exports cover the whole city; your account is limited to districts');
  const idOf = (req: Request, res: Response): string | null => {
    const p = safeValidate(IdSchema, req.params.id, 'id');
    if (!p.ok) {
      sendError(res, p.error);
      return null;
    }
    return p.data;
  };
  /** Import bodies: raw bytes up to the limit; larger ones answer E_PAYLOAD_TOO_LARGE unread. */
  const importBody = express.raw({ type: () => true, limit: registry.limits.maxImportBytes });

  /** The rows of an import request (CSV or GeoJSON by content type); parsed in chunks that yield to the event loop. */
  const importRows = async (req: Request, columns: readonly string[], required: readonly string[]): Promise<ImportRow[] | IocError> => {
    const format = importFormatOf(req.headers['content-type']);
    if (!format) return iocError('E_VALIDATION', 'send text/csv (a header row naming the columns) or application/geo+json');
    const body = req.body as unknown;
    if (!Buffer.isBuffer(body) || body.length === 0) return iocError('E_VALIDATION', 'the import file is empty');
    const text = new TextDecoder('utf-8', { fatal: false }).decode(body);
    if (format === 'csv') return parseCsvRows(text, columns, required, registry.limits.maxImportRows);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return iocError('E_VALIDATION', 'the GeoJSON is not valid JSON');
    }
    const n = d.guard.normalise(json, 'GeoJSON import');
    if (!n.ok) return n.error;
    return parseGeoJsonRows(n.value, registry.limits.maxImportRows);
  };

  // --- devices -------------------------------------------------------------------------------------

  r.get(
    '/devices',
    auth(...READERS),
    route('registry:devices', async (req, res) => {
      const scope = await scopeOf(req);
      res.json({ devices: registry.listDevices().filter((x) => placeInScope(scope, x)) });
    }),
  );
  r.get(
    '/devices/export',
    auth(...READERS),
    route('registry:devices-export', async (req, res) => {
      const refused = await exportRefusal(req);
      if (refused) return answer(req, res, { action: 'export', target: 'devices' }, refused);
      const q = safeValidate(ExportQuerySchema, queryOf(req), 'export query');
      if (!q.ok) return sendError(res, q.error);
      const body = registry.exportDevices(q.data.format);
      // recorded before the file leaves: an export that cannot be audited is not handed out
      return answer(req, res, { action: 'export', target: 'devices', details: { format: q.data.format } }, null, () =>
        res
          .type(q.data.format === 'csv' ? 'text/csv; charset=utf-8' : 'application/geo+json')
          .attachment(`devices.${q.data.format}`)
          .send(body),
      );
    }),
  );
  r.post(
    '/devices/import',
    auth(...WRITERS),
    importBody,
    route('registry:devices-import', async (req, res) => {
      const what = { action: 'device.import', target: 'devices' };
      const q = safeValidate(ImportQuerySchema, queryOf(req), 'import query');
      if (!q.ok) return answer(req, res, what, q.error);
      const rows = await importRows(req, DEVICE_COLUMNS, ['id']);
      if (!Array.isArray(rows)) return answer(req, res, what, rows);
      const report = await registry.importDevices(rows, { dryRun: flag(q.data.dryRun), partial: flag(q.data.partial) }, actor(req));
      const { created, updated, unchanged, dryRun, applied } = report;
      const details = { rows: rows.length, created, updated, unchanged, rejected: report.rejected.length, dryRun, applied };
      return answer(req, res, { ...what, details }, null, () => res.json(report));
    }),
  );
  r.post(
    '/devices',
    auth(...WRITERS),
    route('registry:device-create', async (req, res) => {
      const p = safeValidate(CreateDeviceSchema, req.body, 'device');
      if (!p.ok) return answer(req, res, { action: 'device.create' }, p.error);
      const out = await registry.createDevice(p.data, actor(req));
      const what = { action: 'device.create', target: `device:${p.data.id}` };
      if (!out.ok) return answer(req, res, what, out.error);
      return answer(req, res, what, null, () => res.status(201).json({ device: out.device, token: out.token }));
    }),
  );
  r.get(
    '/devices/:id',
    auth(...READERS),
    route('registry:device', async (req, res) => {
      const id = idOf(req, res);
      if (id === null) return;
      const device = registry.getDevice(id);
      if (!device) return sendError(res, iocError('E_NOT_FOUND', `no device ${id}`));
      if (!placeInScope(await scopeOf(req), device)) return sendError(res, outOfScope('device', id));
      res.json({ device });
    }),
  );
  r.get(
    '/devices/:id/history',
    auth(...READERS),
    route('registry:device-history', async (req, res) => {
      const id = idOf(req, res);
      if (id === null) return;
      const known = registry.getDevice(id);
      if (known && !placeInScope(await scopeOf(req), known)) return sendError(res, outOfScope('device', id));
      const out = await registry.deviceHistory(id);
      if (!out.ok) return sendError(res, out.error);
      res.json({ deviceId: id, history: out.history });
    }),
  );
  r.patch(
    '/devices/:id',
    auth(...WRITERS),
    route('registry:device-update', async (req, res) => {
      const id = idOf(req, res);
      if (id === null) return;
      const what = { action: 'device.update', target: `device:${id}` };
      const p = safeValidate(PatchDeviceSchema, req.body, 'device update');
      if (!p.ok) return answer(req, res, what, p.error);
      const out = await registry.patchDevice(id, p.data, actor(req));
      const changed = { ...what, details: { fields: Object.keys(p.data) } };
      if (!out.ok) return answer(req, res, changed, out.error);
      return answer(req, res, changed, null, () => res.json({ device: out.device }));
    }),
  );
  r.delete(
    '/devices/:id',
    auth(...WRITERS),
    route('registry:device-retire', async (req, res) => {
      const id = idOf(req, res);
      if (id === null) return;
      const what = { action: 'device.retire', target: `device:${id}` };
      const q = safeValidate(VersionQuerySchema, queryOf(req), 'version');
      if (!q.ok) return answer(req, res, what, q.error);
      const out = await registry.retireDevice(id, q.data.version, actor(req));
      if (!out.ok) return answer(req, res, what, out.error);
      return answer(req, res, what, null, () => res.json({ device: out.device }));
    }),
  );
  r.post(
    '/devices/:id/token',
    auth(...WRITERS),
    route('registry:device-rotate', async (req, res) => {
      const id = idOf(req, res);
      if (id === null) return;
      const what = { action: 'device.token_rotate', target: `device:${id}` };
      const p = safeValidate(VersionBodySchema, req.body ?? {}, 'token rotation');
      if (!p.ok) return answer(req, res, what, p.error);
      const out = await registry.rotateToken(id, p.data.version, actor(req));
      if (!out.ok) return answer(req, res, what, out.error);
      // the new token is handed out only once the rotation is in the audit log
      return answer(req, res, what, null, () => res.json({ deviceId: id, token: out.token, device: out.device }));
    }),
  );
  /**
   * Demo fleet only, in bulk (the simulator at start): `{ids: [...]}` (≤ 5,000) → `{tokens: {id: token}}`
   * for the ids that are seeded demo devices; the others are left out. One audit record per call.
   */
  r.post(
    '/devices/demo-tokens',
    auth(...WRITERS),
    route('registry:device-demo-tokens', async (req, res) => {
      const p = safeValidate(DemoTokensRequestSchema, req.body, 'demo token request');
      if (!p.ok) return sendError(res, p.error);
      const tokens: Record<string, string> = {};
      for (const id of p.data.ids) if (registry.getDevice(id) && registry.isDemoCredential(id)) tokens[id] = deviceToken(d.deviceSecret, id);
      const what = { action: 'device.token_read', target: 'device:*', details: { asked: p.data.ids.length, answered: Object.keys(tokens).length } };
      return answer(req, res, what, null, () => res.json({ tokens }));
    }),
  );
  /** Demo fleet only: its HMAC-derived token (other devices' tokens are shown once, at creation or rotation). */
  r.get(
    '/devices/:id/token',
    auth(...WRITERS),
    route('registry:device-demo-token', async (req, res) => {
      const id = idOf(req, res);
      if (id === null) return;
      const what = { action: 'device.token_read', target: `device:${id}` };
      const device = registry.getDevice(id);
      if (!device) return answer(req, res, what, iocError('E_NOT_FOUND', `no device ${id}`));
      if (!registry.isDemoCredential(id))
        return answer(
          req,
          res,
          what,
          iocError('E_CONFLICT', `device ${id} has its own token, shown once; rotate it (POST /api/devices/${id}/token) for a new one`),
        );
      return answer(req, res, what, null, () => res.json({ deviceId: id, token: deviceToken(d.deviceSecret, id) }));
    }),
  );

  // --- assets --------------------------------------------------------------------------------------

  r.get(
    '/assets',
    auth(...READERS),
    route('registry:assets', async (req, res) => {
      const scope = await scopeOf(req);
      res.json({ assets: registry.listAssets().filter((x) => placeInScope(scope, x)) });
    }),
  );
  r.get(
    '/assets/export',
    auth(...READERS),
    route('registry:assets-export', async (req, res) => {
      const refused = await exportRefusal(req);
      if (refused) return answer(req, res, { action: 'export', target: 'assets' }, refused);
      const q = safeValidate(ExportQuerySchema, queryOf(req), 'export query');
      if (!q.ok) return sendError(res, q.error);
      const body = registry.exportAssets(q.data.format);
      // recorded before the file leaves: an export that cannot be audited is not handed out
      return answer(req, res, { action: 'export', target: 'assets', details: { format: q.data.format } }, null, () =>
        res
          .type(q.data.format === 'csv' ? 'text/csv; charset=utf-8' : 'application/geo+json')
          .attachment(`assets.${q.data.format}`)
          .send(body),
      );
    }),
  );
  r.post(
    '/assets/import',
    auth(...WRITERS),
    importBody,
    route('registry:assets-import', async (req, res) => {
      const what = { action: 'asset.import', target: 'assets' };
      const q = safeValidate(ImportQuerySchema, queryOf(req), 'import query');
      if (!q.ok) return answer(req, res, what, q.error);
      const rows = await importRows(req, ASSET_COLUMNS, ['id']);
      if (!Array.isArray(rows)) return answer(req, res, what, rows);
      const report = await registry.importAssets(rows, { dryRun: flag(q.data.dryRun), partial: flag(q.data.partial) }, actor(req));
      const { created, updated, unchanged, dryRun, applied } = report;
      const details = { rows: rows.length, created, updated, unchanged, rejected: report.rejected.length, dryRun, applied };
      return answer(req, res, { ...what, details }, null, () => res.json(report));
    }),
  );
  r.post(
    '/assets',
    auth(...WRITERS),
    route('registry:asset-create', async (req, res) => {
      const p = safeValidate(AssetInputSchema, req.body, 'asset');
      if (!p.ok) return answer(req, res, { action: 'asset.create' }, p.error);
      const out = await registry.createAsset(p.data, actor(req));
      const what = { action: 'asset.create', target: `asset:${p.data.id}` };
      if (!out.ok) return answer(req, res, what, out.error);
      return answer(req, res, what, null, () => res.status(201).json({ asset: out.asset }));
    }),
  );
  r.get(
    '/assets/:id',
    auth(...READERS),
    route('registry:asset', async (req, res) => {
      const id = idOf(req, res);
      if (id === null) return;
      const asset = registry.getAsset(id);
      if (!asset) return sendError(res, iocError('E_NOT_FOUND', `no asset ${id}`));
      if (!placeInScope(await scopeOf(req), asset)) return sendError(res, outOfScope('asset', id));
      res.json({ asset });
    }),
  );
  r.get(
    '/assets/:id/history',
    auth(...READERS),
    route('registry:asset-history', async (req, res) => {
      const id = idOf(req, res);
      if (id === null) return;
      const known = registry.getAsset(id);
      if (known && !placeInScope(await scopeOf(req), known)) return sendError(res, outOfScope('asset', id));
      const out = await registry.assetHistory(id);
      if (!out.ok) return sendError(res, out.error);
      res.json({ assetId: id, history: out.history });
    }),
  );
  r.patch(
    '/assets/:id',
    auth(...WRITERS),
    route('registry:asset-update', async (req, res) => {
      const id = idOf(req, res);
      if (id === null) return;
      const what = { action: 'asset.update', target: `asset:${id}` };
      const p = safeValidate(PatchAssetSchema, req.body, 'asset update');
      if (!p.ok) return answer(req, res, what, p.error);
      const out = await registry.patchAsset(id, p.data, actor(req));
      const changed = { ...what, details: { fields: Object.keys(p.data) } };
      if (!out.ok) return answer(req, res, changed, out.error);
      return answer(req, res, changed, null, () => res.json({ asset: out.asset }));
    }),
  );
  r.delete(
    '/assets/:id',
    auth(...WRITERS),
    route('registry:asset-retire', async (req, res) => {
      const id = idOf(req, res);
      if (id === null) return;
      const what = { action: 'asset.remove', target: `asset:${id}` };
      const q = safeValidate(VersionQuerySchema, queryOf(req), 'version');
      if (!q.ok) return answer(req, res, what, q.error);
      const out = await registry.retireAsset(id, q.data.version, actor(req));
      if (!out.ok) return answer(req, res, what, out.error);
      return answer(req, res, what, null, () => res.json({ asset: out.asset }));
    }),
  );

  if (d.rules) mountRuleRoutes(r, d.rules, d, actor);
  return r;
}

/** `/api/rules`: effective defaults with their overrides; admins edit (compare-and-set on versions). */
function mountRuleRoutes(r: Router, rules: RuleRegistry, d: RegistryRouterDeps, actor: (req: AuthedRequest) => { username: string }): void {
  const { route, auth } = d;
  const answer = (req: AuthedRequest, res: Response, what: AuditedAction, error: IocError | null, send: () => unknown = () => undefined) =>
    answerAudited(d.audit, req, res, what, error, send);
  /** `rule:<ruleId>` or `rule:<ruleId>/<type>:<id>` for an override, from the raw path (bounded by the router) */
  const ruleTarget = (req: Request, override: boolean) =>
    `rule:${String(req.params.ruleId)}${override ? `/${String(req.params.targetType)}:${String(req.params.targetId)}` : ''}`.slice(0, 200);
  r.get(
    '/rules',
    auth(...READERS),
    route('registry:rules', (_req, res) => res.json({ rules: rules.list() })),
  );
  r.get(
    '/rules/:ruleId/history',
    auth(...READERS),
    route('registry:rule-history', async (req, res) => {
      const p = safeValidate(RuleParamsSchema, { ...req.params }, 'rule');
      if (!p.ok) return sendError(res, p.error);
      const out = await rules.history(p.data.ruleId, HISTORY_ENTRIES);
      if (!out.ok) return sendError(res, out.error);
      res.json({ ruleId: p.data.ruleId, changes: out.changes });
    }),
  );
  r.put(
    '/rules/:ruleId',
    auth(...WRITERS),
    route('registry:rule-default', async (req, res) => {
      const what = { action: 'rule.update', target: ruleTarget(req, false) };
      const p = safeValidate(RuleParamsSchema, { ...req.params }, 'rule');
      if (!p.ok) return answer(req, res, what, p.error);
      const body = safeValidate(RuleDefaultEditSchema, req.body, 'rule edit');
      if (!body.ok) return answer(req, res, what, body.error);
      const out = await rules.editDefault(p.data.ruleId, body.data, actor(req));
      if (!out.ok) return answer(req, res, what, out.error);
      return answer(req, res, what, null, () => res.json({ record: out.record }));
    }),
  );
  r.put(
    '/rules/:ruleId/overrides/:targetType/:targetId',
    auth(...WRITERS),
    route('registry:rule-override', async (req, res) => {
      const what = { action: 'rule.override_set', target: ruleTarget(req, true) };
      const p = safeValidate(RuleOverrideParamsSchema, { ...req.params }, 'rule override');
      if (!p.ok) return answer(req, res, what, p.error);
      const body = safeValidate(RuleOverrideEditSchema, req.body, 'rule override edit');
      if (!body.ok) return answer(req, res, what, body.error);
      const out = await rules.putOverride(p.data.ruleId, { type: p.data.targetType, id: p.data.targetId }, body.data, actor(req));
      if (!out.ok) return answer(req, res, what, out.error);
      return answer(req, res, what, null, () => res.json({ override: out.override }));
    }),
  );
  r.delete(
    '/rules/:ruleId/overrides/:targetType/:targetId',
    auth(...WRITERS),
    route('registry:rule-override-delete', async (req, res) => {
      const what = { action: 'rule.override_remove', target: ruleTarget(req, true) };
      const p = safeValidate(RuleOverrideParamsSchema, { ...req.params }, 'rule override');
      if (!p.ok) return answer(req, res, what, p.error);
      // the version may come as `?expectedVersion=N` or as a JSON body
      const fromQuery = typeof req.query.expectedVersion === 'string' ? { expectedVersion: Number(req.query.expectedVersion) } : undefined;
      const body = safeValidate(RuleOverrideDeleteSchema, fromQuery ?? req.body, 'override deletion');
      if (!body.ok) return answer(req, res, what, body.error);
      const out = await rules.deleteOverride(p.data.ruleId, { type: p.data.targetType, id: p.data.targetId }, body.data.expectedVersion, actor(req));
      if (!out.ok) return answer(req, res, what, out.error);
      return answer(req, res, what, null, () => res.json({ override: out.override }));
    }),
  );
}
