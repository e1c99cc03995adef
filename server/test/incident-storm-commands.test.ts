/**
 * Issue 14's incident commands through the command service, on the memory store and on a real
 * Redis: an unresolved close from `reported` and `dispatched` (the handlers it had are told),
 * merge and split with history on both incidents and retries that finish a half-done command
 * without applying anything twice, 督办, a normal close's after-action, and an approved escalation
 * that recomputes the SLA deadline.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_SLA } from '../../scenes/sla';
import { incidentAudience } from '../../scenes/incident-rules';
import { startRedisServer } from '../../tests/helpers/redis-server';
import type { Store } from '../store/store';
import { h1, leader, nextCommandId, officer, SHINAN_B, startStormHarness, storeKinds, waterAlert, type StormHarness } from './storm-harness';

const redis = await startRedisServer();
afterAll(async () => {
  await redis?.stop();
});
if (!redis) console.warn('incident-storm-commands: redis-server not found — the Redis half of this file is SKIPPED');

/** Fails the first `method` call whose command id is `commandId`, before it is applied. */
function failingOnce(method: 'transitionIncident' | 'createIncident', commandId: string): (s: Store) => Store {
  let failed = false;
  return (inner) =>
    new Proxy(inner, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver) as unknown;
        if (typeof value !== 'function') return value;
        if (prop !== method) return (value as (...a: unknown[]) => unknown).bind(target);
        return async (...args: unknown[]) => {
          if (!failed && args.at(-1) === commandId) {
            failed = true;
            throw Object.assign(new Error('injected store failure'), { code: 'E_UNAVAILABLE' });
          }
          return (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        };
      },
    });
}

describe.each(storeKinds(redis?.url ?? null))('storm commands on the $name store', ({ make }) => {
  let h: StormHarness;
  afterEach(async () => {
    await h?.close();
  });

  it('closes a sensor false alarm from reported without a handler, reason kept, outcome recorded', async () => {
    h = await startStormHarness(make());
    const inc = await h.createIncident();
    const noReason = await h.run(officer, { type: 'incident.close_unresolved', incidentId: inc.id, outcome: 'false_alarm', reason: '  ' });
    expect(!noReason.ok && noReason.error.code).toBe('E_VALIDATION');
    const byHandler = await h.run(h1, { type: 'incident.close_unresolved', incidentId: inc.id, outcome: 'false_alarm', reason: '误报' });
    expect(!byHandler.ok && byHandler.error.code).toBe('E_FORBIDDEN');
    const closed = await h.must(officer, { type: 'incident.close_unresolved', incidentId: inc.id, outcome: 'false_alarm', reason: '传感器误报' });
    expect(closed).toMatchObject({ state: 'closed', outcome: 'false_alarm', outcomeReason: '传感器误报', closedTs: h.clock.now });
    expect(closed.history.at(-1)).toMatchObject({ action: 'close_unresolved', from: 'reported', to: 'closed', actor: 'officer1' });
    expect((await h.store.getIncident(inc.id))!.outcome).toBe('false_alarm');
  });

  it('tells the handlers a dispatched incident had when it is cancelled, and refuses it once accepted', async () => {
    h = await startStormHarness(make());
    const inc = await h.createIncident();
    await h.must(officer, { type: 'incident.dispatch', incidentId: inc.id, assignees: ['h1'] });
    const closed = await h.must(officer, { type: 'incident.close_unresolved', incidentId: inc.id, outcome: 'cancelled', reason: '报警人撤销' });
    expect(closed.assignees).toEqual([]);
    const last = h.told.at(-1)!;
    expect(last.incident.id).toBe(inc.id);
    expect(last.previousAssignees).toEqual(['h1']);
    expect(incidentAudience(last.incident, last.previousAssignees).usernames).toContain('h1');

    const other = await h.createIncident();
    await h.must(officer, { type: 'incident.dispatch', incidentId: other.id, assignees: ['h1'] });
    await h.must(h1, { type: 'incident.accept', incidentId: other.id });
    const late = await h.run(officer, { type: 'incident.close_unresolved', incidentId: other.id, outcome: 'false_alarm', reason: '误报' });
    expect(!late.ok && late.error.code).toBe('E_CONFLICT');
  });

  it('merges two incidents with history on both, moves the alerts, and a retry finishes a half-done merge once', async () => {
    const mergeId = nextCommandId('merge');
    // the second write (the survivor's) fails once: the source is closed, the survivor not yet grown
    h = await startStormHarness(make(), failingOnce('transitionIncident', mergeId));
    const a1 = await h.raise(waterAlert('wl-1', 'orange', h.clock.now));
    const survivor = h.fusion.incidents.get(a1.incidentId!)!;
    const source = await h.createIncident({ location: SHINAN_B, priority: 'P1' });
    const a2 = await h.raise({ ...waterAlert('wl-2', 'yellow', h.clock.now, SHINAN_B), incidentId: source.id });
    await h.must(officer, { type: 'incident.link_alert', incidentId: source.id, alertId: a2.id });

    const body = { type: 'incident.merge', commandId: mergeId, incidentId: survivor.id, sourceIncidentId: source.id };
    const first = await h.commands.execute(body, officer);
    expect(!first.ok && first.error.code).toBe('E_UNAVAILABLE');
    expect((await h.store.getIncident(source.id))!.state).toBe('closed');
    expect((await h.store.getIncident(survivor.id))!.alertIds).toEqual([a1.id]);
    const retry = await h.commands.execute(body, officer);
    expect(retry.ok, JSON.stringify(retry)).toBe(true);
    const again = await h.commands.execute(body, officer);
    expect(again.ok && again.duplicate).toBe(true);

    const s = (await h.store.getIncident(survivor.id))!;
    const m = (await h.store.getIncident(source.id))!;
    expect(s.alertIds).toEqual([a1.id, a2.id]);
    expect(s.priority).toBe('P1'); // the more urgent of the two, never lowered
    expect(s.history.filter((e) => e.action === 'merge')).toHaveLength(1);
    expect(m).toMatchObject({ state: 'closed', outcome: 'duplicate', mergedInto: survivor.id });
    expect(m.history.filter((e) => e.action === 'merged_into')).toHaveLength(1);
    expect(h.fusion.getAlert(a2.id)!.incidentId).toBe(survivor.id);
    expect(again.ok && again.incident?.id).toBe(survivor.id);
    expect(again.ok && again.incidents?.map((i) => i.id)).toEqual([source.id]);
  });

  it('lets exactly one of two merges of the same source win; the loser writes nothing', async () => {
    h = await startStormHarness(make());
    const source = await h.createIncident();
    const a = await h.createIncident({ location: SHINAN_B });
    const b = await h.createIncident({ location: SHINAN_B });
    const [ra, rb] = await Promise.all(
      [a, b].map((s) =>
        h.commands.execute({ type: 'incident.merge', commandId: nextCommandId('race'), incidentId: s.id, sourceIncidentId: source.id }, officer),
      ),
    );
    expect([ra!.ok, rb!.ok].filter(Boolean)).toHaveLength(1);
    const loser = ra!.ok ? b : a;
    const winner = ra!.ok ? a : b;
    expect([ra, rb].find((r) => !r!.ok)).toMatchObject({ ok: false, error: { code: 'E_CONFLICT' } });
    expect((await h.store.getIncident(loser.id))!.version).toBe(loser.version);
    expect((await h.store.getIncident(source.id))!.mergedInto).toBe(winner.id);
  });

  it('splits an alert out into a new incident with history on both; a retry finishes a half-done split with the same incident', async () => {
    const splitId = nextCommandId('split');
    // the second write (the new incident) fails once
    h = await startStormHarness(make(), failingOnce('createIncident', `${splitId}#split`));
    const a1 = await h.raise(waterAlert('wl-1', 'orange', h.clock.now));
    const inc = h.fusion.incidents.get(a1.incidentId!)!;
    const a2 = await h.raise(waterAlert('wl-2', 'red', h.clock.now, SHINAN_B)); // linked by 查重
    expect(h.fusion.getAlert(a2.id)!.incidentId).toBe(inc.id);

    const body = { type: 'incident.split', commandId: splitId, incidentId: inc.id, alertId: a2.id };
    const half = await h.commands.execute(body, officer);
    expect(!half.ok && half.error.code).toBe('E_UNAVAILABLE');
    const r = await h.commands.execute(body, officer);
    expect(r.ok, JSON.stringify(r)).toBe(true);
    if (!r.ok) return;
    const created = r.incidents![0]!;
    expect(created).toMatchObject({ state: 'reported', alertIds: [a2.id], priority: 'P1', category: 'waterlogging' });
    expect(r.incident!.alertIds).toEqual([a1.id]);
    expect(r.incident!.history.at(-1)).toMatchObject({ action: 'split', actor: 'officer1' });
    expect(h.fusion.getAlert(a2.id)!.incidentId).toBe(created.id);

    const retry = await h.commands.execute(body, officer);
    expect(retry.ok && retry.duplicate).toBe(true);
    expect(retry.ok && retry.incidents?.[0]?.id).toBe(created.id);
    const all = await h.store.loadIncidents(0);
    expect(all.filter((i) => i.alertIds.includes(a2.id)).map((i) => i.id)).toEqual([created.id]);
    const lone = await h.run(officer, { type: 'incident.split', incidentId: created.id, alertId: a2.id });
    expect(!lone.ok && lone.error.code).toBe('E_CONFLICT'); // its only alert
  });

  it('lets a leader start 督办 with a note and a future deadline; an officer may not', async () => {
    h = await startStormHarness(make());
    const inc = await h.createIncident();
    const deadlineTs = h.clock.now + 3600_000;
    const byOfficer = await h.run(officer, { type: 'incident.supervise', incidentId: inc.id, note: '请今日办结', deadlineTs });
    expect(!byOfficer.ok && byOfficer.error.code).toBe('E_FORBIDDEN');
    const past = await h.run(leader, { type: 'incident.supervise', incidentId: inc.id, note: '请今日办结', deadlineTs: h.clock.now - 1 });
    expect(!past.ok && past.error.code).toBe('E_VALIDATION');
    const sup = await h.must(leader, { type: 'incident.supervise', incidentId: inc.id, note: '请今日办结', deadlineTs });
    expect(sup.supervision).toEqual({ by: 'leader1', note: '请今日办结', deadlineTs, startedTs: h.clock.now });
    expect(sup.history.at(-1)).toMatchObject({ action: 'supervise', actor: 'leader1', note: '请今日办结' });
  });

  it('records the outcome and after-action of a normal close', async () => {
    h = await startStormHarness(make());
    const inc = await h.createIncident();
    await h.must(officer, { type: 'incident.dispatch', incidentId: inc.id, assignees: ['h1'] });
    await h.must(h1, { type: 'incident.accept', incidentId: inc.id });
    await h.must(h1, { type: 'incident.arrive', incidentId: inc.id });
    await h.must(h1, { type: 'incident.resolve', incidentId: inc.id, note: '已排水' });
    const closed = await h.must(officer, { type: 'incident.close', incidentId: inc.id, resolutionCategory: 'cleared', summary: ' 泵车排水 2 小时 ' });
    expect(closed).toMatchObject({ state: 'closed', outcome: 'resolved', resolution: { category: 'cleared', summary: '泵车排水 2 小时' } });
    expect((await h.store.getIncident(inc.id))!.resolution?.category).toBe('cleared');
  });

  it('recomputes the SLA deadline when a leader approves an escalation (tightened, never loosened)', async () => {
    h = await startStormHarness(make());
    const inc = await h.createIncident({ priority: 'P3' });
    h.clock.now += 60_000;
    await h.must(officer, { type: 'incident.escalate', incidentId: inc.id, note: '积水扩大' });
    const approved = await h.must(leader, { type: 'incident.approve_escalation', incidentId: inc.id });
    expect(approved.priority).toBe('P2');
    expect(approved.slaDueTs).toBe(inc.createdTs + DEFAULT_SLA.P2.resolveMs);
    expect(approved.slaResponseDueTs).toBe(inc.createdTs + DEFAULT_SLA.P2.responseMs);
    expect(approved.slaDueTs).toBeLessThan(inc.slaDueTs);
  });
});
