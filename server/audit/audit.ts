/**
 * The audit contract (issue 12): every security-relevant action is recorded as one AuditEntry.
 * Callers depend on `AuditRecorder` only; `server/audit/` holds the tamper-evident log behind it.
 *
 * `record()` resolves once the entry is durable (in the chain) and rejects with
 * AuditUnavailableError when it could not be written: a security-relevant action then fails
 * closed (answers E_UNAVAILABLE and hands nothing out), it never proceeds unaudited.
 */

/** success: done; failure: attempted and failed (bad password, validation); denied: refused by authorisation or a limit */
export type AuditOutcome = 'success' | 'failure' | 'denied';

/**
 * Action names, dotted, stable (filters and reports branch on them):
 * auth.login, auth.login_failed, auth.mfa_failed, auth.lockout, auth.logout, auth.logout_all, auth.refresh,
 * auth.session_revoked, auth.password_change, auth.password_expired, auth.mfa_enrol, auth.mfa_disable,
 * user.create, user.update, user.role_change, user.disable, user.enable, user.password_reset, user.scope_change,
 * screen_token.create, screen_token.revoke, access.denied, command, device.create, device.update,
 * device.retire, device.token_rotate, device.token_read, device.import, asset.create, asset.update,
 * asset.remove, asset.import, rule.update, rule.override_set, rule.override_remove, export, audit.read,
 * audit.export, backup.create, api_key.use, device.command (a command to a device: the send and its outcome,
 * server/device-control/device-command-audit.ts), plan.command, plan.proposed, plan.resources
 * (server/plans/plan-audit.ts), resource.assign, resource.release.
 */
export type AuditAction = string;

export interface AuditEntry {
  /** who: a username, `device:<id>`, or `anonymous` / the username tried for a failed login */
  actor: string;
  /** the actor's role at the time, when known */
  role?: string;
  /** source address (after the trusted-proxy rule of server/guard.ts sourceOf) */
  source?: string;
  userAgent?: string;
  action: AuditAction;
  /** what was acted on: `user:officer1`, `incident:INC-…`, `device:…`, `rule:…` */
  target?: string;
  outcome: AuditOutcome;
  /** why, for failure/denied (an error code and message), or a short note */
  reason?: string;
  /** small structured extras (changed fields, command type); never secrets */
  details?: Record<string, unknown>;
}

/** A stored record: the entry plus its place and seal in the chain. */
export interface AuditRecord extends AuditEntry {
  /** 1, 2, 3 … without gaps */
  seq: number;
  /** epoch ms */
  ts: number;
  /** hash of the previous record (hex; the genesis value for seq 1) */
  prevHash: string;
  /** HMAC-SHA256(key, prevHash + canonical content), hex */
  hash: string;
}

export class AuditUnavailableError extends Error {
  readonly code = 'E_UNAVAILABLE' as const;
  constructor(message = 'the audit log could not be written; the action was not carried out', options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AuditUnavailableError';
  }
}

export interface AuditRecorder {
  record(entry: AuditEntry): Promise<void>;
}

/** For unit tests that do not look at the audit: accepts and forgets. */
export const DISCARD_AUDIT: AuditRecorder = { record: () => Promise.resolve() };

/** For unit tests that assert on what was recorded. */
export class CollectingAudit implements AuditRecorder {
  readonly entries: AuditEntry[] = [];
  failNext = false;
  record(entry: AuditEntry): Promise<void> {
    if (this.failNext) {
      this.failNext = false;
      return Promise.reject(new AuditUnavailableError());
    }
    this.entries.push(entry);
    return Promise.resolve();
  }
}
