import { describe, expect, it } from 'vitest';
import { INCIDENT_STATES, type Incident, type IncidentState } from '../../scenes/domain';
import { isIncidentOpen } from '../../scenes/incident-rules';
import { IncidentBoard } from './incident-board';

const T0 = 1_700_000_000_000;
const incident = (id: string, state: IncidentState): Incident =>
  ({ id, version: 1, state, assignees: [], createdTs: T0, updatedTs: T0, slaDueTs: T0 + 1, slaResponseDueTs: T0 + 1 }) as unknown as Incident;

describe('incident board', () => {
  it('counts as open exactly the incidents the shared rule calls open (a resolved one is open until closed)', () => {
    const board = new IncidentBoard();
    board.restore(INCIDENT_STATES.map((s, i) => incident(`i-${i}`, s)));
    expect(board.openCount()).toBe(INCIDENT_STATES.filter((s) => isIncidentOpen({ state: s })).length);
    expect(board.openCount()).toBe(INCIDENT_STATES.length - 1);
  });
});
