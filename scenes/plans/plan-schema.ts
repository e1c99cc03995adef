/**
 * Contingency plans (应急预案) as data: what hazard a plan answers, what triggers it, what each
 * graded response level (I–IV) means, the checklist, resources, who is told and which device
 * commands it may propose. Validated with zod wherever a plan enters (config, admin edits).
 * Pure; no I/O.
 */
import { z } from 'zod';
import { AlertLevelSchema, DeviceKindSchema, DistrictCodeSchema, IdSchema, RESOURCE_KINDS, RoleSchema } from '../domain';
import { DeviceCommandNameSchema, commandsOf } from '../device-commands';

/** Hazard types the demo covers: 防汛/暴雨, 桥梁超载, 燃气泄漏, 社区火灾. */
export const HAZARD_TYPES = ['flood-rainstorm', 'bridge-overload', 'gas-leak', 'community-fire'] as const;
export const HazardTypeSchema = z.enum(HAZARD_TYPES);
export type HazardType = z.infer<typeof HazardTypeSchema>;
export const HAZARD_LABELS: Readonly<Record<HazardType, { zh: string; en: string }>> = {
  'flood-rainstorm': { zh: '防汛/暴雨', en: 'Flood / rainstorm' },
  'bridge-overload': { zh: '桥梁超载', en: 'Bridge overload' },
  'gas-leak': { zh: '燃气泄漏', en: 'Gas leak' },
  'community-fire': { zh: '社区火灾', en: 'Community fire' },
};

/** Graded response (分级响应): I = 特别重大 (most severe) … IV = 一般. */
export const RESPONSE_LEVELS = ['I', 'II', 'III', 'IV'] as const;
export const ResponseLevelSchema = z.enum(RESPONSE_LEVELS);
export type ResponseLevel = z.infer<typeof ResponseLevelSchema>;
/** Lower is more severe, like ALERT_LEVEL_RANK. */
export const RESPONSE_LEVEL_RANK: Readonly<Record<ResponseLevel, 1 | 2 | 3 | 4>> = { I: 1, II: 2, III: 3, IV: 4 };
/** Roman numerals of the levels as the Chinese UI, reports and notices show them (Ⅱ级响应). */
export const RESPONSE_LEVEL_NUMERALS: Readonly<Record<ResponseLevel, string>> = { I: 'Ⅰ', II: 'Ⅱ', III: 'Ⅲ', IV: 'Ⅳ' };

/** `a` is at least as severe as `b`. */
export function isAtLeastLevel(a: ResponseLevel, b: ResponseLevel): boolean {
  return RESPONSE_LEVEL_RANK[a] <= RESPONSE_LEVEL_RANK[b];
}

const AlertCountTrigger = {
  /** counted items must be at this alert level or worse */
  minLevel: AlertLevelSchema,
  /** how many it takes */
  minCount: z.number().int().min(1),
};

/** What proposes a plan, and at which response level. Any trigger of a plan suffices. */
export const PlanTriggerSchema = z.discriminatedUnion('kind', [
  /** ≥ minCount incidents in progress of this category at minLevel or worse */
  z.strictObject({ kind: z.literal('incidents'), category: z.string().min(1), ...AlertCountTrigger, level: ResponseLevelSchema }),
  /** ≥ minCount active alerts of these catalogue rules at minLevel or worse */
  z.strictObject({ kind: z.literal('alerts'), ruleIds: z.array(IdSchema).min(1), ...AlertCountTrigger, level: ResponseLevelSchema }),
  /** a river or reservoir gauge over its guarantee level (保证水位); empty assetIds = any */
  z.strictObject({ kind: z.literal('water-over-guarantee'), assetIds: z.array(IdSchema), level: ResponseLevelSchema }),
  /** area warnings of these rules at minLevel or worse in ≥ minCount districts */
  z.strictObject({ kind: z.literal('area-warning'), areaRuleIds: z.array(IdSchema).min(1), ...AlertCountTrigger, level: ResponseLevelSchema }),
  /** started by hand only */
  z.strictObject({ kind: z.literal('manual') }),
]);
export type PlanTrigger = z.infer<typeof PlanTriggerSchema>;

export const PlanLevelSchema = z.strictObject({ level: ResponseLevelSchema, meaning: z.string().min(1).max(300), meaningEn: z.string().max(300) });

export const PlanStepSchema = z.strictObject({
  id: IdSchema,
  title: z.string().min(1).max(120),
  titleEn: z.string().max(120),
  /** who in the city's organisation does it, e.g. '排水应急队' */
  responsible: z.string().min(1).max(60),
  /** minutes from the plan's start by which the step is expected done */
  expectedDurationMin: z.number().int().positive(),
  /** the step is on the checklist at this level and every more severe one */
  fromLevel: ResponseLevelSchema,
});
export type PlanStep = z.infer<typeof PlanStepSchema>;

/** Which devices a proposed command goes to, relative to what triggered the plan. */
export const DeviceTargetSchema = z.discriminatedUnion('by', [
  z.strictObject({ by: z.literal('ids'), deviceIds: z.array(IdSchema).min(1) }),
  /** devices of a kind on the triggering devices' assets, in their districts, or city-wide */
  z.strictObject({ by: z.literal('kind'), deviceKind: DeviceKindSchema, within: z.enum(['trigger-asset', 'trigger-district', 'city']) }),
]);

export const PlanDeviceCommandSchema = z.strictObject({
  target: DeviceTargetSchema,
  name: DeviceCommandNameSchema,
  params: z.strictObject({ position: z.number().int().min(0).max(100).optional() }).optional(),
  fromLevel: ResponseLevelSchema,
  note: z.string().max(120),
});
export type PlanDeviceCommand = z.infer<typeof PlanDeviceCommandSchema>;

/**
 * Where a need's resources come from, nearest to the plan's area first: `designated` the plan's
 * `resourceIds`; `area` the instance's districts first, then the nearest outside them; `nearest`
 * any registry resource.
 */
export const PLAN_RESOURCE_POOLS = ['designated', 'area', 'nearest'] as const;

/** What a started plan takes of the live resources, e.g. 2 rescue teams of 10 members each. */
export const PlanResourceNeedSchema = z.strictObject({
  kind: z.enum(RESOURCE_KINDS),
  /** how many resources of the kind */
  count: z.number().int().min(1).max(20),
  /** units taken of each (team members, supply units, shelter places); what is free when less */
  amountEach: z.number().int().min(1).max(1_000_000),
  from: z.enum(PLAN_RESOURCE_POOLS),
  /** the need applies at this level and every more severe one */
  fromLevel: ResponseLevelSchema,
});
export type PlanResourceNeed = z.infer<typeof PlanResourceNeedSchema>;

export const ContingencyPlanSchema = z
  .strictObject({
    id: IdSchema,
    name: z.string().min(1).max(80),
    nameEn: z.string().min(1).max(80),
    hazard: HazardTypeSchema,
    triggers: z.array(PlanTriggerSchema).min(1),
    /** all four levels, each with what it means */
    levels: z.array(PlanLevelSchema).length(4),
    steps: z.array(PlanStepSchema).min(1),
    /** resource ids from the registry (teams, depots, shelters) */
    resourceIds: z.array(IdSchema),
    /** what starting the plan (or raising its level) takes of the live resources; absent = nothing */
    resourceNeeds: z.array(PlanResourceNeedSchema).max(20).optional(),
    notify: z.strictObject({ roles: z.array(RoleSchema), groups: z.array(z.string().min(1).max(40)) }),
    deviceCommands: z.array(PlanDeviceCommandSchema),
    /** districts the plan covers; empty = the whole city */
    districts: z.array(DistrictCodeSchema),
    /** a proposal at this level or more severe starts at once (e.g. 'I'); absent = always proposed */
    autoStartLevel: ResponseLevelSchema.optional(),
    /** ms after an instance was dismissed or ended before the plan may be proposed again */
    coolDownMs: z.number().int().gte(0),
  })
  .superRefine((plan, ctx) => {
    const levels = plan.levels.map((l) => l.level);
    if (new Set(levels).size !== 4) ctx.addIssue({ code: 'custom', message: 'levels must list I, II, III and IV once each', path: ['levels'] });
    const stepIds = plan.steps.map((s) => s.id);
    if (new Set(stepIds).size !== stepIds.length) ctx.addIssue({ code: 'custom', message: 'step ids must be unique', path: ['steps'] });
    plan.deviceCommands.forEach((c, i) => {
      if (c.target.by === 'kind' && !commandsOf(c.target.deviceKind).some((spec) => spec.name === c.name))
        ctx.addIssue({ code: 'custom', message: `device kind ${c.target.deviceKind} has no command ${c.name}`, path: ['deviceCommands', i] });
    });
  });
export type ContingencyPlan = z.infer<typeof ContingencyPlanSchema>;

/** The checklist at a level: the steps whose fromLevel this level reaches, in plan order. */
export function stepsAtLevel(plan: Pick<ContingencyPlan, 'steps'>, level: ResponseLevel): PlanStep[] {
  return plan.steps.filter((s) => isAtLeastLevel(level, s.fromLevel));
}
