/**
 * The audit chain in Redis, under its own key family `${prefix}-audit:*` (NOT `${prefix}:*`), so a
 * Redis ACL can give the application user append-only rights there while it keeps full rights on
 * the store's keys:
 *   `${prefix}-audit:log`     stream of sealed records (field `r` = the record's JSON); no MAXLEN:
 *                             the events stream's cap does not apply, retention is an operator's trim
 *   `${prefix}-audit:head`    `seq:hash` of the last record
 *   `${prefix}-audit:trimmed` `{seq, hash}` of the last record an operator's trim removed (read only here)
 *
 * The ONLY commands the server sends on audit keys: XADD, XRANGE, XREVRANGE, XLEN, GET, SET and
 * EVAL/EVALSHA of APPEND_SCRIPT (which does GET, XLEN, XADD, SET). Never XDEL, XTRIM, DEL: deleting
 * is reserved to the operator's `npm run audit:trim` with its own Redis user.
 */
import type { Redis } from 'ioredis';
import { formatHead, parseHead, type ChainHead } from './audit-chain';
import type { AppendOutcome, AuditBackend, AuditStreamEntry } from './audit-backend';

export interface AuditKeys {
  log: string;
  head: string;
  trimmed: string;
}

export function auditKeys(prefix: string): AuditKeys {
  const family = `${prefix}-audit`;
  return { log: `${family}:log`, head: `${family}:head`, trimmed: `${family}:trimmed` };
}

/**
 * Compare-and-set append. KEYS: head, log. ARGV: expected head (`seq:hash`, or '' for an empty
 * chain), new head, record JSON. Answers {1, streamId} or {0, current head or ''}; an empty head
 * beside a non-empty log (the head key was lost) is refused with an error: appending would fork.
 */
const APPEND_SCRIPT = `
local head = redis.call('GET', KEYS[1])
if head == false then
  if ARGV[1] ~= '' then return {0, ''} end
  if redis.call('XLEN', KEYS[2]) > 0 then return redis.error_reply('E_AUDIT_HEAD_MISSING the audit head key is gone but the log is not empty') end
elseif head ~= ARGV[1] then
  return {0, head}
end
local id = redis.call('XADD', KEYS[2], '*', 'r', ARGV[3])
redis.call('SET', KEYS[1], ARGV[2])
return {1, id}
`;

interface AuditScripts {
  iocAuditAppend(headKey: string, logKey: string, expected: string, next: string, text: string): Promise<[number, string]>;
}

type StreamEntry = [id: string, fields: string[]];

function entryOf([id, fields]: StreamEntry): AuditStreamEntry {
  let text = '';
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === 'r') text = fields[i + 1]!;
  return { id, text };
}

export class RedisAuditBackend implements AuditBackend {
  readonly kind = 'redis' as const;
  readonly chainName: string;
  readonly keys: AuditKeys;

  /** @param client shared with the store (not closed here) */
  constructor(
    private readonly client: Redis,
    prefix: string,
  ) {
    this.keys = auditKeys(prefix);
    this.chainName = `${prefix}-audit`;
    this.client.defineCommand('iocAuditAppend', { numberOfKeys: 2, lua: APPEND_SCRIPT });
  }

  async readHead(): Promise<ChainHead | null> {
    const text = await this.client.get(this.keys.head);
    if (text === null) return null;
    const head = parseHead(text);
    if (!head) throw new Error(`the audit head ${this.keys.head} holds no seq:hash`);
    return head;
  }

  async appendIfHead(expected: ChainHead | null, next: ChainHead, text: string): Promise<AppendOutcome> {
    const scripts = this.client as unknown as AuditScripts;
    const [applied, value] = await scripts.iocAuditAppend(
      this.keys.head,
      this.keys.log,
      expected ? formatHead(expected) : '',
      formatHead(next),
      text,
    );
    if (applied === 1) return { ok: true, id: value };
    return { ok: false, head: parseHead(value) };
  }

  async readForward(afterId: string | null, count: number): Promise<AuditStreamEntry[]> {
    const rows = (await this.client.xrange(this.keys.log, afterId === null ? '-' : `(${afterId}`, '+', 'COUNT', count)) as StreamEntry[];
    return rows.map(entryOf);
  }

  async readBackward(beforeId: string | null, minId: string | null, count: number): Promise<AuditStreamEntry[]> {
    const rows = (await this.client.xrevrange(
      this.keys.log,
      beforeId === null ? '+' : `(${beforeId}`,
      minId === null ? '-' : minId,
      'COUNT',
      count,
    )) as StreamEntry[];
    return rows.map(entryOf);
  }

  async readTrimPoint(): Promise<ChainHead | null> {
    const text = await this.client.get(this.keys.trimmed);
    if (text === null) return null;
    const v = JSON.parse(text) as { seq?: unknown; hash?: unknown };
    if (!Number.isSafeInteger(v.seq) || typeof v.hash !== 'string') throw new Error(`${this.keys.trimmed} holds no {seq, hash}`);
    return { seq: v.seq as number, hash: v.hash };
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
