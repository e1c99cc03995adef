import { describe, expect, it } from 'vitest';
import type { Incident } from '@scenes/domain';
import type { ImpactRange, ImpactResource } from '@scenes/impact/impact-types';
import { DISPATCH_NOTE_MAX_CHARS, dispatchNoteOf, distanceText, impactBriefing } from './impact-briefing';

const res = (id: string, kind: ImpactResource['kind'], distanceM: number, etaMin: number): ImpactResource => ({
  id,
  kind,
  name: `名${id}`,
  nameEn: `Name ${id}`,
  district: '370202',
  location: [120, 36],
  distanceM,
  etaMin,
  capacity: 40,
  available: 30,
});

const range: ImpactRange = {
  center: [120, 36],
  category: 'gas-leak',
  radiusM: 500,
  computedTs: 0,
  polygon: { type: 'Polygon', coordinates: [] },
  assets: { countByKind: {}, items: [] },
  communities: [{ id: 'c', kind: 'community', name: 'c', nameEn: 'c', district: '370202', location: [120, 36], distanceM: 0 }],
  facilities: { known: false, items: [] },
  shelters: { items: [res('s1', 'shelter', 200, 1)], freeCapacity: 30 },
  devices: { total: 12, countByKind: {}, alerting: [], alertingTotal: 2 },
  nearest: {
    'rescue-team': [res('t1', 'rescue-team', 1240, 4), res('t2', 'rescue-team', 2000, 6), res('t3', 'rescue-team', 3000, 8)],
    'supply-depot': [],
    shelter: [res('s1', 'shelter', 200, 1)],
  },
};

describe('impact briefing (随派单发送)', () => {
  it('sums the range, names the two nearest of each kind with distance and ETA, and lists assignments', () => {
    const text = impactBriefing(range, [{ incidentId: 'i', resourceId: 't1', amount: 5, assignedBy: 'officer1', ts: 0 }], 'zh');
    expect(text.split('\n')).toEqual([
      '【影响范围 500 米】社区 1 个，避难场所 1 个（空余 30 人），设备 12 台（告警 2 台）',
      '最近救援队伍：名t1 1.2 km 约 4 分钟；名t2 2.0 km 约 6 分钟',
      '最近避难场所：名s1 200 m 约 1 分钟',
      '已调派：名t1 × 5',
    ]);
    expect(impactBriefing(range, [], 'en').split('\n')[1]).toBe('Nearest Rescue teams: Name t1 1.2 km ~4 min; Name t2 2.0 km ~6 min');
  });

  it('never exceeds the dispatch note limit', () => {
    const many = { ...range, nearest: { ...range.nearest, 'rescue-team': [res('x'.repeat(3000), 'rescue-team', 1, 1)] } };
    expect(impactBriefing(many, [], 'zh').length).toBeLessThanOrEqual(DISPATCH_NOTE_MAX_CHARS);
  });

  it('writes distances in m below a kilometre and km above', () => {
    expect(distanceText(999)).toBe('999 m');
    expect(distanceText(1000)).toBe('1.0 km');
  });

  it("finds the note of the latest dispatch or reassignment for the handler's task", () => {
    const step = (action: string, note?: string) => ({ action, note }) as Incident['history'][number];
    expect(dispatchNoteOf({ history: [step('create', 'a'), step('dispatch', '带上燃气检测仪'), step('accept')] })).toBe('带上燃气检测仪');
    expect(dispatchNoteOf({ history: [step('dispatch', 'old'), step('reassign', 'new')] })).toBe('new');
    expect(dispatchNoteOf({ history: [step('dispatch')] })).toBeNull();
    expect(dispatchNoteOf({ history: [step('create', 'x')] })).toBeNull();
  });
});
