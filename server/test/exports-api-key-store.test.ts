/**
 * API key store contract (server/store/api-key-store.ts): the same requirements against the memory
 * store and the Redis one (a throwaway redis-server from tests/helpers, also through the app's ACL user).
 */
import { describe, expect, it } from 'vitest';
import { storeImplementations } from '../../tests/helpers/store-contract';
import { apiKeyStoreFor, type ApiKeyRecord } from '../store/api-key-store';

const implementations = await storeImplementations('keys');

const T0 = Date.UTC(2026, 0, 1);

function key(id: string, createdTs = T0): ApiKeyRecord {
  return { id, name: `GIS ${id}`, keyHash: `hash-${id}`, keyPrefix: 'ioc_abcd', scope: 'read', createdBy: 'admin', createdTs };
}

describe.each(implementations)('$name API key store', ({ available, make }) => {
  describe.skipIf(!available)('contract', () => {
    it('stores a key once and finds it by hash, never by another hash', async () => {
      const keys = apiKeyStoreFor(make());
      expect(await keys.createApiKey(key('k1'))).toBe(true);
      expect(await keys.createApiKey({ ...key('k1'), keyHash: 'other' })).toBe(false);
      expect(await keys.createApiKey({ ...key('k2'), keyHash: 'hash-k1' })).toBe(false);
      expect(await keys.findApiKeyByHash('hash-k1')).toEqual(key('k1'));
      expect(await keys.findApiKeyByHash('hash-nope')).toBeNull();
      expect(await keys.getApiKey('k2')).toBeNull();
    });

    it("keeps a district key's districts through listing and revocation, and a whole-city key without any", async () => {
      const keys = apiKeyStoreFor(make());
      const scoped: ApiKeyRecord = { ...key('d1'), districts: ['370202', '370212'] };
      await keys.createApiKey(scoped);
      await keys.createApiKey(key('city', T0 - 1));
      expect(await keys.findApiKeyByHash('hash-d1')).toEqual(scoped);
      expect((await keys.listApiKeys()).map((k) => [k.id, k.districts ?? null])).toEqual([
        ['d1', ['370202', '370212']],
        ['city', null],
      ]);
      const revoked = await keys.revokeApiKey('d1', 'admin', T0 + 5);
      expect(revoked.status === 'revoked' && revoked.record.districts).toEqual(['370202', '370212']);
      expect((await keys.getApiKey('d1'))?.districts).toEqual(['370202', '370212']);
      expect(await keys.getApiKey('city')).not.toHaveProperty('districts');
    });

    it('lists keys newest first, revoked ones too', async () => {
      const keys = apiKeyStoreFor(make());
      await keys.createApiKey(key('old', T0));
      await keys.createApiKey(key('new', T0 + 1000));
      await keys.revokeApiKey('old', 'admin', T0 + 2000);
      expect((await keys.listApiKeys()).map((k) => [k.id, k.revokedTs ?? null])).toEqual([
        ['new', null],
        ['old', T0 + 2000],
      ]);
    });

    it('revokes once: a second revocation says so, an unknown id is not found', async () => {
      const keys = apiKeyStoreFor(make());
      await keys.createApiKey(key('k1'));
      const first = await keys.revokeApiKey('k1', 'admin', T0 + 5);
      expect(first).toEqual({ status: 'revoked', record: { ...key('k1'), revokedTs: T0 + 5, revokedBy: 'admin' } });
      expect((await keys.revokeApiKey('k1', 'admin2', T0 + 9)).status).toBe('already_revoked');
      expect((await keys.findApiKeyByHash('hash-k1'))?.revokedBy).toBe('admin');
      expect(await keys.revokeApiKey('nope', 'admin', T0)).toEqual({ status: 'not_found' });
    });

    it('keeps the latest use and never lets a use undo a revocation', async () => {
      const keys = apiKeyStoreFor(make());
      await keys.createApiKey(key('k1'));
      await keys.touchApiKey('k1', T0 + 100);
      await keys.revokeApiKey('k1', 'admin', T0 + 150);
      await keys.touchApiKey('k1', T0 + 50);
      await keys.touchApiKey('k1', T0 + 200);
      const r = await keys.getApiKey('k1');
      expect(r).toMatchObject({ lastUsedTs: T0 + 200, revokedTs: T0 + 150 });
    });

    it('lets exactly one of two concurrent revocations win', async () => {
      const keys = apiKeyStoreFor(make());
      await keys.createApiKey(key('k1'));
      const outcomes = await Promise.all([keys.revokeApiKey('k1', 'a', T0 + 1), keys.revokeApiKey('k1', 'b', T0 + 2)]);
      expect(outcomes.map((o) => o.status).sort()).toEqual(['already_revoked', 'revoked']);
    });
  });
});
