/**
 * Session records in Redis, shared by every node:
 * - `<prefix>:session:<sid>` — the record as JSON, with a PX TTL at its absolute end;
 * - `<prefix>:user-sessions:<username>` — set of the user's sids (pruned of expired ones on read);
 * - `<prefix>:kiosk-sessions` — set of the screen tokens' sids.
 * Commands used: GET, SET, DEL, MGET, SADD, SREM, SMEMBERS, PEXPIRE, EVALSHA/EVAL (one script).
 */
import type { Redis } from 'ioredis';
import { SessionRecordSchema, type PatchOutcome, type SessionBackend, type SessionPatch, type SessionRecord } from './session-store';

/**
 * Field patch of a live record, keeping its TTL. ARGV: patch JSON, expected refresh hash, '1' to
 * check it. Answers 1 ok, 0 missing, -1 the refresh hash differs. `lastSeenTs` never moves back.
 */
const LUA_PATCH_SESSION = `
local v = redis.call('GET', KEYS[1])
if not v then return 0 end
local r = cjson.decode(v)
if ARGV[3] == '1' and r.refreshHash ~= ARGV[2] then return -1 end
local p = cjson.decode(ARGV[1])
for k, x in pairs(p) do
  if k == 'lastSeenTs' then
    if tonumber(x) > tonumber(r.lastSeenTs) then r.lastSeenTs = x end
  else
    r[k] = x
  end
end
redis.call('SET', KEYS[1], cjson.encode(r), 'KEEPTTL')
return 1
`;

interface SessionScripts {
  iocPatchSession(key: string, patch: string, expect: string, check: string): Promise<number>;
}

export class RedisSessionBackend implements SessionBackend {
  private readonly scripts: SessionScripts;
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly now: () => number = Date.now,
  ) {
    if (!(redis as unknown as Partial<SessionScripts>).iocPatchSession)
      redis.defineCommand('iocPatchSession', { numberOfKeys: 1, lua: LUA_PATCH_SESSION });
    this.scripts = redis as unknown as SessionScripts;
  }

  private sessionKey(sid: string): string {
    return `${this.prefix}:session:${sid}`;
  }
  private userKey(username: string): string {
    return `${this.prefix}:user-sessions:${username}`;
  }
  private kioskKey(): string {
    return `${this.prefix}:kiosk-sessions`;
  }

  async create(rec: SessionRecord): Promise<void> {
    const ttlMs = Math.max(1, rec.expiresTs - this.now());
    const m = this.redis.multi().set(this.sessionKey(rec.sid), JSON.stringify(rec), 'PX', ttlMs).sadd(this.userKey(rec.username), rec.sid);
    // the newest session of a user ends last (one lifetime per kind, and a kiosk pseudo-user has one session)
    m.pexpire(this.userKey(rec.username), ttlMs);
    if (rec.kind === 'kiosk') m.sadd(this.kioskKey(), rec.sid);
    const results = await m.exec();
    const failed = results?.find(([err]) => err);
    if (!results || failed) throw failed?.[0] ?? new Error('session create: transaction aborted');
  }

  private parse(raw: string | null): SessionRecord | null {
    if (raw === null) return null;
    try {
      const p = SessionRecordSchema.safeParse(JSON.parse(raw));
      // an unreadable record is no session (refused), never an exception at the door
      return p.success ? (p.data as SessionRecord) : null;
    } catch {
      return null;
    }
  }

  async get(sid: string): Promise<SessionRecord | null> {
    return this.parse(await this.redis.get(this.sessionKey(sid)));
  }

  async patch(sid: string, patch: SessionPatch, expectRefreshHash?: string): Promise<PatchOutcome> {
    const r = await this.scripts.iocPatchSession(
      this.sessionKey(sid),
      JSON.stringify(patch),
      expectRefreshHash ?? '',
      expectRefreshHash === undefined ? '0' : '1',
    );
    return r === 1 ? 'ok' : r === 0 ? 'missing' : 'conflict';
  }

  async remove(sids: readonly string[]): Promise<SessionRecord[]> {
    if (sids.length === 0) return [];
    const raws = await this.redis.mget(...sids.map((s) => this.sessionKey(s)));
    const gone = raws.map((raw) => this.parse(raw)).filter((r): r is SessionRecord => r !== null);
    const m = this.redis.multi().del(...sids.map((s) => this.sessionKey(s)));
    for (const r of gone) m.srem(this.userKey(r.username), r.sid);
    m.srem(this.kioskKey(), ...sids);
    await m.exec();
    return gone;
  }

  private async members(setKey: string): Promise<SessionRecord[]> {
    const sids = await this.redis.smembers(setKey);
    if (sids.length === 0) return [];
    const raws = await this.redis.mget(...sids.map((s) => this.sessionKey(s)));
    const live: SessionRecord[] = [];
    const dead: string[] = [];
    raws.forEach((raw, i) => {
      const r = this.parse(raw);
      if (r) live.push(r);
      else dead.push(sids[i]!);
    });
    if (dead.length > 0) await this.redis.srem(setKey, ...dead);
    return live;
  }

  listByUser(username: string): Promise<SessionRecord[]> {
    return this.members(this.userKey(username));
  }

  listKiosk(): Promise<SessionRecord[]> {
    return this.members(this.kioskKey());
  }
}
