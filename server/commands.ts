/**
 * Commands from people (ack alert, create/dispatch/accept/… incident) and the automatic opening of
 * incidents for severe alerts. The pure state machine (scenes/incident-machine.ts) decides what is
 * legal; the store's compare-and-set makes it stick exactly once. Issue 14's storm commands live
 * in incident-storm-commands.ts (close unresolved, merge, split, 督办) and alert-bulk-ack.ts; what
 * the system does on its own (查重 link, reprioritise) in incident-automation.ts.
 */
import { randomBytes } from 'node:crypto';
import type { Alert, Incident, Rule } from '../scenes/domain';
import { CommandSchema, type Command, type CommandResult, type IocError } from '../scenes/protocol';
import { acknowledgeAlert, shouldOpenIncident } from '../scenes/alert-lifecycle';
import {
  applyIncidentCommand,
  createIncident,
  type Actor,
  isCommutativeCommand,
  type IncidentTransitionCommand,
  type MachineIncidentCommand,
} from '../scenes/incident-machine';
import { DEFAULT_DEDUP_CONFIG, type DedupConfig } from '../scenes/storm/incident-dedup';
import { districtOf } from '../scenes/geo/districts';
import { alertInScope, districtInScope, incidentInScope, type DataScope } from '../scenes/scope';
import { userScope } from './user-scope';
import type { Store, TransitionOutcome } from './store/store';
import type { Fusion } from './fusion';
import { iocError, validationError } from './errors';
import type { Logger } from './logger';
import { DISCARD_AUDIT, type AuditRecorder } from './audit/audit';
import { commandAuditEntry, type CommandContext } from './command-audit';
import { StormIncidentCommands, withStormFollowUp } from './incident-storm-commands';
import { AlertBulkAck } from './alert-bulk-ack';
import { IncidentAutomation } from './incident-automation';

/** Told about every change so screens, consoles and phones hear of it at once. */
export interface ChangeNotifier {
  alertChanged(alert: Alert): void;
  incidentChanged(incident: Incident, previousAssignees: readonly string[]): void;
}

export interface CommandServiceOptions {
  /** how long an alert.ack command id is remembered, ms */
  commandTtlMs: number;
  /** times a commutative command (note, link alert) is re-applied after a version conflict */
  commutativeRetries: number;
  now?: () => number;
  /**
   * every command, applied or refused, is recorded here (server/audit/); the server always passes
   * the chained log, unit tests that do not look at the audit may leave it out
   */
  audit?: AuditRecorder;
  /** 查重 radius per category and window (issue 14); default DEFAULT_DEDUP_CONFIG */
  dedup?: DedupConfig;
}

export type { CommandContext } from './command-audit';

/** Incident ids: `INC-` + base36 time + random, sortable by creation. */
export function newIncidentId(nowTs: number): string {
  return `INC-${nowTs.toString(36).toUpperCase()}-${randomBytes(3).toString('hex').toUpperCase()}`;
}

function commandIdOf(raw: unknown): string | undefined {
  try {
    const id = (raw as { commandId?: unknown } | null)?.commandId;
    return typeof id === 'string' && id.length <= COMMAND_ID_MAX_LENGTH ? id : undefined;
  } catch {
    return undefined;
  }
}

const COMMAND_ID_MAX_LENGTH = 64;

/** A store failure as the client sees it: its typed code when the store gave one, else E_INTERNAL. */
function storeFailure(err: unknown): IocError {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'E_UNAVAILABLE') return iocError('E_UNAVAILABLE', 'the store is unavailable; retry with the same commandId');
  if (code === 'E_QUOTA') return iocError('E_QUOTA', (err as Error).message);
  return iocError('E_INTERNAL', 'the command could not be stored; retry with the same commandId');
}

export class CommandService {
  private readonly now: () => number;
  /** commands being applied, by actor and commandId */
  private readonly inflight = new Map<string, Promise<CommandResult>>();
  /** tail of the commutative commands queued per incident id */
  private readonly commutativeQueues = new Map<string, Promise<void>>();
  /** serialises alert writes so the store sees an alert's changes in order */
  private alertWrites: Promise<void> = Promise.resolve();
  private readonly storm: StormIncidentCommands;
  private readonly bulkAck: AlertBulkAck;
  private readonly automation: IncidentAutomation;

  constructor(
    private readonly store: Store,
    private readonly fusion: Fusion,
    private readonly notifier: ChangeNotifier,
    private readonly log: Logger,
    private readonly opts: CommandServiceOptions,
  ) {
    this.now = opts.now ?? Date.now;
    const persistAlert = (alert: Alert) => this.persistAlert(alert);
    this.storm = new StormIncidentCommands({
      store,
      fusion,
      notifier,
      now: () => this.now(),
      persistAlert,
      retries: opts.commutativeRetries,
    });
    this.bulkAck = new AlertBulkAck({
      store,
      fusion,
      notifier,
      audit: opts.audit ?? DISCARD_AUDIT,
      now: () => this.now(),
      persistAckedAlert: (alert, commandId) => this.persistAlert(alert, 'alert.acked', commandId),
    });
    this.automation = new IncidentAutomation({
      store,
      fusion,
      notifier,
      log,
      now: () => this.now(),
      persistAlert,
      dedup: opts.dedup ?? DEFAULT_DEDUP_CONFIG,
      retries: opts.commutativeRetries,
    });
  }

  /**
   * Validates, authorises and applies one command. Never throws: failures are typed results.
   * The same commandId arriving again while the first is still being applied (a client retrying
   * on a slow answer, or over both REST and the socket) shares the first one's outcome.
   */
  execute(raw: unknown, actor: Actor, context: CommandContext = {}): Promise<CommandResult> {
    const commandId = commandIdOf(raw);
    if (commandId === undefined) return this.executeAudited(raw, actor, undefined, context);
    const key = `${actor.username}\u0000${commandId}`;
    const running = this.inflight.get(key);
    if (running) return running;
    const p = this.executeAudited(raw, actor, commandId, context).finally(() => this.inflight.delete(key));
    this.inflight.set(key, p);
    return p;
  }

  /**
   * Every command, applied or refused, goes to the audit log once its outcome is known. When that
   * write fails the answer is E_UNAVAILABLE even if the command was applied: the client retries
   * with the same commandId, which is idempotent (answered `duplicate`, never applied twice) and
   * is audited again — so no applied command is ever answered ok without its audit record.
   */
  private async executeAudited(raw: unknown, actor: Actor, commandId: string | undefined, context: CommandContext): Promise<CommandResult> {
    const result = await this.executeOnce(raw, actor, commandId, context);
    try {
      await (this.opts.audit ?? DISCARD_AUDIT).record(commandAuditEntry(raw, actor, context, result));
    } catch {
      return {
        ok: false,
        commandId: result.commandId ?? commandId,
        error: iocError('E_UNAVAILABLE', 'the audit log could not be written; retry with the same commandId'),
      };
    }
    return result;
  }

  private async executeOnce(raw: unknown, actor: Actor, commandId: string | undefined, context: CommandContext): Promise<CommandResult> {
    let parsed: ReturnType<typeof CommandSchema.safeParse>;
    try {
      parsed = CommandSchema.safeParse(raw);
    } catch {
      // zod reads hostile values (e.g. a `length` trap) and may throw: such input is invalid, not an internal error
      return { ok: false, commandId, error: iocError('E_VALIDATION', 'invalid command: the payload could not be read') };
    }
    if (!parsed.success) return { ok: false, commandId, error: validationError(parsed.error, 'command') };
    const cmd = parsed.data;
    if (actor.role === 'screen') return { ok: false, commandId, error: iocError('E_FORBIDDEN', 'wall screens are read-only') };
    try {
      // data scope (issue 12): an officer or leader limited to districts acts only on those districts
      const outOfScope = await this.scopeRefusal(cmd, actor);
      if (outOfScope) return { ok: false, commandId: cmd.commandId, error: outOfScope };
      switch (cmd.type) {
        case 'alert.ack':
          return await this.ackAlert(cmd, actor);
        case 'incident.create':
          return await this.create(cmd, actor);
        case 'alert.ack_bulk':
          return await this.bulkAck.execute(cmd, actor, context);
        case 'incident.close_unresolved':
        case 'incident.merge':
        case 'incident.split':
        case 'incident.supervise':
          return await this.storm.execute(cmd, actor);
        default:
          return await this.serialisedIfCommutative(cmd, () => this.transition(cmd, actor));
      }
    } catch (err) {
      this.log.error({ err, commandId: cmd.commandId, type: cmd.type }, 'command failed');
      return { ok: false, commandId, error: storeFailure(err) };
    }
  }

  /**
   * Why this actor may not touch what the command names, or null. Only district limits are
   * checked here: a handler's reach (their own tasks) is the state machine's `assigneeOnly` rule,
   * and a handler's field report may come from anywhere. Missing targets pass (answered
   * E_NOT_FOUND further on).
   */
  private async scopeRefusal(cmd: Command, actor: Actor): Promise<IocError | null> {
    if (actor.role === 'handler') return null;
    const scope: DataScope = await userScope(this.store, actor);
    if (scope.kind !== 'districts') return null;
    const outside = (what: string) => iocError('E_FORBIDDEN', `${what} is outside your districts (${scope.districts.join(', ')})`);
    const alertOutside = (alertId: string) => {
      const a = this.fusion.getAlert(alertId);
      return a && !alertInScope(scope, a) ? outside(`alert ${alertId}`) : null;
    };
    switch (cmd.type) {
      case 'alert.ack':
        return alertOutside(cmd.alertId);
      case 'alert.ack_bulk':
        // the alerts acknowledged are filtered by scope; a district filter outside it is refused outright
        return cmd.district && !districtInScope(scope, cmd.district) ? outside(`district ${cmd.district}`) : null;
      case 'incident.create': {
        const district = cmd.district ?? districtOf(cmd.location);
        if (district && !districtInScope(scope, district)) return outside(`a new incident in district ${district}`);
        for (const id of cmd.alertIds ?? []) {
          const refused = alertOutside(id);
          if (refused) return refused;
        }
        return null;
      }
      default: {
        const incident = this.fusion.incidents.get(cmd.incidentId) ?? (await this.store.getIncident(cmd.incidentId));
        if (incident && !incidentInScope(scope, incident)) return outside(`incident ${cmd.incidentId}`);
        if (cmd.type === 'incident.merge') {
          const source = this.fusion.incidents.get(cmd.sourceIncidentId) ?? (await this.store.getIncident(cmd.sourceIncidentId));
          if (source && !incidentInScope(scope, source)) return outside(`incident ${cmd.sourceIncidentId}`);
        }
        return cmd.type === 'incident.link_alert' || cmd.type === 'incident.split' ? alertOutside(cmd.alertId) : null;
      }
    }
  }

  /**
   * Dispatch targets: each must be an existing, enabled account of a field handler (a typo, an
   * officer's or a leader's name would leave the task with nobody who can accept it).
   */
  private async assigneeRefusal(assignees: readonly string[]): Promise<IocError | null> {
    for (const username of assignees) {
      const user = await this.store.getUser(username);
      if (!user) return iocError('E_NOT_FOUND', `no user ${username}; dispatch only to field handler accounts`, { assignee: username });
      if (user.role !== 'handler')
        return iocError('E_VALIDATION', `${username} is a ${user.role}, not a field handler; dispatch only to field handler accounts`, {
          assignee: username,
          problem: 'not_a_handler',
        });
      if (user.disabled)
        return iocError('E_VALIDATION', `${username} is disabled; dispatch only to active field handler accounts`, {
          assignee: username,
          problem: 'disabled',
        });
    }
    return null;
  }

  /**
   * Acknowledges an alert. The command id is recorded by the store in the same write as the
   * acknowledged alert, so a retry answers `duplicate` only for an acknowledgement that was stored;
   * a refused or failed acknowledgement records nothing and its retry is judged afresh.
   */
  private async ackAlert(cmd: Extract<Command, { type: 'alert.ack' }>, actor: Actor): Promise<CommandResult> {
    if (actor.role !== 'officer' && actor.role !== 'admin' && actor.role !== 'leader') {
      return { ok: false, commandId: cmd.commandId, error: iocError('E_FORBIDDEN', `role ${actor.role} cannot acknowledge alerts`) };
    }
    const seen = await this.store.alertForCommand(cmd.commandId);
    if (seen !== null) {
      let alert = this.fusion.getAlert(seen);
      if (alert && !alert.acknowledged) {
        // stored, but the answer was lost and the acknowledgement undone in memory: redo it there
        const redo = acknowledgeAlert(alert, actor.username, this.now());
        if (redo.ok) {
          alert = redo.alert;
          this.fusion.putAlert(alert);
          this.notifier.alertChanged(alert);
        }
      }
      return { ok: true, commandId: cmd.commandId, duplicate: true, ...(alert ? { alert } : {}) };
    }
    const alert = this.fusion.getAlert(cmd.alertId);
    if (!alert) return { ok: false, commandId: cmd.commandId, error: iocError('E_NOT_FOUND', `no alert ${cmd.alertId}`) };
    const r = acknowledgeAlert(alert, actor.username, this.now());
    if (!r.ok) return { ok: false, commandId: cmd.commandId, error: r.error };
    this.fusion.putAlert(r.alert);
    try {
      await this.persistAlert(r.alert, 'alert.acked', cmd.commandId);
    } catch (err) {
      // not stored: undo the acknowledgement in memory unless the alert moved on meanwhile (then
      // the acknowledgement travels with that newer write and a retry is refused as already done)
      if (this.fusion.getAlert(alert.id) === r.alert) this.fusion.putAlert(alert);
      throw err;
    }
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

  /**
   * Commutative commands on one incident run one after another in this process, so a burst of
   * notes does not conflict with itself; conflicts with other nodes are retried in `transition`.
   */
  private serialisedIfCommutative(cmd: IncidentTransitionCommand, run: () => Promise<CommandResult>): Promise<CommandResult> {
    if (cmd.expectedVersion !== undefined || !isCommutativeCommand(cmd.type)) return run();
    const previous = this.commutativeQueues.get(cmd.incidentId) ?? Promise.resolve();
    const next = previous.then(run, run);
    const tail = next.then(
      () => undefined,
      () => undefined,
    );
    this.commutativeQueues.set(cmd.incidentId, tail);
    void tail.then(() => {
      if (this.commutativeQueues.get(cmd.incidentId) === tail) this.commutativeQueues.delete(cmd.incidentId);
    });
    return next;
  }

  private async transition(cmd: MachineIncidentCommand, actor: Actor): Promise<CommandResult> {
    // a retried command returns what it did the first time, even if the incident moved on since
    const seen = await this.store.incidentForCommand(cmd.commandId);
    if (seen) {
      const incident = (await this.store.getIncident(seen)) ?? undefined;
      return { ok: true, commandId: cmd.commandId, duplicate: true, incident };
    }
    let current = this.fusion.incidents.get(cmd.incidentId) ?? (await this.store.getIncident(cmd.incidentId));
    if (!current) return { ok: false, commandId: cmd.commandId, error: iocError('E_NOT_FOUND', `no incident ${cmd.incidentId}`) };
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
    // a commutative command without expectedVersion is re-applied to the newer version on conflict
    const retries = cmd.expectedVersion === undefined && isCommutativeCommand(cmd.type) ? this.opts.commutativeRetries : 0;
    let out: TransitionOutcome;
    for (let attempt = 0; ; attempt++) {
      const r = applyIncidentCommand(current, cmd, actor, this.now());
      if (!r.ok) return { ok: false, commandId: cmd.commandId, error: r.error };
      // issue 14: a close records its outcome and after-action, an approved escalation its new SLA
      const next = withStormFollowUp(cmd, r.incident);
      // after the machine's checks (who may dispatch, from which state) so those answer first
      if (attempt === 0 && (cmd.type === 'incident.dispatch' || cmd.type === 'incident.reassign')) {
        const refused = await this.assigneeRefusal(cmd.assignees);
        if (refused) return { ok: false, commandId: cmd.commandId, error: refused };
      }
      out = await this.store.transitionIncident(next, current.version, cmd.commandId);
      if (out.status !== 'conflict' || attempt >= retries) break;
      this.fusion.putIncident(out.current);
      current = out.current;
    }
    switch (out.status) {
      case 'applied':
        this.fusion.putIncident(out.incident);
        if (cmd.type === 'incident.link_alert') {
          await this.linkAlerts(out.incident);
          // the incident follows the danger of the alert it took (issue 14)
          const linked = this.fusion.getAlert(cmd.alertId);
          if (linked) await this.automation.followAlert(linked);
        }
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
    // a linked alert that worsened takes its incident's priority up with it (issue 14)
    if (latest.incidentId) await this.automation.followAlert(latest);
    else if (shouldOpenIncident(rule, latest)) await this.automation.openIncidentInTurn(latest.id, rule);
  }

  private persistAlert(alert: Alert, type?: 'alert.raised' | 'alert.updated' | 'alert.cleared' | 'alert.acked', commandId?: string): Promise<void> {
    const write = this.alertWrites.then(() =>
      this.store.saveAlert(alert, type ? { ts: this.now(), type, scene: alert.scene, alert } : undefined, commandId),
    );
    this.alertWrites = write.catch((err: unknown) => this.log.error({ err, alertId: alert.id }, 'alert write failed'));
    return write;
  }
}
