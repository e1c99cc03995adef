/**
 * A demo incident's whole life, played through the incident state machine (scenes/incident-machine.ts)
 * and the storm rules (close without resolving): created → dispatched → accepted → on site →
 * resolved → closed by the demo duty team, or closed as a false alarm after a check. Every step is
 * a real command by a real demo account, so the history is one the live system could have
 * written. Pure: the times come from the seeded `rng` and `createdTs`.
 */
import type { Incident, ResolutionCategory } from '../domain';
import type { IncidentCategory } from '../catalogue';
import { applyIncidentCommand, type Actor, type IncidentCommand } from '../incident-machine';
import { closeWithoutResolving, withResolvedOutcome } from '../storm/close-unresolved';
import type { DemoHandler } from '../city/qingdao';
import type { DemoPastConfig } from './demo-past-config';

export interface LifecyclePlan {
  /** closed as a false alarm after the officer's check (never accepted) */
  falseAlarm: boolean;
  /** resolved after its SLA resolution deadline */
  overdue: boolean;
  officer: string;
  /** end of the past: the incident is closed `closedBeforeNowMs` before it */
  nowTs: number;
}

const RESOLVE_NOTES: Readonly<Record<string, string>> = {
  waterlogging: '积水已排除，道路恢复通行',
  flood: '水位回落，巡堤未见险情',
  'gas-leak': '漏点已封堵，复测浓度正常',
  fire: '明火已扑灭，现场已清理',
  'bridge-overload': '超载车辆已劝离，结构监测恢复正常',
  'bridge-structure': '现场检查结构无异常，已加密监测',
  elevator: '被困人员已解救，电梯已检修',
  'fire-lane': '占道车辆已挪离，通道畅通',
  'elderly-care': '已联系家属并上门查看，老人安全',
  'device-fault': '设备已检修，数据恢复上报',
};
const DEFAULT_RESOLVE_NOTE = '现场处置完毕，情况已恢复正常';
const FALSE_ALARM_REASON = '现场核实无险情（设备误报或报警不实）';

function between(rng: () => number, range: readonly [number, number]): number {
  return Math.round(range[0] + rng() * (range[1] - range[0]));
}

function pickHandler(handlers: readonly DemoHandler[], category: string, rng: () => number): string {
  const skilled = handlers.filter((h) => (h.skills as readonly string[]).includes(category));
  const pool = skilled.length > 0 ? skilled : handlers;
  return pool[Math.floor(rng() * pool.length)]!.id;
}

function must(result: ReturnType<typeof applyIncidentCommand>, what: string): Incident {
  if (!result.ok) throw new Error(`demo past: ${what} refused: ${result.error.code} ${result.error.message}`);
  return result.incident;
}

/**
 * Plays `created` (in state reported) to its end. Returns null when the past has no room left
 * for a complete life (an incident opened moments before now is left out rather than left open).
 */
export function playLifecycle(
  created: Incident,
  plan: LifecyclePlan,
  handlers: readonly DemoHandler[],
  rng: () => number,
  config: DemoPastConfig,
): Incident | null {
  const officer: Actor = { username: plan.officer, role: 'officer' };
  const handler: Actor = { username: pickHandler(handlers, created.category, rng), role: 'handler' };
  const endTs = plan.nowTs - config.closedBeforeNowMs;
  // gaps between the steps, ms, then squeezed when the past is too short for them
  const gaps = plan.falseAlarm
    ? [between(rng, config.dispatchDelayMs), between(rng, config.falseAlarmCheckMs)]
    : [
        between(rng, config.dispatchDelayMs),
        between(rng, config.acceptDelayMs),
        between(rng, config.travelMs),
        between(rng, config.workMs[created.priority]),
        between(rng, config.closeDelayMs),
      ];
  if (plan.overdue && !plan.falseAlarm) {
    const arriveTs = created.createdTs + gaps[0]! + gaps[1]! + gaps[2]!;
    gaps[3] = Math.max(gaps[3]!, created.slaDueTs - arriveTs + between(rng, config.closeDelayMs));
  }
  const total = gaps.reduce((a, b) => a + b, 0);
  const room = endTs - created.createdTs;
  if (room < gaps.length * 60_000) return null;
  const scale = total > room ? room / total : 1;
  const at: number[] = [];
  let t = created.createdTs;
  for (const g of gaps) at.push((t += Math.max(1_000, Math.floor(g * scale))));
  const cid = (step: string) => `${created.id}-${step}`;
  const step = (incident: Incident, cmd: IncidentCommand, actor: Actor, ts: number) => must(applyIncidentCommand(incident, cmd, actor, ts), cmd.type);
  const base = { incidentId: created.id };

  let i = step(created, { ...base, type: 'incident.dispatch', commandId: cid('dispatch'), assignees: [handler.username] }, officer, at[0]!);
  if (plan.falseAlarm) {
    const closed = closeWithoutResolving(i, {
      outcome: 'false_alarm',
      reason: FALSE_ALARM_REASON,
      actor: officer,
      ts: at[1]!,
      commandId: cid('close'),
    });
    if (!closed.ok) throw new Error(`demo past: false-alarm close refused: ${closed.error.message}`);
    return closed.incident;
  }
  i = step(i, { ...base, type: 'incident.accept', commandId: cid('accept') }, handler, at[1]!);
  i = step(i, { ...base, type: 'incident.arrive', commandId: cid('arrive'), location: created.location }, handler, at[2]!);
  const note = RESOLVE_NOTES[created.category] ?? DEFAULT_RESOLVE_NOTE;
  i = step(i, { ...base, type: 'incident.resolve', commandId: cid('resolve'), note }, handler, at[3]!);
  const category: ResolutionCategory = config.resolutionByCategory[created.category] ?? 'repaired';
  i = step(i, { ...base, type: 'incident.close', commandId: cid('close'), resolutionCategory: category, summary: note }, officer, at[4]!);
  return { ...withResolvedOutcome(i), resolution: { category, summary: note } };
}

/** A `link_alert` step by `system` (查重) spliced into a finished incident's history at `ts`, in the state it was in then. */
export function spliceAlertLink(incident: Incident, alertId: string, ts: number, note: string): Incident {
  const at = incident.history.findIndex((e) => e.ts > ts);
  const index = at < 0 ? incident.history.length : at;
  const stateThen = incident.history[index - 1]!.to;
  const entry = {
    action: 'link_alert' as const,
    from: stateThen,
    to: stateThen,
    actor: 'system',
    ts,
    commandId: `${incident.id}-link-${index}`,
    note,
  };
  const history = [...incident.history.slice(0, index), entry, ...incident.history.slice(index)];
  return { ...incident, alertIds: [...incident.alertIds, alertId], history, version: incident.version + 1 };
}

/** A kind of manual ticket: its category, the device kind it is placed near, its title. */
export interface ManualIncidentKind {
  category: IncidentCategory;
  kind: string;
  title: string;
  titleEn: string;
}

/** Categories the manual and field-report incidents of the demo use, with the device kind they are placed near. */
export const MANUAL_INCIDENT_KINDS: readonly ManualIncidentKind[] = [
  { category: 'manhole', kind: 'manhole-cover', title: '井盖破损（市民来电）', titleEn: 'Broken manhole cover (citizen call)' },
  { category: 'pipe-burst', kind: 'pipe-pressure', title: '路面渗水，疑似管道漏损', titleEn: 'Water seeping through the road, suspected pipe leak' },
  { category: 'waterlogging', kind: 'waterlogging', title: '路口积水（巡查上报）', titleEn: 'Standing water at a junction (patrol report)' },
  { category: 'fire-lane', kind: 'fire-lane-camera', title: '消防通道被占用（市民举报）', titleEn: 'Fire lane blocked (citizen report)' },
  { category: 'elderly-care', kind: 'fall-detector', title: '独居老人求助', titleEn: 'Call for help from an elderly resident' },
  { category: 'device-fault', kind: 'gas-detector', title: '监测设备外观损坏（巡查上报）', titleEn: 'Damaged monitoring device (patrol report)' },
];

/**
 * The call the duty officer takes for a manual contingency response's category when the week's
 * draws left no resolved incident of it (demo-past.ts `manualPlanCalls`), by category.
 */
export const MANUAL_PLAN_CALLS: Readonly<Partial<Record<IncidentCategory, ManualIncidentKind>>> = {
  fire: { category: 'fire', kind: 'smoke-detector', title: '居民楼楼道冒烟（市民来电）', titleEn: 'Smoke in a residential stairwell (citizen call)' },
};
