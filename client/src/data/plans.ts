/**
 * Contingency plans (应急预案) over the live connection: the open instances the server pushes
 * (`plans`, the whole list in the receiver's scope each time), asked for again after a reconnect
 * (`plans:list`), and the plan commands (`plan:command`, acked with the instance's view or a
 * typed error). The pure parts (the wall's banner, who may do what) are tested here.
 */
import type { Role } from '@scenes/domain';
import type { IocError } from '@scenes/protocol';
import type { PlanCommand, PlanInstanceView, PlansMessage } from '@scenes/plans/plan-protocol';
import { PLAN_COMMAND_ROLES } from '@scenes/plans/plan-protocol';
import type { ResponseLevel } from '@scenes/plans/plan-schema';
import type { LiveTransport } from '../connection';
import { RESPONSE_LEVEL_NUMERALS, type ContingencyPlan } from '@scenes/plans/plan-schema';
import { call, type ApiResult } from './rest';

export type PlanCommandAnswer =
  { ok: true; commandId: string; instance: PlanInstanceView; duplicate?: boolean; deviceCommands?: unknown[] } | { ok: false; error: IocError };

export function subscribePlans(transport: LiveTransport, onMessage: (msg: PlansMessage) => void): () => void {
  return transport.on('plans', onMessage);
}

export async function fetchPlans(transport: LiveTransport): Promise<{ ok: true; msg: PlansMessage } | { ok: false; error: IocError }> {
  const r = await transport.request('plans:list', {});
  return r.ok ? { ok: true, msg: { ts: r.ts, instances: r.instances } } : r;
}

export function sendPlanCommand(transport: LiveTransport, command: PlanCommand): Promise<PlanCommandAnswer> {
  return transport.request('plan:command', command) as Promise<PlanCommandAnswer>;
}

/** The plan definitions (`GET /api/plans`: officers, leaders, admins), for a proposal by hand. */
export function fetchPlanDefinitions(token: string): Promise<ApiResult<{ plans: ContingencyPlan[] }>> {
  return call<{ plans: ContingencyPlan[] }>(token, '/api/plans');
}

/** Roman numerals of the response levels as the wall shows them (Ⅱ级响应): the one table in scenes/. */
export const LEVEL_NUMERALS: Readonly<Record<ResponseLevel, string>> = RESPONSE_LEVEL_NUMERALS;

/** What the wall's banner shows: the most severe active response, and how many more are active. */
export interface PlanBanner {
  level: ResponseLevel;
  name: string;
  nameEn: string;
  done: number;
  total: number;
  /** active responses besides the one shown */
  more: number;
  instanceId: string;
}

const RANK: Readonly<Record<ResponseLevel, number>> = { I: 1, II: 2, III: 3, IV: 4 };

export function planBanner(views: readonly PlanInstanceView[]): PlanBanner | null {
  const active = views.filter((v) => v.instance.state === 'active');
  if (active.length === 0) return null;
  const top = active.reduce((a, b) => (RANK[b.instance.level] < RANK[a.instance.level] ? b : a));
  return {
    level: top.instance.level,
    name: top.plan.name,
    nameEn: top.plan.nameEn,
    done: top.checklist.done,
    total: top.checklist.total,
    more: active.length - 1,
    instanceId: top.instance.id,
  };
}

/** The buttons a role sees (the server decides again, by role and data scope). */
export function planPermissions(role: Role | null): {
  startDismiss: boolean;
  tick: boolean;
  level: boolean;
  end: boolean;
  devices: boolean;
  propose: boolean;
} {
  const may = (type: PlanCommand['type']) => role !== null && PLAN_COMMAND_ROLES[type].includes(role);
  return {
    startDismiss: may('plan.start'),
    tick: may('plan.tick_step'),
    level: may('plan.change_level'),
    end: may('plan.end'),
    devices: may('plan.send_device_commands'),
    propose: may('plan.propose'),
  };
}
