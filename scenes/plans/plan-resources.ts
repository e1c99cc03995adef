/**
 * The emergency resources a started contingency plan takes (issue 17): its needs by kind and count
 * (plan-schema.ts PlanResourceNeed: "2 rescue teams, 1 supply depot, shelters in the affected
 * districts") met by the free resources nearest to the plan's area, ranked like the impact
 * range's nearest lists (scenes/impact rankResources). Pure: the live resources, what the
 * instance already holds and the area come in; the server takes the picks in the assignment store
 * (server/plans/plan-resources.ts) and records what it holds on the instance.
 */
import { RESOURCE_KINDS, type DistrictCode, type EmergencyResource, type LngLat, type ResourceKind } from '../domain';
import { districtFeature, QINGDAO_CENTER } from '../geo/districts';
import { DEFAULT_IMPACT_CONFIG, type ImpactConfig } from '../impact/impact-config';
import { rankResources } from '../impact/impact-range';
import type { ImpactResource } from '../impact/impact-types';
import type { PlanInstance } from './plan-instance';
import { isAtLeastLevel, RESPONSE_LEVEL_RANK, type ContingencyPlan, type PlanResourceNeed, type ResponseLevel } from './plan-schema';

/** A resource an instance holds, as recorded on it (the console's plan card shows name and kind). */
export interface PlanResourceHolding {
  resourceId: string;
  kind: ResourceKind;
  name: string;
  nameEn: string;
  /** units held: team members, supply units, shelter places */
  amount: number;
  /** from the plan's area centre when taken, m */
  distanceM: number;
}

/** Resources of a kind the needs called for that were not free (none left, or refused meanwhile). */
export interface PlanResourceShortfall {
  kind: ResourceKind;
  /** how many resources (not units) are missing */
  missing: number;
}

/** One resource to take now. */
export type PlanResourcePick = PlanResourceHolding;

export interface PlanResourceQuery {
  needs: readonly PlanResourceNeed[];
  level: ResponseLevel;
  /** the plan's resourceIds (the `designated` pool) */
  designated: readonly string[];
  /** the instance's districts (empty: the whole city) */
  districts: readonly DistrictCode[];
  center: LngLat;
  /** the registry's resources with what is free now (net of every assignment) */
  resources: readonly EmergencyResource[];
  /** what the instance holds already: counts toward the needs of its kind and is not picked again */
  held: readonly { resourceId: string; kind: ResourceKind }[];
  /** resources not to pick (refused a moment ago) */
  exclude?: ReadonlySet<string>;
  config?: ImpactConfig;
}

export interface PlanResourceSelection {
  picks: PlanResourcePick[];
  shortfalls: PlanResourceShortfall[];
}

/** The holder id of an instance in the assignment store (beside incident ids; never one of them). */
export function planResourceHolderId(instanceId: string): string {
  return `plan:${instanceId}`;
}

const mean = (points: readonly LngLat[]): LngLat => [
  points.reduce((s, p) => s + p[0], 0) / points.length,
  points.reduce((s, p) => s + p[1], 0) / points.length,
];

/**
 * The centre resources are measured from: the triggering devices' mean position, else the mean
 * of the districts' label points, else the city centre (a city-wide plan started by hand).
 */
export function planAreaCenter(devicePoints: readonly LngLat[], districts: readonly DistrictCode[]): LngLat {
  if (devicePoints.length > 0) return mean(devicePoints);
  const labels = districts.flatMap((d) => {
    const f = districtFeature(d);
    return f ? [f.properties.center] : [];
  });
  return labels.length > 0 ? mean(labels) : QINGDAO_CENTER;
}

/** Whether a transition takes resources: the instance starts, or an active one is raised to a more severe level. */
export function planTakesResources(before: Pick<PlanInstance, 'state' | 'level'>, after: Pick<PlanInstance, 'state' | 'level'>): boolean {
  if (after.state !== 'active') return false;
  return before.state !== 'active' || RESPONSE_LEVEL_RANK[after.level] < RESPONSE_LEVEL_RANK[before.level];
}

/** The needs in force at a level, in plan order. */
export function needsAtLevel(plan: Pick<ContingencyPlan, 'resourceNeeds'>, level: ResponseLevel): PlanResourceNeed[] {
  return (plan.resourceNeeds ?? []).filter((n) => isAtLeastLevel(level, n.fromLevel));
}

function candidatesFor(need: PlanResourceNeed, ranked: readonly ImpactResource[], q: PlanResourceQuery): ImpactResource[] {
  const ofKind = ranked.filter((r) => r.kind === need.kind);
  switch (need.from) {
    case 'designated':
      return ofKind.filter((r) => q.designated.includes(r.id));
    case 'area': {
      if (q.districts.length === 0) return ofKind;
      const inside = (r: ImpactResource) => q.districts.includes(r.district);
      return [...ofKind.filter(inside), ...ofKind.filter((r) => !inside(r))];
    }
    case 'nearest':
      return ofKind;
    default: {
      const unreachable: never = need.from;
      return unreachable;
    }
  }
}

/**
 * What to take now for the needs at `level`: for each need, what the instance holds of the kind
 * counts first; the rest are the nearest resources of its pool with at least one unit free, each
 * taken for `amountEach` units or what is free when less. A resource is picked once across needs.
 * What no free resource can meet is a shortfall (per kind, in resources).
 */
export function selectPlanResources(q: PlanResourceQuery): PlanResourceSelection {
  const ranked = rankResources(q.center, q.resources, q.config ?? DEFAULT_IMPACT_CONFIG);
  const taken = new Set<string>([...q.held.map((h) => h.resourceId), ...(q.exclude ?? [])]);
  const heldLeft = new Map<ResourceKind, number>();
  for (const h of q.held) heldLeft.set(h.kind, (heldLeft.get(h.kind) ?? 0) + 1);
  const picks: PlanResourcePick[] = [];
  const missing = new Map<ResourceKind, number>();
  for (const need of q.needs.filter((n) => isAtLeastLevel(q.level, n.fromLevel))) {
    const covered = Math.min(need.count, heldLeft.get(need.kind) ?? 0);
    heldLeft.set(need.kind, (heldLeft.get(need.kind) ?? 0) - covered);
    let left = need.count - covered;
    for (const r of candidatesFor(need, ranked, q)) {
      if (left === 0) break;
      if (taken.has(r.id) || r.available < 1) continue;
      taken.add(r.id);
      picks.push({
        resourceId: r.id,
        kind: r.kind,
        name: r.name,
        nameEn: r.nameEn,
        amount: Math.min(need.amountEach, r.available),
        distanceM: r.distanceM,
      });
      left--;
    }
    if (left > 0) missing.set(need.kind, (missing.get(need.kind) ?? 0) + left);
  }
  return { picks, shortfalls: [...missing].map(([kind, n]) => ({ kind, missing: n })) };
}

/**
 * The record of what an instance holds (the store's assignments), named and measured from the
 * registry, teams first, then depots, then shelters, each nearest first; a resource the registry no longer lists keeps what `previous` (the last record and
 * the picks) said of it, or is left out when nothing did.
 */
export function describeHoldings(
  held: readonly { resourceId: string; amount: number }[],
  center: LngLat,
  resources: readonly EmergencyResource[],
  previous: readonly PlanResourceHolding[],
  config: ImpactConfig = DEFAULT_IMPACT_CONFIG,
): PlanResourceHolding[] {
  const byId = new Map(rankResources(center, resources, config).map((r) => [r.id, r]));
  const before = new Map(previous.map((p) => [p.resourceId, p]));
  return held
    .flatMap((h): PlanResourceHolding[] => {
      const r = byId.get(h.resourceId);
      if (r) return [{ resourceId: r.id, kind: r.kind, name: r.name, nameEn: r.nameEn, amount: h.amount, distanceM: r.distanceM }];
      const p = before.get(h.resourceId);
      return p ? [{ ...p, amount: h.amount }] : [];
    })
    .sort((a, b) => KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || a.distanceM - b.distanceM || (a.resourceId < b.resourceId ? -1 : 1));
}

/** Records list teams, then depots, then shelters (each nearest first). */
const KIND_ORDER = Object.fromEntries(RESOURCE_KINDS.map((k, i) => [k, i])) as Record<ResourceKind, number>;
