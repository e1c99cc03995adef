/**
 * Where the audit chain is kept: an append-only stream of sealed records plus the chain head,
 * written together only while the head still holds what the writer expects (compare-and-set),
 * so two processes can never fork the chain. Two implementations with one contract
 * (server/audit/audit-backend.test.ts): memory (the embedded default) and Redis.
 */
import { formatHead, type ChainHead } from './audit-chain';

/** One stored record as read back: its stream id and its raw JSON text (parsed and checked by the caller). */
export interface AuditStreamEntry {
  /** stream id `<ms>-<n>` (Redis assigns it; the memory backend imitates it) */
  id: string;
  text: string;
}

export type AppendOutcome = { ok: true; id: string } | { ok: false; head: ChainHead | null };

export interface AuditBackend {
  readonly kind: 'memory' | 'redis';
  /** names the chain in anchors, so anchors of another chain are never checked against this one */
  readonly chainName: string;
  /** the stored head, null for an empty chain */
  readHead(): Promise<ChainHead | null>;
  /**
   * Appends `text` (a sealed record whose seq/hash are `next`) if the head is still `expected`
   * (null: the chain is empty); otherwise answers the head that is there now.
   */
  appendIfHead(expected: ChainHead | null, next: ChainHead, text: string): Promise<AppendOutcome>;
  /** oldest first: entries with id > afterId (null: from the start), at most `count` */
  readForward(afterId: string | null, count: number): Promise<AuditStreamEntry[]>;
  /** newest first: entries with id < beforeId (null: from the newest) and id >= minId (null: any), at most `count` */
  readBackward(beforeId: string | null, minId: string | null, count: number): Promise<AuditStreamEntry[]>;
  /** where an operator's retention trim (`npm run audit:trim`) cut the chain: the last removed record, or null */
  readTrimPoint(): Promise<ChainHead | null>;
  close(): Promise<void>;
}

/** Stream ids compare as (ms, n). */
export function compareStreamIds(a: string, b: string): number {
  const [am, an] = splitId(a);
  const [bm, bn] = splitId(b);
  return am !== bm ? (am < bm ? -1 : 1) : an === bn ? 0 : an < bn ? -1 : 1;
}

function splitId(id: string): [bigint, bigint] {
  const i = id.indexOf('-');
  return i < 0 ? [BigInt(id), 0n] : [BigInt(id.slice(0, i)), BigInt(id.slice(i + 1))];
}

export function streamIdMs(id: string): number {
  const i = id.indexOf('-');
  return Number(i < 0 ? id : id.slice(0, i));
}

/** In-process chain (the embedded default; gone with the process). */
export class MemoryAuditBackend implements AuditBackend {
  readonly kind = 'memory' as const;
  readonly chainName = 'memory';
  private readonly entries: AuditStreamEntry[] = [];
  private head: ChainHead | null = null;
  private lastMs = 0;
  private lastN = 0;
  /** for tests: the next appends fail as a broken store would */
  failAppends = false;

  constructor(private readonly now: () => number = Date.now) {}

  readHead(): Promise<ChainHead | null> {
    return Promise.resolve(this.head);
  }

  appendIfHead(expected: ChainHead | null, next: ChainHead, text: string): Promise<AppendOutcome> {
    if (this.failAppends) return Promise.reject(new Error('audit backend unavailable (injected)'));
    const current = this.head ? formatHead(this.head) : null;
    if (current !== (expected ? formatHead(expected) : null)) return Promise.resolve({ ok: false, head: this.head });
    const ms = Math.max(this.now(), this.lastMs);
    this.lastN = ms === this.lastMs ? this.lastN + 1 : 0;
    this.lastMs = ms;
    const id = `${ms}-${this.lastN}`;
    this.entries.push({ id, text });
    this.head = next;
    return Promise.resolve({ ok: true, id });
  }

  readForward(afterId: string | null, count: number): Promise<AuditStreamEntry[]> {
    const start = afterId === null ? 0 : this.firstAbove(afterId);
    return Promise.resolve(this.entries.slice(start, start + count));
  }

  readBackward(beforeId: string | null, minId: string | null, count: number): Promise<AuditStreamEntry[]> {
    const out: AuditStreamEntry[] = [];
    // the first entry at or above beforeId, minus one: the newest entry below it
    let i = beforeId === null ? this.entries.length - 1 : this.firstAbove(beforeId, true) - 1;
    for (; i >= 0 && out.length < count; i--) {
      const e = this.entries[i]!;
      if (minId !== null && compareStreamIds(e.id, minId) < 0) break;
      out.push(e);
    }
    return Promise.resolve(out);
  }

  /** index of the first entry with id > `id` (or >= with `inclusive`): ids are appended in order */
  private firstAbove(id: string, inclusive = false): number {
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = compareStreamIds(this.entries[mid]!.id, id);
      if (c > 0 || (inclusive && c === 0)) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  readTrimPoint(): Promise<ChainHead | null> {
    return Promise.resolve(null);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
