/**
 * `alert.ack_bulk` (issue 14): acknowledge every recovered (cleared) and unacknowledged alert that
 * matches a scene, a district and/or explicit ids, within the actor's data scope — one command for
 * an alarm storm's tail instead of a click per gauge.
 *
 * Invariants:
 * - each alert is acknowledged by its own store write carrying a per-alert command id derived from
 *   the command's, so a retry never acknowledges an alert twice and answers the alerts this command
 *   acknowledged before (`duplicate`);
 * - one audit record per alert acknowledged (target `alert:<id>`), written after the alert is stored;
 *   a retry records them again marked `duplicate`, like every retried command;
 * - alerts outside the actor's districts are never touched (a district filter outside them is refused).
 */
import { createHash } from 'node:crypto';
import type { Alert, Role } from '../scenes/domain';
import type { Command, CommandResult } from '../scenes/protocol';
import { acknowledgeAlert } from '../scenes/alert-lifecycle';
import type { Actor } from '../scenes/incident-machine';
import { alertInScope } from '../scenes/scope';
import type { AuditRecorder } from './audit/audit';
import type { ChangeNotifier, CommandContext } from './commands';
import { iocError } from './errors';
import type { Fusion } from './fusion';
import type { Store } from './store/store';
import { userScope } from './user-scope';

/** Roles that acknowledge alerts (as for a single `alert.ack`). */
export const ALERT_ACK_ROLES: readonly Role[] = ['officer', 'leader', 'admin'];

export interface AlertBulkAckDeps {
  store: Store;
  fusion: Fusion;
  notifier: ChangeNotifier;
  audit: AuditRecorder;
  now: () => number;
  /** the command service's serialised alert write, with its event and command id */
  persistAckedAlert: (alert: Alert, commandId: string) => Promise<void>;
}

type BulkAckCommand = Extract<Command, { type: 'alert.ack_bulk' }>;

/** The command id recorded with one alert of a bulk acknowledgement. */
export function bulkAckAlertCommandId(commandId: string, alertId: string): string {
  return `${commandId}#${createHash('sha256').update(alertId).digest('base64url').slice(0, 16)}`;
}

export class AlertBulkAck {
  constructor(private readonly d: AlertBulkAckDeps) {}

  async execute(cmd: BulkAckCommand, actor: Actor, context: CommandContext): Promise<CommandResult> {
    if (!ALERT_ACK_ROLES.includes(actor.role)) {
      return { ok: false, commandId: cmd.commandId, error: iocError('E_FORBIDDEN', `role ${actor.role} cannot acknowledge alerts`) };
    }
    if (cmd.scene === undefined && cmd.district === undefined && cmd.alertIds === undefined) {
      return { ok: false, commandId: cmd.commandId, error: iocError('E_VALIDATION', 'name a scene, a district or alert ids to acknowledge') };
    }
    const scope = await userScope(this.d.store, actor);
    const ids = cmd.alertIds ? new Set(cmd.alertIds) : null;
    const matching = this.d.fusion
      .listAlerts()
      .filter(
        (a) =>
          a.cleared &&
          (ids === null || ids.has(a.id)) &&
          (cmd.scene === undefined || a.scene === cmd.scene) &&
          (cmd.district === undefined || a.district === cmd.district) &&
          alertInScope(scope, a),
      )
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

    const acknowledged: Alert[] = [];
    let fresh = 0;
    for (const alert of matching) {
      const perAlertId = bulkAckAlertCommandId(cmd.commandId, alert.id);
      if (alert.acknowledged) {
        // acknowledged by this very command before (a retry): answered and audited again as a duplicate
        if (alert.ackBy === actor.username && (await this.d.store.alertForCommand(perAlertId)) === alert.id) {
          acknowledged.push(alert);
          await this.d.audit.record(this.auditEntry(alert, cmd.commandId, actor, context, true));
        }
        continue;
      }
      const r = acknowledgeAlert(alert, actor.username, this.d.now());
      if (!r.ok) continue;
      this.d.fusion.putAlert(r.alert);
      try {
        await this.d.persistAckedAlert(r.alert, perAlertId);
      } catch (err) {
        // not stored: undone in memory unless the alert moved on meanwhile (as for alert.ack)
        if (this.d.fusion.getAlert(alert.id) === r.alert) this.d.fusion.putAlert(alert);
        throw err;
      }
      this.d.notifier.alertChanged(r.alert);
      await this.d.audit.record(this.auditEntry(r.alert, cmd.commandId, actor, context, false));
      acknowledged.push(r.alert);
      fresh++;
    }
    return { ok: true, commandId: cmd.commandId, duplicate: fresh === 0 && acknowledged.length > 0, alerts: acknowledged };
  }

  private auditEntry(alert: Alert, commandId: string, actor: Actor, context: CommandContext, duplicate: boolean) {
    return {
      actor: actor.username,
      role: actor.role,
      ...(context.source !== undefined ? { source: context.source } : {}),
      ...(context.userAgent !== undefined ? { userAgent: context.userAgent } : {}),
      action: 'command',
      target: `alert:${alert.id.slice(0, 128)}`,
      outcome: 'success' as const,
      details: { type: 'alert.ack_bulk', commandId, ...(duplicate ? { duplicate: true } : {}) },
    };
  }
}
