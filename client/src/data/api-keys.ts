/**
 * API keys of machine clients (issue 16), admin only: `/api/admin/api-keys`. The key itself is
 * answered once, at creation; the list never carries it (nor its hash).
 */
import type { DistrictCode } from '@scenes/domain';
import { call, jsonInit, type ApiResult } from './rest';

export interface ApiKey {
  id: string;
  name: string;
  /** the key's first characters, to tell keys apart */
  keyPrefix: string;
  scope: 'read';
  /** the districts it reads (fixed at creation); absent = the whole city */
  districts?: DistrictCode[];
  createdBy: string;
  /** epoch ms */
  createdTs: number;
  /** epoch ms of the newest use (coarse: at most once a minute) */
  lastUsedTs?: number;
  /** epoch ms; absent = valid */
  revokedTs?: number;
  revokedBy?: string;
}

export function listApiKeys(token: string): Promise<ApiResult<{ keys: ApiKey[] }>> {
  return call(token, '/api/admin/api-keys');
}

/** `districts` omitted = a whole-city key; the server refuses an empty list. */
export function createApiKey(
  token: string,
  input: { name: string; districts?: DistrictCode[] },
): Promise<ApiResult<{ key: string; apiKey: ApiKey }>> {
  return call(token, '/api/admin/api-keys', jsonInit(input));
}

export function revokeApiKey(token: string, id: string): Promise<ApiResult<{ apiKey: ApiKey; alreadyRevoked: boolean }>> {
  return call(token, `/api/admin/api-keys/${encodeURIComponent(id)}`, { method: 'DELETE' });
}

/** The OGC API – Features address a GIS user adds (QGIS: Layer → Add WFS / OGC API – Features layer). */
export function ogcUrl(origin: string): string {
  return `${origin}/ogc`;
}
