/**
 * Verification of an audit chain: a pure walk over the stored records (oldest first) and the
 * anchors, naming the FIRST record that was changed, inserted or deleted, or a truncated tail.
 *
 * - changed:   a record whose hash is not the HMAC of its content, where the chain expects it
 * - inserted:  a record that does not belong: a forged one the next genuine record skips over, or a
 *              genuine record replayed out of place (its seq already passed)
 * - deleted:   a genuine record whose seq jumps ahead of the expected one (the ones between are gone)
 * - truncated: the log ends before the head it had once (an anchor, or the stored head key)
 *
 * Records are pushed one by one (the CLI reads Redis in pages); one record of look-ahead tells a
 * changed record from an inserted one.
 */
import type { AuditRecord } from './audit';
import { GENESIS_HASH, hashMatches, parseAuditRecord, type ChainHead } from './audit-chain';
import type { AuditAnchor } from './audit-anchors';
import type { AuditStreamEntry } from './audit-backend';

export type TamperKind = 'changed' | 'inserted' | 'deleted' | 'truncated';

export interface VerifyInput {
  key: string;
  /** where an operator's retention trim cut the chain (the walk starts after it); null: from seq 1 */
  trimPoint?: ChainHead | null;
  anchors?: readonly AuditAnchor[];
  /** the stored head key (Redis `-audit:head`), when there is one */
  storedHead?: ChainHead | null;
}

export type VerifyResult =
  | {
      ok: true;
      /** records verified */
      count: number;
      firstSeq: number | null;
      lastSeq: number;
      /** hash of the last record (the trim point's, or genesis, when none) */
      headHash: string;
      /** the newest anchor that was checked against the chain */
      anchored: AuditAnchor | null;
      anchorsChecked: number;
    }
  | {
      ok: false;
      kind: TamperKind;
      /** the record named (for deleted: the first missing seq; for truncated: the first seq past the end) */
      seq: number;
      /** its stream id (for deleted/truncated: where the gap is) */
      id: string | null;
      message: string;
    };

type Finding = Extract<VerifyResult, { ok: false }>;

export class ChainVerifier {
  private expectedSeq: number;
  private prevHash: string;
  private count = 0;
  private firstSeq: number | null = null;
  private lastId: string | null = null;
  /** a record that failed its hash, judged once the next record is seen */
  private pending: { entry: AuditStreamEntry; record: AuditRecord | null } | null = null;
  private finding: Finding | null = null;
  private readonly anchorsBySeq = new Map<number, AuditAnchor[]>();
  private anchorsChecked = 0;
  private newestChecked: AuditAnchor | null = null;

  constructor(private readonly input: VerifyInput) {
    this.expectedSeq = (input.trimPoint?.seq ?? 0) + 1;
    this.prevHash = input.trimPoint?.hash ?? GENESIS_HASH;
    for (const a of input.anchors ?? []) {
      const list = this.anchorsBySeq.get(a.seq) ?? [];
      list.push(a);
      this.anchorsBySeq.set(a.seq, list);
    }
  }

  /** Feeds the next stored record; false once a finding is made (the rest need not be read). */
  push(entry: AuditStreamEntry): boolean {
    if (this.finding) return false;
    const record = parseAuditRecord(entry.text);
    if (this.pending) {
      const p = this.pending;
      this.pending = null;
      const genuineNext = record !== null && hashMatches(this.input.key, record) && this.follows(record);
      this.finding = genuineNext
        ? this.found('inserted', p, 'it is not part of the chain (the next record follows its predecessor)')
        : this.changed(p);
      return false;
    }
    // records up to the trim point may still be there (a trim that stopped between its two steps)
    const trim = this.input.trimPoint;
    if (record && trim && this.count === 0 && record.seq <= trim.seq && hashMatches(this.input.key, record)) return true;
    if (!record || !hashMatches(this.input.key, record)) {
      this.pending = { entry, record };
      return true;
    }
    if (record.seq > this.expectedSeq) {
      const missing = record.seq - 1 === this.expectedSeq ? `seq ${this.expectedSeq}` : `seqs ${this.expectedSeq}–${record.seq - 1}`;
      this.finding = {
        ok: false,
        kind: 'deleted',
        seq: this.expectedSeq,
        id: `before ${entry.id}`,
        message: `record seq ${this.expectedSeq} (before ${entry.id}) was deleted: ${missing} missing, the log goes on at seq ${record.seq}`,
      };
      return false;
    }
    if (!this.follows(record)) {
      this.finding = this.found(
        'inserted',
        { entry, record },
        record.seq < this.expectedSeq
          ? `a copy of seq ${record.seq} replayed after seq ${this.expectedSeq - 1}`
          : `it does not follow seq ${record.seq - 1}`,
      );
      return false;
    }
    for (const a of this.anchorsBySeq.get(record.seq) ?? []) {
      this.anchorsChecked++;
      if (a.hash !== record.hash) {
        this.finding = this.found(
          'changed',
          { entry, record },
          `the anchor of ${new Date(a.ts).toISOString()} holds another hash for it (rewritten chain)`,
        );
        return false;
      }
      if (!this.newestChecked || a.ts > this.newestChecked.ts) this.newestChecked = a;
    }
    this.count++;
    this.firstSeq ??= record.seq;
    this.lastId = entry.id;
    this.prevHash = record.hash;
    this.expectedSeq = record.seq + 1;
    return true;
  }

  finish(): VerifyResult {
    if (this.finding) return this.finding;
    const { storedHead } = this.input;
    if (this.pending) {
      const p = this.pending;
      this.pending = null;
      // a bad last record is inserted when the stored head still names its predecessor
      const headBefore = storedHead && storedHead.seq === this.expectedSeq - 1 && storedHead.hash === this.prevHash;
      return headBefore ? this.found('inserted', p, 'it is not part of the chain (the head is its predecessor)') : this.changed(p);
    }
    const lastSeq = this.expectedSeq - 1;
    const after = this.lastId ? `after ${this.lastId}` : 'at the start';
    let beyond: AuditAnchor | null = null;
    for (const [seq, list] of this.anchorsBySeq) if (seq > lastSeq) for (const a of list) if (!beyond || a.seq > beyond.seq) beyond = a;
    if (beyond) {
      return {
        ok: false,
        kind: 'truncated',
        seq: lastSeq + 1,
        id: after,
        message: `records from seq ${lastSeq + 1} (${after}) were deleted: the log ends at seq ${lastSeq} but the anchor of ${new Date(beyond.ts).toISOString()} saw seq ${beyond.seq}`,
      };
    }
    if (storedHead && storedHead.seq > lastSeq) {
      return {
        ok: false,
        kind: 'truncated',
        seq: lastSeq + 1,
        id: after,
        message: `records from seq ${lastSeq + 1} (${after}) were deleted: the log ends at seq ${lastSeq} but its head names seq ${storedHead.seq}`,
      };
    }
    if (storedHead && storedHead.seq === lastSeq && lastSeq > 0 && storedHead.hash !== this.prevHash) {
      return {
        ok: false,
        kind: 'changed',
        seq: lastSeq,
        id: this.lastId,
        message: `record seq ${lastSeq} (${this.lastId ?? '?'}) was changed: the head names another hash for it`,
      };
    }
    return {
      ok: true,
      count: this.count,
      firstSeq: this.firstSeq,
      lastSeq,
      headHash: this.prevHash,
      anchored: this.newestChecked,
      anchorsChecked: this.anchorsChecked,
    };
  }

  private follows(r: AuditRecord): boolean {
    return r.seq === this.expectedSeq && r.prevHash === this.prevHash;
  }

  private changed(p: { entry: AuditStreamEntry; record: AuditRecord | null }): Finding {
    return this.found('changed', p, p.record ? 'its hash does not match its content' : 'it is not a readable record');
  }

  private found(kind: TamperKind, p: { entry: AuditStreamEntry; record: AuditRecord | null }, why: string): Finding {
    // an unreadable record is named by the place the chain expected
    const seq = p.record?.seq ?? this.expectedSeq;
    return { ok: false, kind, seq, id: p.entry.id, message: `record seq ${seq} (${p.entry.id}) was ${kind}: ${why}` };
  }
}

/** Verifies a whole chain held in memory. */
export function verifyChain(entries: Iterable<AuditStreamEntry>, input: VerifyInput): VerifyResult {
  const v = new ChainVerifier(input);
  for (const e of entries) if (!v.push(e)) break;
  return v.finish();
}
