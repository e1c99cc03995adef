import { describe, expect, it } from 'vitest';
import type { Incident, IncidentState } from '../../scenes/domain';
import { HandlerRoster } from './handler-roster';

const T0 = 1_700_000_000_000;
const OFF_DUTY_MS = 60_000;
const incident = (state: IncidentState, assignees: string[]): Incident => ({ id: `i-${state}`, state, assignees }) as unknown as Incident;

function roster(): HandlerRoster {
  const r = new HandlerRoster({ handlerOffDutyAfterMs: OFF_DUTY_MS, realPositionPriorityMs: 30_000 });
  r.register([{ id: 'h1', name: '张三', team: '排水一队', skills: [], home: [120.4, 36.1] }]);
  return r;
}

describe('handler roster', () => {
  it('is busy only while assigned to a dispatched incident still in progress', () => {
    const busy: Record<IncidentState, boolean> = {
      reported: false,
      dispatched: true,
      accepted: true,
      on_site: true,
      resolved: false,
      closed: false,
    };
    for (const [state, expected] of Object.entries(busy) as [IncidentState, boolean][]) {
      const r = roster();
      r.updatePosition('h1', [120.4, 36.1], T0, false, [incident(state, ['h1'])]);
      expect([state, r.get('h1')!.status]).toEqual([state, expected ? 'busy' : 'idle']);
    }
  });

  it('is not busy with an incident assigned to someone else, and goes off duty after a silence', () => {
    const r = roster();
    r.updatePosition('h1', [120.4, 36.1], T0, false, [incident('on_site', ['h2'])]);
    expect(r.get('h1')!.status).toBe('idle');
    expect(r.sweepOffDuty([], T0 + OFF_DUTY_MS + 1)).toBe(true);
    expect(r.get('h1')!.status).toBe('off_duty');
  });

  it('updates a profile keeping the position, and leaves out handlers no longer listed or disabled unless assigned to an incident in progress', () => {
    const r = roster();
    r.updatePosition('h1', [120.5, 36.2], T0, false, []);
    expect(r.register([{ id: 'h1', name: '张三', team: '排水一队', skills: [], home: null }])).toBe(false);
    expect(r.register([{ id: 'h1', name: '张三', team: '排水二队', skills: ['flood'], home: null }])).toBe(true);
    expect(r.get('h1')).toMatchObject({ team: '排水二队', skills: ['flood'], location: [120.5, 36.2] });
    const h2 = { id: 'h2', name: '李四', team: 't', skills: [], home: null };
    const h3 = { id: 'h3', name: '王五', team: 't', skills: [], home: null };
    // h1 (no longer an account) is on an incident still in progress: kept until it is finished
    expect(r.sync([h2, { ...h3, disabled: true }], [incident('on_site', ['h1'])])).toBe(true);
    expect(r.list().map((h) => h.id)).toEqual(['h1', 'h2']);
    expect(r.sync([h2, { ...h3, disabled: true }], [incident('on_site', ['h1'])])).toBe(false);
    // a disabled account on an incident in progress stays too; nothing assigned: gone
    expect(
      r.sync(
        [
          { ...h2, disabled: true },
          { ...h3, disabled: true },
        ],
        [incident('on_site', ['h3'])],
      ),
    ).toBe(true);
    expect(r.list().map((h) => h.id)).toEqual(['h3']);
    expect(r.sync([], [incident('closed', ['h3'])])).toBe(true);
    expect(r.list()).toEqual([]);
  });
});
