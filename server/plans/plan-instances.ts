/**
 * What one node knows of the contingency plan instances (PlanService's shared state): the open
 * ones and those closed within the longest cool-down, re-read from the store at every tick
 * (another node's changes) and updated by this node's own commands (`remember`, newest version
 * wins); the views people see; the hooks (`onChange` when the open instances changed,
 * `onPlanStarted` / `onPlanProposed`); and storing a new instance with the resources it takes.
 * Used by the trigger loop (plan-service.ts) and the commands (plan-commands.ts).
 */
import type { DataScope } from '../../scenes/scope';
import type { ContingencyPlan } from '../../scenes/plans/plan-schema';
import { resolvePlanDeviceCommands } from '../../scenes/plans/plan-triggers';
import {
  comparePlanViews,
  instanceDistricts,
  isPlanInstanceOpen,
  planInstanceView,
  planInstanceVisible,
  type PlanInstanceView,
  type StoredPlanInstance,
} from '../../scenes/plans/plan-protocol';
import { planInstancesInScope } from '../../scenes/plans/plan-range';
import type { PlanCreateOutcome } from '../store/plan-store';
import type { PlanCommandContext } from './plan-audit';
import type { PlanServiceDeps } from './plan-service';

export type PlanInstancesDeps = Pick<
  PlanServiceDeps,
  'plans' | 'definitions' | 'live' | 'log' | 'resources' | 'onChange' | 'onPlanStarted' | 'onPlanProposed'
> & { now: () => number };

export class PlanInstances {
  readonly byId: ReadonlyMap<string, ContingencyPlan>;
  /** open instances and those closed within the longest cool-down, by id */
  private instances = new Map<string, StoredPlanInstance>();
  private signature = '';

  constructor(private readonly d: PlanInstancesDeps) {
    this.byId = new Map(d.definitions.map((p) => [p.id, p]));
  }

  /** the instances known now */
  list(): StoredPlanInstance[] {
    return [...this.instances.values()];
  }

  /** Open instances in `scope`, active first, most severe first. */
  viewsFor(scope: DataScope): PlanInstanceView[] {
    const nowTs = this.d.now();
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
    const nowTs = this.d.now();
    const loaded = planInstancesInScope(await this.d.plans.loadPlanInstancesOverlapping(fromTs, toTs), this.d.definitions, scope);
    const out: PlanInstanceView[] = [];
    for (const i of loaded.reverse()) {
      const plan = this.byId.get(i.planId);
      if (plan) out.push(this.viewOf(i, plan, nowTs));
    }
    return out;
  }

  /** Re-reads the instances from the store (another node's changes). */
  async refresh(): Promise<void> {
    const longestCoolDownMs = Math.max(0, ...this.d.definitions.map((p) => p.coolDownMs));
    const loaded = await this.d.plans.loadPlanInstances(this.d.now() - longestCoolDownMs);
    // a command of this node may have stored a newer version while the store was read
    this.instances = new Map(
      loaded.map((i) => {
        const known = this.instances.get(i.id);
        return [i.id, known && known.version > i.version ? known : i];
      }),
    );
  }

  remember(instance: StoredPlanInstance): void {
    const known = this.instances.get(instance.id);
    if (!known || known.version <= instance.version) this.instances.set(instance.id, instance);
  }

  /** Tells onChange when the open instances (or their versions) changed since last told. */
  changedMaybe(): void {
    const signature = [...this.instances.values()]
      .filter(isPlanInstanceOpen)
      .map((i) => `${i.id}@${i.version}`)
      .sort()
      .join(',');
    if (signature === this.signature) return;
    this.signature = signature;
    this.d.onChange?.();
  }

  proposed(instance: StoredPlanInstance, plan: ContingencyPlan): void {
    try {
      this.d.onPlanProposed?.(instance, plan);
    } catch (err) {
      this.d.log.warn({ err, instanceId: instance.id }, 'onPlanProposed hook threw');
    }
  }

  started(instance: StoredPlanInstance, plan: ContingencyPlan): void {
    try {
      this.d.onPlanStarted?.(instance, plan);
    } catch (err) {
      this.d.log.warn({ err, instanceId: instance.id }, 'onPlanStarted hook threw');
    }
  }

  viewOf(instance: StoredPlanInstance, plan: ContingencyPlan, nowTs: number): PlanInstanceView {
    const devices = [...this.d.live.devices.values()];
    const commands =
      instance.state === 'ended' || instance.state === 'dismissed'
        ? []
        : resolvePlanDeviceCommands(plan, instance.level, instance.id, devices, instance.focus);
    return planInstanceView(instance, plan, commands, nowTs);
  }

  /** Stores a new instance; one that starts at once takes its resources first (settled when it was not created). */
  async createWithResources(
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
  settleTake(taken: StoredPlanInstance, actor: { username: string; role: string }, context: PlanCommandContext): Promise<void> {
    return this.d.resources!.settle(taken, () => this.d.plans.getPlanInstance(taken.id), actor, context);
  }
}
