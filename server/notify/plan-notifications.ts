/**
 * "Plan proposed" and "plan started" notices (issue 14). Proposed (by its triggers): the duty
 * officers of the districts it concerns, who decide whether to start it. Started: when a contingency plan's instance starts, the roles its
 * definition names (`notify.roles`) in the districts it concerns are told — officers' browsers and
 * leaders' phones through Web Push, the gateways through webhooks. Once per instance
 * (`plan.started:<instanceId>`), whichever node started it.
 */
import type { AlertLevel, DistrictCode, Role } from '../../scenes/domain';
import type { ContingencyPlan, ResponseLevel } from '../../scenes/plans/plan-schema';
import { instanceDistricts, type StoredPlanInstance } from '../../scenes/plans/plan-protocol';
import type { NotificationEvent } from './notify-types';

/** Response level I (most severe) … IV, as the alert colour gateways already route by. */
const LEVEL_COLOUR: Record<ResponseLevel, AlertLevel> = { I: 'red', II: 'orange', III: 'yellow', IV: 'blue' };
const LEVEL_ZH: Record<ResponseLevel, string> = { I: 'Ⅰ级', II: 'Ⅱ级', III: 'Ⅲ级', IV: 'Ⅳ级' };

/** People of `role` whose scope holds `district`, or (no district) everyone of the role. */
export type PeopleOf = (role: Role, district: DistrictCode | null) => Promise<string[]>;

export async function planStartedNotification(instance: StoredPlanInstance, plan: ContingencyPlan, peopleOf: PeopleOf): Promise<NotificationEvent> {
  const districts = instanceDistricts(instance, plan);
  const roles = plan.notify.roles.length > 0 ? plan.notify.roles : (['officer'] as Role[]);
  const recipients = new Set<string>();
  for (const role of roles) {
    if (role === 'screen') continue;
    for (const d of districts.length > 0 ? districts : [null]) for (const u of await peopleOf(role, d)) recipients.add(u);
  }
  return {
    id: `plan.started:${instance.id}`,
    type: 'plan.started',
    level: LEVEL_COLOUR[instance.level],
    ...(districts.length === 1 ? { district: districts[0] } : {}),
    planInstanceId: instance.id,
    recipients: [...recipients].sort(),
    title: {
      zh: `启动${LEVEL_ZH[instance.level]}应急响应：${plan.name}`.slice(0, 110),
      en: `Level ${instance.level} response started: ${plan.nameEn}`.slice(0, 110),
    },
    body: {
      zh: (plan.levels.find((l) => l.level === instance.level)?.meaning ?? plan.name).slice(0, 400),
      en: (plan.levels.find((l) => l.level === instance.level)?.meaningEn || plan.nameEn).slice(0, 400),
    },
    url: '/console',
  };
}

/** A plan its triggers proposed: the duty officers where it applies are asked to decide (once per instance). */
export async function planProposedNotification(instance: StoredPlanInstance, plan: ContingencyPlan, peopleOf: PeopleOf): Promise<NotificationEvent> {
  const districts = instanceDistricts(instance, plan);
  const recipients = new Set<string>();
  for (const d of districts.length > 0 ? districts : [null]) for (const u of await peopleOf('officer', d)) recipients.add(u);
  return {
    id: `plan.proposed:${instance.id}`,
    type: 'plan.proposed',
    level: LEVEL_COLOUR[instance.level],
    ...(districts.length === 1 ? { district: districts[0] } : {}),
    planInstanceId: instance.id,
    recipients: [...recipients].sort(),
    title: {
      zh: `建议启动${LEVEL_ZH[instance.level]}应急响应：${plan.name}`.slice(0, 110),
      en: `Level ${instance.level} response proposed: ${plan.nameEn}`.slice(0, 110),
    },
    body: {
      zh: (instance.reasons.map((r) => r.text).join('；') || plan.name).slice(0, 400),
      en: (instance.reasons.map((r) => r.text).join('; ') || plan.nameEn).slice(0, 400),
    },
    url: '/console',
  };
}
