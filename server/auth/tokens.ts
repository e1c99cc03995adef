/** Session JWTs (jose, HS256 pinned: a token signed with any other algorithm is refused). */
import { SignJWT, jwtVerify } from 'jose';
import { RoleSchema, type Role } from '../../scenes/domain';

const ALG = 'HS256';
const ISSUER = 'city-ioc';

export interface SessionClaims {
  username: string;
  role: Role;
  displayName: string;
  /** a session that may only change its password (the account must change it first); absent = false */
  passwordChangeOnly?: boolean;
}

/** JWT claim marking a password-change-only session. */
const PASSWORD_CHANGE_ONLY_CLAIM = 'pco';

export class TokenService {
  private readonly key: Uint8Array;
  constructor(
    secret: string,
    private readonly ttlS: number,
  ) {
    this.key = new TextEncoder().encode(secret);
  }

  async issue(claims: SessionClaims, nowMs = Date.now()): Promise<{ token: string; expiresAt: number }> {
    const iat = Math.floor(nowMs / 1000);
    const exp = iat + this.ttlS;
    const payload: Record<string, unknown> = { role: claims.role, name: claims.displayName };
    if (claims.passwordChangeOnly) payload[PASSWORD_CHANGE_ONLY_CLAIM] = true;
    const token = await new SignJWT(payload)
      .setProtectedHeader({ alg: ALG })
      .setSubject(claims.username)
      .setIssuer(ISSUER)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .sign(this.key);
    return { token, expiresAt: exp * 1000 };
  }

  /** Returns the claims, or null for any invalid, expired or wrongly signed token. */
  async verify(token: string): Promise<SessionClaims | null> {
    try {
      const { payload } = await jwtVerify(token, this.key, { algorithms: [ALG], issuer: ISSUER });
      const role = RoleSchema.safeParse(payload.role);
      if (!role.success || typeof payload.sub !== 'string') return null;
      const claims: SessionClaims = {
        username: payload.sub,
        role: role.data,
        displayName: typeof payload.name === 'string' ? payload.name : payload.sub,
      };
      if (payload[PASSWORD_CHANGE_ONLY_CLAIM] === true) claims.passwordChangeOnly = true;
      return claims;
    } catch {
      return null;
    }
  }
}
