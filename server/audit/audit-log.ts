/**
 * The tamper-evident audit log (issue 12): a hash chain of sealed records in an AuditBackend.
 *
 * - Appends in this process run one after another (a promise chain), each sealed onto the head it
 *   last saw; the backend's compare-and-set refuses it when another process appended meanwhile,
 *   and it is resealed onto the newer head. Two processes can never fork the chain.
 * - `record()` resolves once the backend acknowledged the append and rejects with
 *   AuditUnavailableError otherwise (the caller fails closed). A lost reply may leave a record in
 *   the chain for an action that then failed closed: over-recording, never under-recording.
 * - The head is anchored to a file every `anchorIntervalMs` and at close (server/audit/audit-anchors.ts).
 */
import { AuditUnavailableError, type AuditEntry, type AuditRecorder } from './audit';
import { EMPTY_HEAD, formatHead, sealRecord, type ChainHead } from './audit-chain';
import { appendAnchor } from './audit-anchors';
import type { AuditBackend } from './audit-backend';
import { queryAudit, type AuditFilter, type AuditPage, type AuditPageRequest } from './audit-query';

export interface AuditLogOptions {
  /** HMAC key of the chain (config.auditKey) */
  key: string;
  /** file the head is anchored to; null: no anchoring */
  anchorFile?: string | null;
  /** how often the head is anchored, ms */
  anchorIntervalMs?: number;
  /** compare-and-set misses in a row (other processes appending) before record() gives up */
  casRetries?: number;
  now?: () => number;
  log?: { warn(o: object, m?: string): void; error(o: object, m?: string): void };
}

export const DEFAULT_ANCHOR_INTERVAL_MS = 60_000;
const DEFAULT_CAS_RETRIES = 100;

export class AuditLog implements AuditRecorder {
  /** the head this process last saw; undefined: read it from the backend first */
  private head: ChainHead | null | undefined = undefined;
  private tail: Promise<void> = Promise.resolve();
  private anchorTimer: NodeJS.Timeout | null = null;
  private lastAnchored: string | null = null;
  private anchoring: Promise<void> = Promise.resolve();
  private closed = false;
  private readonly now: () => number;

  constructor(
    readonly backend: AuditBackend,
    private readonly opts: AuditLogOptions,
  ) {
    this.now = opts.now ?? Date.now;
    if (opts.anchorFile) {
      this.anchorTimer = setInterval(() => void this.anchorNow(), opts.anchorIntervalMs ?? DEFAULT_ANCHOR_INTERVAL_MS);
      this.anchorTimer.unref();
    }
  }

  record(entry: AuditEntry): Promise<void> {
    const run = this.tail.then(() => this.append(entry));
    this.tail = run.then(
      () => undefined,
      () => undefined,
    );
    return run.catch((err: unknown) => {
      this.head = undefined; // the append may have landed with its reply lost: read the head afresh
      this.opts.log?.error({ err, action: entry.action }, 'audit write failed; the action fails closed');
      throw err instanceof AuditUnavailableError ? err : new AuditUnavailableError(undefined, { cause: err });
    });
  }

  private async append(entry: AuditEntry): Promise<void> {
    if (this.closed) throw new AuditUnavailableError('the audit log is closed; the action was not carried out');
    let expected = this.head === undefined ? await this.backend.readHead() : this.head;
    for (let miss = 0; ; miss++) {
      const record = sealRecord(this.opts.key, expected ?? EMPTY_HEAD, entry, this.now());
      const next = { seq: record.seq, hash: record.hash };
      const out = await this.backend.appendIfHead(expected, next, JSON.stringify(record));
      if (out.ok) {
        this.head = next;
        return;
      }
      if (miss >= (this.opts.casRetries ?? DEFAULT_CAS_RETRIES)) throw new AuditUnavailableError('the audit chain is contended; retry');
      expected = out.head;
    }
  }

  /** Page of records, newest first (server/audit/audit-query.ts). */
  query(filter: AuditFilter, page: AuditPageRequest): Promise<AuditPage> {
    return queryAudit(this.backend, filter, page);
  }

  /** Writes the backend's current head to the anchor file (when it moved since the last anchor). */
  anchorNow(): Promise<void> {
    const file = this.opts.anchorFile;
    if (!file) return Promise.resolve();
    this.anchoring = this.anchoring.then(async () => {
      try {
        const head = await this.backend.readHead();
        if (!head || formatHead(head) === this.lastAnchored) return;
        await appendAnchor(file, { ts: this.now(), seq: head.seq, hash: head.hash, chain: this.backend.chainName });
        this.lastAnchored = formatHead(head);
      } catch (err) {
        this.opts.log?.warn({ err, file }, 'audit anchor not written; will retry');
      }
    });
    return this.anchoring;
  }

  /** Waits for pending appends, anchors the head once more and refuses later records. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.anchorTimer) clearInterval(this.anchorTimer);
    await this.tail;
    this.closed = true;
    await this.anchorNow();
    await this.backend.close();
  }
}
