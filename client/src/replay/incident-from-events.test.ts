import { describe, expect, it } from 'vitest';
import type { Incident, IncidentTransition } from '@scenes/domain';
import type { LogEvent } from '@scenes/protocol';
import { incidentFromEvents } from './incident-from-events';

const step = (action: IncidentTransition['action'], to: Incident['state'], ts: number, note?: string): IncidentTransition => ({
  action,
  from: null,
  to,
  actor: 'officer01',
  ts,
  commandId: `cmd-${ts}`,
  ...(note ? { note } : {}),
});

const fields = (version: number, state: Incident['state'], updatedTs: number): Omit<Incident, 'history'> => ({
  id: 'i1',
  version,
  state,
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
  createdTs: 100,
  updatedTs,
  slaDueTs: 10_000,
  slaResponseDueTs: 5_000,
  reportedBy: 'system',
  photos: [],
});

/** the shape the store writes since issue 10: incident without history + the one transition */
const ev = (ts: number, version: number, state: Incident['state'], transition: IncidentTransition): LogEvent => ({
  id: `${ts}-0`,
  ts,
  type: version === 1 ? 'incident.created' : 'incident.transition',
  scene: 'water',
  incident: fields(version, state, ts),
  transition,
});

describe('incidentFromEvents', () => {
  it('rebuilds the newest incident with the history its events record, in log order', () => {
    const created = step('create', 'reported', 100);
    const dispatched = step('dispatch', 'dispatched', 200);
    const noted = step('note', 'dispatched', 300, '现场积水');
    const events = [ev(300, 3, 'dispatched', noted), ev(100, 1, 'reported', created), ev(200, 2, 'dispatched', dispatched)];
    expect(incidentFromEvents(events, 'i1')).toEqual({ ...fields(3, 'dispatched', 300), history: [created, dispatched, noted] });
    expect(incidentFromEvents(events, 'other')).toBeNull();
  });

  it('takes the full history of an event written before events carried transitions, and extends it', () => {
    const created = step('create', 'reported', 100);
    const dispatched = step('dispatch', 'dispatched', 200);
    const legacy: LogEvent = {
      id: '200-0',
      ts: 200,
      type: 'incident.transition',
      scene: 'water',
      incident: { ...fields(2, 'dispatched', 200), history: [created, dispatched] },
    };
    const accepted = step('accept', 'accepted', 300);
    expect(incidentFromEvents([legacy, ev(300, 3, 'accepted', accepted)], 'i1')?.history).toEqual([created, dispatched, accepted]);
  });
});
