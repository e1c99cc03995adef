/**
 * API keys for machine clients (issue 16): an admin creates a key (shown once), a GIS platform sends
 * it as `Authorization: ApiKey <key>` (or `?apiKey=<key>` where it cannot set headers, e.g. QGIS —
 * the key then appears in proxy and access logs), and may read /ogc/* and /api/exports/* only.
 *
 * - a key is `ioc_` + 32 random bytes (base64url); only its SHA-256 is stored (server/store/api-key-store.ts);
 * - failed key checks are rate limited per source address with the guard's authentication-failure
 *   budget (the same burst and refill as logins and device tokens, server/config.ts);
 * - `lastUsedTs` is written at most once per `touchIntervalMs` per key and node, not per request;
 * - a key made for some districts reads only them, like a district-scoped officer (`apiKeyScope`);
 *   the scope is fixed at creation.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { DISTRICT_CODES, DistrictCodeSchema } from '../../scenes/domain';
import type { IocError } from '../../scenes/protocol';
import { districtsScope, type DataScope } from '../../scenes/scope';
import { iocError } from '../errors';
import { KeyedBuckets, rateLimited, type GuardLimits } from '../guard';
import type { ApiKeyRecord, ApiKeyStore } from '../store/api-key-store';

/** random bytes of a key (256 bits) */
export const API_KEY_BYTES = 32;
export const API_KEY_PREFIX = 'ioc_';
/** characters of a key shown in the list after it is created (prefix + 4: not enough to guess it) */
const API_KEY_SHOWN_CHARS = API_KEY_PREFIX.length + 4;
/** at most this often per key and node is a use written to the store, ms */
export const API_KEY_TOUCH_INTERVAL_MS = 60_000;
export const API_KEY_NAME_MAX_CHARS = 80;
/** a key is 4 + 43 characters; anything much longer is not one of ours */
const API_KEY_MAX_CHARS = 100;

export const CreateApiKeySchema = z.strictObject({
  name: z.string().trim().min(1).max(API_KEY_NAME_MAX_CHARS),
  /** the districts the key reads (stored sorted, without duplicates); absent = the whole city, empty is refused */
  districts: z.array(DistrictCodeSchema).min(1).max(DISTRICT_CODES.length).optional(),
});
export type CreateApiKeyInput = z.infer<typeof CreateApiKeySchema>;

/** What a request presenting this key may read: its districts, or the whole city. */
export function apiKeyScope(key: Pick<ApiKeyRecord, 'districts'>): DataScope {
  return districtsScope(key.districts);
}

/** What an admin sees of a key: never the hash. */
export type PublicApiKey = Omit<ApiKeyRecord, 'keyHash'>;

export function publicApiKey(r: ApiKeyRecord): PublicApiKey {
  const { keyHash: _hash, ...rest } = r;
  return rest;
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** `firstUseInInterval`: the use was written to the store (at most once per interval): worth an audit record. */
export type ApiKeyCheck = { ok: true; key: ApiKeyRecord; firstUseInInterval: boolean } | { ok: false; error: IocError };

export class ApiKeyService {
  private readonly failures: KeyedBuckets;
  private readonly lastTouch = new Map<string, number>();
  private readonly maxRemembered: number;

  constructor(
    private readonly store: ApiKeyStore,
    limits: Pick<GuardLimits, 'authFailureBurst' | 'authFailureRefillPerS' | 'rateLimitMaxKeys'>,
    private readonly now: () => number = Date.now,
    private readonly touchIntervalMs: number = API_KEY_TOUCH_INTERVAL_MS,
  ) {
    this.maxRemembered = limits.rateLimitMaxKeys;
    this.failures = new KeyedBuckets({ ratePerS: limits.authFailureRefillPerS, burst: limits.authFailureBurst }, limits.rateLimitMaxKeys, now);
  }

  /** A new key: the record is stored, the key itself is returned once and kept nowhere. */
  async create(input: CreateApiKeyInput, createdBy: string): Promise<{ key: string; record: ApiKeyRecord }> {
    const key = `${API_KEY_PREFIX}${randomBytes(API_KEY_BYTES).toString('base64url')}`;
    const scope = districtsScope(input.districts);
    const record: ApiKeyRecord = {
      id: `ak-${randomUUID()}`,
      name: input.name,
      keyHash: hashApiKey(key),
      keyPrefix: key.slice(0, API_KEY_SHOWN_CHARS),
      scope: 'read',
      ...(scope.kind === 'districts' ? { districts: scope.districts } : {}),
      createdBy,
      createdTs: this.now(),
    };
    if (!(await this.store.createApiKey(record))) throw new Error('api key collision (id or hash exists)');
    return { key, record };
  }

  list(): Promise<ApiKeyRecord[]> {
    return this.store.listApiKeys();
  }

  revoke(id: string, by: string) {
    return this.store.revokeApiKey(id, by, this.now());
  }

  /**
   * Checks a presented key from `source`: E_RATE_LIMIT while the source failed too often lately,
   * E_UNAUTHORIZED for an unknown or revoked key (and the failure counts against the source).
   */
  async check(presented: string, source: string): Promise<ApiKeyCheck> {
    if (this.failures.exhausted(source))
      return {
        ok: false,
        error: rateLimited('too many failed API key checks from this address; wait and check the key', this.failures.retryAfterMs(source)),
      };
    const found = presented.length > 0 && presented.length <= API_KEY_MAX_CHARS ? await this.store.findApiKeyByHash(hashApiKey(presented)) : null;
    if (!found || found.revokedTs !== undefined) {
      this.failures.take(source);
      return { ok: false, error: iocError('E_UNAUTHORIZED', found ? 'this API key was revoked' : 'unknown API key') };
    }
    const nowTs = this.now();
    const firstUseInInterval = nowTs - (this.lastTouch.get(found.id) ?? -Infinity) >= this.touchIntervalMs;
    if (firstUseInInterval) {
      // bounded like the failure buckets: forget the oldest when there are too many keys to remember
      if (this.lastTouch.size >= this.maxRemembered) this.lastTouch.delete(this.lastTouch.keys().next().value!);
      this.lastTouch.set(found.id, nowTs);
      await this.store.touchApiKey(found.id, nowTs);
    }
    return { ok: true, key: found, firstUseInInterval };
  }
}

/**
 * The key a request presents, from `Authorization: ApiKey <key>` or the `apiKey` query parameter;
 * null when it presents none (then it may be a person's session). Two different keys are refused.
 */
export function presentedApiKey(authorization: string | undefined, query: unknown): string | null | { conflict: true } {
  const header = authorization?.startsWith('ApiKey ') ? authorization.slice('ApiKey '.length).trim() : null;
  const raw = (query as Record<string, unknown> | undefined)?.apiKey;
  const fromQuery = typeof raw === 'string' ? raw : Array.isArray(raw) ? { conflict: true as const } : null;
  if (fromQuery !== null && typeof fromQuery === 'object') return fromQuery;
  if (header !== null && fromQuery !== null && header !== fromQuery) return { conflict: true };
  return header ?? fromQuery;
}
