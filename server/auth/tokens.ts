/**
 * Access tokens: short-lived JWTs (jose, HS256 pinned: a token signed with any other algorithm is
 * refused). Each names its session (`sid`); a token is honoured only while that session record
 * exists (server/auth/sessions.ts), so revoking a session revokes its tokens at once.
 */
import { SignJWT, jwtVerify } from 'jose';
import { RoleSchema, type Role } from '../../scenes/domain';

const ALG = 'HS256';
/** `iss` and `aud` of every token: a JWT minted for another system with the same secret is refused */
export const TOKEN_ISSUER = 'city-ioc';
export const TOKEN_AUDIENCE = 'city-ioc';
/** claims a token must carry; one without `exp` would never expire */
const REQUIRED_CLAIMS = ['exp', 'iat', 'sub', 'sid', 'aud', 'iss'];

export interface SessionClaims {
  username: string;
  role: Role;
  displayName: string;
  /** the session this token belongs to (server/auth/sessions.ts) */
  sid: string;
  /** a session that may only change its password (the account must change it first); absent = false */
  passwordChangeOnly?: boolean;
  /** a session that may only enrol a second factor (its role requires one; server/auth/totp.ts); absent = false */
  mfaEnrolOnly?: boolean;
}

/** JWT claim marking a password-change-only session. */
const PASSWORD_CHANGE_ONLY_CLAIM = 'pco';
/** JWT claim marking an MFA-enrolment-only session. */
const MFA_ENROL_ONLY_CLAIM = 'mfe';

/**
 * A session that may use only one route (password change; more may follow): it is never handed a
 * refresh token, so it ends with its access token.
 */
export function isRestrictedSession(claims: SessionClaims): boolean {
  return claims.passwordChangeOnly === true || claims.mfaEnrolOnly === true;
}

export class TokenService {
  private readonly key: Uint8Array;
  /**
   * @param ttlS lifetime of an access token, s (IOC_ACCESS_TTL_S)
   */
  constructor(
    secret: string,
    readonly ttlS: number,
  ) {
    this.key = new TextEncoder().encode(secret);
  }

  /**
   * Signs an access token for `claims`, valid `ttlS` seconds (default: the configured access
   * lifetime) but never past `notAfterMs` (the session's own end).
   */
  async issue(
    claims: SessionClaims,
    nowMs = Date.now(),
    opts: { ttlS?: number; notAfterMs?: number } = {},
  ): Promise<{ token: string; expiresAt: number }> {
    const iat = Math.floor(nowMs / 1000);
    let exp = iat + (opts.ttlS ?? this.ttlS);
    if (opts.notAfterMs !== undefined) exp = Math.min(exp, Math.floor(opts.notAfterMs / 1000));
    const payload: Record<string, unknown> = { role: claims.role, name: claims.displayName, sid: claims.sid };
    if (claims.passwordChangeOnly) payload[PASSWORD_CHANGE_ONLY_CLAIM] = true;
    if (claims.mfaEnrolOnly) payload[MFA_ENROL_ONLY_CLAIM] = true;
    const token = await new SignJWT(payload)
      .setProtectedHeader({ alg: ALG, typ: 'JWT' })
      .setSubject(claims.username)
      .setIssuer(TOKEN_ISSUER)
      .setAudience(TOKEN_AUDIENCE)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .sign(this.key);
    return { token, expiresAt: exp * 1000 };
  }

  /**
   * Returns the claims, or null for any invalid, expired or wrongly signed token, or one that
   * lacks a required claim. Whether its session still stands is the session service's question.
   * `nowMs`: the clock to check `exp` against (tests); default now.
   */
  async verify(token: string, nowMs?: number): Promise<SessionClaims | null> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        ...(nowMs === undefined ? {} : { currentDate: new Date(nowMs) }),
        algorithms: [ALG],
        issuer: TOKEN_ISSUER,
        audience: TOKEN_AUDIENCE,
        requiredClaims: REQUIRED_CLAIMS,
      });
      const role = RoleSchema.safeParse(payload.role);
      if (!role.success || typeof payload.sub !== 'string' || typeof payload.sid !== 'string' || payload.sid.length === 0) return null;
      const claims: SessionClaims = {
        username: payload.sub,
        role: role.data,
        displayName: typeof payload.name === 'string' ? payload.name : payload.sub,
        sid: payload.sid,
      };
      if (payload[PASSWORD_CHANGE_ONLY_CLAIM] === true) claims.passwordChangeOnly = true;
      if (payload[MFA_ENROL_ONLY_CLAIM] === true) claims.mfaEnrolOnly = true;
      return claims;
    } catch {
      return null;
    }
  }
}
