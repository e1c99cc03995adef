/**
 * The device commands a started plan proposes (scenes/plans/plan-triggers.ts
 * resolvePlanDeviceCommands), sent when a person confirms them: each through remote control's
 * `send` as that person, so its role, data scope, online/maintenance checks, idempotency (the
 * command id is deterministic: a retry answers the stored record) and audit all apply. Only
 * commands the plan proposes at its current level are accepted.
 */
import type { Device } from '../../scenes/domain';
import type { DeviceCommandRecord } from '../../scenes/device-commands';
import type { Actor } from '../../scenes/incident-machine';
import type { IocError } from '../../scenes/protocol';
import type { ContingencyPlan } from '../../scenes/plans/plan-schema';
import { resolvePlanDeviceCommands } from '../../scenes/plans/plan-triggers';
import type { StoredPlanInstance } from '../../scenes/plans/plan-protocol';
import type { DeviceCommandService } from '../device-control/device-command-service';
import { iocError } from '../errors';
import type { PlanCommandContext } from './plan-audit';

export type PlanDeviceCommandAnswer = { ok: true; command: DeviceCommandRecord } | { ok: false; commandId: string; error: IocError };

export async function sendPlanDeviceCommands(
  deps: { deviceControl?: Pick<DeviceCommandService, 'send'>; devices: ReadonlyMap<string, Device>; now: () => number },
  request: { deviceCommandIds: readonly string[] },
  current: StoredPlanInstance,
  plan: ContingencyPlan,
  actor: Actor,
  context: PlanCommandContext,
): Promise<{ ok: true; instance: StoredPlanInstance; deviceCommands: PlanDeviceCommandAnswer[] } | { ok: false; error: IocError }> {
  if (current.state !== 'active')
    return { ok: false, error: iocError('E_CONFLICT', `the plan is ${current.state}; device commands are sent while it is active`) };
  if (!deps.deviceControl) return { ok: false, error: iocError('E_UNAVAILABLE', 'remote control is not available on this server') };
  const proposed = new Map(
    resolvePlanDeviceCommands(plan, current.level, current.id, [...deps.devices.values()], current.focus).map((c) => [c.commandId, c]),
  );
  const unknown = request.deviceCommandIds.filter((id) => !proposed.has(id));
  if (unknown.length > 0)
    return { ok: false, error: iocError('E_VALIDATION', `the plan does not propose ${unknown.join(', ')} at level ${current.level}`) };
  const answers: PlanDeviceCommandAnswer[] = [];
  const sent: Record<string, { by: string; ts: number }> = { ...current.sentDeviceCommands };
  for (const id of [...new Set(request.deviceCommandIds)]) {
    const c = proposed.get(id)!;
    const r = await deps.deviceControl.send(
      actor,
      { commandId: c.commandId, deviceId: c.deviceId, name: c.name, ...(c.params ? { params: c.params } : {}) },
      context,
    );
    if (r.ok) {
      answers.push(r);
      sent[c.commandId] ??= { by: actor.username, ts: deps.now() };
    } else answers.push({ ok: false, commandId: c.commandId, error: r.error });
  }
  return { ok: true, instance: { ...current, sentDeviceCommands: sent, version: current.version + 1 }, deviceCommands: answers };
}
