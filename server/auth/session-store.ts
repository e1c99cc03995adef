/**
 * Where session records live: one record per login (console) or per screen token (kiosk). The
 * record IS the session: deleting it revokes every token that names its `sid`.
 *
 * Two backends with one contract (server/auth/session-store.test.ts): memory, and Redis
 * (session-store-redis.ts). Mutations of a live record are field patches, optionally guarded by
 * the refresh-token hash they expect, so a refresh rotation and a "last seen" touch never undo
 * each other.
 */
import { z } from 'zod';
import { RoleSchema } from '../../scenes/domain';

export type SessionKind = 'console' | 'kiosk';

export interface SessionRecord {
  sid: string;
  /** the account; a kiosk session's pseudo-user is `kiosk:<sid>` (never a valid username) */
  username: string;
  /** the role when the session was issued; the session dies when the account's role differs */
  role: z.infer<typeof RoleSchema>;
  kind: SessionKind;
  /** display name (kiosk: the token's name) */
  displayName: string;
  /** epoch ms */
  createdTs: number;
  /** epoch ms of the last use by its owner (login, refresh, authenticated request, socket handshake) */
  lastSeenTs: number;
  /** epoch ms: absolute end (console: IOC_SESSION_MAX_H after login; kiosk: IOC_SCREEN_TOKEN_DAYS) */
  expiresTs: number;
  /** sha256 (hex) of the current refresh token; '' when the session has none (kiosk, password-change-only) */
  refreshHash: string;
  /** sha256 of refresh tokens already rotated away, newest first, space-separated: presenting one again is theft */
  usedRefreshHashes: string;
  /** source address at login */
  source: string;
  userAgent: string;
  /** kiosk: the screen scenes the token was made for (informational; the wall's URL) */
  scenes?: string[];
  /** kiosk: the admin who created it */
  createdBy?: string;
}

export const SessionRecordSchema = z.object({
  sid: z.string().min(1),
  username: z.string().min(1),
  role: RoleSchema,
  kind: z.enum(['console', 'kiosk']),
  displayName: z.string(),
  createdTs: z.number(),
  lastSeenTs: z.number(),
  expiresTs: z.number(),
  refreshHash: z.string(),
  usedRefreshHashes: z.string(),
  source: z.string(),
  userAgent: z.string(),
  // Redis' cjson writes an empty array back as {}: read anything else as "none"
  scenes: z.preprocess((v) => (Array.isArray(v) ? v : undefined), z.array(z.string()).optional()),
  createdBy: z.string().optional(),
});

/** Fields a patch may change on a live record. */
export type SessionPatch = Partial<Pick<SessionRecord, 'lastSeenTs' | 'refreshHash' | 'usedRefreshHashes'>>;

export type PatchOutcome = 'ok' | 'missing' | 'conflict';

export interface SessionBackend {
  /** Creates the record; it disappears by itself at `expiresTs`. */
  create(rec: SessionRecord): Promise<void>;
  get(sid: string): Promise<SessionRecord | null>;
  /**
   * Applies `patch` when the record exists and (if `expectRefreshHash` is given) its refresh hash
   * is that one — atomically. `lastSeenTs` never moves backwards.
   */
  patch(sid: string, patch: SessionPatch, expectRefreshHash?: string): Promise<PatchOutcome>;
  /** Deletes the records; answers those that existed. */
  remove(sids: readonly string[]): Promise<SessionRecord[]>;
  /** The live sessions of `username`. */
  listByUser(username: string): Promise<SessionRecord[]>;
  /** The live kiosk sessions (screen tokens). */
  listKiosk(): Promise<SessionRecord[]>;
}

/** In-process backend (memory store: one node, nothing survives a restart). */
export class MemorySessionBackend implements SessionBackend {
  private readonly records = new Map<string, SessionRecord>();
  constructor(private readonly now: () => number = Date.now) {}

  private live(sid: string): SessionRecord | null {
    const r = this.records.get(sid);
    if (!r) return null;
    if (r.expiresTs <= this.now()) {
      this.records.delete(sid);
      return null;
    }
    return r;
  }

  create(rec: SessionRecord): Promise<void> {
    this.records.set(rec.sid, { ...rec });
    return Promise.resolve();
  }

  get(sid: string): Promise<SessionRecord | null> {
    const r = this.live(sid);
    return Promise.resolve(r ? { ...r } : null);
  }

  patch(sid: string, patch: SessionPatch, expectRefreshHash?: string): Promise<PatchOutcome> {
    const r = this.live(sid);
    if (!r) return Promise.resolve('missing');
    if (expectRefreshHash !== undefined && r.refreshHash !== expectRefreshHash) return Promise.resolve('conflict');
    const next: SessionRecord = { ...r, ...patch };
    if (patch.lastSeenTs !== undefined) next.lastSeenTs = Math.max(r.lastSeenTs, patch.lastSeenTs);
    this.records.set(sid, next);
    return Promise.resolve('ok');
  }

  remove(sids: readonly string[]): Promise<SessionRecord[]> {
    const gone: SessionRecord[] = [];
    for (const sid of sids) {
      const r = this.live(sid);
      if (r) gone.push(r);
      this.records.delete(sid);
    }
    return Promise.resolve(gone);
  }

  listByUser(username: string): Promise<SessionRecord[]> {
    return Promise.resolve(this.liveWhere((r) => r.username === username));
  }

  listKiosk(): Promise<SessionRecord[]> {
    return Promise.resolve(this.liveWhere((r) => r.kind === 'kiosk'));
  }

  private liveWhere(pred: (r: SessionRecord) => boolean): SessionRecord[] {
    const out: SessionRecord[] = [];
    for (const sid of [...this.records.keys()]) {
      const r = this.live(sid);
      if (r && pred(r)) out.push({ ...r });
    }
    return out;
  }
}
