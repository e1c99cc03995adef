import { describe, expect, it } from 'vitest';
import type { Alert, Incident } from '@scenes/domain';
import type { LogEvent } from '@scenes/protocol';
import { modelWithReplay, replayStateAt } from './replay-state-at';
import type { SceneModel } from '@scenes/scene-model';
import { sceneModelFixture } from '@scenes/scene-model.fixture';

const alert = (id: string, patch: Partial<Alert> = {}): Alert => ({
  id,
  deviceId: 'dev-1',
  deviceKind: 'water-level',
  ruleId: 'r1',
  scene: 'water',
  district: '370202',
  location: [120.4, 36.1],
  level: 'yellow',
  peakLevel: 'yellow',
  cleared: false,
  acknowledged: false,
  firstTs: 100,
  lastTs: 100,
  count: 1,
  title: '水位超警',
  titleEn: 'Water level high',
  ...patch,
});

const incident = (id: string, patch: Partial<Incident> = {}): Incident => ({
  id,
  version: 1,
  state: 'reported',
  priority: 'P2',
  level: 'orange',
  scene: 'water',
  category: 'waterlogging',
  title: '积水',
  district: '370202',
  location: [120.4, 36.1],
  source: 'alert',
  alertIds: [],
  assignees: [],
  escalated: false,
  createdTs: 150,
  updatedTs: 150,
  slaDueTs: 10_000,
  slaResponseDueTs: 5_000,
  reportedBy: 'system',
  photos: [],
  history: [],
  ...patch,
});

const ev = (id: string, ts: number, type: LogEvent['type'], body: { alert?: Alert; incident?: Incident }): LogEvent => ({
  id,
  ts,
  type,
  scene: 'water',
  ...body,
});

const events: LogEvent[] = [
  // deliberately out of order: replay must sort
  ev('300-0', 300, 'alert.updated', { alert: alert('a1', { level: 'red', lastTs: 300 }) }),
  ev('100-0', 100, 'alert.raised', { alert: alert('a1') }),
  ev('150-0', 150, 'incident.created', { incident: incident('i1') }),
  ev('200-0', 200, 'incident.transition', { incident: incident('i1', { state: 'dispatched', version: 2, updatedTs: 200 }) }),
  ev('400-0', 400, 'alert.cleared', { alert: alert('a1', { level: 'red', cleared: true, lastTs: 400 }) }),
  ev('400-1', 400, 'alert.acked', { alert: alert('a1', { level: 'red', cleared: true, acknowledged: true, lastTs: 400 }) }),
  ev('500-0', 500, 'incident.transition', { incident: incident('i1', { state: 'closed', version: 5, updatedTs: 500 }) }),
];

describe('replayStateAt', () => {
  it('shows nothing before the first event', () => {
    expect(replayStateAt(events, 50)).toEqual({ alerts: [], incidents: [] });
  });

  it('shows each alert and incident as its newest event at or before the slider time', () => {
    const at250 = replayStateAt(events, 250);
    expect(at250.alerts.map((a) => [a.id, a.level])).toEqual([['a1', 'yellow']]);
    expect(at250.incidents.map((i) => [i.id, i.state])).toEqual([['i1', 'dispatched']]);
    const at300 = replayStateAt(events, 300);
    expect(at300.alerts[0].level).toBe('red');
  });

  it('drops alerts once cleared and acknowledged, and incidents once closed', () => {
    expect(replayStateAt(events, 450).alerts).toEqual([]);
    expect(replayStateAt(events, 450).incidents).toHaveLength(1);
    expect(replayStateAt(events, 600).incidents).toEqual([]);
  });

  it('orders same-millisecond events by stream sequence', () => {
    const reversed = [...events].reverse();
    expect(replayStateAt(reversed, 400).alerts).toEqual([]);
  });

  it('puts the replayed alerts and incidents into the live model as map items', () => {
    const live: SceneModel = sceneModelFixture({ scene: 'water' });
    const m = modelWithReplay(live, replayStateAt(events, 300));
    expect(m.alerts[0]).toMatchObject({ id: 'a1', p: [120.4, 36.1], level: 'red' });
    expect(m.incidents[0]).toMatchObject({ id: 'i1', p: [120.4, 36.1], state: 'dispatched' });
    expect(m.devices).toBe(live.devices);
  });
});
