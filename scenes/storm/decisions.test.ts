import { describe, expect, it } from 'vitest';
import { officerDecisions } from './decisions';
import type { AreaWarning } from './area-warnings';
import { MINUTE_MS, T0, makeAlert, makeIncident } from './fixtures/storm-fixtures';

function warning(id: string, district: AreaWarning['district'], firstMin: number, lastMin: number, level: AreaWarning['level'] = 'red'): AreaWarning {
  return {
    id,
    ruleId: 'area.rainfall.district',
    area: { kind: 'district', district },
    district,
    level,
    alertIds: [`${id}-a`, `${id}-b`, `${id}-c`],
    deviceIds: [],
    firstTs: T0 + firstMin * MINUTE_MS,
    lastTs: T0 + lastMin * MINUTE_MS,
    active: true,
    title: 't',
    titleEn: 't',
  };
}

describe('officer decisions', () => {
  it("puts one storm's warnings of one level into one bulletin naming their districts", () => {
    const d = officerDecisions({
      alerts: [],
      warnings: [warning('w1', '370202', 0, 10), warning('w2', '370203', 5, 20), warning('w3', '370212', 15, 30)],
      coveredBy: {},
      incidents: [],
    });
    expect(d).toEqual([
      {
        kind: 'bulletin',
        ruleId: 'area.rainfall.district',
        level: 'red',
        warningIds: ['w1', 'w2', 'w3'],
        districts: ['370202', '370203', '370212'],
        alertCount: 9,
      },
    ]);
  });

  it('keeps warnings of another level or another time apart', () => {
    const d = officerDecisions({
      alerts: [],
      warnings: [warning('w1', '370202', 0, 10), warning('w2', '370203', 0, 10, 'orange'), warning('w3', '370212', 60, 70)],
      coveredBy: {},
      incidents: [],
    });
    expect(d.map((x) => x.kind === 'bulletin' && x.warningIds)).toEqual([['w1'], ['w2'], ['w3']]);
  });

  it('asks about incidents in progress and loose alerts only', () => {
    const covered = makeAlert('covered');
    const linked = makeAlert('linked');
    const acked = makeAlert('acked', { acknowledged: true });
    const loose = makeAlert('loose');
    const d = officerDecisions({
      alerts: [covered, linked, acked, loose],
      warnings: [],
      coveredBy: { [covered.id]: 'w' },
      incidents: [makeIncident('I1', { alertIds: [linked.id] }), makeIncident('I2', { state: 'resolved' })],
      proposedPlanIds: ['plan-flood-rainstorm'],
    });
    expect(d).toEqual([
      { kind: 'incident', incidentId: 'I1' },
      { kind: 'plan', planId: 'plan-flood-rainstorm' },
      { kind: 'alert', alertId: loose.id },
    ]);
  });
});
