/**
 * Commands from people (ack alert, create/dispatch/accept/… incident) and the automatic opening of
 * incidents for severe alerts. The pure state machine (scenes/incident-machine.ts) decides what is
 * legal; the store's compare-and-set makes it stick exactly once.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Alert, Incident, Rule } from '../scenes/domain';
import { CommandSchema, type Command, type CommandResult } from '../scenes/protocol';
import { acknowledgeAlert, shouldOpenIncident } from '../scenes/alert-lifecycle';
import {
  applyIncidentCommand,
  createIncident,
  createIncidentFromAlert,
  type Actor,
  type IncidentTransitionCommand,
} from '../scenes/incident-machine';
import { categoryForRule } from '../scenes/catalogue';
import { districtOf } from '../scenes/geo/districts';
import type { Store } from './store/store';
import type { Fusion } from './fusion';
import { iocError, validationError } from './errors';
import type { Logger } from './logger';

/** Told about every change so screens, consoles and phones hear of it at once. */
export interface ChangeNotifier {
  alertChanged(alert: Alert): void;
  incidentChanged(incident: Incident, previousAssignees: readonly string[]): void;
}

export interface CommandServiceOptions {
  /** how long an alert.ack command id is remembered, ms */
  commandTtlMs: number;
  now?: () => number;
}

function shortHash(s: string): string {
  return createHash('sha256').update(s).digest('base64url').slice(0, 16);
}

/** Incident ids: `INC-` + base36 time + random, sortable by creation. */
export function newIncidentId(nowTs: number): string {
  return `INC-${nowTs.toString(36).toUpperCase()}-${randomBytes(3).toString('hex').toUpperCase()}`;
}

export class CommandService {
  private readonly now: () => number;
  /** serialises alert writes so the store sees an alert's changes in order */
  private alertWrites: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: Store,
    private readonly fusion: Fusion,
    private readonly notifier: ChangeNotifier,
    private readonly log: Logger,
    private readonly opts: CommandServiceOptions,
  ) {
    this.now = opts.now ?? Date.now;
  }

  /** Validates, authorises and applies one command. Never throws: failures are typed results. */
  async execute(raw: unknown, actor: Actor): Promise<CommandResult> {
    const parsed = CommandSchema.safeParse(raw);
    const commandId = typeof (raw as { commandId?: unknown })?.commandId === 'string' ? (raw as { commandId: string }).commandId : undefined;
    if (!parsed.success) return { ok: false, commandId, error: validationError(parsed.error, 'command') };
    const cmd = parsed.data;
    if (actor.role === 'screen') return { ok: false, commandId, error: iocError('E_FORBIDDEN', 'wall screens are read-only') };
    try {
      switch (cmd.type) {
        case 'alert.ack':
          return await this.ackAlert(cmd, actor);
        case 'incident.create':
          return await this.create(cmd, actor);
        default:
          return await this.transition(cmd, actor);
      }
    } catch (err) {
      this.log.error({ err, commandId: cmd.commandId, type: cmd.type }, 'command failed');
      return { ok: false, commandId, error: iocError('E_INTERNAL', 'the command could not be stored; retry with the same commandId') };
    }
  }

  private async ackAlert(cmd: Extract<Command, { type: 'alert.ack' }>, actor: Actor): Promise<CommandResult> {
    if (actor.role !== 'officer' && actor.role !== 'admin' && actor.role !== 'leader') {
      return { ok: false, commandId: cmd.commandId, error: iocError('E_FORBIDDEN', `role ${actor.role} cannot acknowledge alerts`) };
    }
    const alert = this.fusion.getAlert(cmd.alertId);
    if (!alert) return { ok: false, commandId: cmd.commandId, error: iocError('E_NOT_FOUND', `no alert ${cmd.alertId}`) };
    if (!(await this.store.claimCommand(cmd.commandId, this.opts.commandTtlMs))) {
      return { ok: true, commandId: cmd.commandId, duplicate: true, alert };
    }
    const r = acknowledgeAlert(alert, actor.username, this.now());
    if (!r.ok) return { ok: false, commandId: cmd.commandId, error: r.error };
    this.fusion.putAlert(r.alert);
    await this.persistAlert(r.alert, 'alert.acked');
    this.notifier.alertChanged(r.alert);
    return { ok: true, commandId: cmd.commandId, duplicate: false, alert: r.alert };
  }

  private async create(cmd: Extract<Command, { type: 'incident.create' }>, actor: Actor): Promise<CommandResult> {
    const nowTs = this.now();
    const district = cmd.district ?? districtOf(cmd.location);
    if (!district)
      return { ok: false, commandId: cmd.commandId, error: iocError('E_VALIDATION', 'location is outside Qingdao and no district was given') };
    const made = createIncident({
      id: newIncidentId(nowTs),
      commandId: cmd.commandId,
      actor,
      nowTs,
      title: cmd.title,
      category: cmd.category,
      scene: cmd.scene,
      location: cmd.location,
      district,
      priority: cmd.priority,
      level: null,
      source: actor.role === 'handler' ? 'field_report' : 'manual',
      alertIds: cmd.alertIds ?? [],
      note: cmd.note,
      photos: cmd.photos,
    });
    if (!made.ok) return { ok: false, commandId: cmd.commandId, error: made.error };
    const out = await this.store.createIncident(made.incident, cmd.commandId);
    if (out.status === 'applied') {
      this.fusion.putIncident(out.incident);
      await this.linkAlerts(out.incident);
      this.notifier.incidentChanged(out.incident, []);
    }
    return { ok: true, commandId: cmd.commandId, duplicate: out.status === 'duplicate', incident: out.incident };
  }

  private async transition(cmd: IncidentTransitionCommand, actor: Actor): Promise<CommandResult> {
    // a retried command returns what it did the first time, even if the incident moved on since
    const seen = await this.store.incidentForCommand(cmd.commandId);
    if (seen) {
      const incident = (await this.store.getIncident(seen)) ?? undefined;
      return { ok: true, commandId: cmd.commandId, duplicate: true, incident };
    }
    const current = this.fusion.incidents.get(cmd.incidentId) ?? (await this.store.getIncident(cmd.incidentId));
    if (!current) return { ok: false, commandId: cmd.commandId, error: iocError('E_NOT_FOUND', `no incident ${cmd.incidentId}`) };
    const r = applyIncidentCommand(current, cmd, actor, this.now());
    if (!r.ok) return { ok: false, commandId: cmd.commandId, error: r.error };
    if (cmd.type === 'incident.link_alert') {
      const alert = this.fusion.getAlert(cmd.alertId);
      if (!alert) return { ok: false, commandId: cmd.commandId, error: iocError('E_NOT_FOUND', `no alert ${cmd.alertId}`) };
      if (alert.incidentId && alert.incidentId !== current.id) {
        return {
          ok: false,
          commandId: cmd.commandId,
          error: iocError('E_CONFLICT', `alert ${cmd.alertId} already belongs to incident ${alert.incidentId}`),
        };
      }
    }
    const out = await this.store.transitionIncident(r.incident, current.version, cmd.commandId);
    switch (out.status) {
      case 'applied':
        this.fusion.putIncident(out.incident);
        if (cmd.type === 'incident.link_alert') await this.linkAlerts(out.incident);
        this.notifier.incidentChanged(out.incident, current.assignees);
        return { ok: true, commandId: cmd.commandId, duplicate: false, incident: out.incident };
      case 'duplicate':
        return { ok: true, commandId: cmd.commandId, duplicate: true, incident: out.incident };
      case 'conflict':
        this.fusion.putIncident(out.current);
        return {
          ok: false,
          commandId: cmd.commandId,
          error: iocError(
            'E_CONFLICT',
            `incident ${cmd.incidentId} changed meanwhile (now version ${out.current.version}, ${out.current.state}); reload and retry`,
            {
              current: out.current,
            },
          ),
        };
      case 'not_found':
        return { ok: false, commandId: cmd.commandId, error: iocError('E_NOT_FOUND', `no incident ${cmd.incidentId}`) };
      default: {
        const never: never = out;
        throw new Error(`unexpected outcome ${JSON.stringify(never)}`);
      }
    }
  }

  private async linkAlerts(incident: Incident): Promise<void> {
    for (const id of incident.alertIds) {
      const a = this.fusion.getAlert(id);
      if (!a || a.incidentId) continue;
      const linked = { ...a, incidentId: incident.id };
      this.fusion.putAlert(linked);
      await this.persistAlert(linked);
      this.notifier.alertChanged(linked);
    }
  }

  // ------------------------------------------------------------------------------------------
  // alerts from rules

  /** Persists an alert change from the rule engine and opens an incident when the rule says so. */
  async onAlertChange(alert: Alert, change: 'raised' | 'updated' | 'cleared', rule: Rule): Promise<void> {
    // screens first: fusion already holds the alert, and a red alert must not wait behind a
    // store round trip (the event-log write follows; a failed write is logged and retried by the
    // next change of the same alert)
    this.notifier.alertChanged(alert);
    await this.persistAlert(alert, change === 'raised' ? 'alert.raised' : change === 'cleared' ? 'alert.cleared' : 'alert.updated');
    const latest = this.fusion.getAlert(alert.id) ?? alert;
    if (shouldOpenIncident(rule, latest)) await this.openIncidentForAlert(latest, rule);
  }

  private async openIncidentForAlert(alert: Alert, rule: Rule): Promise<void> {
    const key = shortHash(alert.id);
    const commandId = `auto-${key}`;
    const incident = createIncidentFromAlert(alert, { id: `INC-A-${key}`, commandId, nowTs: this.now(), category: categoryForRule(rule) });
    const out = await this.store.createIncident(incident, commandId);
    this.fusion.putIncident(out.incident);
    const current = this.fusion.getAlert(alert.id) ?? alert;
    if (!current.incidentId) {
      const linked = { ...current, incidentId: out.incident.id };
      this.fusion.putAlert(linked);
      await this.persistAlert(linked);
      this.notifier.alertChanged(linked);
    }
    if (out.status === 'applied') {
      this.log.info({ incidentId: out.incident.id, alertId: alert.id, level: alert.level }, 'incident opened for alert');
      this.notifier.incidentChanged(out.incident, []);
    }
  }

  private persistAlert(alert: Alert, type?: 'alert.raised' | 'alert.updated' | 'alert.cleared' | 'alert.acked'): Promise<void> {
    const write = this.alertWrites.then(() => this.store.saveAlert(alert, type ? { ts: this.now(), type, scene: alert.scene, alert } : undefined));
    this.alertWrites = write.catch((err: unknown) => this.log.error({ err, alertId: alert.id }, 'alert write failed'));
    return write;
  }
}
