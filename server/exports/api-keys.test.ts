import { describe, expect, it } from 'vitest';
import { MemoryApiKeyStore } from '../store/api-key-store';
import { apiKeyScope, ApiKeyService, CreateApiKeySchema, hashApiKey, presentedApiKey, publicApiKey } from './api-keys';

const LIMITS = { authFailureBurst: 3, authFailureRefillPerS: 0.001, rateLimitMaxKeys: 100 };

function service(clock = { now: 1_000_000 }, touchIntervalMs = 60_000) {
  const store = new MemoryApiKeyStore();
  return { store, clock, keys: new ApiKeyService(store, LIMITS, () => clock.now, touchIntervalMs) };
}

describe('ApiKeyService', () => {
  it('stores only the hash of a new read-only key and accepts the key', async () => {
    const { keys, store } = service();
    const { key, record } = await keys.create({ name: 'GIS' }, 'admin');
    expect(key).toMatch(/^ioc_[A-Za-z0-9_-]{43}$/);
    expect(record).toMatchObject({ name: 'GIS', scope: 'read', createdBy: 'admin', keyHash: hashApiKey(key) });
    expect(JSON.stringify(await store.listApiKeys())).not.toContain(key);
    expect(publicApiKey(record)).not.toHaveProperty('keyHash');
    const r = await keys.check(key, '10.0.0.1');
    expect(r.ok && r.key.id).toBe(record.id);
  });

  it("stores a district key's districts sorted and once, and scopes the key to them", async () => {
    const { keys } = service();
    const { key, record } = await keys.create({ name: 'GIS 市南', districts: ['370212', '370202', '370212'] }, 'admin');
    expect(record.districts).toEqual(['370202', '370212']);
    const r = await keys.check(key, 's');
    expect(r.ok && apiKeyScope(r.key)).toEqual({ kind: 'districts', districts: ['370202', '370212'] });
    expect(apiKeyScope((await keys.create({ name: 'city' }, 'admin')).record)).toEqual({ kind: 'all' });
  });

  it('validates districts at creation: known codes, not empty when given', () => {
    expect(CreateApiKeySchema.safeParse({ name: 'x', districts: ['370202'] }).success).toBe(true);
    expect(CreateApiKeySchema.safeParse({ name: 'x' }).success).toBe(true);
    expect(CreateApiKeySchema.safeParse({ name: 'x', districts: [] }).success).toBe(false);
    expect(CreateApiKeySchema.safeParse({ name: 'x', districts: ['110101'] }).success).toBe(false);
    expect(CreateApiKeySchema.safeParse({ name: 'x', districts: '370202' }).success).toBe(false);
  });

  it('refuses an unknown or revoked key with E_UNAUTHORIZED', async () => {
    const { keys } = service();
    const { key, record } = await keys.create({ name: 'GIS' }, 'admin');
    expect(await keys.check('ioc_nope', 's')).toMatchObject({ ok: false, error: { code: 'E_UNAUTHORIZED' } });
    await keys.revoke(record.id, 'admin');
    expect(await keys.check(key, 's')).toMatchObject({ ok: false, error: { code: 'E_UNAUTHORIZED' } });
  });

  it('rate limits a source after its burst of failed checks, even for a valid key', async () => {
    const { keys } = service();
    const { key } = await keys.create({ name: 'GIS' }, 'admin');
    for (let i = 0; i < LIMITS.authFailureBurst; i++) await keys.check(`ioc_guess${i}`, 'attacker');
    expect(await keys.check(key, 'attacker')).toMatchObject({ ok: false, error: { code: 'E_RATE_LIMIT' } });
    expect((await keys.check(key, 'someone-else')).ok).toBe(true);
  });

  it('writes a use at most once per interval per key', async () => {
    const { keys, store, clock } = service();
    const { key, record } = await keys.create({ name: 'GIS' }, 'admin');
    const first = await keys.check(key, 's');
    clock.now += 1_000;
    const second = await keys.check(key, 's');
    expect([first.ok && first.firstUseInInterval, second.ok && second.firstUseInInterval]).toEqual([true, false]);
    expect((await store.getApiKey(record.id))?.lastUsedTs).toBe(1_000_000);
    clock.now += 60_000;
    expect((await keys.check(key, 's')).ok).toBe(true);
    expect((await store.getApiKey(record.id))?.lastUsedTs).toBe(1_061_000);
  });
});

describe('presentedApiKey', () => {
  it('reads the Authorization header or the apiKey parameter, and none from a Bearer session', () => {
    expect(presentedApiKey('ApiKey abc', {})).toBe('abc');
    expect(presentedApiKey(undefined, { apiKey: 'abc' })).toBe('abc');
    expect(presentedApiKey('Bearer t', {})).toBeNull();
  });
  it('refuses two different keys or a repeated parameter', () => {
    expect(presentedApiKey('ApiKey a', { apiKey: 'b' })).toEqual({ conflict: true });
    expect(presentedApiKey(undefined, { apiKey: ['a', 'b'] })).toEqual({ conflict: true });
  });
});
