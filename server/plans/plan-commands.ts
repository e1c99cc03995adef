/**
 * The commands of plan-protocol.ts on the server (PlanService.execute): validated, authorised by
 * role and data scope, idempotent by commandId (a retry answers `duplicate` with the instance
 * now), compare-and-set on the instance's version (a concurrent change is re-read and the action
 * applied again, or refused when it no longer fits), audited applied or refused (an applied
 * command whose audit record cannot be written answers E_UNAVAILABLE: the retry is audited).
 * Starting an instance (or raising its level) takes the live resources its plan's needs call for;
 * ending or dismissing it gives them back (plan-resources.ts). Device commands a plan proposes
 * are sent only when a person confirms them (`plan.send_device_commands`), through remote
 * control's `send` as that person (plan-device-commands.ts).
 */
import type { DataScope } from '../../scenes/scope';
import type { Actor } from '../../scenes/incident-machine';
import type { IocError } from '../../scenes/protocol';
import type { ContingencyPlan } from '../../scenes/plans/plan-schema';
import { applyPlanAction } from '../../scenes/plans/plan-instance';
import { planTakesResources } from '../../scenes/plans/plan-resources';
import {
  instanceDistricts,
  isPlanInstanceOpen,
  manualProposal,
  planActionOf,
  planActionRefusal,
  PlanCommandSchema,
  PLAN_COMMAND_ROLES,
  planInstanceVisible,
  type PlanCommand,
  type PlanInstanceView,
  type StoredPlanInstance,
} from '../../scenes/plans/plan-protocol';
import { DISCARD_AUDIT } from '../audit/audit';
import { iocError, validationError } from '../errors';
import { userScope } from '../user-scope';
import { planCommandAuditEntry, type PlanCommandContext } from './plan-audit';
import { sendPlanDeviceCommands, type PlanDeviceCommandAnswer } from './plan-device-commands';
import type { PlanInstances } from './plan-instances';
import type { PlanServiceDeps } from './plan-service';

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

const DEFAULT_CONFLICT_RETRIES = 3;
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

export type PlanCommandsDeps = Pick<
  PlanServiceDeps,
  'plans' | 'store' | 'audit' | 'log' | 'deviceControl' | 'resources' | 'live' | 'conflictRetries'
> & {
  now: () => number;
};

export class PlanCommands {
  constructor(
    private readonly d: PlanCommandsDeps,
    private readonly known: PlanInstances,
  ) {}

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
    if (result.ok && !result.duplicate) this.known.changedMaybe();
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
      if (taking.instance) await this.known.settleTake(taking.instance, actor, context);
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
      const plan = this.known.byId.get(current.planId);
      if (!plan) return fail(iocError('E_NOT_FOUND', `plan ${current.planId} is no longer defined`), commandId);
      const refused = planActionRefusal(scope, instanceDistricts(current, plan), command.type);
      if (refused) return fail(refused, commandId);
      const next =
        command.type === 'plan.send_device_commands'
          ? await sendPlanDeviceCommands(
              { deviceControl: this.d.deviceControl, devices: this.d.live.devices, now: this.d.now },
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
          this.known.remember(out.instance);
          if (isPlanInstanceOpen(current) && !isPlanInstanceOpen(out.instance)) await this.d.resources?.giveBack(out.instance, actor, context);
          if (command.type === 'plan.start') this.known.started(out.instance, plan);
          return {
            ok: true,
            commandId,
            instance: this.known.viewOf(out.instance, plan, this.d.now()),
            ...(next.deviceCommands ? { deviceCommands: next.deviceCommands } : {}),
          };
        case 'duplicate':
          return { ok: true, commandId, duplicate: true, instance: this.known.viewOf(out.instance, plan, this.d.now()) };
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
    const plan = instance ? this.known.byId.get(instance.planId) : undefined;
    if (!instance || !plan) return fail(iocError('E_NOT_FOUND', `the instance of command ${commandId} is gone`), commandId);
    if (!planInstanceVisible(scope, instanceDistricts(instance, plan)))
      return fail(iocError('E_FORBIDDEN', 'this plan is outside your data scope'), commandId);
    return { ok: true, commandId, duplicate: true, instance: this.known.viewOf(instance, plan, this.d.now()) };
  }

  private applied(
    command: Exclude<PlanCommand, { type: 'plan.propose' | 'plan.send_device_commands' }>,
    current: StoredPlanInstance,
    plan: ContingencyPlan,
    actor: Actor,
  ): { ok: true; instance: StoredPlanInstance; deviceCommands?: undefined } | { ok: false; error: IocError } {
    const action = planActionOf(command)!;
    const r = applyPlanAction(current, plan, action, actor, this.d.now());
    // applyPlanAction spreads the instance: focus and sent device commands come along
    return r.ok ? { ok: true, instance: r.instance as StoredPlanInstance } : r;
  }

  private async proposeByHand(
    command: Extract<PlanCommand, { type: 'plan.propose' }>,
    actor: Actor,
    scope: DataScope,
    context: PlanCommandContext,
  ): Promise<PlanCommandResult> {
    const { commandId } = command;
    const plan = this.known.byId.get(command.planId);
    if (!plan) return fail(iocError('E_NOT_FOUND', `no plan ${command.planId}`), commandId);
    const nowTs = this.d.now();
    const made = manualProposal(plan, command, actor, scope, nowTs);
    if (!made.ok) return fail(made.error, commandId);
    const out = await this.known.createWithResources(made.instance, plan, actor, context, commandId);
    const instance = out.instance;
    this.known.remember(out.instance);
    if (out.status === 'blocked')
      return fail(
        iocError('E_CONFLICT', `plan ${plan.id} already has an open instance (${out.instance.state})`, { instanceId: out.instance.id }),
        commandId,
      );
    if (out.status === 'created' && instance.state === 'active') this.known.started(out.instance, plan);
    return {
      ok: true,
      commandId,
      instance: this.known.viewOf(out.instance, plan, nowTs),
      ...(out.status === 'duplicate' ? { duplicate: true } : {}),
    };
  }
}
