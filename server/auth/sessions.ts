/**
 * Sessions (issue 12): one record per login, so that disabling, demoting, a password reset,
 * "sign out everywhere" and an admin's revoke end a person's access at once.
 *
 * - An access token (tokens.ts) is short-lived and names its session (`sid`); it is honoured only
 *   while the record exists and the account still has the role the session was issued for.
 * - A console session renews its access token with an opaque refresh token, rotated on every
 *   refresh. Presenting a refresh token that was already rotated away means two parties hold it
 *   (theft): the whole session is revoked.
 * - Idle console sessions (no use for IOC_IDLE_TIMEOUT_MIN) and every session past its absolute
 *   lifetime (IOC_SESSION_MAX_H) end. Kiosk screen tokens (kind 'kiosk') have no idle timeout and
 *   no refresh: a long-lived access token an admin creates and revokes.
 * - Revocation deletes records and tells listeners (server/realtime.ts cuts the sockets).
 * - Revoking never fails closed (that would leave access standing): its audit record is best
 *   effort. Handing out credentials does fail closed: a refresh or a screen token whose audit write
 *   fails is not handed out.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IocError } from '../../scenes/protocol';
import type { Role } from '../../scenes/domain';
import type { AuditEntry, AuditRecorder } from '../audit/audit';
import { iocError } from '../errors';
import { IocFailure } from '../guard';
import type { Logger } from '../logger';
import type { StoredUser } from '../store/store';
import { isRestrictedSession, type SessionClaims, type TokenService } from './tokens';
import type { SessionBackend, SessionKind, SessionRecord } from './session-store';

export interface SessionSettings {
  /** a console session unused this long ends (its refresh is refused), ms */
  idleTimeoutMs: number;
  /** absolute lifetime of a console session, ms */
  sessionMaxMs: number;
  /** lifetime of a kiosk screen token, ms */
  screenTokenMs: number;
  /** "last seen" is written at most this often per session (each request reads it; few write), ms */
  touchIntervalMs: number;
  /** rotated refresh-token hashes remembered per session for theft detection */
  usedRefreshHashesKept: number;
}

/** What a restricted session may only do (tokens.ts `isRestrictedSession`): every claim but who and which session. */
export type SessionRestrictions = Omit<SessionClaims, 'username' | 'role' | 'displayName' | 'sid'>;

/** Where a request came from (recorded on the session and in the audit). */
export interface SessionContext {
  source?: string;
  userAgent?: string;
}

/** Why sessions were revoked (audit `details.why`, the socket's message). */
export type RevocationReason =
  | 'logout'
  | 'logout_all'
  | 'disabled'
  | 'role_change'
  | 'scope_change'
  | 'password_reset'
  | 'mfa_reset'
  | 'password_change'
  | 'admin_revoke'
  | 'refresh_reuse'
  | 'idle'
  | 'account_changed'
  | 'screen_token_revoke';

export interface Revocation {
  sids: string[];
  /** set when every session of these users was revoked */
  usernames: string[];
  why: RevocationReason;
}

/** Credentials of a new or renewed session. */
export interface IssuedSession {
  sessionId: string;
  token: string;
  /** epoch ms, end of the access token */
  expiresAt: number;
  /** opaque; absent for kiosk and restricted (password-change-only) sessions */
  refreshToken?: string;
  /** epoch ms: the session's absolute end (the refresh token dies with it, or earlier when idle) */
  refreshExpiresAt?: number;
  /** console sessions: ms of idleness after which the refresh is refused */
  idleTimeoutMs?: number;
}

/** What the owner sees of their sessions (never a token or hash). */
export interface SessionView {
  sessionId: string;
  kind: SessionKind;
  createdTs: number;
  lastSeenTs: number;
  expiresTs: number;
  source: string;
  userAgent: string;
  current: boolean;
}

/** What an admin sees of a screen token (the token itself is shown once, at creation). */
export interface ScreenTokenView {
  sessionId: string;
  name: string;
  scenes: string[];
  createdTs: number;
  createdBy: string;
  lastSeenTs: number;
  expiresTs: number;
}

/** Who acts, for the audit. */
export interface Actor extends SessionContext {
  username: string;
  role?: string;
}

/** A kiosk session's subject: never a valid username (those have no ':'), unique per token. */
const KIOSK_SUBJECT_PREFIX = 'kiosk:';
export function isKioskSubject(username: string): boolean {
  return username.startsWith(KIOSK_SUBJECT_PREFIX);
}

const SID_BYTES = 16;
const REFRESH_BYTES = 32;
const USER_AGENT_MAX_CHARS = 256;

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

function sameHash(a: string, b: string): boolean {
  if (a.length !== b.length || a.length === 0) return false;
  return timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

/** `<sid>.<random>`: the sid finds the record, the random part proves possession. */
function newRefreshToken(sid: string): string {
  return `${sid}.${randomBytes(REFRESH_BYTES).toString('base64url')}`;
}

export function sidOfRefreshToken(token: string): string | null {
  const dot = token.indexOf('.');
  if (dot <= 0) return null;
  const sid = token.slice(0, dot);
  return /^[A-Za-z0-9_-]{8,64}$/.test(sid) ? sid : null;
}

export type RefreshResult =
  { ok: true; session: IssuedSession & { role: Role; username: string; displayName: string } } | { ok: false; error: IocError };

export interface SessionServiceDeps {
  backend: SessionBackend;
  tokens: TokenService;
  audit: AuditRecorder;
  settings: SessionSettings;
  log?: Logger;
  now?: () => number;
}

export class SessionService {
  private readonly backend: SessionBackend;
  private readonly tokens: TokenService;
  private readonly audit: AuditRecorder;
  private readonly settings: SessionSettings;
  private readonly log: Logger | undefined;
  private readonly now: () => number;
  private readonly listeners = new Set<(r: Revocation) => void>();

  constructor(d: SessionServiceDeps) {
    this.backend = d.backend;
    this.tokens = d.tokens;
    this.audit = d.audit;
    this.settings = d.settings;
    this.log = d.log;
    this.now = d.now ?? Date.now;
  }

  /** Revocations as they happen on this node (the realtime layer cuts the sockets). */
  onRevoked(listener: (r: Revocation) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // --- issuing ----------------------------------------------------------------------------------

  /**
   * A new console session for `user` (at login or after a password change). A restricted
   * session (password-change-only) gets no refresh token: it ends with its access token.
   */
  async open(
    user: Pick<StoredUser, 'username' | 'role' | 'displayName'>,
    restrictions: SessionRestrictions,
    ctx: SessionContext = {},
  ): Promise<IssuedSession> {
    const now = this.now();
    const sid = randomBytes(SID_BYTES).toString('base64url');
    const claims: SessionClaims = { username: user.username, role: user.role, displayName: user.displayName, sid, ...restrictions };
    const refreshable = !isRestrictedSession(claims);
    const refreshToken = refreshable ? newRefreshToken(sid) : undefined;
    const expiresTs = now + this.settings.sessionMaxMs;
    await this.backend.create({
      sid,
      username: user.username,
      role: user.role,
      kind: 'console',
      displayName: user.displayName,
      createdTs: now,
      lastSeenTs: now,
      expiresTs,
      refreshHash: refreshToken ? sha256(refreshToken) : '',
      usedRefreshHashes: '',
      source: ctx.source ?? '',
      userAgent: (ctx.userAgent ?? '').slice(0, USER_AGENT_MAX_CHARS),
    });
    const { token, expiresAt } = await this.tokens.issue(claims, now, { notAfterMs: expiresTs });
    const issued: IssuedSession = { sessionId: sid, token, expiresAt };
    if (refreshToken) {
      issued.refreshToken = refreshToken;
      issued.refreshExpiresAt = expiresTs;
      issued.idleTimeoutMs = this.settings.idleTimeoutMs;
    }
    return issued;
  }

  /**
   * Renews a console session: a new access token and a new refresh token (the presented one is
   * spent). `accountRefusal` is the account check of every request (UserService.sessionRefusal).
   */
  async refresh(
    refreshToken: string,
    ctx: SessionContext,
    accountRefusal: (claims: SessionClaims) => Promise<IocError | null>,
  ): Promise<RefreshResult> {
    const now = this.now();
    const sid = sidOfRefreshToken(refreshToken);
    const rec = sid ? await this.backend.get(sid) : null;
    const refuse = async (reason: string, actor: string, revokeWhy?: RevocationReason): Promise<RefreshResult> => {
      if (revokeWhy && rec) await this.revokeSessions([rec.sid], revokeWhy, { username: actor, ...ctx });
      const error = iocError('E_UNAUTHORIZED', `session ended (${reason}); sign in again`, { reason });
      // a refused refresh hands nothing out, so a failed audit write changes nothing: keep the refusal
      await this.auditBestEffort({
        actor,
        source: ctx.source,
        userAgent: ctx.userAgent,
        action: 'auth.refresh',
        outcome: 'failure',
        target: rec ? `session:${rec.sid}` : undefined,
        reason,
      });
      return { ok: false, error };
    };
    if (!rec) return refuse('unknown', 'anonymous');
    if (rec.kind !== 'console' || rec.refreshHash === '') return refuse('not_refreshable', rec.username);
    const presented = sha256(refreshToken);
    if (!sameHash(presented, rec.refreshHash)) {
      // a spent token again: whoever holds the current one got it by theft, or the thief did — end both
      if (rec.usedRefreshHashes.split(' ').some((h) => sameHash(presented, h))) return refuse('reuse', rec.username, 'refresh_reuse');
      return refuse('unknown', rec.username);
    }
    if (now - rec.lastSeenTs > this.settings.idleTimeoutMs) return refuse('idle', rec.username, 'idle');
    const claims: SessionClaims = { username: rec.username, role: rec.role, displayName: rec.displayName, sid: rec.sid };
    const account = await accountRefusal(claims);
    if (account) return refuse(account.code === 'E_UNAUTHORIZED' ? 'account' : account.code, rec.username, 'account_changed');

    const next = newRefreshToken(rec.sid);
    const used = [rec.refreshHash, ...rec.usedRefreshHashes.split(' ').filter(Boolean)].slice(0, this.settings.usedRefreshHashesKept).join(' ');
    const patched = await this.backend.patch(rec.sid, { refreshHash: sha256(next), usedRefreshHashes: used, lastSeenTs: now }, rec.refreshHash);
    // a concurrent refresh spent the same token first: the same token used twice is reuse
    if (patched === 'conflict') return refuse('reuse', rec.username, 'refresh_reuse');
    if (patched === 'missing') return refuse('revoked', rec.username);
    try {
      await this.audit.record({
        actor: rec.username,
        role: rec.role,
        source: ctx.source,
        userAgent: ctx.userAgent,
        action: 'auth.refresh',
        target: `session:${rec.sid}`,
        outcome: 'success',
      });
    } catch (err) {
      // fail closed: put the spent token back so the client may retry once the audit is back
      await this.backend
        .patch(rec.sid, { refreshHash: rec.refreshHash, usedRefreshHashes: rec.usedRefreshHashes }, sha256(next))
        .catch(() => undefined);
      throw new IocFailure(iocError('E_UNAVAILABLE', 'the audit log could not be written; no token was issued', { cause: String(err) }));
    }
    const { token, expiresAt } = await this.tokens.issue(claims, now, { notAfterMs: rec.expiresTs });
    return {
      ok: true,
      session: {
        sessionId: rec.sid,
        token,
        expiresAt,
        refreshToken: next,
        refreshExpiresAt: rec.expiresTs,
        idleTimeoutMs: this.settings.idleTimeoutMs,
        role: rec.role,
        username: rec.username,
        displayName: rec.displayName,
      },
    };
  }

  // --- checking ---------------------------------------------------------------------------------

  /**
   * Whether the session of verified `claims` still stands: its record exists and matches, the
   * account (null for kiosk tokens) has the session's role, and a console session is not idle.
   * `touch`: this is a use by its owner (request, handshake), so "last seen" moves.
   */
  async check(claims: SessionClaims, user: Pick<StoredUser, 'username' | 'role'> | null, opts: { touch?: boolean } = {}): Promise<IocError | null> {
    const revoked = iocError('E_UNAUTHORIZED', 'session revoked or expired; sign in again', { reason: 'revoked' });
    const rec = await this.backend.get(claims.sid);
    if (!rec || rec.username !== claims.username || rec.role !== claims.role) return revoked;
    const now = this.now();
    if (rec.kind === 'kiosk') {
      if (!isKioskSubject(claims.username) || rec.role !== 'screen') return revoked;
    } else {
      if (!user || user.username !== rec.username) return revoked;
      if (user.role !== rec.role) {
        // demoted or promoted while signed in: the old role's session ends here (and everywhere)
        await this.revokeSessions([rec.sid], 'role_change', { username: rec.username });
        return iocError('E_UNAUTHORIZED', 'your role changed; sign in again', { reason: 'role_change' });
      }
      if (now - rec.lastSeenTs > this.settings.idleTimeoutMs) {
        await this.revokeSessions([rec.sid], 'idle', { username: rec.username });
        return iocError('E_UNAUTHORIZED', 'session ended after inactivity; sign in again', { reason: 'idle' });
      }
    }
    if (opts.touch && now - rec.lastSeenTs >= this.settings.touchIntervalMs) await this.backend.patch(rec.sid, { lastSeenTs: now });
    return null;
  }

  // --- revoking ---------------------------------------------------------------------------------

  /** Revokes these sessions; answers how many existed. */
  async revokeSessions(sids: readonly string[], why: RevocationReason, actor: Actor, target?: string): Promise<number> {
    return this.revoke(sids, [], why, actor, target);
  }

  /** Revokes every session of `username` (but `exceptSid`); answers how many. */
  async revokeUser(username: string, why: RevocationReason, actor: Actor, exceptSid?: string): Promise<number> {
    const sids = (await this.backend.listByUser(username)).map((r) => r.sid).filter((s) => s !== exceptSid);
    // the user room as well when nothing is spared: a socket whose record this node never listed still goes
    return this.revoke(sids, exceptSid === undefined ? [username] : [], why, actor, `user:${username}`);
  }

  /**
   * Removes the records of `sids`, tells the sockets of `sids` and of the `usernames` rooms, and
   * records the revocation when any record existed; answers how many did.
   */
  private async revoke(
    sids: readonly string[],
    usernames: string[],
    why: RevocationReason,
    actor: Actor,
    target: string | undefined,
  ): Promise<number> {
    const gone = await this.backend.remove(sids);
    // tell the sockets even when the records were already gone on this node (another node's revoke)
    this.emit({ sids: [...sids], usernames, why });
    if (gone.length > 0)
      await this.auditBestEffort({
        actor: actor.username,
        role: actor.role,
        source: actor.source,
        userAgent: actor.userAgent,
        action: 'auth.session_revoked',
        target: target ?? (gone.length === 1 ? `session:${gone[0]!.sid}` : `user:${gone[0]!.username}`),
        outcome: 'success',
        reason: why,
        details: { why, sessions: gone.length },
      });
    return gone.length;
  }

  /** The owner ends this session. */
  async logout(claims: SessionClaims, ctx: SessionContext): Promise<void> {
    await this.backend.remove([claims.sid]);
    this.emit({ sids: [claims.sid], usernames: [], why: 'logout' });
    await this.auditBestEffort({
      actor: claims.username,
      role: claims.role,
      source: ctx.source,
      userAgent: ctx.userAgent,
      action: 'auth.logout',
      target: `session:${claims.sid}`,
      outcome: 'success',
    });
  }

  /**
   * Logout with the refresh token (the access token may have ended already): ends the session
   * when the token is its current one. false: no such session.
   */
  async logoutByRefreshToken(refreshToken: string, ctx: SessionContext): Promise<boolean> {
    const sid = sidOfRefreshToken(refreshToken);
    const rec = sid ? await this.backend.get(sid) : null;
    if (!rec || !sameHash(sha256(refreshToken), rec.refreshHash)) return false;
    await this.logout({ username: rec.username, role: rec.role, displayName: rec.displayName, sid: rec.sid }, ctx);
    return true;
  }

  /** The owner ends every session of theirs ("sign out everywhere"), this one included. */
  async logoutAll(claims: SessionClaims, ctx: SessionContext): Promise<number> {
    const sids = (await this.backend.listByUser(claims.username)).map((r) => r.sid);
    if (!sids.includes(claims.sid)) sids.push(claims.sid);
    const gone = await this.backend.remove(sids);
    this.emit({ sids, usernames: [claims.username], why: 'logout_all' });
    await this.auditBestEffort({
      actor: claims.username,
      role: claims.role,
      source: ctx.source,
      userAgent: ctx.userAgent,
      action: 'auth.logout_all',
      target: `user:${claims.username}`,
      outcome: 'success',
      details: { sessions: gone.length },
    });
    return gone.length;
  }

  async listOwn(claims: SessionClaims): Promise<SessionView[]> {
    const records = await this.backend.listByUser(claims.username);
    return records
      .sort((a, b) => b.lastSeenTs - a.lastSeenTs)
      .map((r) => ({
        sessionId: r.sid,
        kind: r.kind,
        createdTs: r.createdTs,
        lastSeenTs: r.lastSeenTs,
        expiresTs: r.expiresTs,
        source: r.source,
        userAgent: r.userAgent,
        current: r.sid === claims.sid,
      }));
  }

  // --- kiosk screen tokens ------------------------------------------------------------------------

  /** An admin creates a screen token: a long-lived access token for role `screen`, shown once. */
  async createScreenToken(
    input: { name: string; scenes?: string[] },
    actor: Actor,
  ): Promise<{ token: string; expiresAt: number; screenToken: ScreenTokenView }> {
    const now = this.now();
    const sid = randomBytes(SID_BYTES).toString('base64url');
    const rec: SessionRecord = {
      sid,
      username: `${KIOSK_SUBJECT_PREFIX}${sid}`,
      role: 'screen',
      kind: 'kiosk',
      displayName: input.name,
      createdTs: now,
      lastSeenTs: now,
      expiresTs: now + this.settings.screenTokenMs,
      refreshHash: '',
      usedRefreshHashes: '',
      source: actor.source ?? '',
      userAgent: (actor.userAgent ?? '').slice(0, USER_AGENT_MAX_CHARS),
      scenes: input.scenes ?? [],
      createdBy: actor.username,
    };
    await this.backend.create(rec);
    try {
      await this.audit.record({
        actor: actor.username,
        role: actor.role,
        source: actor.source,
        userAgent: actor.userAgent,
        action: 'screen_token.create',
        target: `session:${sid}`,
        outcome: 'success',
        details: { name: input.name, scenes: input.scenes ?? [] },
      });
    } catch (err) {
      // fail closed: a token the audit does not know of must not exist
      await this.backend.remove([sid]).catch(() => undefined);
      throw new IocFailure(iocError('E_UNAVAILABLE', 'the audit log could not be written; no token was created', { cause: String(err) }));
    }
    const { token, expiresAt } = await this.tokens.issue({ username: rec.username, role: 'screen', displayName: rec.displayName, sid }, now, {
      ttlS: Math.ceil(this.settings.screenTokenMs / 1000),
      notAfterMs: rec.expiresTs,
    });
    return { token, expiresAt, screenToken: screenTokenView(rec) };
  }

  async listScreenTokens(): Promise<ScreenTokenView[]> {
    return (await this.backend.listKiosk()).sort((a, b) => b.createdTs - a.createdTs).map(screenTokenView);
  }

  /** Revokes a screen token: its wall is cut off at once. false: no such token. */
  async revokeScreenToken(sid: string, actor: Actor): Promise<boolean> {
    const rec = await this.backend.get(sid);
    if (!rec || rec.kind !== 'kiosk') return false;
    await this.backend.remove([sid]);
    this.emit({ sids: [sid], usernames: [], why: 'screen_token_revoke' });
    await this.auditBestEffort({
      actor: actor.username,
      role: actor.role,
      source: actor.source,
      userAgent: actor.userAgent,
      action: 'screen_token.revoke',
      target: `session:${sid}`,
      outcome: 'success',
      details: { name: rec.displayName },
    });
    return true;
  }

  // ---------------------------------------------------------------------------------------------

  private emit(r: Revocation): void {
    for (const l of this.listeners) {
      try {
        l(r);
      } catch (err) {
        this.log?.error({ err }, 'session revocation listener failed');
      }
    }
  }

  private async auditBestEffort(entry: AuditEntry): Promise<void> {
    try {
      await this.audit.record(entry);
    } catch (err) {
      this.log?.error({ err, action: entry.action, target: entry.target }, 'audit write failed for a revocation or refusal (the action stands)');
    }
  }
}

function screenTokenView(r: SessionRecord): ScreenTokenView {
  return {
    sessionId: r.sid,
    name: r.displayName,
    scenes: r.scenes ?? [],
    createdTs: r.createdTs,
    createdBy: r.createdBy ?? '',
    lastSeenTs: r.lastSeenTs,
    expiresTs: r.expiresTs,
  };
}
