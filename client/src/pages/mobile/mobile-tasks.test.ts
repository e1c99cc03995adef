import { describe, expect, it } from 'vitest';
import type { Incident } from '@scenes/domain';
import type { QueuedAction } from '../../data/offline-queue';
import { doneToday, isNewAssignment, myTasks, predictIncidents, sceneForCategory } from './mobile-tasks';

const T0 = 1_750_000_000_000;
const me = { username: 'handler1', role: 'handler' as const };

function inc(id: string, over: Partial<Incident> = {}): Incident {
  return {
    id,
    version: 2,
    state: 'dispatched',
    priority: 'P2',
    level: 'orange',
    scene: 'emergency',
    category: 'gas-leak',
    title: id,
    district: '370202',
    location: [120.38, 36.07],
    source: 'alert',
    alertIds: [],
    assignees: ['handler1'],
    escalated: false,
    createdTs: T0,
    updatedTs: T0,
    slaDueTs: T0 + 4 * 3600_000,
    slaResponseDueTs: T0 + 1800_000,
    reportedBy: 'system',
    photos: [],
    history: [],
    ...over,
  };
}

function queued(type: string, incidentId: string, ts: number, extra: Record<string, unknown> = {}): QueuedAction {
  return {
    commandId: `q-${type}-${ts}`,
    command: { type, commandId: `q-${type}-${ts}`, incidentId, ...extra } as QueuedAction['command'],
    queuedTs: ts,
    attempts: 0,
  };
}

describe('mobile tasks', () => {
  it('applies actions waiting in the outbox in order, so accept then arrive shows on site while offline', () => {
    const views = predictIncidents(new Map([['A', inc('A')]]), [queued('incident.accept', 'A', T0 + 1), queued('incident.arrive', 'A', T0 + 2)], me);
    expect(views.get('A')!.incident.state).toBe('on_site');
    expect(views.get('A')!.waiting).toHaveLength(2);
  });

  it('ignores a waiting action the state machine would refuse (the server will answer it)', () => {
    const views = predictIncidents(new Map([['A', inc('A')]]), [queued('incident.resolve', 'A', T0 + 1, { note: 'x' })], me);
    expect(views.get('A')!.incident.state).toBe('dispatched');
    expect(views.get('A')!.waiting).toHaveLength(1);
  });

  it('lists my open tasks first by priority, then my field reports, never closed ones or other people’s', () => {
    const views = predictIncidents(
      new Map([
        ['p3', inc('p3', { priority: 'P3' })],
        ['p1', inc('p1', { priority: 'P1' })],
        ['closed', inc('closed', { state: 'closed' })],
        ['other', inc('other', { assignees: ['handler2'] })],
        ['report', inc('report', { assignees: [], state: 'reported', reportedBy: 'handler1', priority: 'P1' })],
      ]),
      [],
      me,
    );
    expect(myTasks(views.values(), 'handler1').map((v) => v.incident.id)).toEqual(['p1', 'p3', 'report']);
  });

  it('recognises a new assignment once, not on later updates', () => {
    expect(isNewAssignment(inc('A'), undefined, 'handler1')).toBe(true);
    expect(isNewAssignment(inc('A', { version: 3 }), inc('A'), 'handler1')).toBe(false);
    expect(isNewAssignment(inc('A', { state: 'accepted' }), inc('A'), 'handler1')).toBe(false);
    expect(isNewAssignment(inc('A'), inc('A', { assignees: ['handler2'] }), 'handler1')).toBe(true);
  });

  it('files field reports under the scene of their category', () => {
    expect(sceneForCategory('waterlogging')).toBe('water');
    expect(sceneForCategory('elevator')).toBe('community');
    expect(sceneForCategory('gas-leak')).toBe('emergency');
  });
});

describe('doneToday', () => {
  // 2025-06-15 10:00 in Qingdao (UTC+8) is 02:00 UTC; its city day began at 16:00 UTC the day before
  const now = Date.UTC(2025, 5, 15, 2, 0, 0);
  const midnight = Date.UTC(2025, 5, 14, 16, 0, 0);

  it('lists my incidents closed since the city’s midnight, newest first, and nothing else', () => {
    const list = [
      inc('early', { state: 'closed', updatedTs: midnight + 60_000 }),
      inc('late', { state: 'closed', updatedTs: now - 60_000 }),
      inc('yesterday', { state: 'closed', updatedTs: midnight - 1 }),
      inc('resolved', { state: 'resolved', updatedTs: now - 1000 }),
      inc('someone-else', { state: 'closed', updatedTs: now - 1000, assignees: ['handler2'] }),
    ];
    expect(doneToday(list, 'handler1', now).map((i) => i.id)).toEqual(['late', 'early']);
    expect(doneToday([], 'handler1', now)).toEqual([]);
  });
});
