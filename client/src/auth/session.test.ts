import { describe, expect, it } from 'vitest';
import { sessionFromToken } from './session';

const b64url = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');

describe('session from a kiosk token', () => {
  it('reads role, user, display name and expiry from the JWT payload (UTF-8 names included)', () => {
    const token = `${b64url({ alg: 'HS256' })}.${b64url({ sub: 'officer1', role: 'officer', name: '值班员 王磊', exp: 2_000_000_000 })}.sig`;
    expect(sessionFromToken(token)).toEqual({
      token,
      role: 'officer',
      username: 'officer1',
      displayName: '值班员 王磊',
      expiresAt: 2_000_000_000_000,
    });
  });

  it('keeps an unreadable or unknown-role token without inventing a role', () => {
    expect(sessionFromToken('garbage').role).toBeNull();
    const odd = `${b64url({})}.${b64url({ role: 'superuser' })}.x`;
    expect(sessionFromToken(odd).role).toBeNull();
  });
});
