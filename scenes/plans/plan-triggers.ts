/**
 * Which contingency plans the situation calls for: each plan's triggers are checked against the
 * open alerts, incidents in progress, area warnings and river gauges; a plan with a fired trigger
 * is proposed at the most severe level its fired triggers name. Never re-proposed while an
 * instance of it is proposed or active, nor within its cool-down after one was dismissed or ended.
 * Manual triggers never fire here (the officer starts such plans by hand). Pure.
 */
import { ALERT_LEVEL_RANK } from '../domain';
import type { Alert, AlertLevel, Device, DistrictCode, Incident } from '../domain';
import { isIncidentInProgress } from '../incident-states';
import type { AreaWarning } from '../storm/area-warnings';
import { RESPONSE_LEVEL_RANK } from './plan-schema';
import type { ContingencyPlan, PlanDeviceCommand, PlanTrigger, ResponseLevel } from './plan-schema';
import type { PlanInstance, PlanReason } from './plan-instance';

/** A river or reservoir gauge's latest level against its asset's guarantee level. */
export interface GaugeLevel {
  deviceId: string;
  assetId: string;
  /** m */
  levelM: number;
  /** m, the asset's guaranteeLevelM */
  guaranteeLevelM: number;
  /** the asset's names, for the reason people read (default: its id) */
  assetName?: string;
  assetNameEn?: string;
}

export interface PlanSituation {
  alerts: readonly Pick<Alert, 'id' | 'ruleId' | 'level' | 'cleared' | 'deviceId' | 'district'>[];
  incidents: readonly Pick<Incident, 'id' | 'category' | 'level' | 'state' | 'district' | 'deviceId'>[];
  areaWarnings: readonly Pick<AreaWarning, 'id' | 'ruleId' | 'level' | 'district' | 'deviceIds'>[];
  gauges: readonly GaugeLevel[];
}

export interface PlanProposal {
  planId: string;
  level: ResponseLevel;
  reasons: PlanReason[];
  /** where the trigger happened: districts and devices, for resolving device commands */
  focus: { districts: DistrictCode[]; deviceIds: string[] };
}

const LEVEL_ZH: Readonly<Record<AlertLevel, string>> = { red: '红色', orange: '橙色', yellow: '黄色', blue: '蓝色' };
/** Chinese names of the incident categories the demo plans trigger on (others are shown by their code). */
const CATEGORY_ZH: Readonly<Record<string, string>> = {
  'gas-leak': '燃气泄漏',
  fire: '火灾',
  waterlogging: '城市内涝',
  flood: '河道汛情',
  'bridge-structure': '桥梁结构',
  'bridge-overload': '桥梁超载',
};
const m = (x: number): string => `${Math.round(x * 100) / 100} m`;

function atLeast(level: AlertLevel | null, min: AlertLevel): boolean {
  return level !== null && ALERT_LEVEL_RANK[level] <= ALERT_LEVEL_RANK[min];
}

interface Fired {
  reason: PlanReason;
  districts: DistrictCode[];
  deviceIds: string[];
}

function fire(trigger: PlanTrigger, s: PlanSituation): Fired | null {
  switch (trigger.kind) {
    case 'incidents': {
      const hits = s.incidents.filter((i) => i.category === trigger.category && isIncidentInProgress(i) && atLeast(i.level, trigger.minLevel));
      if (hits.length < trigger.minCount) return null;
      const text = `${hits.length} ${trigger.category} incidents at ${trigger.minLevel} or worse`;
      const textZh = `${hits.length} 起${CATEGORY_ZH[trigger.category] ?? trigger.category}事件达到${LEVEL_ZH[trigger.minLevel]}及以上`;
      const deviceIds = hits.flatMap((i) => (i.deviceId ? [i.deviceId] : []));
      return {
        reason: { trigger: 'incidents', level: trigger.level, evidence: hits.map((i) => i.id), text, textZh },
        districts: hits.map((i) => i.district),
        deviceIds,
      };
    }
    case 'alerts': {
      const rules = new Set(trigger.ruleIds);
      const hits = s.alerts.filter((a) => rules.has(a.ruleId) && !a.cleared && atLeast(a.level, trigger.minLevel));
      if (hits.length < trigger.minCount) return null;
      const text = `${hits.length} alerts of ${trigger.ruleIds.join(', ')} at ${trigger.minLevel} or worse`;
      const textZh = `${hits.length} 条${LEVEL_ZH[trigger.minLevel]}及以上告警（${trigger.ruleIds.join('、')}）`;
      return {
        reason: { trigger: 'alerts', level: trigger.level, evidence: hits.map((a) => a.id), text, textZh },
        districts: hits.map((a) => a.district),
        deviceIds: hits.map((a) => a.deviceId),
      };
    }
    case 'water-over-guarantee': {
      const hits = s.gauges.filter((g) => g.levelM > g.guaranteeLevelM && (trigger.assetIds.length === 0 || trigger.assetIds.includes(g.assetId)));
      if (hits.length === 0) return null;
      const text = hits.map((g) => `${g.assetNameEn ?? g.assetId} ${m(g.levelM)} > guarantee level ${m(g.guaranteeLevelM)}`).join('; ');
      const textZh = hits.map((g) => `${g.assetName ?? g.assetId}水位 ${m(g.levelM)}，超过保证水位 ${m(g.guaranteeLevelM)}`).join('；');
      return {
        reason: { trigger: 'water-over-guarantee', level: trigger.level, evidence: hits.map((g) => g.deviceId), text, textZh },
        districts: [],
        deviceIds: hits.map((g) => g.deviceId),
      };
    }
    case 'area-warning': {
      const rules = new Set(trigger.areaRuleIds);
      const hits = s.areaWarnings.filter((w) => rules.has(w.ruleId) && atLeast(w.level, trigger.minLevel));
      const districts = [...new Set(hits.map((w) => w.district))];
      if (districts.length < trigger.minCount) return null;
      const text = `${trigger.minLevel} area warnings in ${districts.length} districts`;
      const textZh = `${districts.length} 个区发布${LEVEL_ZH[trigger.minLevel]}及以上区域预警`;
      return {
        reason: { trigger: 'area-warning', level: trigger.level, evidence: hits.map((w) => w.id), text, textZh },
        districts,
        deviceIds: hits.flatMap((w) => w.deviceIds),
      };
    }
    case 'manual':
      return null;
    default: {
      const unreachable: never = trigger;
      return unreachable;
    }
  }
}

/** The plan has a proposed or active instance, or one that was dismissed/ended less than coolDownMs ago. */
export function isPlanBlocked(plan: Pick<ContingencyPlan, 'id' | 'coolDownMs'>, instances: readonly PlanInstance[], nowTs: number): boolean {
  return instances.some(
    (i) =>
      i.planId === plan.id && (i.state === 'proposed' || i.state === 'active' || (i.closedTs !== undefined && nowTs - i.closedTs < plan.coolDownMs)),
  );
}

/** Plans to propose now, in `plans` order. `instances`: every instance not older than the longest cool-down. */
export function evaluatePlanTriggers(
  plans: readonly ContingencyPlan[],
  situation: PlanSituation,
  instances: readonly PlanInstance[],
  nowTs: number,
): PlanProposal[] {
  const proposals: PlanProposal[] = [];
  for (const plan of plans) {
    if (isPlanBlocked(plan, instances, nowTs)) continue;
    const inArea = (d: DistrictCode) => plan.districts.length === 0 || plan.districts.includes(d);
    const scoped: PlanSituation = {
      alerts: situation.alerts.filter((a) => inArea(a.district)),
      incidents: situation.incidents.filter((i) => inArea(i.district)),
      areaWarnings: situation.areaWarnings.filter((w) => inArea(w.district)),
      gauges: situation.gauges,
    };
    const fired = plan.triggers.map((t) => fire(t, scoped)).filter((f): f is Fired => f !== null);
    if (fired.length === 0) continue;
    const level = fired.map((f) => f.reason.level).reduce((a, b) => (RESPONSE_LEVEL_RANK[b] < RESPONSE_LEVEL_RANK[a] ? b : a));
    proposals.push({
      planId: plan.id,
      level,
      reasons: fired.map((f) => f.reason),
      focus: { districts: [...new Set(fired.flatMap((f) => f.districts))].sort(), deviceIds: [...new Set(fired.flatMap((f) => f.deviceIds))].sort() },
    });
  }
  return proposals;
}

/** One device command a started plan proposes (the officer confirms; the server sends it through the command path). */
export interface ProposedDeviceCommand {
  /** deterministic, so a retry reuses it: `{instanceId}:{deviceId}:{name}` */
  commandId: string;
  deviceId: string;
  name: PlanDeviceCommand['name'];
  params?: { position?: number };
  note: string;
}

/**
 * The device commands of a plan at `level`, resolved to devices: by id, or by kind on the
 * triggering devices' assets / in the focus districts / city-wide. Only devices registered and not
 * retired; the command path still refuses offline ones and those in maintenance.
 */
export function resolvePlanDeviceCommands(
  plan: Pick<ContingencyPlan, 'deviceCommands'>,
  level: ResponseLevel,
  instanceId: string,
  devices: readonly Device[],
  focus: PlanProposal['focus'],
): ProposedDeviceCommand[] {
  const byId = new Map(devices.map((d) => [d.id, d]));
  const focusAssets = new Set(focus.deviceIds.flatMap((id) => byId.get(id)?.assetId ?? []));
  const out: ProposedDeviceCommand[] = [];
  for (const c of plan.deviceCommands) {
    if (RESPONSE_LEVEL_RANK[level] > RESPONSE_LEVEL_RANK[c.fromLevel]) continue;
    const target = c.target;
    const targets =
      target.by === 'ids'
        ? target.deviceIds.flatMap((id) => byId.get(id) ?? [])
        : devices.filter(
            (d) =>
              d.kind === target.deviceKind &&
              (target.within === 'city' ||
                (target.within === 'trigger-district' && focus.districts.includes(d.district)) ||
                (target.within === 'trigger-asset' && d.assetId !== undefined && focusAssets.has(d.assetId))),
          );
    for (const d of targets) {
      if (d.status === 'retired') continue;
      out.push({
        commandId: `${instanceId}:${d.id}:${c.name}`,
        deviceId: d.id,
        name: c.name,
        ...(c.params ? { params: { ...c.params } } : {}),
        note: c.note,
      });
    }
  }
  return out;
}
