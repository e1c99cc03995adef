/**
 * API keys in Redis (the ApiKeyStore of api-key-store.ts), on the store's client and prefix.
 *
 * Keys, all under `${prefix}:` (bounded by the number of keys admins create):
 * - `apikeys`          hash id → JSON ApiKeyRecord (without lastUsedTs)
 * - `apikeys:by-hash`  hash SHA-256 of a key → id
 * - `apikeys:used`     hash id → epoch ms of the newest use (apart, so it never overwrites a revocation)
 *
 * Create is one script (refuse an existing id or hash, write both); revoke is one script
 * (compare-and-set on the stored record), so two nodes revoking at once both answer truthfully.
 * Only commands the app's ACL user already has are used (server/backup/redis-acl.ts: EVAL/EVALSHA
 * running HGET HSET, and HGET HGETALL HMGET directly).
 */
import type { Redis } from 'ioredis';
import { defineScripts, RedisSideStore } from './redis-side-store';
import type { ApiKeyRecord, ApiKeyRevokeOutcome, ApiKeyStore } from './api-key-store';

/** KEYS: records, by-hash; ARGV: id, hash, json */
const LUA_CREATE_API_KEY = `
if redis.call('HGET', KEYS[1], ARGV[1]) or redis.call('HGET', KEYS[2], ARGV[2]) then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('HSET', KEYS[2], ARGV[2], ARGV[1])
return 1
`;

/**
 * KEYS: records; ARGV: id, revokedTs, revokedBy → {status, json}. The decode/encode round trip
 * keeps `districts` a JSON array because it is never empty (cjson writes an empty table as `{}`).
 */
const LUA_REVOKE_API_KEY = `
local current = redis.call('HGET', KEYS[1], ARGV[1])
if not current then return {'not_found'} end
local record = cjson.decode(current)
if record['revokedTs'] then return {'already_revoked', current} end
record['revokedTs'] = tonumber(ARGV[2])
record['revokedBy'] = ARGV[3]
local json = cjson.encode(record)
redis.call('HSET', KEYS[1], ARGV[1], json)
return {'revoked', json}
`;

/** KEYS: used; ARGV: id, ts — keeps the later time */
const LUA_TOUCH_API_KEY = `
local prev = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if tonumber(ARGV[2]) > prev then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end
return 1
`;

interface ApiKeyScripts {
  iocCreateApiKey(...args: string[]): Promise<number>;
  iocRevokeApiKey(...args: string[]): Promise<[string, string?]>;
  iocTouchApiKey(...args: string[]): Promise<number>;
}

export class RedisApiKeyStore implements ApiKeyStore {
  private readonly side: RedisSideStore;
  private readonly scripts: ApiKeyScripts;

  constructor(
    private readonly client: Redis,
    private readonly prefix: string,
  ) {
    this.side = new RedisSideStore(client, 'redis api key store');
    this.scripts = defineScripts<ApiKeyScripts>(client, {
      iocCreateApiKey: { numberOfKeys: 2, lua: LUA_CREATE_API_KEY },
      iocRevokeApiKey: { numberOfKeys: 1, lua: LUA_REVOKE_API_KEY },
      iocTouchApiKey: { numberOfKeys: 1, lua: LUA_TOUCH_API_KEY },
    });
  }

  private key(suffix: string): string {
    return `${this.prefix}:${suffix}`;
  }

  createApiKey(record: ApiKeyRecord): Promise<boolean> {
    const { lastUsedTs: _ignored, ...stored } = record;
    return this.side.call('createApiKey', async () => {
      const r = await this.scripts.iocCreateApiKey(
        this.key('apikeys'),
        this.key('apikeys:by-hash'),
        record.id,
        record.keyHash,
        JSON.stringify(stored),
      );
      return r === 1;
    });
  }

  listApiKeys(): Promise<ApiKeyRecord[]> {
    return this.side.call('listApiKeys', async () => {
      const [all, used] = await Promise.all([this.client.hgetall(this.key('apikeys')), this.client.hgetall(this.key('apikeys:used'))]);
      return Object.entries(all)
        .map(([id, json]) => withUse(JSON.parse(json) as ApiKeyRecord, used[id]))
        .sort((a, b) => b.createdTs - a.createdTs || (a.id < b.id ? -1 : 1));
    });
  }

  getApiKey(id: string): Promise<ApiKeyRecord | null> {
    return this.side.call('getApiKey', () => this.read(id));
  }

  findApiKeyByHash(keyHash: string): Promise<ApiKeyRecord | null> {
    return this.side.call('findApiKeyByHash', async () => {
      const id = await this.client.hget(this.key('apikeys:by-hash'), keyHash);
      return id === null ? null : this.read(id);
    });
  }

  revokeApiKey(id: string, by: string, ts: number): Promise<ApiKeyRevokeOutcome> {
    return this.side.call('revokeApiKey', async () => {
      const [status, json] = await this.scripts.iocRevokeApiKey(this.key('apikeys'), id, String(ts), by);
      if (status === 'not_found') return { status };
      if (status !== 'revoked' && status !== 'already_revoked') throw new Error(`revokeApiKey: unexpected script reply '${status}'`);
      const used = await this.client.hget(this.key('apikeys:used'), id);
      return { status, record: withUse(JSON.parse(json ?? 'null') as ApiKeyRecord, used ?? undefined) };
    });
  }

  touchApiKey(id: string, ts: number): Promise<void> {
    return this.side.call('touchApiKey', async () => {
      await this.scripts.iocTouchApiKey(this.key('apikeys:used'), id, String(ts));
    });
  }

  private async read(id: string): Promise<ApiKeyRecord | null> {
    const [json, used] = await Promise.all([this.client.hget(this.key('apikeys'), id), this.client.hget(this.key('apikeys:used'), id)]);
    return json === null ? null : withUse(JSON.parse(json) as ApiKeyRecord, used ?? undefined);
  }
}

function withUse(record: ApiKeyRecord, used: string | undefined): ApiKeyRecord {
  const ts = used === undefined ? NaN : Number(used);
  return Number.isFinite(ts) && ts > 0 ? { ...record, lastUsedTs: ts } : record;
}
