import { describe, expect, it } from 'vitest';
import { DEFAULT_DEDUP_CONFIG, DedupConfigSchema, findDuplicateIncident, mergeIncidents, splitAlert } from './incident-dedup';
import { MINUTE_MS, SHINAN, T0, makeAlert, makeIncident, offsetM } from './fixtures/storm-fixtures';
import type { Actor } from '../incident-machine';

const officer: Actor = { username: 'officer1', role: 'officer' };
const handler: Actor = { username: 'h1', role: 'handler' };
const at = (eastM: number) => offsetM(SHINAN, eastM, 0);

describe('查重: finding the duplicate', () => {
  it('links a new waterlogging alert to the nearest open waterlogging incident within 3 km', () => {
    const far = makeIncident('INC-far', { location: at(2500) });
    const near = makeIncident('INC-near', { location: at(1200) });
    const found = findDuplicateIncident({ category: 'waterlogging', location: SHINAN, ts: T0 + 5 * MINUTE_MS }, [far, near]);
    expect(found?.incident.id).toBe('INC-near');
    expect(found?.distanceM).toBeGreaterThan(1150);
    expect(found?.distanceM).toBeLessThan(1250);
  });

  it('finds nothing beyond the radius, outside the window, in another category or in a resolved incident', () => {
    const candidate = { category: 'waterlogging', location: SHINAN, ts: T0 };
    expect(findDuplicateIncident(candidate, [makeIncident('a', { location: at(3500) })])).toBeNull();
    expect(findDuplicateIncident(candidate, [makeIncident('b', { createdTs: T0 - DEFAULT_DEDUP_CONFIG.windowMs - 1 })])).toBeNull();
    expect(findDuplicateIncident(candidate, [makeIncident('c', { category: 'flood' })])).toBeNull();
    expect(findDuplicateIncident(candidate, [makeIncident('d', { state: 'resolved', resolvedTs: T0 })])).toBeNull();
  });

  it('never de-duplicates a category without a radius', () => {
    expect(findDuplicateIncident({ category: 'elevator', location: SHINAN, ts: T0 }, [makeIncident('e', { category: 'elevator' })])).toBeNull();
  });

  it('breaks a tie in distance by the older incident', () => {
    const young = makeIncident('INC-2', { createdTs: T0 + MINUTE_MS });
    const old = makeIncident('INC-9', { createdTs: T0 });
    expect(findDuplicateIncident({ category: 'waterlogging', location: SHINAN, ts: T0 + 2 * MINUTE_MS }, [young, old])?.incident.id).toBe('INC-9');
  });

  it('validates its configuration', () => {
    expect(DedupConfigSchema.safeParse(DEFAULT_DEDUP_CONFIG).success).toBe(true);
    expect(DedupConfigSchema.safeParse({ radiusMByCategory: { fire: 0 }, windowMs: 1 }).success).toBe(false);
  });
});

describe('查重: merge and split', () => {
  const survivor = makeIncident('INC-1', { priority: 'P2', level: 'orange', alertIds: ['a1'], assignees: ['h1'] });
  const other = makeIncident('INC-2', { priority: 'P1', level: 'red', alertIds: ['a2', 'a3'], assignees: ['h2'], createdTs: T0 + 10 * MINUTE_MS });

  it('moves the alerts to the survivor and closes the other as a duplicate, with history on both', () => {
    const r = mergeIncidents(survivor, other, { actor: officer, ts: T0 + 20 * MINUTE_MS, commandId: 'm1' });
    if (!r.ok) throw new Error(r.error.message);
    expect(r.survivor).toMatchObject({ alertIds: ['a1', 'a2', 'a3'], priority: 'P1', level: 'red', assignees: ['h1', 'h2'], version: 2 });
    expect(r.survivor.slaDueTs).toBe(T0 + 2 * 60 * MINUTE_MS);
    expect(r.merged).toMatchObject({ state: 'closed', outcome: 'duplicate', mergedInto: 'INC-1', closedTs: T0 + 20 * MINUTE_MS, version: 2 });
    expect(r.survivor.history.at(-1)).toMatchObject({ action: 'merge', actor: 'officer1', commandId: 'm1', note: 'merged INC-2' });
    expect(r.merged.history.at(-1)).toMatchObject({ action: 'merged_into', from: 'reported', to: 'closed' });
    expect(r.movedAlertIds).toEqual(['a2', 'a3']);
  });

  it("never lowers the survivor's priority", () => {
    const r = mergeIncidents({ ...survivor, priority: 'P1' }, { ...other, priority: 'P3' }, { actor: officer, ts: T0, commandId: 'm2' });
    expect(r.ok && r.survivor.priority).toBe('P1');
  });

  it('refuses handlers, a merge with itself and closed incidents', () => {
    const input = { actor: officer, ts: T0, commandId: 'm3' };
    expect(mergeIncidents(survivor, other, { ...input, actor: handler })).toMatchObject({ ok: false, error: { code: 'E_FORBIDDEN' } });
    expect(mergeIncidents(survivor, survivor, input)).toMatchObject({ ok: false, error: { code: 'E_VALIDATION' } });
    expect(mergeIncidents(survivor, { ...other, state: 'closed' }, input)).toMatchObject({ ok: false, error: { code: 'E_CONFLICT' } });
  });

  it('splits an alert out into a new incident of its own, and records it on the source', () => {
    const alert = makeAlert('wlg-2', { level: 'orange' });
    const source = makeIncident('INC-1', { alertIds: ['a1', alert.id], priority: 'P1' });
    const r = splitAlert(source, alert, { actor: officer, ts: T0 + MINUTE_MS, commandId: 's1', newIncidentId: 'INC-3', category: 'waterlogging' });
    if (!r.ok) throw new Error(r.error.message);
    expect(r.incident).toMatchObject({ alertIds: ['a1'], priority: 'P1', version: 2 });
    expect(r.incident.history.at(-1)).toMatchObject({ action: 'split', note: `alert ${alert.id} → INC-3` });
    expect(r.split).toMatchObject({
      id: 'INC-3',
      state: 'reported',
      priority: 'P2',
      alertIds: [alert.id],
      reportedBy: 'officer1',
      createdTs: T0 + MINUTE_MS,
    });
    expect(r.split.history).toEqual([expect.objectContaining({ action: 'create', note: 'split from INC-1', commandId: 's1' })]);
  });

  it('refuses to split an alert that is not linked, or the only one', () => {
    const input = { actor: officer, ts: T0, commandId: 's2', newIncidentId: 'INC-4', category: 'waterlogging' };
    const alert = makeAlert('x');
    expect(splitAlert(makeIncident('INC-1', { alertIds: ['a1', 'a2'] }), alert, input)).toMatchObject({ ok: false, error: { code: 'E_VALIDATION' } });
    expect(splitAlert(makeIncident('INC-1', { alertIds: [alert.id] }), alert, input)).toMatchObject({ ok: false, error: { code: 'E_CONFLICT' } });
  });
});
