import { describe, expect, it } from 'vitest';
import type { Alert, AlertLevel, DistrictCode, Incident, IncidentTransition } from '../domain';
import { buildReport, incidentOutcome, milestoneMs, type ReportInput } from './build-report';
import { previousPeriod, reportPeriod, samePeriodLastYear } from './report-period';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = reportPeriod('daily', '2026-11-30')!;
const T0 = DAY.fromTs + 8 * HOUR; // 08:00 Beijing time

function step(
  action: IncidentTransition['action'],
  to: IncidentTransition['to'],
  actor: string,
  ts: number,
  assignees?: string[],
): IncidentTransition {
  return { action, from: null, to, actor, ts, commandId: `c-${action}-${ts}`, ...(assignees ? { assignees } : {}) };
}

interface Life {
  id: string;
  createdTs?: number;
  district?: DistrictCode;
  scene?: Incident['scene'];
  category?: string;
  level?: AlertLevel | null;
  priority?: Incident['priority'];
  /** minutes after creation */
  dispatch?: number;
  accept?: number;
  arrive?: number;
  resolve?: number;
  close?: number;
  handler?: string;
  outcome?: Incident['outcome'];
  resolveMaxMin?: number;
}

/** An incident that went as far as its life says, by officer1 and the handler. */
function incident(l: Life): Incident {
  const c = l.createdTs ?? T0;
  const at = (m: number): number => c + m * MIN;
  const h = l.handler ?? 'h1';
  const history: IncidentTransition[] = [step('create', 'reported', 'system', c)];
  let state: Incident['state'] = 'reported';
  if (l.dispatch !== undefined) history.push(step('dispatch', (state = 'dispatched'), 'officer1', at(l.dispatch), [h]));
  if (l.accept !== undefined) history.push(step('accept', (state = 'accepted'), h, at(l.accept)));
  if (l.arrive !== undefined) history.push(step('arrive', (state = 'on_site'), h, at(l.arrive)));
  if (l.resolve !== undefined) history.push(step('resolve', (state = 'resolved'), h, at(l.resolve)));
  if (l.close !== undefined)
    history.push(step(l.outcome && l.outcome !== 'resolved' ? 'close_unresolved' : 'close', (state = 'closed'), 'officer1', at(l.close)));
  return {
    id: l.id,
    version: history.length,
    state,
    priority: l.priority ?? 'P2',
    level: l.level === undefined ? 'orange' : l.level,
    scene: l.scene ?? 'emergency',
    category: l.category ?? 'waterlogging',
    title: l.id,
    district: l.district ?? '370202',
    location: [120.38, 36.07],
    source: 'alert',
    alertIds: [],
    assignees: l.dispatch !== undefined ? [h] : [],
    escalated: false,
    createdTs: c,
    updatedTs: history.at(-1)!.ts,
    slaDueTs: c + (l.resolveMaxMin ?? 4 * 60) * MIN,
    slaResponseDueTs: c + 30 * MIN,
    ...(l.resolve !== undefined ? { resolvedTs: at(l.resolve) } : {}),
    ...(l.close !== undefined ? { closedTs: at(l.close), outcome: l.outcome ?? 'resolved' } : {}),
    reportedBy: 'system',
    photos: [],
    history,
  };
}

function alert(id: string, deviceId: string, firstTs: number, level: AlertLevel = 'yellow', district: DistrictCode = '370202'): Alert {
  return {
    id,
    deviceId,
    deviceKind: 'rain-gauge',
    ruleId: 'r',
    scene: 'water',
    district,
    location: [120.38, 36.07],
    level,
    peakLevel: level,
    cleared: false,
    acknowledged: false,
    firstTs,
    lastTs: firstTs,
    count: 1,
    title: id,
    titleEn: id,
  };
}

/** The fixture with known answers: four incidents of 30 Nov 2026, one of the day before, one in another district. */
const TODAY: Incident[] = [
  // resolved on time: dispatch 5, accept 10, arrive 30, resolve 60 minutes
  incident({ id: 'A', dispatch: 5, accept: 10, arrive: 30, resolve: 60, close: 70, handler: 'h1' }),
  // resolved late (deadline 60 min, resolved at 120)
  incident({
    id: 'B',
    level: 'red',
    priority: 'P1',
    dispatch: 15,
    accept: 20,
    arrive: 50,
    resolve: 120,
    close: 130,
    handler: 'h2',
    resolveMaxMin: 60,
  }),
  // a false alarm, closed before anyone went
  incident({ id: 'C', level: 'yellow', category: 'gas-leak', scene: 'community', close: 3, outcome: 'false_alarm' }),
  // still open: dispatched only
  incident({ id: 'D', level: null, category: 'gas-leak', dispatch: 25, handler: 'h1' }),
  // another district: out of the district report
  incident({ id: 'E', district: '370203', dispatch: 1, accept: 2, arrive: 3, resolve: 4, close: 5 }),
];
const YESTERDAY: Incident[] = [incident({ id: 'Y', createdTs: T0 - 24 * HOUR, dispatch: 10, accept: 20, arrive: 40, resolve: 80, close: 90 })];
const ALERTS: Alert[] = [
  alert('a1', 'dev-1', T0, 'red'),
  alert('a2', 'dev-1', T0 + HOUR),
  alert('a3', 'dev-2', T0 + 2 * HOUR, 'blue'),
  alert('a4', 'dev-3', T0 + 3 * HOUR, 'yellow', '370203'),
  alert('old', 'dev-1', T0 - 24 * HOUR),
];

function input(overrides: Partial<ReportInput> = {}): ReportInput {
  const all = [...TODAY, ...YESTERDAY];
  return {
    period: DAY,
    incidents: all,
    alerts: ALERTS,
    previous: { period: previousPeriod(DAY), incidents: all, alerts: ALERTS },
    devices: [
      { id: 'dev-1', name: '雨量站1', district: '370202', assetId: 'asset-river' },
      { id: 'dev-2', name: '雨量站2', district: '370202' },
    ],
    assets: [{ id: 'asset-river', name: '李村河', nameEn: 'Licun River' }],
    handlers: [
      { id: 'h1', name: '张三', team: '排水一队' },
      { id: 'h2', name: '李四', team: '排水一队' },
    ],
    generatedTs: DAY.toTs,
    ...overrides,
  };
}

const count = (rows: { key: string; count: number }[], key: string): number | undefined => rows.find((r) => r.key === key)?.count;

describe('the daily report of a fixture with known answers', () => {
  const r = buildReport(input({ district: '370202' }));

  it('counts the incidents created in the period of the chosen district', () => {
    expect(r.headline.incidents).toBe(4);
    expect(count(r.incidents.byScene, 'emergency')).toBe(3);
    expect(count(r.incidents.byScene, 'community')).toBe(1);
    expect(count(r.incidents.byScene, 'bridge')).toBe(0);
    expect(r.incidents.byCategory).toEqual([
      { key: 'gas-leak', count: 2 },
      { key: 'waterlogging', count: 2 },
    ]);
    expect(r.incidents.byLevel).toEqual([
      { key: 'red', count: 1 },
      { key: 'orange', count: 1 },
      { key: 'yellow', count: 1 },
      { key: 'blue', count: 0 },
      { key: 'none', count: 1 },
    ]);
    expect(r.incidents.byOutcome).toEqual([
      { key: 'resolved', count: 2 },
      { key: 'false_alarm', count: 1 },
      { key: 'duplicate', count: 0 },
      { key: 'cancelled', count: 0 },
      { key: 'open', count: 1 },
    ]);
  });

  it('SLA compliance follows the shared rule: one of two resolved on time is 50 %', () => {
    expect(r.sla).toMatchObject({ resolved: 2, onTime: 1, late: 1, compliancePct: 50 });
    expect(r.sla.byPriority.find((x) => x.priority === 'P1')).toEqual({ priority: 'P1', resolved: 1, onTime: 0, compliancePct: 0 });
    expect(r.sla.byPriority.find((x) => x.priority === 'P4')).toEqual({ priority: 'P4', resolved: 0, onTime: 0, compliancePct: null });
  });

  it('times each milestone from the transition history with mean, p50 and p90', () => {
    expect(r.timings.dispatch).toEqual({ count: 3, meanMs: 15 * MIN, p50Ms: 15 * MIN, p90Ms: 25 * MIN });
    expect(r.timings.acknowledge).toEqual({ count: 2, meanMs: 15 * MIN, p50Ms: 10 * MIN, p90Ms: 20 * MIN });
    expect(r.timings.arrive).toEqual({ count: 2, meanMs: 40 * MIN, p50Ms: 30 * MIN, p90Ms: 50 * MIN });
    expect(r.timings.resolve).toEqual({ count: 2, meanMs: 90 * MIN, p50Ms: 60 * MIN, p90Ms: 120 * MIN });
    expect(r.headline.mttaMs).toBe(15 * MIN);
    expect(r.headline.mttrMs).toBe(90 * MIN);
  });

  it('ranks devices and places by the alerts first raised in the period', () => {
    expect(r.headline.alerts).toBe(3);
    expect(r.topDevices).toEqual([
      { deviceId: 'dev-1', name: '雨量站1', district: '370202', alerts: 2 },
      { deviceId: 'dev-2', name: '雨量站2', district: '370202', alerts: 1 },
    ]);
    expect(r.topPlaces.map((p) => [p.key, p.name, p.alerts])).toEqual([
      ['asset:asset-river', '李村河', 2],
      ['district:370202', '市南区', 1],
    ]);
    expect(count(r.alerts.byLevel, 'red')).toBe(1);
    expect(count(r.alerts.byScene, 'water')).toBe(3);
  });

  it('names the busiest handlers and their teams', () => {
    expect(r.handlers).toEqual([
      { handler: 'h1', name: '张三', team: '排水一队', assigned: 2, resolved: 1 },
      { handler: 'h2', name: '李四', team: '排水一队', assigned: 1, resolved: 1 },
    ]);
    expect(r.teams).toEqual([{ team: '排水一队', assigned: 3, resolved: 2 }]);
  });

  it('lists the closed incidents of the period, newest close first', () => {
    expect(r.closed.map((c) => [c.id, c.outcome])).toEqual([
      ['B', 'resolved'],
      ['A', 'resolved'],
      ['C', 'false_alarm'],
    ]);
  });

  it('has one trend bucket per Beijing day', () => {
    expect(r.trend).toEqual([{ dayStartTs: DAY.fromTs, alerts: 3, incidents: 4, resolved: 2 }]);
  });

  it('compares with the day before (环比) as deltas and percentages', () => {
    expect(r.comparison.previous.incidents).toEqual({ current: 4, previous: 1, delta: 3, changePct: 300 });
    expect(r.comparison.previous.alerts).toEqual({ current: 3, previous: 1, delta: 2, changePct: 200 });
    expect(r.comparison.previous.falseAlarms).toEqual({ current: 1, previous: 0, delta: 1, changePct: null });
    expect(r.comparison.previousYear).toBeNull();
  });

  it('compares with the same day a year before (同比) when given, and an empty year gives "no percentage"', () => {
    const withYear = buildReport(input({ previousYear: { period: samePeriodLastYear(DAY), incidents: [], alerts: [] } }));
    expect(withYear.comparison.previousYear!.incidents).toEqual({ current: 5, previous: 0, delta: 5, changePct: null });
    expect(withYear.comparison.previousYear!.slaCompliancePct.previous).toBeNull();
    expect(JSON.stringify(withYear)).not.toMatch(/Infinity|NaN/);
  });

  it('has seven trend buckets in a week, each record in the day it happened', () => {
    const week = reportPeriod('weekly', '2026-11-30')!;
    const w = buildReport(input({ period: week, previous: { period: previousPeriod(week), incidents: [], alerts: [] } }));
    expect(w.trend).toHaveLength(7);
    expect(w.trend[0]).toEqual({ dayStartTs: week.fromTs, alerts: 4, incidents: 5, resolved: 3 });
    expect(w.trend.slice(1).every((d) => d.alerts + d.incidents + d.resolved === 0)).toBe(true);
  });

  it('covers every district when none is chosen', () => {
    const all = buildReport(input());
    expect(all.district).toBeNull();
    expect(all.headline.incidents).toBe(5);
    expect(all.headline.alerts).toBe(4);
  });

  it('an empty period is all zeros and no data, never NaN', () => {
    const empty = buildReport(input({ incidents: [], alerts: [] }));
    expect(empty.headline).toEqual({
      alerts: 0,
      incidents: 0,
      resolved: 0,
      falseAlarms: 0,
      open: 0,
      slaCompliancePct: null,
      mttaMs: null,
      mttrMs: null,
    });
    expect(empty.sla.compliancePct).toBeNull();
    expect(JSON.stringify(empty)).not.toMatch(/NaN|Infinity/);
  });
});

describe('incident outcome and milestones', () => {
  it.each([
    [incident({ id: 'x' }), 'open'],
    [incident({ id: 'x', dispatch: 1, accept: 2, arrive: 3, resolve: 4 }), 'resolved'],
    [incident({ id: 'x', dispatch: 1, accept: 2, arrive: 3, resolve: 4, close: 5 }), 'resolved'],
    [incident({ id: 'x', close: 1, outcome: 'duplicate' }), 'duplicate'],
    [incident({ id: 'x', close: 1, outcome: 'cancelled' }), 'cancelled'],
  ])('an incident in state %#: outcome %s', (i, outcome) => {
    expect(incidentOutcome(i)).toBe(outcome);
  });

  it('a milestone never reached has no time', () => {
    const i = incident({ id: 'x', dispatch: 7 });
    expect(milestoneMs(i, 'dispatch')).toBe(7 * MIN);
    expect(milestoneMs(i, 'arrive')).toBeNull();
    expect(milestoneMs(i, 'resolve')).toBeNull();
  });
});
