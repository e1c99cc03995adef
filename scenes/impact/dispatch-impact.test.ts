import { describe, expect, it } from 'vitest';
import { CommandSchema } from '../protocol';
import { DISPATCH_IMPACT_LIMITS, DispatchImpactSchema, dispatchImpactOf, type DispatchImpact } from './dispatch-impact';
import type { ImpactRange, ImpactResource } from './impact-types';
import { SAMPLE_DISPATCH_IMPACT } from './dispatch-impact.fixture';

const impact: DispatchImpact = SAMPLE_DISPATCH_IMPACT;

const dispatch = (extra: Record<string, unknown>) => ({
  type: 'incident.dispatch',
  commandId: 'cmd-dispatch-1',
  incidentId: 'INC-1',
  assignees: ['handler3'],
  ...extra,
});

/** where zod refused a dispatch (the server turns it into E_VALIDATION naming the path) */
function refusedAt(extra: Record<string, unknown>): string | null {
  const r = CommandSchema.safeParse(dispatch(extra));
  return r.success ? null : r.error.issues.map((i) => i.path.join('.')).join(' ');
}

describe('dispatch impact block (随派单发送) on the wire', () => {
  it('accepts a dispatch or reassignment carrying a valid impact block, and one without', () => {
    const withImpact = CommandSchema.parse(dispatch({ impact }));
    expect(withImpact.type === 'incident.dispatch' && withImpact.impact).toEqual(impact);
    expect(CommandSchema.safeParse({ ...dispatch({ impact }), type: 'incident.reassign' }).success).toBe(true);
    const without = CommandSchema.parse(dispatch({ note: '带上燃气检测仪' }));
    expect(without).toMatchObject({ note: '带上燃气检测仪' });
    expect('impact' in without).toBe(false);
  });

  it('refuses oversize blocks: more than 50 resources, names over 120 characters, a radius beyond the configurable maximum', () => {
    const many = Array.from({ length: DISPATCH_IMPACT_LIMITS.maxResources + 1 }, (_, i) => ({ name: `r${i}`, quantity: 1 }));
    expect(refusedAt({ impact: { ...impact, resources: many } })).toBe('impact.resources');
    expect(CommandSchema.safeParse(dispatch({ impact: { ...impact, resources: many.slice(1) } })).success).toBe(true);
    expect(refusedAt({ impact: { ...impact, resources: [{ name: 'x'.repeat(121), quantity: 1 }] } })).toBe('impact.resources.0.name');
    expect(refusedAt({ impact: { ...impact, resources: [{ name: '队', nameEn: 'x'.repeat(121), quantity: 1 }] } })).toBe('impact.resources.0.nameEn');
    expect(refusedAt({ impact: { ...impact, radiusM: DISPATCH_IMPACT_LIMITS.maxRadiusM + 1 } })).toBe('impact.radiusM');
    expect(refusedAt({ impact: { ...impact, counts: { ...impact.counts, devices: DISPATCH_IMPACT_LIMITS.maxCount + 1 } } })).toBe(
      'impact.counts.devices',
    );
  });

  it('refuses garbage: wrong types, negative or fractional counts, a centre off the globe, an unknown unit, a missing part', () => {
    expect(refusedAt({ impact: 'half a kilometre' })).toBe('impact');
    expect(refusedAt({ impact: { ...impact, radiusM: '500' } })).toBe('impact.radiusM');
    expect(refusedAt({ impact: { ...impact, radiusM: 0 } })).toBe('impact.radiusM');
    expect(refusedAt({ impact: { ...impact, center: [200, 36] } })).toBe('impact.center.0');
    expect(refusedAt({ impact: { ...impact, counts: { ...impact.counts, communities: -1 } } })).toBe('impact.counts.communities');
    expect(refusedAt({ impact: { ...impact, counts: { ...impact.counts, shelters: 1.5 } } })).toBe('impact.counts.shelters');
    expect(refusedAt({ impact: { ...impact, resources: [{ name: '队', quantity: 0 }] } })).toBe('impact.resources.0.quantity');
    expect(refusedAt({ impact: { ...impact, resources: [{ name: '队', quantity: 1, unit: 'tonnes' }] } })).toBe('impact.resources.0.unit');
    expect(refusedAt({ impact: { ...impact, resources: [{ name: '', quantity: 1 }] } })).toBe('impact.resources.0.name');
    const { counts: _counts, ...noCounts } = impact;
    expect(refusedAt({ impact: noCounts })).toBe('impact.counts');
  });

  it('drops keys it does not know instead of storing them', () => {
    const parsed = DispatchImpactSchema.parse({ ...impact, polygon: { huge: true }, counts: { ...impact.counts, extra: 1 } });
    expect(parsed).toEqual(impact);
  });
});

const res = (id: string, kind: ImpactResource['kind'], nameEn = `Name ${id}`): ImpactResource => ({
  id,
  kind,
  name: `名${id}`,
  nameEn,
  district: '370202',
  location: [120, 36],
  distanceM: 100,
  etaMin: 1,
  capacity: 500,
  available: 300,
});

const range: ImpactRange = {
  center: [120.38, 36.07],
  category: 'gas-leak',
  radiusM: 500,
  computedTs: 0,
  polygon: { type: 'Polygon', coordinates: [] },
  assets: { countByKind: { community: 2, bridge: 1, 'pump-station': 3 }, items: [] },
  communities: [
    { id: 'c1', kind: 'community', name: 'c1', nameEn: 'c1', district: '370202', location: [120, 36], distanceM: 0 },
    { id: 'c2', kind: 'community', name: 'c2', nameEn: 'c2', district: '370202', location: [120, 36], distanceM: 10 },
  ],
  facilities: { known: false, items: [] },
  shelters: { items: [res('s1', 'shelter')], freeCapacity: 300 },
  devices: { total: 12, countByKind: {}, alerting: [], alertingTotal: 2 },
  nearest: { 'rescue-team': [res('t1', 'rescue-team')], 'supply-depot': [res('d1', 'supply-depot', '')], shelter: [] },
};

describe('dispatchImpactOf (what the console sends)', () => {
  it("sums the range and names the assignments with their kind's unit", () => {
    const built = dispatchImpactOf(range, [
      { resourceId: 't1', amount: 7 },
      { resourceId: 's1', amount: 200 },
      { resourceId: 'd1', amount: 40 },
    ]);
    expect(built).toEqual({
      radiusM: 500,
      center: [120.38, 36.07],
      counts: { communities: 2, shelters: 1, shelterFreePlaces: 300, facilities: null, otherAssets: 4, devices: 12, alertingDevices: 2 },
      resources: [
        { name: '名t1', nameEn: 'Name t1', quantity: 7, unit: 'member' },
        { name: '名s1', nameEn: 'Name s1', quantity: 200, unit: 'place' },
        { name: '名d1', quantity: 40, unit: 'supply-unit' },
      ],
    });
    expect(DispatchImpactSchema.safeParse(built).success).toBe(true);
  });

  it('counts schools and hospitals only when the registry marks them', () => {
    const known = { ...range, facilities: { known: true, items: [] } };
    expect(dispatchImpactOf(known, []).counts.facilities).toBe(0);
  });

  it('keeps an assignment the range does not list by its id, and always fits the schema', () => {
    const many = Array.from({ length: 80 }, (_, i) => ({ resourceId: `unlisted-${i}-${'x'.repeat(150)}`, amount: 3 }));
    const built = dispatchImpactOf(range, many);
    expect(built.resources).toHaveLength(DISPATCH_IMPACT_LIMITS.maxResources);
    expect(built.resources[0]).toEqual({ name: `unlisted-0-${'x'.repeat(150)}`.slice(0, DISPATCH_IMPACT_LIMITS.maxTextChars), quantity: 3 });
    expect(DispatchImpactSchema.safeParse(built).success).toBe(true);
  });
});
