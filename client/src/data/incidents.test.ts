import { describe, expect, it } from 'vitest';
import type { Incident } from '@scenes/domain';
import { createFakeTransport } from './fake-transport';
import { commandNeedsNote, compareQueue, incidentQueue, newCommandId, subscribeIncidents } from './incidents';
import { nextSlaDeadline } from '@scenes/incident-rules';

const T0 = 1_750_000_000_000;

function inc(id: string, over: Partial<Incident> = {}): Incident {
  return {
    id,
    version: 1,
    state: 'reported',
    priority: 'P2',
    level: 'orange',
    scene: 'emergency',
    category: 'gas-leak',
    title: id,
    district: '370202',
    location: [120.38, 36.07],
    source: 'alert',
    alertIds: [],
    assignees: [],
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

describe('officer queue order', () => {
  it('sorts by priority, then by the least time left to the next SLA breach, closed last', () => {
    const list = [
      inc('closed-p1', { priority: 'P1', state: 'closed' }),
      inc('p2-late', { slaResponseDueTs: T0 + 3000 }),
      inc('p2-soon', { slaResponseDueTs: T0 + 1000 }),
      inc('p1', { priority: 'P1', slaResponseDueTs: T0 + 900_000 }),
    ];
    expect([...list].sort(compareQueue).map((i) => i.id)).toEqual(['p1', 'p2-soon', 'p2-late', 'closed-p1']);
  });

  it('uses the response deadline before arrival and the resolution deadline after', () => {
    expect(nextSlaDeadline(inc('a'))).toEqual({ kind: 'response', dueTs: T0 + 1800_000 });
    expect(nextSlaDeadline(inc('a', { state: 'on_site' }))).toEqual({ kind: 'resolve', dueTs: T0 + 4 * 3600_000 });
    expect(nextSlaDeadline(inc('a', { state: 'resolved' }))).toBeNull();
  });

  it('filters by scene, district and state; "open" hides closed incidents', () => {
    const list = [inc('a'), inc('b', { scene: 'water' }), inc('c', { district: '370203' }), inc('d', { state: 'closed' })];
    expect(
      incidentQueue(list)
        .map((i) => i.id)
        .sort(),
    ).toEqual(['a', 'b', 'c']);
    expect(incidentQueue(list, { scene: 'water', district: 'all', state: 'all' }).map((i) => i.id)).toEqual(['b']);
    expect(incidentQueue(list, { scene: 'all', district: '370203', state: 'open' }).map((i) => i.id)).toEqual(['c']);
    expect(incidentQueue(list, { scene: 'all', district: 'all', state: 'closed' }).map((i) => i.id)).toEqual(['d']);
  });
});

describe('subscribeIncidents', () => {
  it('loads the list, then applies pushes, announces new incidents and never goes back a version', async () => {
    const t = createFakeTransport();
    const seen: string[] = [];
    let latest = new Map<string, Incident>();
    const off = subscribeIncidents(t, { onChange: (m) => (latest = new Map(m)), onNew: (i) => seen.push(i.id) });
    t.emitServer('incident:update', inc('x', { version: 3 }));
    t.requests[0]!.resolve({ ok: true, incidents: [inc('x', { version: 2 }), inc('y')] });
    await Promise.resolve();
    await Promise.resolve();
    expect(latest.get('x')!.version).toBe(3);
    expect(latest.has('y')).toBe(true);
    t.emitServer('incident:update', inc('z'));
    expect(seen).toEqual(['x', 'z']);
    off();
    t.emitServer('incident:update', inc('w'));
    expect(latest.has('w')).toBe(false);
  });

  it('re-fetches the list after a reconnect', () => {
    const t = createFakeTransport();
    const off = subscribeIncidents(t, { onChange: () => undefined });
    t.connect(true);
    expect(t.requests.filter((r) => r.event === 'incidents:list')).toHaveLength(2);
    off();
  });
});

describe('newCommandId', () => {
  it('makes distinct ids the server accepts', () => {
    const a = newCommandId('m');
    expect(a).toMatch(/^[A-Za-z0-9_-]{8,64}$/);
    expect(newCommandId('m')).not.toBe(a);
  });
});

describe('commandNeedsNote', () => {
  it('follows the protocol: reject, resolve, reopen, escalate, return and note need one; accept and close do not', () => {
    for (const t of [
      'incident.reject',
      'incident.resolve',
      'incident.reopen',
      'incident.escalate',
      'incident.return_escalation',
      'incident.note',
    ] as const)
      expect(commandNeedsNote(t), t).toBe(true);
    for (const t of ['incident.accept', 'incident.close', 'incident.dispatch', 'incident.approve_escalation'] as const)
      expect(commandNeedsNote(t), t).toBe(false);
  });
});
