/**
 * The impact block a dispatch carries (issue 17, 随派单发送): the range's radius and centre, counts
 * of what lies inside, and the resources assigned, as typed data on the dispatch's history entry,
 * so the handler's phone shows it as a block and the officer's note stays what the officer typed.
 *
 * Display only: it is the officer's snapshot of an `ImpactRange` when they dispatched. The server
 * validates its shape and size and stores it; it never decides anything from it (the live range
 * and the assignments are read from the resource service).
 */
import { z } from 'zod';
import { LngLatSchema } from '../domain';
import type { ResourceKind } from '../domain';
import type { ImpactRange, ImpactResource } from './impact-types';

/** Bounds of a dispatch's impact block: display data must not bloat an incident's history. */
export const DISPATCH_IMPACT_LIMITS = {
  /** assigned resources listed */
  maxResources: 50,
  /** a resource name, characters */
  maxTextChars: 120,
  /** the largest radius impact-config allows an operator to configure, m */
  maxRadiusM: 20_000,
  /** any count or quantity */
  maxCount: 10_000_000,
} as const;

/** The unit a resource's quantity is counted in (scenes/domain.ts EmergencyResource.capacity). */
export const RESOURCE_UNITS = ['member', 'supply-unit', 'place'] as const;
export type ResourceUnit = (typeof RESOURCE_UNITS)[number];

/** rescue teams: members; supply depots: supply units; shelters: places (people) */
export const RESOURCE_UNIT_OF_KIND: Record<ResourceKind, ResourceUnit> = {
  'rescue-team': 'member',
  'supply-depot': 'supply-unit',
  shelter: 'place',
};

const countSchema = z.number().int().gte(0).lte(DISPATCH_IMPACT_LIMITS.maxCount);
const textSchema = z.string().min(1).max(DISPATCH_IMPACT_LIMITS.maxTextChars);

export const DispatchImpactResourceSchema = z.object({
  name: textSchema,
  /** English name, when the resource has one */
  nameEn: textSchema.optional(),
  /** how many units are assigned to the incident */
  quantity: z.number().int().gte(1).lte(DISPATCH_IMPACT_LIMITS.maxCount),
  /** absent: the console did not know the resource's kind (shown as a bare number) */
  unit: z.enum(RESOURCE_UNITS).optional(),
});
export type DispatchImpactResource = z.infer<typeof DispatchImpactResourceSchema>;

export const DispatchImpactSchema = z.object({
  /** m */
  radiusM: z.number().positive().lte(DISPATCH_IMPACT_LIMITS.maxRadiusM),
  center: LngLatSchema,
  /** what lies in or crosses the range (ImpactRange's counts) */
  counts: z.object({
    communities: countSchema,
    shelters: countSchema,
    /** free places summed over the shelters inside, people */
    shelterFreePlaces: countSchema,
    /** schools and hospitals; null = the registry does not mark them (unknown, not absent) */
    facilities: countSchema.nullable(),
    /** assets other than communities */
    otherAssets: countSchema,
    devices: countSchema,
    /** devices with an open alert */
    alertingDevices: countSchema,
  }),
  /** resources assigned to the incident when it was dispatched */
  resources: z.array(DispatchImpactResourceSchema).max(DISPATCH_IMPACT_LIMITS.maxResources),
});
export type DispatchImpact = z.infer<typeof DispatchImpactSchema>;

/** What the incident holds of one resource (server/resources: an assignment). */
export interface AssignedAmount {
  resourceId: string;
  /** units of the resource (members, supply units, places) */
  amount: number;
}

/** Assets in the range other than communities (those are counted on their own). */
export function otherAssetCount(range: Pick<ImpactRange, 'assets'>): number {
  return Object.entries(range.assets.countByKind)
    .filter(([kind]) => kind !== 'community')
    .reduce((sum, [, n]) => sum + (n ?? 0), 0);
}

const clip = (s: string) => s.slice(0, DISPATCH_IMPACT_LIMITS.maxTextChars);

/**
 * The block the console sends with a dispatch: the range's counts and the assignments, named from
 * the range's resources (an assignment the range does not list keeps its id as the name and no
 * unit). Bounded like the schema, so what it builds always passes it.
 */
export function dispatchImpactOf(range: ImpactRange, assignments: readonly AssignedAmount[]): DispatchImpact {
  const known = new Map<string, ImpactResource>();
  for (const r of [...Object.values(range.nearest).flat(), ...range.shelters.items]) known.set(r.id, r);
  const cap = (n: number) => Math.min(DISPATCH_IMPACT_LIMITS.maxCount, Math.max(0, Math.round(n)));
  return {
    radiusM: Math.min(DISPATCH_IMPACT_LIMITS.maxRadiusM, range.radiusM),
    center: [range.center[0], range.center[1]],
    counts: {
      communities: cap(range.communities.length),
      shelters: cap(range.shelters.items.length),
      shelterFreePlaces: cap(range.shelters.freeCapacity),
      facilities: range.facilities.known ? cap(range.facilities.items.length) : null,
      otherAssets: cap(otherAssetCount(range)),
      devices: cap(range.devices.total),
      alertingDevices: cap(range.devices.alertingTotal),
    },
    resources: assignments
      .filter((a) => a.amount >= 1)
      .slice(0, DISPATCH_IMPACT_LIMITS.maxResources)
      .map((a) => {
        const r = known.get(a.resourceId);
        const quantity = Math.max(1, cap(a.amount));
        if (!r) return { name: clip(a.resourceId), quantity };
        const nameEn = clip(r.nameEn);
        return { name: clip(r.name) || clip(a.resourceId), ...(nameEn ? { nameEn } : {}), quantity, unit: RESOURCE_UNIT_OF_KIND[r.kind] };
      }),
  };
}

/** A copy sharing nothing with `impact` (the state machine never aliases its input into its output). */
export function copyDispatchImpact(impact: DispatchImpact): DispatchImpact {
  return {
    radiusM: impact.radiusM,
    center: [impact.center[0], impact.center[1]],
    counts: { ...impact.counts },
    resources: impact.resources.map((r) => ({ ...r })),
  };
}
