/**
 * The audit record of a command (issue 12): one per command, applied or refused, written by
 * CommandService once the outcome is known.
 */
import type { CommandResult } from '../scenes/protocol';
import type { Actor } from '../scenes/incident-machine';
import type { AuditEntry } from './audit/audit';

/** Where a command came from, for its audit record. */
export interface CommandContext {
  /** source address (server/guard.ts sourceOf) */
  source?: string;
  userAgent?: string;
}

/** longest reason kept in a command's audit record, characters */
const AUDIT_REASON_MAX_CHARS = 300;

/** The audit record of one command: `command` on `incident:<id>` (or `alert:<id>`) with its type and commandId. */
export function commandAuditEntry(raw: unknown, actor: Actor, context: CommandContext, result: CommandResult): AuditEntry {
  let type: string | undefined;
  let target: string | undefined;
  try {
    const r = (raw ?? {}) as { type?: unknown; incidentId?: unknown; alertId?: unknown };
    if (typeof r.type === 'string') type = r.type.slice(0, 64);
    const incidentId = result.ok ? (result.incident?.id ?? r.incidentId) : r.incidentId;
    if (typeof incidentId === 'string') target = `incident:${incidentId.slice(0, 128)}`;
    else if (typeof r.alertId === 'string') target = `alert:${r.alertId.slice(0, 128)}`;
  } catch {
    // a hostile payload that throws on reading: recorded without type and target
  }
  const error = result.ok ? null : result.error;
  const denied = error && (error.code === 'E_FORBIDDEN' || error.code === 'E_UNAUTHORIZED' || error.code === 'E_RATE_LIMIT');
  return {
    actor: actor.username,
    role: actor.role,
    ...(context.source !== undefined ? { source: context.source } : {}),
    ...(context.userAgent !== undefined ? { userAgent: context.userAgent } : {}),
    action: 'command',
    ...(target !== undefined ? { target } : {}),
    outcome: error ? (denied ? 'denied' : 'failure') : 'success',
    ...(error ? { reason: `${error.code}: ${error.message}`.slice(0, AUDIT_REASON_MAX_CHARS) } : {}),
    details: {
      ...(type !== undefined ? { type } : {}),
      ...(result.commandId !== undefined ? { commandId: result.commandId } : {}),
      ...(result.ok && result.duplicate ? { duplicate: true } : {}),
      // the incident as the command left it: a history edited in the store later disagrees with the chain
      ...(result.ok && result.incident ? { version: result.incident.version, state: result.incident.state } : {}),
      // issue 14: the other incidents a merge or split changed, how many alerts a bulk acknowledgement took
      ...(result.ok && result.incidents?.length ? { incidents: result.incidents.map((i) => i.id) } : {}),
      ...(result.ok && result.alerts ? { alerts: result.alerts.length } : {}),
    },
  };
}
