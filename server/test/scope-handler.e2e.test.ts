/**
 * Least privilege for field handlers (issue 12): they see their own incidents on every path.
 * Scene models and the event log show the whole city, so a handler may not join a scene, replay
 * or read `/api/events` (the phone page uses neither); and no path brings another handler's task.
 * Dispatch goes only to existing, enabled handler accounts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Incident } from '../../scenes/domain';
import type { SceneDeltaMessage } from '../../scenes/protocol';
import { ask, collect, incidentAt, SHINAN, startScopeHarness, type ScopeHarness } from './scope-helpers';

let h: ScopeHarness;

beforeAll(async () => {
  h = await startScopeHarness('hscope');
});

afterAll(async () => {
  await h?.close();
});

describe('a field handler', () => {
  it('may not join a scene, replay, or read the event log or a scene model over REST', async () => {
    const s = await h.socket('handler1');
    const deltas = collect<SceneDeltaMessage>(s, 'scene:delta');
    for (const scene of ['emergency', 'overview'] as const) {
      const r = await ask(s, 'scene:join', { scene });
      expect(r.ok, `${scene}: ${JSON.stringify(r).slice(0, 200)}`).toBe(false);
      expect(r.error.code).toBe('E_FORBIDDEN');
    }
    const replay = await ask(s, 'replay:range', { scene: 'overview', fromTs: Date.now() - 3600_000, toTs: Date.now() });
    expect(replay.ok).toBe(false);
    expect(replay.error.code).toBe('E_FORBIDDEN');
    expect((await h.get('/api/events', 'handler1')).status).toBe(403);
    expect((await h.get('/api/scenes/emergency', 'handler1')).status).toBe(403);
    // refused joins put the socket in no scene room: an incident change sends it no frame
    const other = await h.must('admin', incidentAt(SHINAN, '别人的任务'));
    await h.must('admin', { type: 'incident.dispatch', incidentId: other.id, assignees: ['handler2'] });
    // the emergency room of the whole city does get a frame for it (so the check above could fail)
    const screen = await h.socket('screen1');
    const screenDeltas = collect<SceneDeltaMessage>(screen, 'scene:delta');
    expect((await ask(screen, 'scene:join', { scene: 'emergency' })).ok).toBe(true);
    const marker = await h.must('admin', incidentAt(SHINAN, '标记'));
    await screenDeltas.waitFor((d) => (d.delta.incidents?.put ?? []).some((i) => i.id === marker.id));
    expect(deltas.seen).toEqual([]);
  });

  it("never hears of another handler's incident, and hears of their own", async () => {
    const me = await h.socket('handler1');
    const updates = collect<Incident>(me, 'incident:update');
    const theirs = await h.must('admin', incidentAt(SHINAN, 'handler2 的任务'));
    await h.must('admin', { type: 'incident.dispatch', incidentId: theirs.id, assignees: ['handler2'] });
    const mine = await h.must('admin', incidentAt(SHINAN, 'handler1 的任务'));
    await h.must('admin', { type: 'incident.dispatch', incidentId: mine.id, assignees: ['handler1'] });
    await updates.waitFor((i) => i.id === mine.id);
    expect(updates.seen.map((i) => i.id)).not.toContain(theirs.id);
    const list = await ask<{ ok: true; incidents: Incident[] }>(me, 'incidents:list');
    expect(list.incidents.map((i) => i.id)).toContain(mine.id);
    expect(list.incidents.every((i) => i.assignees.includes('handler1') || i.reportedBy === 'handler1')).toBe(true);
    expect((await ask(me, 'incident:readings', { incidentId: theirs.id })).error?.code).toBe('E_FORBIDDEN');
    const device = [...h.server.fusion.devices.values()][0]!;
    expect((await ask(me, 'device:detail', { deviceId: device.id })).error?.code).toBe('E_FORBIDDEN');
  });
});

describe('dispatch targets', () => {
  it('are existing, enabled handler accounts only', async () => {
    const incident = await h.must('admin', incidentAt(SHINAN, '派单对象'));
    const dispatch = (assignees: string[]) => h.command('officer1', { type: 'incident.dispatch', incidentId: incident.id, assignees });

    const leader = await dispatch(['leader1']);
    expect(leader.ok).toBe(false);
    if (!leader.ok) {
      expect(leader.error.code).toBe('E_VALIDATION');
      expect(leader.error.message).toMatch(/leader1.*not a field handler/);
    }
    const unknown = await dispatch(['nobody-here']);
    expect(unknown.ok).toBe(false);
    if (!unknown.ok) {
      expect(unknown.error.code).toBe('E_NOT_FOUND');
      expect(unknown.error.message).toMatch(/nobody-here/);
    }
    const mixed = await dispatch(['handler1', 'officer2']);
    expect(mixed.ok).toBe(false);

    // a disabled handler is not dispatchable either
    expect((await h.patch('/api/users/handler5', 'admin', { disabled: true })).status).toBe(200);
    const disabled = await dispatch(['handler5']);
    expect(disabled.ok).toBe(false);
    if (!disabled.ok) expect(disabled.error.code).toBe('E_VALIDATION');

    // nothing of the refused ones was stored
    expect((await h.get(`/api/incidents/${incident.id}`, 'admin')).body.incident.version).toBe(incident.version);

    const ok = await dispatch(['handler1']);
    expect(ok, JSON.stringify(ok)).toMatchObject({ ok: true, duplicate: false });
    const reassign = await h.command('officer1', { type: 'incident.reassign', incidentId: incident.id, assignees: ['leader1'] });
    expect(reassign.ok).toBe(false);
    if (!reassign.ok) expect(reassign.error.code).toBe('E_VALIDATION');
    expect(await h.command('officer1', { type: 'incident.reassign', incidentId: incident.id, assignees: ['handler2'] })).toMatchObject({ ok: true });
  });
});
