/**
 * What fusion shows of each emergency resource: the registry's `available` minus the units
 * incidents hold (server/resources/resource-service.ts). The published array keeps its identity
 * until the resources or the assignments change, so builders memoising on it keep working.
 */
import type { Asset, EmergencyResource } from '../../scenes/domain';

function sameTotals(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}

export class AssignedResources {
  private assigned: ReadonlyMap<string, number> = new Map();
  private memo: { input: readonly EmergencyResource[]; assigned: ReadonlyMap<string, number>; output: readonly EmergencyResource[] } | null = null;

  /** New totals per resource id; true when they differ from the last ones (the screens must rebuild). */
  set(assigned: ReadonlyMap<string, number>): boolean {
    if (sameTotals(this.assigned, assigned)) return false;
    this.assigned = new Map(assigned);
    return true;
  }

  /** The published assets and resources with each resource's availability net of assignments. */
  applyTo(published: { assets: readonly Asset[]; resources: readonly EmergencyResource[] }): {
    assets: readonly Asset[];
    resources: readonly EmergencyResource[];
  } {
    if (this.assigned.size === 0) return published;
    const m = this.memo;
    if (m && m.input === published.resources && m.assigned === this.assigned) return { assets: published.assets, resources: m.output };
    const output = published.resources.map((r) => {
      const taken = this.assigned.get(r.id);
      return taken ? { ...r, available: Math.max(0, r.available - taken) } : r;
    });
    this.memo = { input: published.resources, assigned: this.assigned, output };
    return { assets: published.assets, resources: output };
  }
}
