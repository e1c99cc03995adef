import { describe, expect, it } from 'vitest';
import { INCIDENT_STATES, ROLES, type Incident, type IncidentState, type Role } from './domain';
import {
  canSeeIncident,
  incidentAudience,
  isIncidentInProgress,
  isIncidentOpen,
  isResolutionOverdue,
  nextSlaDeadline,
  onTimeRate,
  slaDueTs,
} from './incident-rules';

const T0 = 1_700_000_000_000;
const RESPONSE_DUE = T0 + 1_800_000;
const RESOLVE_DUE = T0 + 14_400_000;

function incident(overrides: Partial<Incident> = {}): Incident {
  return {
    id: 'INC-1',
    version: 1,
    state: 'dispatched',
    priority: 'P2',
    level: 'orange',
    scene: 'emergency',
    category: 'gas-leak',
    title: '燃气泄漏',
    district: '370202',
    location: [120.38, 36.07],
    source: 'manual',
    alertIds: [],
    assignees: ['h1'],
    escalated: false,
    createdTs: T0,
    updatedTs: T0,
    slaDueTs: RESOLVE_DUE,
    slaResponseDueTs: RESPONSE_DUE,
    reportedBy: 'officer1',
    photos: [],
    history: [],
    ...overrides,
  };
}

describe('incident state rules (one answer per state)', () => {
  // state → [open work order?, in progress (SLA clock running)?, next deadline]
  const table: Record<IncidentState, [boolean, boolean, number | null]> = {
    reported: [true, true, RESPONSE_DUE],
    dispatched: [true, true, RESPONSE_DUE],
    accepted: [true, true, RESOLVE_DUE],
    on_site: [true, true, RESOLVE_DUE],
    resolved: [true, false, null],
    closed: [false, false, null],
  };

  it('covers every incident state', () => {
    expect(Object.keys(table).sort()).toEqual([...INCIDENT_STATES].sort());
  });

  for (const [state, [open, inProgress, due]] of Object.entries(table) as [IncidentState, [boolean, boolean, number | null]][]) {
    it(`a ${state} incident is ${open ? 'open' : 'not open'}, ${inProgress ? 'in progress' : 'not in progress'}, SLA due ${due === null ? 'never (clock stopped)' : due === RESPONSE_DUE ? 'at the response deadline' : 'at the resolution deadline'}`, () => {
      const i = incident({ state });
      expect(isIncidentOpen(i)).toBe(open);
      expect(isIncidentInProgress(i)).toBe(inProgress);
      expect(slaDueTs(i)).toBe(due);
      expect(nextSlaDeadline(i)?.kind ?? null).toBe(due === null ? null : due === RESPONSE_DUE ? 'response' : 'resolve');
    });
  }

  it('an incident is overdue only while in progress and past its resolution deadline', () => {
    expect(isResolutionOverdue(incident({ state: 'on_site' }), RESOLVE_DUE)).toBe(false);
    expect(isResolutionOverdue(incident({ state: 'on_site' }), RESOLVE_DUE + 1)).toBe(true);
    expect(isResolutionOverdue(incident({ state: 'resolved' }), RESOLVE_DUE + 1)).toBe(false);
    expect(isResolutionOverdue(incident({ state: 'closed' }), RESOLVE_DUE + 1)).toBe(false);
  });
});

describe('onTimeRate', () => {
  const dayStart = T0;
  const dayEnd = T0 + 86_400_000;
  const resolvedAt = (resolvedTs: number, slaDueTs = RESOLVE_DUE) => incident({ state: 'resolved', resolvedTs, slaDueTs });

  it('is null (no data), not 100 %, when nothing was resolved in the window', () => {
    expect(onTimeRate([], dayStart, dayEnd)).toBeNull();
    expect(onTimeRate([incident(), incident({ state: 'on_site' })], dayStart, dayEnd)).toBeNull();
    expect(onTimeRate([resolvedAt(dayStart - 1)], dayStart, dayEnd)).toBeNull();
  });

  it('counts an incident resolved exactly at its deadline as on time', () => {
    expect(onTimeRate([resolvedAt(RESOLVE_DUE)], dayStart, dayEnd)).toBe(100);
  });

  it('is the share of the window’s resolutions made by their deadline, one decimal', () => {
    const incidents = [resolvedAt(T0 + 1000), resolvedAt(RESOLVE_DUE + 1), resolvedAt(T0 + 2000), resolvedAt(dayEnd + 1, dayEnd + 5)];
    expect(onTimeRate(incidents, dayStart, dayEnd)).toBe(66.7);
  });
});

describe('canSeeIncident', () => {
  const others = ROLES.filter((r): r is Exclude<Role, 'handler'> => r !== 'handler');

  it.each(others)('a %s sees every incident', (role) => {
    expect(canSeeIncident({ username: 'someone', role }, incident({ assignees: [], reportedBy: 'system' }))).toBe(true);
  });

  it('a handler sees the incidents assigned to them', () => {
    expect(canSeeIncident({ username: 'h1', role: 'handler' }, incident({ assignees: ['h2', 'h1'] }))).toBe(true);
  });

  it('a handler sees their own field reports, assigned or not', () => {
    expect(canSeeIncident({ username: 'h3', role: 'handler' }, incident({ assignees: [], reportedBy: 'h3' }))).toBe(true);
  });

  it('a handler does not see incidents of others', () => {
    expect(canSeeIncident({ username: 'h3', role: 'handler' }, incident({ assignees: ['h1'], reportedBy: 'officer1' }))).toBe(false);
  });
});

describe('incidentAudience', () => {
  it('tells officers, leaders and admins of every change', () => {
    expect(incidentAudience(incident({ assignees: [], reportedBy: 'system' })).roles.sort()).toEqual(['admin', 'leader', 'officer']);
  });

  it('tells the current and the previous assignees', () => {
    expect(incidentAudience(incident({ assignees: ['h2'], reportedBy: 'system' }), ['h1']).usernames).toEqual(['h1', 'h2']);
  });

  it('tells the handler who reported it, even before anyone is assigned', () => {
    expect(incidentAudience(incident({ assignees: [], reportedBy: 'h7', source: 'field_report' })).usernames).toEqual(['h7']);
  });

  it('names nobody for the system reporter and nobody twice', () => {
    expect(incidentAudience(incident({ assignees: ['h1', 'h1'], reportedBy: 'system' }), ['h1']).usernames).toEqual(['h1']);
  });

  it('tells everyone who may see the incident', () => {
    const i = incident({ assignees: ['h1'], reportedBy: 'h2' });
    const audience = incidentAudience(i);
    for (const username of ['h1', 'h2', 'h3']) {
      const told = audience.usernames.includes(username);
      expect(told, username).toBe(canSeeIncident({ username, role: 'handler' }, i));
    }
  });
});
