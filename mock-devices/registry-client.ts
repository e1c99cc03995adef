/**
 * The simulator's view of the server's registry, through the same REST API an administrator's
 * browser uses: it signs in with a service account (in development the demo administrator:
 * IOC_SIM_USER / IOC_SIM_PASSWORD, defaults `admin` / the demo password), reads devices and
 * assets, registers demo devices by CSV import, and rotates a device's token when told to adopt it.
 *
 * Answers are validated (zod) before use; failures are typed errors `{code, message}`.
 */
import { stringify } from 'csv-stringify/sync';
import { z } from 'zod';
import {
  DeviceKindSchema,
  DistrictCodeSchema,
  IdSchema,
  LngLatSchema,
  SceneIdSchema,
  type Asset,
  type Device,
  type EmergencyResource,
} from '../scenes/domain';
import type { LoginResponse } from '../scenes/protocol';

/** Requests to the registry give up after this long, ms. */
export const REGISTRY_REQUEST_TIMEOUT_MS = 30_000;
/** ids per bulk demo-token request (the server takes up to 5,000) */
export const DEMO_TOKEN_BATCH = 2_000;

export class RegistryClientError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status?: number,
  ) {
    super(`${code}: ${message}`);
  }
}

/** A device record as `GET /api/devices` answers it (the fields the simulator uses). */
const RegistryDeviceSchema = z.looseObject({
  id: IdSchema,
  kind: DeviceKindSchema,
  scene: SceneIdSchema,
  name: z.string(),
  location: LngLatSchema,
  district: DistrictCodeSchema,
  assetId: IdSchema.optional(),
  status: z.enum(['active', 'maintenance', 'retired']),
});
export type RegistryDeviceRecord = z.infer<typeof RegistryDeviceSchema>;

const PositionSchema = z.tuple([z.number(), z.number()]);
/** An asset record as `GET /api/assets` answers it. */
const RegistryAssetSchema = z.looseObject({
  id: IdSchema,
  version: z.number(),
  type: z.string(),
  name: z.string(),
  nameEn: z.string().optional(),
  scene: SceneIdSchema.optional(),
  district: DistrictCodeSchema,
  geometry: z.discriminatedUnion('type', [
    z.object({ type: z.literal('Point'), coordinates: PositionSchema }),
    z.object({ type: z.literal('LineString'), coordinates: z.array(PositionSchema) }),
    z.object({ type: z.literal('Polygon'), coordinates: z.array(z.array(PositionSchema)) }),
  ]),
  attributes: z.record(z.string(), z.union([z.number(), z.string()])),
  retired: z.boolean(),
});
export type RegistryAssetRecord = z.infer<typeof RegistryAssetSchema>;

const DeviceListSchema = z.object({ devices: z.array(RegistryDeviceSchema) });
const AssetListSchema = z.object({ assets: z.array(RegistryAssetSchema) });
const ImportAnswerSchema = z.looseObject({
  created: z.number(),
  updated: z.number(),
  unchanged: z.number(),
  applied: z.boolean(),
  rejected: z.array(z.looseObject({ row: z.number(), code: z.string(), message: z.string(), column: z.string().optional() })),
  tokens: z.array(z.object({ deviceId: IdSchema, token: z.string() })).optional(),
});
export type ImportAnswer = z.infer<typeof ImportAnswerSchema>;
const TokenAnswerSchema = z.object({ deviceId: IdSchema, token: z.string().min(16) });
const DemoTokensAnswerSchema = z.object({ tokens: z.record(IdSchema, z.string().min(16)) });
const ErrorAnswerSchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

export interface RegistryClientOptions {
  serverUrl: string;
  username: string;
  password: string;
  fetchImpl?: typeof fetch;
  requestTimeoutMs?: number;
}

export class RegistryClient {
  private readonly serverUrl: string;
  private readonly fetchImpl: typeof fetch;
  private session: string | undefined;

  constructor(private readonly opts: RegistryClientOptions) {
    this.serverUrl = opts.serverUrl.replace(/\/+$/, '');
    this.fetchImpl = opts.fetchImpl ?? fetch;
  }

  /** Every device of the registry, retired ones included. */
  async listDevices(): Promise<RegistryDeviceRecord[]> {
    return DeviceListSchema.parse(await this.request('GET', '/api/devices')).devices;
  }

  /** Every asset and emergency resource of the registry, retired ones included. */
  async listAssets(): Promise<RegistryAssetRecord[]> {
    return AssetListSchema.parse(await this.request('GET', '/api/assets')).assets;
  }

  /** Demo HMAC tokens of the seeded demo devices among `ids`, in one call (devices with their own token are left out). */
  async demoTokens(ids: readonly string[]): Promise<Map<string, string>> {
    const answer = DemoTokensAnswerSchema.parse(await this.request('POST', '/api/devices/demo-tokens', JSON.stringify({ ids }), 'application/json'));
    return new Map(Object.entries(answer.tokens));
  }

  /** Rotates a device's token (its previous token fails from now on) and returns the new one. */
  async rotateToken(deviceId: string): Promise<string> {
    return TokenAnswerSchema.parse(await this.request('POST', `/api/devices/${encodeURIComponent(deviceId)}/token`, '{}', 'application/json')).token;
  }

  /** `POST /api/devices/import` with a CSV body; the answer carries each created device's token. */
  async importDevicesCsv(csv: string): Promise<ImportAnswer> {
    return ImportAnswerSchema.parse(await this.request('POST', '/api/devices/import', csv, 'text/csv'));
  }

  /** `POST /api/assets/import` with a GeoJSON FeatureCollection. */
  async importAssetsGeoJson(collection: unknown): Promise<ImportAnswer> {
    return ImportAnswerSchema.parse(await this.request('POST', '/api/assets/import', JSON.stringify(collection), 'application/geo+json'));
  }

  private async login(): Promise<string> {
    const res = await this.send(
      'POST',
      '/api/auth/login',
      JSON.stringify({ username: this.opts.username, password: this.opts.password }),
      'application/json',
    );
    const body = (await res.json().catch(() => undefined)) as Partial<LoginResponse> | undefined;
    if (!res.ok || typeof body?.token !== 'string') throw this.errorOf(res.status, body, `sign-in as ${this.opts.username} failed`);
    if (body.mustChangePassword)
      throw new RegistryClientError('E_PASSWORD_CHANGE_REQUIRED', `the service account ${this.opts.username} must change its password first`);
    if (body.role !== 'admin') throw new RegistryClientError('E_FORBIDDEN', `the service account ${this.opts.username} is not an administrator`);
    return body.token;
  }

  /** One authenticated request; an expired session is renewed once. */
  private async request(method: string, path: string, body?: string, contentType?: string): Promise<unknown> {
    for (let attempt = 0; ; attempt++) {
      this.session ??= await this.login();
      const res = await this.send(method, path, body, contentType, this.session);
      const json = (await res.json().catch(() => undefined)) as unknown;
      if (res.ok) return json;
      if (res.status === 401 && attempt === 0) {
        this.session = undefined;
        continue;
      }
      throw this.errorOf(res.status, json, `${method} ${path}`);
    }
  }

  private send(method: string, path: string, body: string | undefined, contentType: string | undefined, session?: string): Promise<Response> {
    const headers: Record<string, string> = {};
    if (contentType) headers['content-type'] = contentType;
    if (session) headers.authorization = `Bearer ${session}`;
    return this.fetchImpl(`${this.serverUrl}${path}`, {
      method,
      headers,
      body,
      signal: AbortSignal.timeout(this.opts.requestTimeoutMs ?? REGISTRY_REQUEST_TIMEOUT_MS),
    });
  }

  private errorOf(status: number, json: unknown, what: string): RegistryClientError {
    const e = ErrorAnswerSchema.safeParse(json);
    return e.success
      ? new RegistryClientError(e.data.error.code, `${what}: ${e.data.error.message}`, status)
      : new RegistryClientError('E_UNAVAILABLE', `${what}: HTTP ${status}`, status);
  }
}

// --- registry records as the simulator runs them -----------------------------------------------

/** The devices to simulate: active and maintenance ones (a device in maintenance still reports), sorted by id. */
export function liveFleetOf(records: readonly RegistryDeviceRecord[]): Device[] {
  return records
    .filter((r) => r.status !== 'retired')
    .map((r) => {
      const d: Device = { id: r.id, kind: r.kind, scene: r.scene, name: r.name, location: r.location, district: r.district, status: r.status };
      if (r.assetId !== undefined) d.assetId = r.assetId;
      return d;
    })
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** The CSV `POST /api/devices/import` takes for these devices (header row first). */
export function devicesCsv(devices: readonly Device[]): string {
  const rows = devices.map((d) => [d.id, d.kind, d.name, d.location[0], d.location[1], d.district, d.assetId ?? '', d.status ?? 'active']);
  return stringify([['id', 'kind', 'name', 'lng', 'lat', 'district', 'assetId', 'status'], ...rows]);
}

/** The GeoJSON `POST /api/assets/import` takes for the demo's assets and resources. */
export function assetsGeoJson(assets: readonly Asset[], resources: readonly EmergencyResource[]): unknown {
  return {
    type: 'FeatureCollection',
    features: [
      ...assets.map((a) => ({
        type: 'Feature',
        geometry: a.geometry,
        properties: { id: a.id, type: a.kind, name: a.name, nameEn: a.nameEn, scene: a.scene, district: a.district, attributes: { ...a.props } },
      })),
      ...resources.map((r) => ({
        type: 'Feature',
        geometry: { type: 'Point', coordinates: r.location },
        properties: {
          id: r.id,
          type: r.kind,
          name: r.name,
          nameEn: r.nameEn,
          scene: 'emergency',
          district: r.district,
          attributes: { capacity: r.capacity, available: r.available },
        },
      })),
    ],
  };
}
