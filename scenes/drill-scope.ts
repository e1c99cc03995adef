/**
 * District drill-down (issue 17): a screen or console looks at one district of what its viewer
 * may see. The scene model of a drilled view is built on the server from the viewer's scope
 * narrowed to that district (scenes/scope.ts), never filtered in a component.
 *
 * Pure: reads its inputs only.
 */
import type { DistrictCode } from './domain';
import type { DataScope } from './scope';

/** Why a drill-down was refused: a field handler has no districts; the district lies outside the viewer's. */
export type DrillRefusal = 'handler' | 'out_of_scope';

export type DrillScope = { ok: true; scope: DataScope } | { ok: false; reason: DrillRefusal };

/**
 * The scope of `scope` narrowed to `district`: that district alone when the viewer may see it.
 * Without a district the viewer's own scope stands (the city view). Narrowing never widens: a
 * viewer limited to districts may drill into one of them only.
 */
export function narrowScopeToDistrict(scope: DataScope, district: DistrictCode | undefined): DrillScope {
  if (district === undefined) return { ok: true, scope };
  switch (scope.kind) {
    case 'handler':
      return { ok: false, reason: 'handler' };
    case 'all':
      return { ok: true, scope: { kind: 'districts', districts: [district] } };
    case 'districts':
      return scope.districts.includes(district)
        ? { ok: true, scope: { kind: 'districts', districts: [district] } }
        : { ok: false, reason: 'out_of_scope' };
    default: {
      const never: never = scope;
      return never;
    }
  }
}
