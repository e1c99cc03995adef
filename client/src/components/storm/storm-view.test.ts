import { describe, expect, it } from 'vitest';
import type { Incident } from '@scenes/domain';
import { toIncidentItem } from '@scenes/builders/common';
import { MINUTE_MS, SHINAN, T0, makeIncident, offsetM } from '@scenes/storm/fixtures/storm-fixtures';
import {
  historyNote,
  formatDistance,
  historyExtras,
  latestCloseIndex,
  mergeCandidates,
  overdueIncidents,
  stormPermissions,
  supervisionBadge,
  taskGoneNotice,
  isRefusedForGoneTask,
  beijingInputValue,
  tsOfBeijingInput,
} from './storm-view';
import { en, zh } from './messages';

const officer = { username: 'officer1', role: 'officer' as const };
const leader = { username: 'leader1', role: 'leader' as const };

describe('督办 badge', () => {
  const supervised = makeIncident('INC-1', {
    supervision: { by: 'leader1', note: '今晚必须处置完', deadlineTs: T0 + 60 * MINUTE_MS, startedTs: T0 },
  });

  it('shows until its deadline while the incident is in progress', () => {
    expect(supervisionBadge(supervised, T0 + 10 * MINUTE_MS)).toEqual({
      deadlineTs: T0 + 60 * MINUTE_MS,
      leftMs: 50 * MINUTE_MS,
      by: 'leader1',
      note: '今晚必须处置完',
    });
    expect(supervisionBadge(supervised, T0 + 61 * MINUTE_MS)).toBeNull();
  });

  it('disappears once the incident is resolved, and is absent without supervision', () => {
    expect(supervisionBadge({ ...supervised, state: 'resolved' }, T0 + 10 * MINUTE_MS)).toBeNull();
    expect(supervisionBadge(makeIncident('INC-2'), T0)).toBeNull();
  });
});

describe('overdue incidents on the wall', () => {
  it('lists incidents in progress past their resolution deadline, longest overdue first', () => {
    const a = makeIncident('A', { slaDueTs: T0 + 10 * MINUTE_MS });
    const b = makeIncident('B', { slaDueTs: T0 + 20 * MINUTE_MS, state: 'on_site' });
    const resolved = makeIncident('C', { slaDueTs: T0, state: 'resolved', resolvedTs: T0 + 5 * MINUTE_MS });
    const closed = makeIncident('D', { slaDueTs: T0, state: 'closed' });
    const notYet = makeIncident('E', { slaDueTs: T0 + 60 * MINUTE_MS });
    const rows = overdueIncidents([a, b, resolved, closed, notYet].map(toIncidentItem), T0 + 30 * MINUTE_MS, 10);
    expect(rows.map((r) => [r.item.id, r.overdueMs])).toEqual([
      ['A', 20 * MINUTE_MS],
      ['B', 10 * MINUTE_MS],
    ]);
  });

  it('is not overdue at the deadline itself', () => {
    expect(overdueIncidents([toIncidentItem(makeIncident('A', { slaDueTs: T0 }))], T0, 10)).toEqual([]);
  });
});

describe('what the officer may do', () => {
  it('closes unresolved only from reported or dispatched, as officer or admin', () => {
    expect(stormPermissions(officer, { state: 'reported' }, false).closeUnresolved).toBe(true);
    expect(stormPermissions(officer, { state: 'dispatched' }, false).closeUnresolved).toBe(true);
    expect(stormPermissions(officer, { state: 'accepted' }, false).closeUnresolved).toBe(false);
    expect(stormPermissions(leader, { state: 'reported' }, false).closeUnresolved).toBe(false);
  });

  it('gives 督办 to leaders and admins on incidents in progress, merge/split to officers', () => {
    expect(stormPermissions(leader, { state: 'on_site' }, false).supervise).toBe(true);
    expect(stormPermissions(officer, { state: 'on_site' }, false).supervise).toBe(false);
    expect(stormPermissions(leader, { state: 'resolved' }, false).supervise).toBe(false);
    expect(stormPermissions(officer, { state: 'on_site' }, false).mergeSplit).toBe(true);
    expect(stormPermissions(leader, { state: 'on_site' }, false).mergeSplit).toBe(false);
  });
});

describe('merge candidates', () => {
  it('offers open incidents of the same category nearby, nearest first, never itself', () => {
    const self = makeIncident('S');
    const near = makeIncident('N', { location: offsetM(SHINAN, 350, 0) });
    const nearer = makeIncident('M', { location: offsetM(SHINAN, 100, 0) });
    const far = makeIncident('F', { location: offsetM(SHINAN, 5000, 0) });
    const otherCat = makeIncident('G', { category: 'gas-leak', location: offsetM(SHINAN, 10, 0) });
    const closed = makeIncident('X', { state: 'closed', location: offsetM(SHINAN, 20, 0) });
    const got = mergeCandidates(self, [self, near, nearer, far, otherCat, closed], 5);
    expect(got.map((c) => c.incident.id)).toEqual(['M', 'N']);
    expect(Math.round(got[1].distanceM)).toBeGreaterThan(340);
    expect(mergeCandidates(self, [self, near, nearer], 1).map((c) => c.incident.id)).toEqual(['M']);
  });

  it('formats distances in metres below a kilometre', () => {
    expect(formatDistance(349.6)).toBe('350 m');
    expect(formatDistance(1240)).toBe('1.2 km');
  });
});

describe('timeline extras', () => {
  it('shows the outcome and reason of an unresolved close and the survivor of a merge', () => {
    const inc: Incident = makeIncident('A', {
      state: 'closed',
      outcome: 'duplicate',
      outcomeReason: '同一积水点',
      mergedInto: 'INC-7',
      history: [
        { action: 'create', from: null, to: 'reported', actor: 'system', ts: T0, commandId: 'c1' },
        { action: 'merged_into', from: 'reported', to: 'closed', actor: 'officer1', ts: T0 + 1, commandId: 'c2' },
      ],
    });
    const idx = latestCloseIndex(inc.history);
    expect(idx).toBe(1);
    expect(historyExtras(inc.history[1], inc, true, 'zh')).toEqual(['已并入 INC-7', '结果：重复', '原因：同一积水点']);
    expect(historyExtras(inc.history[1], inc, true, 'en')).toEqual(['Merged into INC-7', 'Outcome: Duplicate', 'Reason: 同一积水点']);
    expect(historyExtras(inc.history[0], inc, false, 'zh')).toEqual([]);
  });

  it('does not repeat a reason the step already notes, and shows the resolution of a normal close', () => {
    const falseAlarm = makeIncident('B', { state: 'closed', outcome: 'false_alarm', outcomeReason: '传感器故障' });
    const step = {
      action: 'close_unresolved' as const,
      from: 'reported' as const,
      to: 'closed' as const,
      actor: 'o',
      ts: T0,
      commandId: 'c',
      note: '传感器故障',
    };
    expect(historyExtras(step, falseAlarm, true, 'zh')).toEqual(['结果：误报']);
    // the server may prefix the note with the outcome
    expect(historyExtras({ ...step, note: 'false_alarm: 传感器故障' }, falseAlarm, true, 'zh')).toEqual(['结果：误报']);
    const resolved = makeIncident('C', { state: 'closed', outcome: 'resolved', resolution: { category: 'repaired', summary: '更换井盖' } });
    const close = { action: 'close' as const, from: 'resolved' as const, to: 'closed' as const, actor: 'o', ts: T0, commandId: 'c' };
    expect(historyExtras(close, resolved, true, 'zh')).toEqual(['已修复：更换井盖']);
    expect(historyExtras(close, resolved, false, 'zh')).toEqual([]);
  });
});

describe('a handler whose task went away', () => {
  const mine = makeIncident('T', { state: 'dispatched', assignees: ['h1'] });

  it('is told it was closed as a false alarm, with the reason — not an error', () => {
    const closed = { ...mine, state: 'closed' as const, outcome: 'false_alarm' as const, outcomeReason: '传感器误报', version: 2 };
    expect(taskGoneNotice(closed, mine, 'h1')).toEqual({
      kind: 'closed',
      incidentId: 'T',
      title: '道路积水',
      outcome: 'false_alarm',
      reason: '传感器误报',
    });
  });

  it('is told where a merged task went', () => {
    const merged = { ...mine, state: 'closed' as const, outcome: 'duplicate' as const, mergedInto: 'INC-9', outcomeReason: '合并' };
    expect(taskGoneNotice(merged, mine, 'h1')).toMatchObject({ kind: 'merged', survivorId: 'INC-9' });
  });

  it("is told nothing for a normal close, for someone else's task, or without a previous state", () => {
    const normal = { ...mine, state: 'closed' as const, outcome: 'resolved' as const };
    expect(taskGoneNotice(normal, mine, 'h1')).toBeNull();
    const cancelled = { ...mine, state: 'closed' as const, outcome: 'cancelled' as const, outcomeReason: 'x' };
    expect(taskGoneNotice(cancelled, mine, 'h2')).toBeNull();
    expect(taskGoneNotice(cancelled, undefined, 'h1')).toBeNull();
  });
});

describe('storm strings', () => {
  it('has an English string for every Chinese one, placeholders kept', () => {
    for (const key of Object.keys(zh) as (keyof typeof zh)[]) {
      expect(en[key], key).toBeTruthy();
      const names = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      expect(names(en[key]), key).toEqual(names(zh[key]));
    }
  });
});

describe('refused outbox actions of a task closed meanwhile', () => {
  it('are explained by the notice, not shown as errors', () => {
    const closed = makeIncident('T', { state: 'closed', outcome: 'false_alarm' });
    const resolved = makeIncident('R', { state: 'closed', outcome: 'resolved' });
    const map = new Map([
      ['T', closed],
      ['R', resolved],
    ]);
    expect(isRefusedForGoneTask({ type: 'incident.accept', incidentId: 'T' }, map)).toBe(true);
    expect(isRefusedForGoneTask({ type: 'incident.accept', incidentId: 'R' }, map)).toBe(false);
    expect(isRefusedForGoneTask({ type: 'incident.accept', incidentId: 'gone' }, map)).toBe(false);
    expect(isRefusedForGoneTask({ type: 'incident.create' }, map)).toBe(false);
  });
});

describe('督办 deadline input', () => {
  it('reads and writes the Beijing wall clock whatever the browser zone', () => {
    // T0 is 2025-07-15 08:00 in Qingdao
    expect(beijingInputValue(T0)).toBe('2025-07-15T08:00');
    expect(tsOfBeijingInput('2025-07-15T10:30')).toBe(T0 + 150 * MINUTE_MS);
    expect(tsOfBeijingInput(beijingInputValue(T0 + 7 * MINUTE_MS))).toBe(T0 + 7 * MINUTE_MS);
    expect(tsOfBeijingInput('tomorrow')).toBeNaN();
  });
});

describe('history notes', () => {
  it('shows an unresolved close with its outcome label, not the stored code', () => {
    const step = { action: 'close_unresolved' as const, note: 'false_alarm: 探头受潮误报' };
    expect(historyNote(step, 'zh')).toBe('误报：探头受潮误报');
    expect(historyNote(step, 'en')).toBe('False alarm: 探头受潮误报');
    // other steps, and notes that do not start with a known outcome, are shown as written
    expect(historyNote({ action: 'note', note: 'false_alarm: x' }, 'zh')).toBe('false_alarm: x');
    expect(historyNote({ action: 'close_unresolved', note: 'weird: x' }, 'zh')).toBe('weird: x');
    expect(historyNote({ action: 'close_unresolved' }, 'zh')).toBeUndefined();
  });
});
