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
 * Parts: this file is the trigger loop and the public surface; plan-instances.ts what the node
 * knows of the instances (views, hooks, storing a new one with its resources); plan-commands.ts
 * the commands.
 */
import type { Alert, Device } from '../../scenes/domain';
import type { DataScope } from '../../scenes/scope';
import type { Actor } from '../../scenes/incident-machine';
import type { ContingencyPlan } from '../../scenes/plans/plan-schema';
import { proposePlan } from '../../scenes/plans/plan-instance';
import { evaluatePlanTriggers, type PlanSituation } from '../../scenes/plans/plan-triggers';
import { storedInstance, type PlanInstanceView, type StoredPlanInstance } from '../../scenes/plans/plan-protocol';
import { DISCARD_AUDIT, type AuditRecorder } from '../audit/audit';
import type { Logger } from '../logger';
import type { PlanStore } from '../store/plan-store';
import type { Store } from '../store/store';
import type { DeviceCommandService } from '../device-control/device-command-service';
import { planProposedAuditEntry, type PlanCommandContext } from './plan-audit';
import { focusWithDeviceDistricts } from './plan-situation';
import { PLAN_SYSTEM_ACTOR, type PlanResources } from './plan-resources';
import { PlanCommands, type PlanCommandResult } from './plan-commands';
import { PlanInstances } from './plan-instances';

export type { PlanCommandResult } from './plan-commands';

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

/**
 * Alert-driven trigger evaluations begin at most this often, ms: a proposal still reaches the
 * officer within a fraction of a second, and a storm of alert changes costs a few store reads per
 * second instead of one per change.
 */
export const DEFAULT_EVALUATION_MIN_INTERVAL_MS = 300;
export class PlanService {
  private readonly now: () => number;
  private readonly known: PlanInstances;
  private readonly commands: PlanCommands;
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
    this.now = d.now ?? Date.now;
    this.known = new PlanInstances({ ...d, now: this.now });
    this.commands = new PlanCommands({ ...d, now: this.now }, this.known);
  }

  async start(): Promise<void> {
    await this.known.refresh().catch((err: unknown) => this.d.log.warn({ err }, 'plan instances could not be loaded; will retry'));
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
    return this.known.viewsFor(scope);
  }

  /** Instances overlapping `[fromTs, toTs)` (epoch ms) in `scope`, closed ones too, newest proposal first. */
  viewsBetween(scope: DataScope, fromTs: number, toTs: number): Promise<PlanInstanceView[]> {
    return this.known.viewsBetween(scope, fromTs, toTs);
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
    await this.known.refresh();
    await this.d.resources?.reconcile(this.known.list());
    if (this.d.lease && !(await this.d.lease.isHeld())) return this.known.changedMaybe();
    const proposals = evaluatePlanTriggers(this.d.definitions, situation, this.known.list(), nowTs);
    for (const p of proposals) {
      const plan = this.known.byId.get(p.planId)!;
      const proposed = storedInstance(proposePlan(plan, p, nowTs), focusWithDeviceDistricts(p.focus, this.d.live.devices));
      const out = await this.known.createWithResources(proposed, plan, PLAN_SYSTEM_ACTOR, {});
      const instance = out.instance;
      this.known.remember(out.instance);
      if (out.status !== 'created') continue;
      this.d.log.info({ planId: plan.id, level: instance.level, state: instance.state }, 'contingency plan proposed by its triggers');
      await (this.d.audit ?? DISCARD_AUDIT)
        .record(planProposedAuditEntry(instance))
        .catch((err: unknown) => this.d.log.warn({ err }, 'audit of a plan proposal failed'));
      if (instance.state === 'active') this.known.started(instance, plan);
      else this.known.proposed(instance, plan);
    }
    this.known.changedMaybe();
  }

  /** Never throws: refusals and failures are typed results; every outcome is audited (plan-commands.ts). */
  execute(actor: Actor, raw: unknown, context: PlanCommandContext = {}): Promise<PlanCommandResult> {
    return this.commands.execute(actor, raw, context);
  }
}
