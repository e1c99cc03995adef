/**
 * API keys of machine clients (GIS platforms reading /ogc and /api/exports, issue 16) in the store,
 * beside the main Store like the plan instances: the same connection (Redis) or the same lifetime
 * (memory), two implementations with one contract (server/test/exports-api-key-store.test.ts).
 *
 * Invariants both keep:
 * - only the SHA-256 of a key is stored, never the key (it is shown once, at creation);
 * - a hash names at most one key; a revoked key stays listed (who made it, when it was revoked)
 *   and is never found as valid again;
 * - `lastUsedTs` is kept apart from the record, so a late "used" write can never undo a revocation;
 * - `districts` is written once, at creation, and never changed (a different scope is a new key).
 */
import type { DistrictCode } from '../../scenes/domain';
import type { Store } from './store';
import type { RedisStore } from './redis-store';
import { RedisApiKeyStore } from './redis-api-keys';

export const API_KEY_SCOPES = ['read'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

export interface ApiKeyRecord {
  id: string;
  name: string;
  /** hex SHA-256 of the key */
  keyHash: string;
  /** the key's first characters, to tell keys apart in a list (not enough to use it) */
  keyPrefix: string;
  scope: ApiKeyScope;
  /**
   * The districts it reads (sorted, without duplicates, never empty); absent = the whole city
   * (so are records stored before keys had a scope).
   */
  districts?: readonly DistrictCode[];
  /** username of the admin who created it */
  createdBy: string;
  /** epoch ms */
  createdTs: number;
  /** epoch ms of the newest use, coarse (see ApiKeyService) */
  lastUsedTs?: number;
  /** epoch ms; absent = valid */
  revokedTs?: number;
  revokedBy?: string;
}

export type ApiKeyRevokeOutcome =
  { status: 'revoked'; record: ApiKeyRecord } | { status: 'already_revoked'; record: ApiKeyRecord } | { status: 'not_found' };

export interface ApiKeyStore {
  /** Stores a new key; false (nothing written) when its id or hash exists already. */
  createApiKey(record: ApiKeyRecord): Promise<boolean>;
  /** Every key, revoked ones too, newest first. */
  listApiKeys(): Promise<ApiKeyRecord[]>;
  getApiKey(id: string): Promise<ApiKeyRecord | null>;
  /** The key with this hash (revoked or not), or null. */
  findApiKeyByHash(keyHash: string): Promise<ApiKeyRecord | null>;
  revokeApiKey(id: string, by: string, ts: number): Promise<ApiKeyRevokeOutcome>;
  /** Notes a use (keeps the later of the stored and given times). */
  touchApiKey(id: string, ts: number): Promise<void>;
}

export class MemoryApiKeyStore implements ApiKeyStore {
  private readonly records = new Map<string, ApiKeyRecord>();
  private readonly byHash = new Map<string, string>();
  private readonly used = new Map<string, number>();

  async createApiKey(record: ApiKeyRecord): Promise<boolean> {
    if (this.records.has(record.id) || this.byHash.has(record.keyHash)) return false;
    const { lastUsedTs: _ignored, ...stored } = record;
    this.records.set(record.id, structuredClone(stored));
    this.byHash.set(record.keyHash, record.id);
    return true;
  }

  async listApiKeys(): Promise<ApiKeyRecord[]> {
    return [...this.records.keys()].map((id) => this.read(id)!).sort((a, b) => b.createdTs - a.createdTs || (a.id < b.id ? -1 : 1));
  }

  async getApiKey(id: string): Promise<ApiKeyRecord | null> {
    return this.read(id);
  }

  async findApiKeyByHash(keyHash: string): Promise<ApiKeyRecord | null> {
    const id = this.byHash.get(keyHash);
    return id === undefined ? null : this.read(id);
  }

  async revokeApiKey(id: string, by: string, ts: number): Promise<ApiKeyRevokeOutcome> {
    const current = this.records.get(id);
    if (!current) return { status: 'not_found' };
    if (current.revokedTs !== undefined) return { status: 'already_revoked', record: this.read(id)! };
    this.records.set(id, { ...current, revokedTs: ts, revokedBy: by });
    return { status: 'revoked', record: this.read(id)! };
  }

  async touchApiKey(id: string, ts: number): Promise<void> {
    if (!this.records.has(id)) return;
    this.used.set(id, Math.max(ts, this.used.get(id) ?? 0));
  }

  private read(id: string): ApiKeyRecord | null {
    const r = this.records.get(id);
    if (!r) return null;
    const used = this.used.get(id);
    return structuredClone(used === undefined ? r : { ...r, lastUsedTs: used });
  }
}

/** One memory key store per MemoryStore: a test that restarts a server on the same store keeps its keys. */
const memoryApiKeyStores = new WeakMap<Store, MemoryApiKeyStore>();

/** The API key store beside `store`: Redis keys under its prefix, or memory living as long as it does. */
export function apiKeyStoreFor(store: Store): ApiKeyStore {
  if (store.kind === 'redis') {
    const redis = store as RedisStore;
    return new RedisApiKeyStore(redis.redisClient, redis.keyPrefix);
  }
  let memory = memoryApiKeyStores.get(store);
  if (!memory) {
    memory = new MemoryApiKeyStore();
    memoryApiKeyStores.set(store, memory);
  }
  return memory;
}
