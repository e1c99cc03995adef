/**
 * Live resources of contingency plans (issue 17): a started instance takes what its plan's needs
 * call for at its level (scenes/plans/plan-resources.ts: the free ones nearest to its area), holds
 * them in the assignment store under its own holder id (ResourceService.holdFor: the screens'
 * availability changes at once, as with an incident's assignment), records them on the instance,
 * and gives them back when it ends or is dismissed. Every take and give-back is audited
 * (`plan.resources`).
 *
 * Exactly once:
 * - a take runs before the start's compare-and-set and counts what the holder holds already, so a
 *   retry or a conflict re-run never takes twice; each resource is taken with a command id derived
 *   from (instance, resource), so two nodes starting the same instance at once share one holding;
 * - a start that was not stored (lost the race, refused meanwhile) settles: what the stored
 *   instance's record does not list is given back (everything, when it is not active);
 * - closing gives back everything the holder holds, and the tick gives back each closed instance's
 *   holder once per process (a give-back that failed, a node that stopped before it).
 */
import { createHash } from 'node:crypto';
import type { Device, EmergencyResource, ResourceKind } from '../../scenes/domain';
import type { ImpactConfig } from '../../scenes/impact/impact-config';
import { SYSTEM_ACTOR_NAME } from '../../scenes/incident-machine';
import { instanceDistricts, isPlanInstanceOpen, type StoredPlanInstance } from '../../scenes/plans/plan-protocol';
import {
  describeHoldings,
  needsAtLevel,
  planAreaCenter,
  planResourceHolderId,
  selectPlanResources,
  type PlanResourceShortfall,
} from '../../scenes/plans/plan-resources';
import type { ContingencyPlan } from '../../scenes/plans/plan-schema';
import { DISCARD_AUDIT, type AuditRecorder } from '../audit/audit';
import type { Logger } from '../logger';
import type { ResourceService } from '../resources/resource-service';
import { planResourcesAuditEntry, type PlanCommandContext, type PlanResourceChange } from './plan-audit';

export interface PlanResourcesDeps {
  resources: Pick<ResourceService, 'heldBy' | 'holdFor' | 'releaseFrom' | 'releaseHolder'>;
  /** fusion's resources with what is free now (net of every assignment) */
  liveResources: () => readonly EmergencyResource[];
  devices: ReadonlyMap<string, Device>;
  audit?: AuditRecorder;
  log: Logger;
  impactConfig?: ImpactConfig;
}

type PlanActor = { username: string; role: string };

/** Rounds of picking again after picks were refused (taken meanwhile by an incident or another plan). */
const TAKE_ROUNDS = 3;
export const PLAN_SYSTEM_ACTOR: PlanActor = { username: SYSTEM_ACTOR_NAME, role: 'system' };

/** The store's command id for taking one resource for one instance: a replay or a second node's take is a duplicate. */
export function planTakeCommandId(instanceId: string, resourceId: string): string {
  return `pr-${createHash('sha256').update(`${instanceId}\u0000${resourceId}`).digest('hex').slice(0, 40)}`;
}

export class PlanResources {
  /** holders of closed instances given back by this process (the tick's reconcile skips them) */
  private readonly givenBack = new Set<string>();

  constructor(private readonly d: PlanResourcesDeps) {}

  /**
   * Takes what the needs at the instance's level call for beyond what it holds, and answers the
   * instance with its record (`resources`, `resourceShortfalls`). Rejects only when the store fails.
   */
  async take(instance: StoredPlanInstance, plan: ContingencyPlan, actor: PlanActor, context: PlanCommandContext = {}): Promise<StoredPlanInstance> {
    const needs = needsAtLevel(plan, instance.level);
    if (needs.length === 0) return instance;
    const holder = planResourceHolderId(instance.id);
    const devicePoints = instance.focus.deviceIds.flatMap((id) => {
      const device = this.d.devices.get(id);
      return device ? [device.location] : [];
    });
    const center = planAreaCenter(devicePoints, instanceDistricts(instance, plan));
    const known = new Map((instance.resources ?? []).map((r) => [r.resourceId, r]));
    const refused = new Set<string>();
    const taken: { resourceId: string; amount: number }[] = [];
    let held = await this.d.resources.heldBy(holder);
    let live = this.d.liveResources();
    const select = () => {
      const kindOf = new Map<string, ResourceKind>([...known.values()].map((r) => [r.resourceId, r.kind]));
      for (const r of live) kindOf.set(r.id, r.kind);
      return selectPlanResources({
        needs,
        level: instance.level,
        designated: plan.resourceIds,
        districts: instanceDistricts(instance, plan),
        center,
        resources: live,
        held: held.flatMap((h) => {
          const kind = kindOf.get(h.resourceId);
          return kind ? [{ resourceId: h.resourceId, kind }] : [];
        }),
        exclude: refused,
        ...(this.d.impactConfig ? { config: this.d.impactConfig } : {}),
      });
    };
    let selection = select();
    for (let round = 0; round < TAKE_ROUNDS && selection.picks.length > 0; round++) {
      for (const pick of selection.picks) {
        known.set(pick.resourceId, pick);
        const out = await this.d.resources.holdFor(
          holder,
          pick.resourceId,
          pick.amount,
          planTakeCommandId(instance.id, pick.resourceId),
          actor.username,
        );
        if (out.status === 'assigned') taken.push({ resourceId: pick.resourceId, amount: pick.amount });
        // a duplicate holding nothing: this instance took and gave it back before; pick another
        else if (out.status !== 'duplicate' || !out.assignment) refused.add(pick.resourceId);
      }
      [held, live] = [await this.d.resources.heldBy(holder), this.d.liveResources()];
      selection = select();
    }
    const shortfalls = mergeShortfalls(selection.shortfalls, selection.picks);
    if (taken.length > 0 || shortfalls.length > 0) await this.audited(instance, actor, context, { op: 'take', resources: taken, shortfalls });
    return { ...instance, resources: describeHoldings(held, center, live, [...known.values()]), resourceShortfalls: shortfalls };
  }

  /**
   * After a take whose instance was not stored as taken: gives back what the stored instance's
   * record does not list (all of it when the instance is gone or not active). Never rejects.
   */
  async settle(
    taken: Pick<StoredPlanInstance, 'id' | 'planId' | 'level'>,
    load: () => Promise<StoredPlanInstance | null>,
    actor: PlanActor,
    context: PlanCommandContext = {},
  ): Promise<void> {
    const instanceId = taken.id;
    try {
      const stored = await load();
      const keep = new Set(stored?.id === instanceId && stored.state === 'active' ? (stored.resources ?? []).map((r) => r.resourceId) : []);
      const holder = planResourceHolderId(instanceId);
      const released: { resourceId: string; amount: number }[] = [];
      for (const h of await this.d.resources.heldBy(holder)) {
        if (keep.has(h.resourceId)) continue;
        const r = await this.d.resources.releaseFrom(holder, h.resourceId);
        if (r) released.push(r);
      }
      if (released.length > 0) await this.audited(taken, actor, context, { op: 'release', resources: released, why: 'start not stored' });
    } catch (err) {
      this.d.log.warn({ err, instanceId }, 'plan resources: settling a start that was not stored failed; the close gives them back');
    }
  }

  /** Gives back everything a closed instance holds (audited when it held something). Never rejects. */
  async giveBack(instance: StoredPlanInstance, actor: PlanActor, context: PlanCommandContext = {}): Promise<void> {
    const holder = planResourceHolderId(instance.id);
    try {
      const released = await this.d.resources.releaseHolder(holder);
      this.givenBack.add(holder);
      if (released.length > 0) await this.audited(instance, actor, context, { op: 'release', resources: released, why: instance.state });
    } catch (err) {
      this.d.log.warn({ err, instanceId: instance.id }, 'plan resources: give-back failed; the tick retries');
    }
  }

  /** The tick: every closed instance's holder is given back once per process. */
  async reconcile(instances: Iterable<StoredPlanInstance>): Promise<void> {
    for (const i of instances) {
      if (isPlanInstanceOpen(i) || this.givenBack.has(planResourceHolderId(i.id))) continue;
      await this.giveBack(i, PLAN_SYSTEM_ACTOR);
    }
  }

  private async audited(
    instance: Pick<StoredPlanInstance, 'id' | 'planId' | 'level'>,
    actor: PlanActor,
    context: PlanCommandContext,
    change: PlanResourceChange,
  ): Promise<void> {
    await (this.d.audit ?? DISCARD_AUDIT)
      .record(planResourcesAuditEntry(instance, actor, context, change))
      .catch((err: unknown) => this.d.log.warn({ err, instanceId: instance.id }, 'audit of plan resources failed'));
  }
}

/** The selection's shortfalls plus picks a take could not make in its rounds, per kind. */
function mergeShortfalls(shortfalls: readonly PlanResourceShortfall[], unmade: readonly { kind: ResourceKind }[]): PlanResourceShortfall[] {
  const missing = new Map<ResourceKind, number>(shortfalls.map((s) => [s.kind, s.missing]));
  for (const p of unmade) missing.set(p.kind, (missing.get(p.kind) ?? 0) + 1);
  return [...missing].map(([kind, n]) => ({ kind, missing: n }));
}
