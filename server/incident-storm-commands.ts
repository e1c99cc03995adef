/**
 * The incident commands of issue 14 (storm operations): close without resolving, merge, split and
 * 督办. The pure rules in scenes/storm/ decide what each does; `checkIncidentCommand` (the state
 * machine) answers role, expectedVersion and state first, like for every other command; the
 * store's compare-and-set makes each write stick exactly once (idempotent by command id).
 *
 * Merge and split write two incidents. Each write carries its own command id (the command's for the
 * incident named in `incidentId`, a derived one for the other), so a retry with the same commandId
 * finishes a half-done command and never applies either part twice. The contended write goes first
 * — merge closes the source, split takes the alert off its incident — so of two commands racing for
 * the same source or alert exactly one wins and the loser writes nothing; the second write is
 * rebuilt on a retry from the history entry the first one left (its `from` state and time).
 */
import { createHash } from 'node:crypto';
import type { Alert, Incident, IncidentTransition } from '../scenes/domain';
import type { Command, CommandResult, IocError } from '../scenes/protocol';
import { checkIncidentCommand, type Actor, type StormIncidentCommand } from '../scenes/incident-machine';
import { closeWithoutResolving, withResolvedOutcome } from '../scenes/storm/close-unresolved';
import { mergeIncidents, splitAlert } from '../scenes/storm/incident-dedup';
import { startSupervision } from '../scenes/storm/escalation-ladder';
import { recomputeSlaAfterEscalation } from '../scenes/storm/reprioritise';
import { withStormStep } from '../scenes/storm/storm-incident';
import { categoryForRule } from '../scenes/catalogue';
import type { Result } from '../scenes/protocol';
import type { Store, TransitionOutcome } from './store/store';
import type { Fusion } from './fusion';
import type { ChangeNotifier } from './commands';
import { iocError } from './errors';

export interface StormCommandDeps {
  store: Store;
  fusion: Fusion;
  notifier: ChangeNotifier;
  now: () => number;
  /** the command service's serialised alert write */
  persistAlert: (alert: Alert) => Promise<void>;
  /** times a write of a merge or split is re-applied to a newer version after a conflict (a note meanwhile) */
  retries: number;
}

/** The command id of the second incident a merge or split writes. */
export function derivedCommandId(commandId: string, part: 'merged' | 'split'): string {
  return `${commandId}#${part}`;
}

type Cmd<T extends StormIncidentCommand['type']> = Extract<StormIncidentCommand, { type: T }>;

/** The history entry a command left on an incident (how a retry finds the state it started from). */
function stepOf(incident: Incident, action: 'merged_into' | 'split', commandId: string): IncidentTransition | undefined {
  return incident.history.find((h) => h.action === action && h.commandId === commandId);
}

/** The id of the incident a split opens: the same for every retry of the command. */
export function splitIncidentId(commandId: string, ts: number): string {
  const key = createHash('sha256').update(commandId).digest('hex').slice(0, 6).toUpperCase();
  return `INC-${ts.toString(36).toUpperCase()}-${key}`;
}

function refused(commandId: string, error: IocError): CommandResult {
  return { ok: false, commandId, error };
}

/**
 * What a command of the state machine also does under the storm rules: a normal close records the
 * outcome 'resolved' and the after-action (resolution category and summary) when given; an approved
 * escalation recomputes the SLA deadlines for the raised priority (tightened, never loosened).
 */
export function withStormFollowUp(cmd: Command, incident: Incident): Incident {
  if (cmd.type === 'incident.close') {
    const closed = withResolvedOutcome(incident);
    if (cmd.resolutionCategory === undefined && cmd.summary === undefined) return closed;
    return { ...closed, resolution: { category: cmd.resolutionCategory ?? 'other', summary: (cmd.summary ?? '').trim() } };
  }
  if (cmd.type === 'incident.approve_escalation') return recomputeSlaAfterEscalation(incident);
  return incident;
}

export class StormIncidentCommands {
  constructor(private readonly d: StormCommandDeps) {}

  execute(cmd: StormIncidentCommand, actor: Actor): Promise<CommandResult> {
    switch (cmd.type) {
      case 'incident.close_unresolved':
        return this.closeUnresolved(cmd, actor);
      case 'incident.supervise':
        return this.supervise(cmd, actor);
      case 'incident.merge':
        return this.merge(cmd, actor);
      case 'incident.split':
        return this.split(cmd, actor);
      default: {
        const never: never = cmd;
        throw new Error(`unexpected storm command ${JSON.stringify(never)}`);
      }
    }
  }

  private async load(id: string): Promise<Incident | null> {
    return this.d.fusion.incidents.get(id) ?? (await this.d.store.getIncident(id));
  }

  private async stored(id: string | null): Promise<Incident | undefined> {
    if (id === null) return undefined;
    return (await this.d.store.getIncident(id)) ?? undefined;
  }

  /** A command on one incident: the machine's checks, the storm rule, one compare-and-set write. */
  private async single(
    cmd: Cmd<'incident.close_unresolved' | 'incident.supervise'>,
    actor: Actor,
    step: (current: Incident, nowTs: number) => Result<{ incident: Incident }>,
  ): Promise<CommandResult> {
    const seen = await this.d.store.incidentForCommand(cmd.commandId);
    if (seen) return { ok: true, commandId: cmd.commandId, duplicate: true, incident: await this.stored(seen) };
    const current = await this.load(cmd.incidentId);
    if (!current) return refused(cmd.commandId, iocError('E_NOT_FOUND', `no incident ${cmd.incidentId}`));
    const refusal = checkIncidentCommand(current, cmd, actor);
    if (refusal) return refused(cmd.commandId, refusal);
    const r = step(current, this.d.now());
    if (!r.ok) return refused(cmd.commandId, r.error);
    const out = await this.d.store.transitionIncident(r.incident, current.version, cmd.commandId);
    return this.answer(cmd.commandId, cmd.incidentId, out, current.assignees);
  }

  /** The client's answer to one compare-and-set write; an applied change is told (previous assignees too). */
  private answer(commandId: string, incidentId: string, out: TransitionOutcome, previousAssignees: readonly string[]): CommandResult {
    switch (out.status) {
      case 'applied':
        this.d.fusion.putIncident(out.incident);
        this.d.notifier.incidentChanged(out.incident, previousAssignees);
        return { ok: true, commandId, duplicate: false, incident: out.incident };
      case 'duplicate':
        return { ok: true, commandId, duplicate: true, incident: out.incident };
      case 'conflict':
        this.d.fusion.putIncident(out.current);
        return refused(
          commandId,
          iocError(
            'E_CONFLICT',
            `incident ${incidentId} changed meanwhile (now version ${out.current.version}, ${out.current.state}); reload and retry`,
            {
              current: out.current,
            },
          ),
        );
      case 'not_found':
        return refused(commandId, iocError('E_NOT_FOUND', `no incident ${incidentId}`));
      default: {
        const never: never = out;
        throw new Error(`unexpected outcome ${JSON.stringify(never)}`);
      }
    }
  }

  /** False alarm, duplicate or cancelled from reported/dispatched; the handlers it had are told. */
  private closeUnresolved(cmd: Cmd<'incident.close_unresolved'>, actor: Actor): Promise<CommandResult> {
    return this.single(cmd, actor, (current, ts) => {
      const r = closeWithoutResolving(current, { outcome: cmd.outcome, reason: cmd.reason, actor, ts, commandId: cmd.commandId });
      return r.ok ? { ok: true, incident: r.incident } : r;
    });
  }

  /** 督办: the leader's note and deadline on the incident, with a 'supervise' history entry. */
  private supervise(cmd: Cmd<'incident.supervise'>, actor: Actor): Promise<CommandResult> {
    return this.single(cmd, actor, (current, nowTs) => {
      const r = startSupervision(current, { actor, note: cmd.note, deadlineTs: cmd.deadlineTs, nowTs });
      if (!r.ok) return r;
      const { incidentId: _incidentId, ...supervision } = r.supervision;
      const next = withStormStep(
        current,
        { ...current, supervision },
        {
          action: 'supervise',
          actor: actor.username,
          ts: nowTs,
          commandId: cmd.commandId,
          note: supervision.note,
        },
      );
      return { ok: true, incident: next };
    });
  }

  private async merge(cmd: Cmd<'incident.merge'>, actor: Actor): Promise<CommandResult> {
    const sourceCommandId = derivedCommandId(cmd.commandId, 'merged');
    const [survivorDone, sourceDone] = await Promise.all([
      this.d.store.incidentForCommand(cmd.commandId),
      this.d.store.incidentForCommand(sourceCommandId),
    ]);
    if (survivorDone && sourceDone) {
      const [survivor, source] = await Promise.all([this.stored(survivorDone), this.stored(sourceDone)]);
      if (survivor && source) await this.moveAlerts(source.alertIds, source.id, survivor.id);
      return { ok: true, commandId: cmd.commandId, duplicate: true, incident: survivor, incidents: source ? [source] : [] };
    }
    let survivor = await this.load(cmd.incidentId);
    if (!survivor) return refused(cmd.commandId, iocError('E_NOT_FOUND', `no incident ${cmd.incidentId}`));
    const refusal = sourceDone ? null : checkIncidentCommand(survivor, cmd, actor);
    if (refusal) return refused(cmd.commandId, refusal);
    let source = await this.load(cmd.sourceIncidentId);
    if (!source) return refused(cmd.commandId, iocError('E_NOT_FOUND', `no incident ${cmd.sourceIncidentId}`));

    // 1. the source closes as a duplicate of the survivor: the contended write, so of two merges of
    //    one source exactly one wins; re-applied to a newer source (a note) while it is in progress
    let before: Incident;
    let ts: number;
    if (sourceDone) {
      // a retry of a half-done merge: the survivor's part is rebuilt from the source as it was
      const step = stepOf(source, 'merged_into', cmd.commandId);
      if (!step) return refused(cmd.commandId, iocError('E_CONFLICT', `${source.id} holds no merge by command ${cmd.commandId}`));
      before = { ...source, state: step.from ?? source.state };
      ts = step.ts;
    } else {
      ts = this.d.now();
      for (let attempt = 0; ; attempt++) {
        const r = mergeIncidents(survivor, source, { actor, ts, commandId: cmd.commandId });
        if (!r.ok) return refused(cmd.commandId, r.error);
        const out = await this.d.store.transitionIncident(r.merged, source.version, sourceCommandId);
        if (out.status === 'conflict' && attempt < this.d.retries) {
          source = out.current;
          continue;
        }
        if (out.status !== 'applied' && out.status !== 'duplicate') return this.answer(cmd.commandId, source.id, out, source.assignees);
        if (out.status === 'applied') this.told(out.incident, source.assignees);
        before = source;
        source = out.incident;
        break;
      }
    }
    // 2. the survivor takes the alerts (more urgent priority, tighter deadlines)
    for (let attempt = 0; ; attempt++) {
      const r = mergeIncidents(survivor, before, { actor, ts, commandId: cmd.commandId });
      if (!r.ok) {
        const message = `${source.id} was merged into ${survivor.id}, which could not take its alerts: ${r.error.message}`;
        return refused(cmd.commandId, iocError('E_CONFLICT', message, { current: survivor }));
      }
      const out = await this.d.store.transitionIncident(r.survivor, survivor.version, cmd.commandId);
      if (out.status === 'conflict' && attempt < this.d.retries) {
        survivor = out.current;
        continue;
      }
      const answer = this.answer(cmd.commandId, cmd.incidentId, out, survivor.assignees);
      if (!answer.ok) return answer;
      await this.moveAlerts(source.alertIds, source.id, cmd.incidentId);
      return { ...answer, incidents: [source] };
    }
  }

  private async split(cmd: Cmd<'incident.split'>, actor: Actor): Promise<CommandResult> {
    const splitCommandId = derivedCommandId(cmd.commandId, 'split');
    const [sourceDone, splitDone] = await Promise.all([
      this.d.store.incidentForCommand(cmd.commandId),
      this.d.store.incidentForCommand(splitCommandId),
    ]);
    if (sourceDone && splitDone) {
      const [source, split] = await Promise.all([this.stored(sourceDone), this.stored(splitDone)]);
      if (split) await this.moveAlerts([cmd.alertId], cmd.incidentId, split.id);
      return { ok: true, commandId: cmd.commandId, duplicate: true, incident: source, incidents: split ? [split] : [] };
    }
    let current = await this.load(cmd.incidentId);
    if (!current) return refused(cmd.commandId, iocError('E_NOT_FOUND', `no incident ${cmd.incidentId}`));
    const refusal = sourceDone ? null : checkIncidentCommand(current, cmd, actor);
    if (refusal) return refused(cmd.commandId, refusal);
    const alert = this.d.fusion.getAlert(cmd.alertId);
    if (!alert) return refused(cmd.commandId, iocError('E_NOT_FOUND', `no alert ${cmd.alertId}`));
    const rule = this.d.fusion.ruleById(alert.ruleId);
    const category = rule ? categoryForRule(rule) : current.category;

    // 1. the alert leaves the source: the contended write (of two splits of one alert exactly one wins)
    let before: Incident;
    let ts: number;
    let answer: CommandResult;
    if (sourceDone) {
      // a retry of a half-done split: the new incident is rebuilt from the source as it was
      const step = stepOf(current, 'split', cmd.commandId);
      if (!step) return refused(cmd.commandId, iocError('E_CONFLICT', `${current.id} holds no split by command ${cmd.commandId}`));
      before = { ...current, state: step.from ?? current.state, alertIds: [...current.alertIds, alert.id] };
      ts = step.ts;
      answer = { ok: true, commandId: cmd.commandId, duplicate: true, incident: current };
    } else {
      ts = this.d.now();
      for (let attempt = 0; ; attempt++) {
        const r = splitAlert(current, alert, { actor, ts, commandId: cmd.commandId, category, newIncidentId: splitIncidentId(cmd.commandId, ts) });
        if (!r.ok) return refused(cmd.commandId, r.error);
        const out = await this.d.store.transitionIncident(r.incident, current.version, cmd.commandId);
        if (out.status === 'conflict' && attempt < this.d.retries) {
          current = out.current;
          continue;
        }
        answer = this.answer(cmd.commandId, cmd.incidentId, out, current.assignees);
        if (!answer.ok) return answer;
        before = current;
        break;
      }
    }
    // 2. the new incident, with the same id on every retry
    const r = splitAlert(before, alert, { actor, ts, commandId: cmd.commandId, category, newIncidentId: splitIncidentId(cmd.commandId, ts) });
    if (!r.ok) return refused(cmd.commandId, r.error);
    const created = await this.d.store.createIncident(r.split, splitCommandId);
    if (created.status === 'applied') this.told(created.incident, []);
    await this.moveAlerts([alert.id], cmd.incidentId, created.incident.id);
    // a retry that created the missing incident did something: not a duplicate
    const duplicate = answer.ok && answer.duplicate && created.status === 'duplicate';
    return { ...answer, ...(answer.ok ? { duplicate } : {}), incidents: [created.incident] };
  }

  private told(incident: Incident, previousAssignees: readonly string[]): void {
    this.d.fusion.putIncident(incident);
    this.d.notifier.incidentChanged(incident, previousAssignees);
  }

  /** Alerts that pointed at `fromId` point at `toId` (idempotent: an alert already moved is left alone). */
  private async moveAlerts(alertIds: readonly string[], fromId: string, toId: string): Promise<void> {
    for (const id of alertIds) {
      const a = this.d.fusion.getAlert(id);
      if (!a || (a.incidentId !== undefined && a.incidentId !== fromId)) continue;
      const moved = { ...a, incidentId: toId };
      this.d.fusion.putAlert(moved);
      await this.d.persistAlert(moved);
      this.d.notifier.alertChanged(moved);
    }
  }
}
