import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DISTRICT_CODES, ROLES, SCREEN_SCENE_IDS, type DistrictCode, type Role } from './domain';
import {
  eventInScope,
  incidentInScope,
  incidentRoleRooms,
  roleRooms,
  scopeFusedState,
  scopeKey,
  scopeOf,
  trendOf,
  WHOLE_CITY,
  type DataScope,
} from './scope';
import { makeFusedState } from './test-fixtures/fused-state';
import { SCENE_BUILDERS } from './builders/index';
import { canSeeIncident, incidentAudience } from './incident-rules';

const SHINAN: DistrictCode = '370202';
const LAOSHAN: DistrictCode = '370212';

const districtsArb = fc.array(fc.constantFrom(...DISTRICT_CODES), { maxLength: 6 });

describe('scopeOf', () => {
  it('gives handlers their own scope, officers and leaders their districts, everyone else the whole city', () => {
    fc.assert(
      fc.property(fc.constantFrom(...ROLES), districtsArb, (role: Role, districts) => {
        const scope = scopeOf({ role, username: 'u1', districts });
        if (role === 'handler') expect(scope).toEqual({ kind: 'handler', username: 'u1' });
        else if ((role === 'officer' || role === 'leader') && districts.length > 0)
          expect(scope).toEqual({ kind: 'districts', districts: [...new Set(districts)].sort() });
        else expect(scope).toBe(WHOLE_CITY);
      }),
    );
  });

  it('has a key that does not depend on the order or repetition of districts', () => {
    fc.assert(
      fc.property(districtsArb, (districts) => {
        const a = scopeOf({ role: 'officer', username: 'a', districts });
        const b = scopeOf({ role: 'leader', username: 'b', districts: [...districts].reverse().concat(districts) });
        expect(scopeKey(a)).toBe(scopeKey(b));
      }),
    );
    expect(scopeKey(scopeOf({ role: 'officer', username: 'x', districts: [] }))).toBe('all');
    expect(scopeKey(scopeOf({ role: 'handler', username: 'h1' }))).not.toBe(scopeKey(scopeOf({ role: 'handler', username: 'h2' })));
  });
});

describe('scopeFusedState', () => {
  const state = makeFusedState();
  const districtsInFixture = [...new Set([...state.devices.values()].map((d) => d.district))];

  it('returns the state itself for the whole city', () => {
    expect(scopeFusedState(state, WHOLE_CITY)).toBe(state);
  });

  it('holds only in-scope devices, states, series, alerts, incidents, assets and resources, and no status epoch', () => {
    expect(districtsInFixture.length).toBeGreaterThan(1);
    fc.assert(
      fc.property(fc.subarray(DISTRICT_CODES as unknown as DistrictCode[], { minLength: 1 }), (districts) => {
        const scope = scopeOf({ role: 'officer', username: 'o', districts });
        const s = scopeFusedState({ ...state, statusEpoch: 7, statusChangedSince: () => new Set() }, scope);
        const inScope = (d: DistrictCode) => districts.includes(d);
        expect([...s.devices.values()].every((d) => inScope(d.district))).toBe(true);
        expect(s.devices.size).toBe([...state.devices.values()].filter((d) => inScope(d.district)).length);
        for (const [id] of s.deviceStates) expect(inScope(state.devices.get(id)!.district)).toBe(true);
        for (const [id, d] of state.devices) if (!inScope(d.district)) expect(s.deviceStates.get(id)).toBeUndefined();
        for (const key of s.series.keys()) expect(s.devices.has(key.slice(0, key.lastIndexOf('.')))).toBe(true);
        expect(s.alerts.every((a) => inScope(a.district))).toBe(true);
        expect(s.alerts).toHaveLength(state.alerts.filter((a) => inScope(a.district)).length);
        expect(s.incidents).toEqual(state.incidents.filter((i) => inScope(i.district)));
        expect(s.assets.every((a) => inScope(a.district))).toBe(true);
        expect(s.resources.every((r) => inScope(r.district))).toBe(true);
        expect(s.statusEpoch).toBeUndefined();
        expect(s.statusChangedSince).toBeUndefined();
        // the trend counts only in-scope alerts on the same grid
        expect(s.alertTrend.startTs).toBe(state.alertTrend.startTs);
        expect(s.alertTrend).toEqual(trendOf(s.alerts, state.alertTrend));
      }),
    );
  });

  it('gives a handler their own incidents and nothing else of the city', () => {
    const mine = state.incidents.find((i) => i.assignees.length > 0)!;
    const handler = mine.assignees[0]!;
    const s = scopeFusedState(state, scopeOf({ role: 'handler', username: handler }));
    expect(s.incidents.length).toBeGreaterThan(0);
    expect(s.incidents.every((i) => i.assignees.includes(handler) || i.reportedBy === handler)).toBe(true);
    expect(s.devices.size + s.alerts.length + s.assets.length + s.resources.length + s.handlers.length).toBe(0);
  });

  it('builds every scene from a scoped state without another district in it', () => {
    // the whole city's emergency scene lists every open incident: the check below can fail
    const wholeCity = JSON.stringify(SCENE_BUILDERS.emergency(state));
    expect(state.incidents.some((i) => wholeCity.includes(`"${i.id}"`))).toBe(true);
    for (const district of districtsInFixture) {
      const scope = scopeOf({ role: 'officer', username: 'o', districts: [district] });
      const others = new Set(state.incidents.filter((i) => i.district !== district).map((i) => i.id));
      for (const scene of SCREEN_SCENE_IDS) {
        const json = JSON.stringify(SCENE_BUILDERS[scene](scopeFusedState(state, scope)));
        for (const id of others) expect(json.includes(`"${id}"`), `${scene} of ${district} shows ${id}`).toBe(false);
      }
    }
  });

  it('recomputes the trend from alerts on the grid', () => {
    const grid = { bucketMs: 10, startTs: 100, counts: { emergency: [0, 0], bridge: [0, 0], water: [0, 0], community: [0, 0] } };
    const alerts = [
      { scene: 'water', firstTs: 95 },
      { scene: 'water', firstTs: 100 },
      { scene: 'water', firstTs: 119 },
      { scene: 'bridge', firstTs: 110 },
      { scene: 'bridge', firstTs: 120 },
    ] as never;
    expect(trendOf(alerts, grid).counts).toEqual({ emergency: [0, 0], bridge: [0, 1], water: [1, 1], community: [0, 0] });
  });
});

describe('incident scope, events and rooms', () => {
  const incident = { district: SHINAN, assignees: ['h1'], reportedBy: 'officer1' };
  const scopes: DataScope[] = [
    WHOLE_CITY,
    scopeOf({ role: 'officer', username: 'o', districts: [SHINAN] }),
    scopeOf({ role: 'leader', username: 'l', districts: [LAOSHAN] }),
    scopeOf({ role: 'handler', username: 'h1' }),
    scopeOf({ role: 'handler', username: 'h2' }),
  ];

  it('agrees with canSeeIncident and with the events that carry the incident', () => {
    expect(scopes.map((s) => incidentInScope(s, incident))).toEqual([true, true, false, true, false]);
    for (const s of scopes) {
      expect(eventInScope(s, { incident: incident as never })).toBe(incidentInScope(s, incident));
    }
    expect(canSeeIncident({ username: 'o', role: 'officer', districts: [LAOSHAN] }, incident)).toBe(false);
    expect(canSeeIncident({ username: 'o', role: 'officer', districts: [] }, incident)).toBe(true);
    // an event with neither incident nor alert is whole-city information
    expect(scopes.map((s) => eventInScope(s, {}))).toEqual([true, false, false, false, false]);
  });

  it('tells exactly the role rooms a viewer who can see the incident has joined', () => {
    fc.assert(
      fc.property(fc.constantFrom<Role>('officer', 'leader', 'admin'), districtsArb, fc.constantFrom(...DISTRICT_CODES), (role, districts, at) => {
        const viewer = { role, username: 'v', districts };
        const i = { ...incident, district: at, assignees: [], reportedBy: 'system' };
        const told = incidentRoleRooms(incidentAudience(i).roles, incidentAudience(i).district);
        const joined = roleRooms(role, scopeOf(viewer));
        expect(joined.some((r) => told.includes(r))).toBe(canSeeIncident(viewer, i));
      }),
    );
    expect(roleRooms('handler', scopeOf({ role: 'handler', username: 'h1' }))).toEqual([]);
  });
});
