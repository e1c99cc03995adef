/**
 * The device and asset registry and the rules/thresholds over REST (issue 11). This module is the
 * only caller of `/api/devices`, `/api/assets` and `/api/rules` in the client: pages call these
 * functions and show `error.message` when a call fails.
 *
 * Every call returns a value: `{ ok: true, ... }` or `{ ok: false, error, network }` where
 * `network` = the request never got an HTTP answer (offline, server down). The server's codes
 * are kept as they are (`E_CONFLICT` on a stale version, `E_VALIDATION` with the field named).
 *
 * Wire types are the server's (server/registry/registry-schemas.ts, type-only import: nothing of
 * the server is bundled) and the shared rule types (scenes/rule-overrides.ts).
 */
import type { IocError } from '@scenes/protocol';
import type { RuleChange, RuleListing, RuleOverride, RulePatch, RuleTargetType } from '@scenes/rule-overrides';
import type {
  ImportRejection,
  ImportReport,
  MaintenanceRecord,
  RegistryAsset,
  RegistryDevice,
  RegistryDeviceStatus,
} from '../../../server/registry/registry-schemas';
import { call, jsonInit as json, type ApiResult } from './rest';

export type { ApiResult, ImportRejection, ImportReport, MaintenanceRecord, RegistryAsset, RegistryDevice, RegistryDeviceStatus };
export type { RuleChange, RuleListing, RuleOverride, RulePatch, RuleTargetType };

/** Device statuses in the order the admin UI offers them (the server's DEVICE_STATUSES). */
export const REGISTRY_DEVICE_STATUSES = ['active', 'maintenance', 'retired'] as const satisfies readonly RegistryDeviceStatus[];
/** 维修 repair, 更换 replacement, 校准 calibration (the server's MAINTENANCE_KINDS). */
export const MAINTENANCE_RECORD_KINDS = ['维修', '更换', '校准'] as const satisfies readonly MaintenanceRecord['kind'][];
/** Largest import file the server takes (`maxImportBytes`), checked first in the browser. */
export const MAX_IMPORT_BYTES = 20 * 1024 * 1024;

/** A device as created: every field the create form sets. */
export interface NewDevice {
  id: string;
  kind: RegistryDevice['kind'];
  name: string;
  /** WGS84 [lng, lat] */
  location: [number, number];
  district?: RegistryDevice['district'];
  assetId?: string;
  /** YYYY-MM-DD */
  installDate?: string;
  vendor?: string;
  model?: string;
  status?: RegistryDeviceStatus;
  maintenance?: MaintenanceRecord[];
}

/** PATCH body: the version the editor read and the fields to change (`null` clears an optional one). */
export type DevicePatch = { version: number } & Partial<{
  kind: RegistryDevice['kind'];
  name: string;
  location: [number, number];
  district: RegistryDevice['district'];
  assetId: string | null;
  installDate: string | null;
  vendor: string | null;
  model: string | null;
  status: RegistryDeviceStatus;
  maintenance: MaintenanceRecord[];
}>;

/** One entry of a device's or asset's change history. */
export interface RegistryChange {
  action: string;
  actor: string;
  /** epoch ms */
  ts?: number;
  before?: Record<string, unknown>;
  after?: Record<string, unknown>;
}

export type ExportFormat = 'csv' | 'geojson';

const enc = encodeURIComponent;

// --- devices -----------------------------------------------------------------------------------

export function fetchRegistryDevices(token: string): Promise<ApiResult<{ devices: RegistryDevice[] }>> {
  return call(token, '/api/devices');
}

export function fetchRegistryDevice(token: string, id: string): Promise<ApiResult<{ device: RegistryDevice }>> {
  return call(token, `/api/devices/${enc(id)}`);
}

export function fetchDeviceHistory(token: string, id: string): Promise<ApiResult<{ deviceId: string; history: RegistryChange[] }>> {
  return call(token, `/api/devices/${enc(id)}/history`);
}

/** Create a device; the answer carries its token, shown once (the server keeps only a hash). */
export function createRegistryDevice(token: string, device: NewDevice): Promise<ApiResult<{ device: RegistryDevice; token: string }>> {
  return call(token, '/api/devices', json(device));
}

export function patchRegistryDevice(token: string, id: string, patch: DevicePatch): Promise<ApiResult<{ device: RegistryDevice }>> {
  return call(token, `/api/devices/${enc(id)}`, json(patch, 'PATCH'));
}

/** Retire (the record and its history stay; its token fails at once). */
export function retireRegistryDevice(token: string, id: string, version?: number): Promise<ApiResult<{ device: RegistryDevice }>> {
  const q = version === undefined ? '' : `?version=${version}`;
  return call(token, `/api/devices/${enc(id)}${q}`, { method: 'DELETE' });
}

/** Rotate the device's credential: the old token fails at once; the new one is shown once. */
export function rotateDeviceToken(
  token: string,
  id: string,
  version?: number,
): Promise<ApiResult<{ deviceId: string; token: string; device: RegistryDevice }>> {
  return call(token, `/api/devices/${enc(id)}/token`, json(version === undefined ? {} : { version }));
}

/** The content type the server reads an import file as (by file name, then by the browser's guess). */
export function importContentType(file: { name: string; type: string }): 'text/csv' | 'application/geo+json' {
  const name = file.name.toLowerCase();
  if (name.endsWith('.geojson') || name.endsWith('.json') || file.type.includes('json')) return 'application/geo+json';
  return 'text/csv';
}

export interface ImportOptions {
  /** validate and count only: nothing is written */
  dryRun: boolean;
  /** write the good rows even when some are rejected */
  partial?: boolean;
}

function importRegistry(
  token: string,
  collection: 'devices' | 'assets',
  file: Blob & { name: string },
  opts: ImportOptions,
): Promise<ApiResult<ImportReport>> {
  const q = new URLSearchParams();
  if (opts.dryRun) q.set('dryRun', '1');
  if (opts.partial) q.set('partial', '1');
  const query = q.toString();
  return call(token, `/api/${collection}/import${query ? `?${query}` : ''}`, {
    method: 'POST',
    headers: { 'content-type': importContentType(file) },
    body: file,
  });
}

/** `POST /api/devices/import` (CSV with a header row, or GeoJSON); a dry run first, then the real import. */
export function importRegistryDevices(token: string, file: Blob & { name: string }, opts: ImportOptions): Promise<ApiResult<ImportReport>> {
  return importRegistry(token, 'devices', file, opts);
}

export function importRegistryAssets(token: string, file: Blob & { name: string }, opts: ImportOptions): Promise<ApiResult<ImportReport>> {
  return importRegistry(token, 'assets', file, opts);
}

/** The export file as a Blob (it needs the session token, so a plain link cannot fetch it). */
export async function exportRegistry(
  token: string,
  collection: 'devices' | 'assets',
  format: ExportFormat,
): Promise<{ ok: true; blob: Blob; fileName: string } | { ok: false; error: IocError; network: boolean }> {
  let res: Response;
  try {
    res = await fetch(`/api/${collection}/export?format=${format}`, { headers: { authorization: `Bearer ${token}` } });
  } catch (e) {
    return { ok: false, network: true, error: { code: 'E_INTERNAL', message: e instanceof Error ? e.message : String(e) } };
  }
  if (!res.ok) {
    const body = (await res.json().catch(() => null)) as { error?: IocError } | null;
    return { ok: false, network: false, error: body?.error ?? { code: 'E_INTERNAL', message: `HTTP ${res.status}` } };
  }
  return { ok: true, blob: await res.blob(), fileName: `${collection}.${format}` };
}

// --- assets ------------------------------------------------------------------------------------

export function fetchRegistryAssets(token: string): Promise<ApiResult<{ assets: RegistryAsset[] }>> {
  return call(token, '/api/assets');
}

export type NewAsset = Pick<RegistryAsset, 'id' | 'type' | 'name' | 'geometry'> &
  Partial<Pick<RegistryAsset, 'nameEn' | 'scene' | 'district' | 'attributes'>>;

export function createRegistryAsset(token: string, asset: NewAsset): Promise<ApiResult<{ asset: RegistryAsset }>> {
  return call(token, '/api/assets', json(asset));
}

export type AssetPatch = { version: number } & Partial<{
  name: string;
  nameEn: string | null;
  district: RegistryAsset['district'];
  geometry: RegistryAsset['geometry'];
  attributes: RegistryAsset['attributes'];
}>;

export function patchRegistryAsset(token: string, id: string, patch: AssetPatch): Promise<ApiResult<{ asset: RegistryAsset }>> {
  return call(token, `/api/assets/${enc(id)}`, json(patch, 'PATCH'));
}

export function retireRegistryAsset(token: string, id: string, version?: number): Promise<ApiResult<{ asset: RegistryAsset }>> {
  const q = version === undefined ? '' : `?version=${version}`;
  return call(token, `/api/assets/${enc(id)}${q}`, { method: 'DELETE' });
}

// --- rules and thresholds ----------------------------------------------------------------------

/** Every rule's effective default (catalogue + admin edit) with its live overrides. */
export function fetchRules(token: string): Promise<ApiResult<{ rules: RuleListing[] }>> {
  return call(token, '/api/rules');
}

export function fetchRuleHistory(token: string, ruleId: string): Promise<ApiResult<{ ruleId: string; changes: RuleChange[] }>> {
  return call(token, `/api/rules/${enc(ruleId)}/history`);
}

/**
 * Replace the default's patch. `expectedVersion` is the version the editor saw: a stale one
 * answers E_CONFLICT ("changed meanwhile, reload"), never a lost update.
 */
export function putRuleDefault(token: string, ruleId: string, patch: RulePatch, expectedVersion: number): Promise<ApiResult<{ record: unknown }>> {
  return call(token, `/api/rules/${enc(ruleId)}`, json({ patch, expectedVersion }, 'PUT'));
}

/** Create or replace an override (expectedVersion 0 = creating; compare-and-set as above). */
export function putRuleOverride(
  token: string,
  ruleId: string,
  target: { type: RuleTargetType; id: string },
  patch: RulePatch,
  expectedVersion: number,
): Promise<ApiResult<{ override: RuleOverride }>> {
  return call(token, `/api/rules/${enc(ruleId)}/overrides/${target.type}/${enc(target.id)}`, json({ patch, expectedVersion }, 'PUT'));
}

export function deleteRuleOverride(
  token: string,
  ruleId: string,
  target: { type: RuleTargetType; id: string },
  expectedVersion: number,
): Promise<ApiResult<{ override: RuleOverride }>> {
  return call(token, `/api/rules/${enc(ruleId)}/overrides/${target.type}/${enc(target.id)}?expectedVersion=${expectedVersion}`, {
    method: 'DELETE',
  });
}
