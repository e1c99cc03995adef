import { describe, expect, it } from 'vitest';
import type { Incident, Reading } from '../domain';
import { buildIncidentSummary, summariseMetrics } from './incident-summary';

const T0 = 1_764_547_200_000;
const MIN = 60_000;

const incident: Incident = {
  id: 'INC-1',
  version: 6,
  state: 'closed',
  priority: 'P2',
  level: 'orange',
  scene: 'water',
  category: 'waterlogging',
  title: '积水',
  district: '370202',
  location: [120.38, 36.07],
  source: 'alert',
  alertIds: ['a1'],
  deviceId: 'dev-1',
  assignees: ['h1'],
  escalated: false,
  createdTs: T0,
  updatedTs: T0 + 70 * MIN,
  slaDueTs: T0 + 240 * MIN,
  slaResponseDueTs: T0 + 30 * MIN,
  resolvedTs: T0 + 60 * MIN,
  closedTs: T0 + 70 * MIN,
  reportedBy: 'system',
  photos: ['PH-1'],
  outcome: 'resolved',
  resolution: { category: 'cleared', summary: '抽排完成' },
  history: [
    { action: 'create', from: null, to: 'reported', actor: 'system', ts: T0, commandId: 'c0' },
    { action: 'dispatch', from: 'reported', to: 'dispatched', actor: 'officer1', ts: T0 + 5 * MIN, commandId: 'c1', assignees: ['h1'] },
    { action: 'accept', from: 'dispatched', to: 'accepted', actor: 'h1', ts: T0 + 10 * MIN, commandId: 'c2' },
    { action: 'arrive', from: 'accepted', to: 'on_site', actor: 'h1', ts: T0 + 30 * MIN, commandId: 'c3' },
    { action: 'resolve', from: 'on_site', to: 'resolved', actor: 'h1', ts: T0 + 60 * MIN, commandId: 'c4', note: '抽排' },
    { action: 'close', from: 'resolved', to: 'closed', actor: 'officer1', ts: T0 + 70 * MIN, commandId: 'c5' },
  ],
};

const reading = (ts: number, depth: number): Reading => ({ deviceId: 'dev-1', ts, seq: ts, metrics: { depthCm: depth } }) as Reading;

describe('the after-action summary (事件总结)', () => {
  const s = buildIncidentSummary({
    incident,
    alerts: [],
    readings: {
      deviceId: 'dev-1',
      deviceKind: null,
      fromTs: T0 - 30 * MIN,
      toTs: T0 + 70 * MIN,
      readings: [reading(T0 + MIN, 30), reading(T0, 12), reading(T0 + 2 * MIN, 20)],
    },
  });

  it('lists every step with who did it and how long after the start', () => {
    expect(s.timeline.map((t) => [t.action, t.actor, t.sinceCreatedMs])).toEqual([
      ['create', 'system', 0],
      ['dispatch', 'officer1', 5 * MIN],
      ['accept', 'h1', 10 * MIN],
      ['arrive', 'h1', 30 * MIN],
      ['resolve', 'h1', 60 * MIN],
      ['close', 'officer1', 70 * MIN],
    ]);
    expect(s.people.map((p) => [p.actor, p.actions.map((a) => a.action)])).toEqual([
      ['system', ['create']],
      ['officer1', ['dispatch', 'close']],
      ['h1', ['accept', 'arrive', 'resolve']],
    ]);
  });

  it('gives the outcome, the SLA verdict by the shared rule, and the milestone times', () => {
    expect(s.outcome).toBe('resolved');
    expect(s.resolution).toEqual({ category: 'cleared', summary: '抽排完成' });
    expect(s.sla.resolvedOnTime).toBe(true);
    expect(s.timings).toEqual({ dispatch: 5 * MIN, acknowledge: 10 * MIN, arrive: 30 * MIN, resolve: 60 * MIN });
  });

  it('names photos with the URL they are fetched from', () => {
    expect(s.photos).toEqual([{ id: 'PH-1', url: '/api/photos/PH-1' }]);
  });

  it('summarises the readings behind it per metric, in time order', () => {
    expect(s.readings.count).toBe(3);
    expect(s.readings.metrics).toEqual([{ metric: 'depthCm', count: 3, min: 12, max: 30, first: 12, last: 20, maxTs: T0 + MIN }]);
    expect(summariseMetrics([])).toEqual([]);
  });
});
