/**
 * PlanService: contingency plans (应急预案) on the server. Public surface:
 * - `start()` / `close()`: load the instances, then every `tickIntervalMs` read the store again
 *   (another node's changes), build the situation from live state and propose what the triggers
 *   call for (scenes/plans/plan-triggers.ts): a plan is proposed once — the store keeps one open
 *   instance per plan, so two nodes' ticks never propose twice — and not again within its
 *   cool-down; a proposal at its plan's autoStartLevel starts at once;
 * - `execute(actor, raw, context)`: the commands of plan-protocol.ts — validated, authorised by
 *   role and data scope, idempotent by commandId (a retry answers `duplicate` with the instance
 *   now), compare-and-set on the instance's version (a concurrent change is re-read and the action
 *   applied again, or refused when it no longer fits), audited applied or refused (an applied
 *   command whose audit record cannot be written answers E_UNAVAILABLE: the retry is audited);
 * - `viewsFor(scope)`, `definitions()`: what people see; `viewsBetween(scope, fromTs, toTs)` the
 *   instances of a period, closed ones too, read from the store (`/api/plans/instances?from=&to=`);
 * - hooks: `onChange()` after any instance changed (the `/live` push), `onPlanStarted(instance)`
 *   once per start on the node that started it (notifications, H4).
 * Starting an instance (or raising its level) takes the live resources its plan's needs call for
 * and records them on it; ending or dismissing it gives them back (plan-resources.ts).
 * Device commands a plan proposes are sent only when a person confirms them
 * (`plan.send_device_commands`), through remote control's `send` as that person: its role, scope,
 * online/maintenance checks, idempotency (the command id is deterministic) and audit apply.
 */
import type { Alert, Device } from '../../scenes/domain';
import type { DataScope } from '../../scenes/scope';
import type { Actor } from '../../scenes/incident-machine';
import type { IocError } from '../../scenes/protocol';
import type { ContingencyPlan } from '../../scenes/plans/plan-schema';
import { applyPlanAction, proposePlan } from '../../scenes/plans/plan-instance';
import { planTakesResources } from '../../scenes/plans/plan-resources';
import { evaluatePlanTriggers, resolvePlanDeviceCommands, type PlanSituation } from '../../scenes/plans/plan-triggers';
import {
  comparePlanViews,
  instanceDistricts,
  isPlanInstanceOpen,
  manualProposal,
  planActionOf,
  planActionRefusal,
  PlanCommandSchema,
  PLAN_COMMAND_ROLES,
  planInstanceView,
  planInstanceVisible,
  storedInstance,
  type PlanCommand,
  type PlanInstanceView,
  type StoredPlanInstance,
} from '../../scenes/plans/plan-protocol';
import { planInstancesInScope } from '../../scenes/plans/plan-range';
import { DISCARD_AUDIT, type AuditRecorder } from '../audit/audit';
import { iocError, validationError } from '../errors';
import type { Logger } from '../logger';
import type { PlanCreateOutcome, PlanStore } from '../store/plan-store';
import type { Store } from '../store/store';
import { userScope } from '../user-scope';
import type { DeviceCommandService } from '../device-control/device-command-service';
import { planCommandAuditEntry, planProposedAuditEntry, type PlanCommandContext } from './plan-audit';
import { focusWithDeviceDistricts } from './plan-situation';
import { sendPlanDeviceCommands, type PlanDeviceCommandAnswer } from './plan-device-commands';
import { PLAN_SYSTEM_ACTOR, type PlanResources } from './plan-resources';

export type PlanCommandResult =
  | {
      ok: true;
      commandId: string;
      instance: PlanInstanceView;
      duplicate?: boolean;
      /** plan.send_device_commands: each command's answer from remote control */
      deviceCommands?: PlanDeviceCommandAnswer[];
    }
  | { ok: false; commandId?: string; error: IocError };

export interface PlanServiceDeps {
  plans: PlanStore;
  definitions: readonly ContingencyPlan[];
  /** the live situation and the device registry (fusion), read at each tick and to resolve device commands */
  live: { situation(nowTs: number): PlanSituation; devices: ReadonlyMap<string, Device> };
  /** scope of people (districts are a stored-user attribute) */
  store: Pick<Store, 'getUser'>;
  audit?: AuditRecorder;
  log: Logger;
  /** remote control; absent: device commands are refused E_UNAVAILABLE */
  deviceControl?: Pick<DeviceCommandService, 'send'>;
  /** live resources a started instance takes and gives back (plan-resources.ts); absent: none are taken */
  resources?: Pick<PlanResources, 'take' | 'settle' | 'giveBack' | 'reconcile'>;
  tickIntervalMs: number;
  /** alert-driven evaluations begin at most this often, ms (default DEFAULT_EVALUATION_MIN_INTERVAL_MS) */
  evaluationMinIntervalMs?: number;
  /**
   * Issue 15: triggers are evaluated (and proposals stored) only while this is held — one node of
   * a cluster proposes; every node still re-reads the instances each tick. Default: always held.
   */
  lease?: { isHeld(): Promise<boolean> };
  /** retries of a command that lost a compare-and-set race */
  conflictRetries?: number;
  now?: () => number;
  onChange?: () => void;
  /** once per start (by hand or auto-start), on the node that started it */
  onPlanStarted?: (instance: StoredPlanInstance, plan: ContingencyPlan) => void;
  /** once per proposal its triggers made (not auto-started), on the node that stored it */
  onPlanProposed?: (instance: StoredPlanInstance, plan: ContingencyPlan) => void;
}

const DEFAULT_CONFLICT_RETRIES = 3;
/**
 * Alert-driven trigger evaluations begin at most this often, ms: a proposal still reaches the
 * officer within a fraction of a second, and a storm of alert changes costs a few store reads per
 * second instead of one per change.
 */
export const DEFAULT_EVALUATION_MIN_INTERVAL_MS = 300;
const fail = (error: IocError, commandId?: string): { ok: false; commandId?: string; error: IocError } => ({
  ok: false,
  ...(commandId !== undefined ? { commandId } : {}),
  error,
});

function storeFailure(err: unknown): IocError {
  return (err as { code?: unknown } | null)?.code === 'E_UNAVAILABLE'
    ? iocError('E_UNAVAILABLE', 'the store is unavailable; retry with the same commandId')
    : iocError('E_INTERNAL', 'the plan command could not be handled; retry with the same commandId');
}

export class PlanService {
  private readonly byId: ReadonlyMap<string, ContingencyPlan>;
  private readonly now: () => number;
  /** open instances and those closed within the longest cool-down, by id */
  private instances = new Map<string, StoredPlanInstance>();
  private signature = '';
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;
  /** an evaluation is scheduled (evaluateSoon) / another must follow the running one */
  private soon = false;
  private rerun = false;
  /** active alert versions seen in changes since the last evaluation began */
  private readonly seenActive = new Map<string, Alert>();
  private closed = false;
  /** when the last evaluation began (epoch ms): alert-driven ones keep a minimum interval */
  private lastEvaluationTs = 0;

  constructor(private readonly d: PlanServiceDeps) {
    this.byId = new Map(d.definitions.map((p) => [p.id, p]));
    this.now = d.now ?? Date.now;
  }

  async start(): Promise<void> {
    await this.refresh().catch((err: unknown) => this.d.log.warn({ err }, 'plan instances could not be loaded; will retry'));
    this.timer = setInterval(() => void this.tick(), this.d.tickIntervalMs);
    this.timer.unref();
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  definitions(): readonly ContingencyPlan[] {
    return this.d.definitions;
  }

  /** Open instances in `scope`, active first, most severe first. */
  viewsFor(scope: DataScope): PlanInstanceView[] {
    const nowTs = this.now();
    const out: PlanInstanceView[] = [];
    for (const i of this.instances.values()) {
      const plan = this.byId.get(i.planId);
      if (!plan || !isPlanInstanceOpen(i) || !planInstanceVisible(scope, instanceDistricts(i, plan))) continue;
      out.push(this.viewOf(i, plan, nowTs));
    }
    return out.sort(comparePlanViews);
  }

  /** Instances overlapping `[fromTs, toTs)` (epoch ms) in `scope`, closed ones too, newest proposal first. */
  async viewsBetween(scope: DataScope, fromTs: number, toTs: number): Promise<PlanInstanceView[]> {
    const nowTs = this.now();
    const loaded = planInstancesInScope(await this.d.plans.loadPlanInstancesOverlapping(fromTs, toTs), this.d.definitions, scope);
    const out: PlanInstanceView[] = [];
    for (const i of loaded.reverse()) {
      const plan = this.byId.get(i.planId);
      if (plan) out.push(this.viewOf(i, plan, nowTs));
    }
    return out;
  }

  /** One trigger evaluation (the timer's job; tests call it directly). Never rejects; one at a time. */
  tick(): Promise<void> {
    this.ticking ??= this.tickOnce()
      .catch((err: unknown) => this.d.log.warn({ err }, 'plan trigger tick failed; will retry'))
      .finally(() => {
        this.ticking = null;
        if (this.rerun) {
          this.rerun = false;
          void this.tick();
        }
      });
    return this.ticking;
  }

  /**
   * An alert changed: evaluate in this event-loop turn's wake (coalesced), not at the next tick, so
   * a trigger that holds only briefly (a truck on a bridge for ten seconds) is seen and a proposal
   * reaches the officer at once; while an evaluation runs, one more follows it. The alert's active
   * state is kept until one evaluation has seen it: an alert raised and cleared between two
   * evaluations (a burst of readings) still counts once.
   */
  alertChanged(alert: Alert): void {
    if (!alert.cleared) this.seenActive.set(alert.id, alert);
    this.evaluateSoon();
  }

  evaluateSoon(): void {
    if (this.closed || this.soon) return;
    this.soon = true;
    // at most one alert-driven evaluation per minimum interval: in an alert storm every change
    // would otherwise re-read the store back to back (the alerts seen meanwhile are kept)
    const waitMs = Math.max(0, this.lastEvaluationTs + (this.d.evaluationMinIntervalMs ?? DEFAULT_EVALUATION_MIN_INTERVAL_MS) - this.now());
    const run = (): void => {
      void this.evaluateIfHolder().then((evaluate) => {
        this.soon = false;
        if (!evaluate) return;
        if (this.ticking) this.rerun = true;
        else void this.tick();
      });
    };
    if (waitMs === 0) setImmediate(run);
    else setTimeout(run, waitMs).unref();
  }

  /**
   * Whether an alert-driven evaluation is this node's to make: only the lease holder proposes
   * (issue 15), so the other nodes leave it to their periodic tick (which keeps their view of the
   * instances current) instead of re-reading the store on every alert change of the cluster.
   */
  private async evaluateIfHolder(): Promise<boolean> {
    if (this.closed) return false;
    return !this.d.lease || this.d.lease.isHeld();
  }

  private async tickOnce(): Promise<void> {
    if (this.closed) return;
    this.lastEvaluationTs = this.now();
    // the live situation as it is now (before awaiting the store: it may change meanwhile)
    const nowTs = this.now();
    const live = this.d.live.situation(nowTs);
    const seen = [...this.seenActive.values()];
    this.seenActive.clear();
    const activeIds = new Set(live.alerts.map((a) => a.id));
    const situation: PlanSituation = { ...live, alerts: [...live.alerts, ...seen.filter((a) => !activeIds.has(a.id))] };
    await this.refresh();
    await this.d.resources?.reconcile(this.instances.values());
    if (this.d.lease && !(await this.d.lease.isHeld())) return this.changedMaybe();
    const proposals = evaluatePlanTriggers(this.d.definitions, situation, [...this.instances.values()], nowTs);
    for (const p of proposals) {
      const plan = this.byId.get(p.planId)!;
      const proposed = storedInstance(proposePlan(plan, p, nowTs), focusWithDeviceDistricts(p.focus, this.d.live.devices));
      const out = await this.createWithResources(proposed, plan, PLAN_SYSTEM_ACTOR, {});
      const instance = out.instance;
      this.remember(out.instance);
      if (out.status !== 'created') continue;
      this.d.log.info({ planId: plan.id, level: instance.level, state: instance.state }, 'contingency plan proposed by its triggers');
      await (this.d.audit ?? DISCARD_AUDIT)
        .record(planProposedAuditEntry(instance))
        .catch((err: unknown) => this.d.log.warn({ err }, 'audit of a plan proposal failed'));
      if (instance.state === 'active') this.started(instance, plan);
      else this.proposed(instance, plan);
    }
    this.changedMaybe();
  }

  /** Re-reads the instances from the store (another node's changes). */
  private async refresh(): Promise<void> {
    const longestCoolDownMs = Math.max(0, ...this.d.definitions.map((p) => p.coolDownMs));
    const loaded = await this.d.plans.loadPlanInstances(this.now() - longestCoolDownMs);
    // a command of this node may have stored a newer version while the store was read
    this.instances = new Map(
      loaded.map((i) => {
        const known = this.instances.get(i.id);
        return [i.id, known && known.version > i.version ? known : i];
      }),
    );
  }

  private remember(instance: StoredPlanInstance): void {
    const known = this.instances.get(instance.id);
    if (!known || known.version <= instance.version) this.instances.set(instance.id, instance);
  }

  /** Tells onChange when the open instances (or their versions) changed since last told. */
  private changedMaybe(): void {
    const signature = [...this.instances.values()]
      .filter(isPlanInstanceOpen)
      .map((i) => `${i.id}@${i.version}`)
      .sort()
      .join(',');
    if (signature === this.signature) return;
    this.signature = signature;
    this.d.onChange?.();
  }

  private proposed(instance: StoredPlanInstance, plan: ContingencyPlan): void {
    try {
      this.d.onPlanProposed?.(instance, plan);
    } catch (err) {
      this.d.log.warn({ err, instanceId: instance.id }, 'onPlanProposed hook threw');
    }
  }

  private started(instance: StoredPlanInstance, plan: ContingencyPlan): void {
    try {
      this.d.onPlanStarted?.(instance, plan);
    } catch (err) {
      this.d.log.warn({ err, instanceId: instance.id }, 'onPlanStarted hook threw');
    }
  }

  private viewOf(instance: StoredPlanInstance, plan: ContingencyPlan, nowTs: number): PlanInstanceView {
    const devices = [...this.d.live.devices.values()];
    const commands =
      instance.state === 'ended' || instance.state === 'dismissed'
        ? []
        : resolvePlanDeviceCommands(plan, instance.level, instance.id, devices, instance.focus);
    return planInstanceView(instance, plan, commands, nowTs);
  }

  // --- commands ----------------------------------------------------------------------------

  /** Never throws: refusals and failures are typed results; every outcome is audited. */
  async execute(actor: Actor, raw: unknown, context: PlanCommandContext = {}): Promise<PlanCommandResult> {
    let result: PlanCommandResult;
    try {
      result = await this.executeChecked(actor, raw, context);
    } catch (err) {
      this.d.log.error({ err, actor: actor.username }, 'plan command failed');
      result = fail(storeFailure(err));
    }
    try {
      await (this.d.audit ?? DISCARD_AUDIT).record(
        planCommandAuditEntry(
          raw,
          actor,
          context,
          result.ok
            ? {
                instance: result.instance.instance,
                duplicate: result.duplicate,
                ...(result.deviceCommands ? { sentDeviceCommands: result.deviceCommands.flatMap((c) => (c.ok ? [c.command.commandId] : [])) } : {}),
              }
            : { error: result.error },
        ),
      );
    } catch {
      return fail(iocError('E_UNAVAILABLE', 'the audit log could not be written; retry with the same commandId'), result.commandId);
    }
    if (result.ok && !result.duplicate) this.changedMaybe();
    return result;
  }

  private async executeChecked(actor: Actor, raw: unknown, context: PlanCommandContext): Promise<PlanCommandResult> {
    let parsed: ReturnType<typeof PlanCommandSchema.safeParse>;
    try {
      parsed = PlanCommandSchema.safeParse(raw);
    } catch {
      return fail(iocError('E_VALIDATION', 'invalid plan command: the payload could not be read'));
    }
    if (!parsed.success) return fail(validationError(parsed.error, 'plan command'));
    const command = parsed.data;
    const { commandId } = command;
    if (!PLAN_COMMAND_ROLES[command.type].includes(actor.role))
      return fail(iocError('E_FORBIDDEN', `role ${actor.role} may not send ${command.type}`), commandId);
    const scope = await userScope(this.d.store, actor);
    const prior = await this.d.plans.planInstanceForCommand(commandId);
    if (prior !== null) return this.duplicateAnswer(prior, scope, commandId);
    if (command.type === 'plan.propose') return this.proposeByHand(command, actor, scope, context);
    // resources taken for a start or a raise that was not stored as this instance are settled on every way out
    const taking: { instance: StoredPlanInstance | null } = { instance: null };
    try {
      return await this.onInstance(command, actor, scope, context, taking);
    } finally {
      if (taking.instance) await this.settleTake(taking.instance, actor, context);
    }
  }

  /** An instance command, re-run on a compare-and-set conflict; `taking` holds a take not (yet) stored. */
  private async onInstance(
    command: Exclude<PlanCommand, { type: 'plan.propose' }>,
    actor: Actor,
    scope: DataScope,
    context: PlanCommandContext,
    taking: { instance: StoredPlanInstance | null },
  ): Promise<PlanCommandResult> {
    const { commandId } = command;
    let current = await this.d.plans.getPlanInstance(command.instanceId);
    for (let attempt = 0; ; attempt++) {
      if (!current) return fail(iocError('E_NOT_FOUND', `no plan instance ${command.instanceId}`), commandId);
      const plan = this.byId.get(current.planId);
      if (!plan) return fail(iocError('E_NOT_FOUND', `plan ${current.planId} is no longer defined`), commandId);
      const refused = planActionRefusal(scope, instanceDistricts(current, plan), command.type);
      if (refused) return fail(refused, commandId);
      const next =
        command.type === 'plan.send_device_commands'
          ? await sendPlanDeviceCommands(
              { deviceControl: this.d.deviceControl, devices: this.d.live.devices, now: this.now },
              command,
              current,
              plan,
              actor,
              context,
            )
          : this.applied(command, current, plan, actor);
      if (!next.ok) return fail(next.error, commandId);
      let nextInstance = next.instance;
      if (this.d.resources && planTakesResources(current, next.instance))
        nextInstance = taking.instance = await this.d.resources.take(next.instance, plan, actor, context);
      const out = await this.d.plans.updatePlanInstance(nextInstance, current.version, commandId);
      switch (out.status) {
        case 'applied':
          taking.instance = null;
          this.remember(out.instance);
          if (isPlanInstanceOpen(current) && !isPlanInstanceOpen(out.instance)) await this.d.resources?.giveBack(out.instance, actor, context);
          if (command.type === 'plan.start') this.started(out.instance, plan);
          return {
            ok: true,
            commandId,
            instance: this.viewOf(out.instance, plan, this.now()),
            ...(next.deviceCommands ? { deviceCommands: next.deviceCommands } : {}),
          };
        case 'duplicate':
          return { ok: true, commandId, duplicate: true, instance: this.viewOf(out.instance, plan, this.now()) };
        case 'not_found':
          current = null;
          continue;
        case 'conflict':
          if (attempt >= (this.d.conflictRetries ?? DEFAULT_CONFLICT_RETRIES))
            return fail(iocError('E_CONFLICT', 'the plan changed meanwhile; look again and retry'), commandId);
          current = out.current;
          continue;
        default: {
          const unreachable: never = out;
          return unreachable;
        }
      }
    }
  }

  private async duplicateAnswer(instanceId: string, scope: DataScope, commandId: string): Promise<PlanCommandResult> {
    const instance = await this.d.plans.getPlanInstance(instanceId);
    const plan = instance ? this.byId.get(instance.planId) : undefined;
    if (!instance || !plan) return fail(iocError('E_NOT_FOUND', `the instance of command ${commandId} is gone`), commandId);
    if (!planInstanceVisible(scope, instanceDistricts(instance, plan)))
      return fail(iocError('E_FORBIDDEN', 'this plan is outside your data scope'), commandId);
    return { ok: true, commandId, duplicate: true, instance: this.viewOf(instance, plan, this.now()) };
  }

  private applied(
    command: Exclude<PlanCommand, { type: 'plan.propose' | 'plan.send_device_commands' }>,
    current: StoredPlanInstance,
    plan: ContingencyPlan,
    actor: Actor,
  ): { ok: true; instance: StoredPlanInstance; deviceCommands?: undefined } | { ok: false; error: IocError } {
    const action = planActionOf(command)!;
    const r = applyPlanAction(current, plan, action, actor, this.now());
    // applyPlanAction spreads the instance: focus and sent device commands come along
    return r.ok ? { ok: true, instance: r.instance as StoredPlanInstance } : r;
  }

  /** Stores a new instance; one that starts at once takes its resources first (settled when it was not created). */
  private async createWithResources(
    instance: StoredPlanInstance,
    plan: ContingencyPlan,
    actor: { username: string; role: string },
    context: PlanCommandContext,
    commandId?: string,
  ): Promise<PlanCreateOutcome> {
    if (!this.d.resources || instance.state !== 'active') return this.d.plans.createPlanInstance(instance, commandId);
    const taken = await this.d.resources.take(instance, plan, actor, context);
    let created = false;
    try {
      const out = await this.d.plans.createPlanInstance(taken, commandId);
      created = out.status === 'created';
      return out;
    } finally {
      if (!created) await this.settleTake(taken, actor, context);
    }
  }

  /** A take whose instance was not stored as taken: give back what the stored one does not record. */
  private settleTake(taken: StoredPlanInstance, actor: { username: string; role: string }, context: PlanCommandContext): Promise<void> {
    return this.d.resources!.settle(taken, () => this.d.plans.getPlanInstance(taken.id), actor, context);
  }

  private async proposeByHand(
    command: Extract<PlanCommand, { type: 'plan.propose' }>,
    actor: Actor,
    scope: DataScope,
    context: PlanCommandContext,
  ): Promise<PlanCommandResult> {
    const { commandId } = command;
    const plan = this.byId.get(command.planId);
    if (!plan) return fail(iocError('E_NOT_FOUND', `no plan ${command.planId}`), commandId);
    const nowTs = this.now();
    const made = manualProposal(plan, command, actor, scope, nowTs);
    if (!made.ok) return fail(made.error, commandId);
    const out = await this.createWithResources(made.instance, plan, actor, context, commandId);
    const instance = out.instance;
    this.remember(out.instance);
    if (out.status === 'blocked')
      return fail(
        iocError('E_CONFLICT', `plan ${plan.id} already has an open instance (${out.instance.state})`, { instanceId: out.instance.id }),
        commandId,
      );
    if (out.status === 'created' && instance.state === 'active') this.started(out.instance, plan);
    return { ok: true, commandId, instance: this.viewOf(out.instance, plan, nowTs), ...(out.status === 'duplicate' ? { duplicate: true } : {}) };
  }
}
