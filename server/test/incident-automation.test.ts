/**
 * What the server does on its own in a storm (issue 14), and the bulk acknowledgement, on the
 * memory store and on a real Redis: a worsening alert takes its incident from P2 to P1 with a
 * tightened deadline (never lowered), a second nearby waterlogging alert is linked to the open
 * incident instead of opening another, `alert.ack_bulk` acknowledges the recovered alerts of a
 * district with one audit record each, and the wall's 今日按时办结率 agrees with the briefing
 * (null, never 100 %, on a day with nothing resolved; false alarms left out).
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Alert } from '../../scenes/domain';
import { DEFAULT_SLA } from '../../scenes/sla';
import { buildOverviewScene } from '../../scenes/builders';
import { buildBriefing, briefingWindowStart } from '../briefing';
import { startRedisServer } from '../../tests/helpers/redis-server';
import {
  LAOSHAN_FAR,
  SHINAN_B,
  h1,
  leader,
  nextCommandId,
  officer,
  startStormHarness,
  storeKinds,
  waterAlert,
  type StormHarness,
} from './storm-harness';

const redis = await startRedisServer();
afterAll(async () => {
  await redis?.stop();
});
if (!redis) console.warn('incident-automation: redis-server not found — the Redis half of this file is SKIPPED');

const HOUR_MS = 3600_000;

describe.each(storeKinds(redis?.url ?? null))('automatic incident steps on the $name store', ({ make }) => {
  let h: StormHarness;
  afterEach(async () => {
    await h?.close();
  });

  it('raises the incident of a worsening alert from P2 to P1 by system, tightening the deadline, never lowering it', async () => {
    h = await startStormHarness(make());
    const orange = await h.raise(waterAlert('wl-1', 'orange', h.clock.now));
    const opened = h.fusion.incidents.get(orange.incidentId!)!;
    expect(opened).toMatchObject({ priority: 'P2', slaDueTs: opened.createdTs + DEFAULT_SLA.P2.resolveMs });

    h.clock.now += 10 * 60_000;
    await h.raise({ ...orange, level: 'red', peakLevel: 'red', lastTs: h.clock.now }, 'updated');
    const raised = (await h.store.getIncident(opened.id))!;
    expect(raised.priority).toBe('P1');
    expect(raised.level).toBe('red');
    expect(raised.slaDueTs).toBe(opened.createdTs + DEFAULT_SLA.P1.resolveMs);
    expect(raised.history.at(-1)).toMatchObject({ action: 'reprioritise', actor: 'system', from: 'reported', to: 'reported' });

    // handled twice (a retry, another node): applied once; a calmer level never lowers it
    await h.raise({ ...orange, level: 'red', peakLevel: 'red', lastTs: h.clock.now }, 'updated');
    await h.raise({ ...orange, level: 'yellow', peakLevel: 'red', lastTs: h.clock.now + 1 }, 'updated');
    const after = (await h.store.getIncident(opened.id))!;
    expect(after.history.filter((e) => e.action === 'reprioritise')).toHaveLength(1);
    expect(after).toMatchObject({ priority: 'P1', slaDueTs: raised.slaDueTs, version: raised.version });
  });

  it('links a second nearby waterlogging alert to the open incident (查重) instead of opening another', async () => {
    h = await startStormHarness(make());
    const first = await h.raise(waterAlert('wl-1', 'orange', h.clock.now));
    h.clock.now += 5 * 60_000;
    const second = await h.raise(waterAlert('wl-2', 'orange', h.clock.now, SHINAN_B));
    const far = await h.raise(waterAlert('wl-3', 'orange', h.clock.now, LAOSHAN_FAR, '370212'));

    expect(second.incidentId).toBe(first.incidentId);
    expect(far.incidentId).toBeDefined();
    expect(far.incidentId).not.toBe(first.incidentId);
    const all = await h.store.loadIncidents(0);
    expect(all).toHaveLength(2);
    const shared = all.find((i) => i.id === first.incidentId)!;
    expect(shared.alertIds).toEqual([first.id, second.id]);
    const link = shared.history.at(-1)!;
    expect(link).toMatchObject({ action: 'link_alert', actor: 'system' });
    expect(link.note).toMatch(/^查重: \d+ m from /);
  });

  it('acknowledges the recovered alerts of a district in one command, one audit record each, and a retry none again', async () => {
    h = await startStormHarness(make());
    const t = h.clock.now;
    const recovered: Alert[] = ['g1', 'g2', 'g3'].map((d, i) => ({ ...waterAlert(d, 'yellow', t + i), cleared: true, clearedTs: t + 10 }));
    const stillActive = waterAlert('g4', 'yellow', t);
    const elsewhere: Alert = { ...waterAlert('g5', 'yellow', t, LAOSHAN_FAR, '370212'), cleared: true };
    for (const a of [...recovered, stillActive, elsewhere]) h.fusion.putAlert(a);

    const none = await h.run(officer, { type: 'alert.ack_bulk' });
    expect(!none.ok && none.error.code).toBe('E_VALIDATION');
    const byHandler = await h.run(h1, { type: 'alert.ack_bulk', district: '370202' });
    expect(!byHandler.ok && byHandler.error.code).toBe('E_FORBIDDEN');

    const body = { type: 'alert.ack_bulk', commandId: nextCommandId('bulk'), district: '370202' };
    const r = await h.commands.execute(body, leader);
    expect(r.ok && r.duplicate).toBe(false);
    expect(r.ok && r.alerts!.map((a) => a.id).sort()).toEqual(recovered.map((a) => a.id).sort());
    for (const a of recovered) expect(h.fusion.getAlert(a.id)).toMatchObject({ acknowledged: true, ackBy: 'leader1' });
    expect(h.fusion.getAlert(stillActive.id)!.acknowledged).toBe(false);
    expect(h.fusion.getAlert(elsewhere.id)!.acknowledged).toBe(false);
    const perAlert = () => h.audit.entries.filter((e) => e.target?.startsWith('alert:') && e.details?.type === 'alert.ack_bulk');
    expect(
      perAlert()
        .map((e) => e.target)
        .sort(),
    ).toEqual(recovered.map((a) => `alert:${a.id}`).sort());
    const stored = await h.store.loadAlerts(0);
    expect(
      stored
        .filter((a) => a.acknowledged)
        .map((a) => a.id)
        .sort(),
    ).toEqual(recovered.map((a) => a.id).sort());

    const retry = await h.commands.execute(body, leader);
    expect(retry.ok && retry.duplicate).toBe(true);
    expect(retry.ok && retry.alerts!.length).toBe(3);
    expect(perAlert().filter((e) => !e.details?.duplicate)).toHaveLength(3);
  });

  it('keeps a district-limited officer to their districts', async () => {
    h = await startStormHarness(make());
    const user = {
      username: 'officer-sn',
      displayName: '市南区值班员',
      role: 'officer' as const,
      passwordHash: 'x',
      disabled: false,
      failedLogins: 0,
      lockedUntil: 0,
      createdTs: h.clock.now,
      districts: ['370202' as const],
    };
    await h.store.putUser(user);
    const scoped = { username: user.username, role: 'officer' as const };
    const far: Alert = { ...waterAlert('g5', 'yellow', h.clock.now, LAOSHAN_FAR, '370212'), cleared: true };
    h.fusion.putAlert(far);
    const refused = await h.run(scoped, { type: 'alert.ack_bulk', district: '370212' });
    expect(!refused.ok && refused.error.code).toBe('E_FORBIDDEN');
    const byId = await h.run(scoped, { type: 'alert.ack_bulk', alertIds: [far.id] });
    expect(byId.ok && byId.alerts).toEqual([]);
    expect(h.fusion.getAlert(far.id)!.acknowledged).toBe(false);
  });

  it('shows the same 今日按时办结率 on the wall and in the briefing: null with nothing resolved, false alarms left out', async () => {
    h = await startStormHarness(make());
    const wall = () => buildOverviewScene(h.fusion.fusedState(h.clock.now)).kpis.find((k) => k.id === 'slaCompliance')!.value;
    const briefing = async () => {
      const since = briefingWindowStart(h.clock.now);
      const input = { alerts: await h.store.loadAlerts(since), incidents: await h.store.loadIncidents(since), handlers: [] };
      return buildBriefing(input, h.clock.now).today;
    };
    const resolve = async (id: string) => {
      await h.must(officer, { type: 'incident.dispatch', incidentId: id, assignees: ['h1'] });
      await h.must(h1, { type: 'incident.accept', incidentId: id });
      await h.must(h1, { type: 'incident.arrive', incidentId: id });
      await h.must(h1, { type: 'incident.resolve', incidentId: id, note: '已处置' });
    };
    const now = h.clock.now;
    const onTime = await h.createIncident({ priority: 'P2' });
    const falseAlarm = await h.createIncident();
    await h.must(officer, { type: 'incident.close_unresolved', incidentId: falseAlarm.id, outcome: 'false_alarm', reason: '传感器误报' });
    expect(wall()).toBeNull();
    expect((await briefing()).slaCompliancePct).toBeNull();

    h.clock.now = now - 3 * HOUR_MS; // a P1 opened three hours ago: resolved late
    const late = await h.createIncident({ priority: 'P1' });
    h.clock.now = now + 60_000;
    await resolve(onTime.id);
    await resolve(late.id);
    const today = await briefing();
    expect(wall()).toBe(50);
    expect(today.slaCompliancePct).toBe(50);
    expect(today.incidentsClosedUnresolved).toEqual({ false_alarm: 1, duplicate: 0, cancelled: 0 });
    expect(today.incidentsClosed).toBe(0);
  });
});
