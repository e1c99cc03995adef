import { describe, expect, it } from 'vitest';
import { narrowScopeToDistrict } from './drill-scope';
import { scopeOf, WHOLE_CITY } from './scope';

describe('narrowScopeToDistrict', () => {
  it('keeps the viewer’s own scope when no district is asked for (the city view)', () => {
    expect(narrowScopeToDistrict(WHOLE_CITY, undefined)).toEqual({ ok: true, scope: WHOLE_CITY });
    const scoped = scopeOf({ role: 'officer', username: 'o', districts: ['370203', '370202'] });
    expect(narrowScopeToDistrict(scoped, undefined)).toEqual({ ok: true, scope: scoped });
  });

  it('narrows the whole city to the one district asked for', () => {
    expect(narrowScopeToDistrict(WHOLE_CITY, '370203')).toEqual({ ok: true, scope: { kind: 'districts', districts: ['370203'] } });
  });

  it('lets a district-scoped officer drill into one of their districts only', () => {
    const scoped = scopeOf({ role: 'officer', username: 'o', districts: ['370203', '370202'] });
    expect(narrowScopeToDistrict(scoped, '370202')).toEqual({ ok: true, scope: { kind: 'districts', districts: ['370202'] } });
    expect(narrowScopeToDistrict(scoped, '370212')).toEqual({ ok: false, reason: 'out_of_scope' });
  });

  it('refuses a field handler any district', () => {
    expect(narrowScopeToDistrict(scopeOf({ role: 'handler', username: 'h' }), '370203')).toEqual({ ok: false, reason: 'handler' });
  });
});
