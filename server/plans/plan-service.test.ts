/**
 * PlanService against the memory plan store and a real Redis (throwaway redis-server): a trigger
 * proposes a plan once, an officer starts it and ticks steps, a leader raises the level and ends
 * it; a restart (a new service on the same store) keeps the instance; roles and data scope are
 * enforced on the server; every command is audited and idempotent by commandId.
 */
import { randomUUID } from 'node:crypto';
import type { Alert } from '../../scenes/domain';
import { afterAll, describe, expect, it } from 'vitest';
import { startRedisServer } from '../../tests/helpers/redis-server';
import { MemoryStore } from '../store/memory-store';
import { RedisStore } from '../store/redis-store';
import { planStoreFor } from '../store/plan-store';
import type { Store } from '../store/store';
import { CollectingAudit } from '../audit/audit';
import { createLogger } from '../logger';
import { generateFleet } from '../../scenes/fleet';
import { DEMO_PLANS, FLOOD_PLAN, GAS_PLAN } from '../../scenes/plans/demo-plans';
import type { PlanSituation } from '../../scenes/plans/plan-triggers';
import type { StoredPlanInstance } from '../../scenes/plans/plan-protocol';
import type { Device, Role } from '../../scenes/domain';
import type { DeviceCommandRecord } from '../../scenes/device-commands';
import { PlanService, type PlanCommandResult } from './plan-service';

const redis = await startRedisServer();
const stores: Store[] = [];
afterAll(async () => {
  for (const s of stores) await s.close().catch(() => undefined);
  await redis?.stop();
});

const T0 = Date.UTC(2026, 6, 15, 2, 0, 0);
const MIN = 60_000;
const fleet = generateFleet({ count: 300, seed: 7 });
const devices = new Map<string, Device>(fleet.map((d) => [d.id, d]));
const quiet: PlanSituation = { alerts: [], incidents: [], areaWarnings: [], gauges: [] };
const pumpIn = fleet.find((d) => d.kind === 'pump-station')!;
const redWaterlogging = (id: string) => ({
  id,
  category: 'waterlogging',
  level: 'red' as const,
  state: 'reported' as const,
  district: pumpIn.district,
});

const users: Record<string, { districts?: string[] }> = { officer1: {}, leader1: {}, officerNorth: { districts: ['370203'] } };

function harness(store: Store) {
  const clock = { now: T0 };
  let situation: PlanSituation = quiet;
  const audit = new CollectingAudit();
  const started: StoredPlanInstance[] = [];
  const sent: { actor: string; commandId: string }[] = [];
  let changes = 0;
  const make = (lease?: { isHeld(): Promise<boolean> }) =>
    new PlanService({
      ...(lease ? { lease } : {}),
      plans: planStoreFor(store),
      definitions: DEMO_PLANS,
      live: { situation: () => situation, devices },
      store: { getUser: async (u: string) => (users[u] ? ({ username: u, ...users[u] } as never) : null) },
      audit,
      log: createLogger('silent'),
      deviceControl: {
        send: async (actor, raw) => {
          const r = raw as { commandId: string; deviceId: string; name: 'start' };
          sent.push({ actor: actor.username, commandId: r.commandId });
          return { ok: true, command: { commandId: r.commandId, deviceId: r.deviceId, status: 'sent' } as DeviceCommandRecord };
        },
      },
      tickIntervalMs: 60_000,
      now: () => clock.now,
      onChange: () => changes++,
      onPlanStarted: (i) => started.push(i),
    });
  return {
    clock,
    audit,
    started,
    sent,
    changes: () => changes,
    setSituation: (s: PlanSituation) => (situation = s),
    make,
  };
}

const officer = { username: 'officer1', role: 'officer' as Role };
const leader = { username: 'leader1', role: 'leader' as Role };
const cmd = () => `c-${randomUUID()}`;

function okInstance(r: PlanCommandResult) {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.instance;
}

const implementations = [
  { name: 'memory', available: true, make: (): Store => new MemoryStore() },
  {
    name: 'redis',
    available: redis !== null,
    make: (): Store => {
      const s = new RedisStore(redis!.url, { prefix: `plansvc-${randomUUID().slice(0, 8)}` });
      stores.push(s);
      return s;
    },
  },
];

describe.each(implementations)('plan service on the $name store', ({ available, make }) => {
  it.skipIf(!available)('proposes once on a trigger, then runs start → tick → change level → end, and a restart keeps it', async () => {
    const store = make();
    const h = harness(store);
    const service = h.make();
    await service.start();
    try {
      await service.tick();
      expect(service.viewsFor({ kind: 'all' })).toEqual([]);
      h.setSituation({ ...quiet, incidents: [redWaterlogging('I1'), redWaterlogging('I2')] });
      await service.tick();
      h.clock.now += 5_000;
      await service.tick();
      const views = service.viewsFor({ kind: 'all' });
      expect(views.map((v) => [v.plan.id, v.instance.state, v.instance.level])).toEqual([[FLOOD_PLAN.id, 'proposed', 'III']]);
      expect(h.audit.entries.filter((e) => e.action === 'plan.proposed')).toHaveLength(1);
      expect(h.changes()).toBe(1);
      const id = views[0]!.instance.id;

      // a second node's service on the same store does not propose again either
      const other = h.make();
      await other.tick();
      expect(other.viewsFor({ kind: 'all' }).map((v) => v.instance.id)).toEqual([id]);
      other.close();

      const startId = cmd();
      const started = okInstance(await service.execute(officer, { type: 'plan.start', commandId: startId, instanceId: id }));
      expect(started.instance.state).toBe('active');
      expect(h.started.map((i) => i.id)).toEqual([id]);
      // a retry is answered, not applied again
      const retry = await service.execute(officer, { type: 'plan.start', commandId: startId, instanceId: id });
      expect(retry).toMatchObject({ ok: true, duplicate: true });
      expect(h.started).toHaveLength(1);

      h.clock.now += MIN;
      const ticked = okInstance(
        await service.execute(officer, { type: 'plan.tick_step', commandId: cmd(), instanceId: id, stepId: 'start-pumps', note: '已启动' }),
      );
      expect(ticked.checklist.items.find((i) => i.stepId === 'start-pumps')?.done).toEqual({ by: 'officer1', ts: h.clock.now, note: '已启动' });
      expect(ticked.checklist).toMatchObject({ done: 1, total: 4 });

      // the pump stations the plan proposes are sent only on confirmation, as the officer
      const proposedCommands = ticked.deviceCommands.filter((c) => c.deviceId === pumpIn.id);
      expect(proposedCommands).toHaveLength(1);
      expect(h.sent).toEqual([]);
      const confirmed = await service.execute(officer, {
        type: 'plan.send_device_commands',
        commandId: cmd(),
        instanceId: id,
        deviceCommandIds: [proposedCommands[0]!.commandId],
      });
      expect(confirmed).toMatchObject({ ok: true, deviceCommands: [{ ok: true }] });
      expect(h.sent).toEqual([{ actor: 'officer1', commandId: proposedCommands[0]!.commandId }]);
      expect(okInstance(confirmed).deviceCommands.find((c) => c.deviceId === pumpIn.id)?.sent?.by).toBe('officer1');

      // officers may not regrade or end a response
      const refused = await service.execute(officer, { type: 'plan.change_level', commandId: cmd(), instanceId: id, level: 'II', note: '河道超保' });
      expect(refused).toMatchObject({ ok: false, error: { code: 'E_FORBIDDEN' } });
      expect(h.audit.entries.at(-1)).toMatchObject({ action: 'plan.command', outcome: 'denied', actor: 'officer1' });
      const raised = okInstance(
        await service.execute(leader, { type: 'plan.change_level', commandId: cmd(), instanceId: id, level: 'II', note: '河道超保' }),
      );
      expect(raised.instance.level).toBe('II');
      expect(raised.checklist.total).toBe(6);

      // a restart: a new service on the same store sees the active instance as it was
      service.close();
      const restarted = h.make();
      await restarted.start();
      const after = restarted.viewsFor({ kind: 'all' });
      expect(after.map((v) => [v.instance.id, v.instance.state, v.instance.level, v.checklist.done])).toEqual([[id, 'active', 'II', 1]]);
      const ended = okInstance(await restarted.execute(leader, { type: 'plan.end', commandId: cmd(), instanceId: id, note: '雨停水退' }));
      expect(ended.instance.state).toBe('ended');
      expect(ended.instance.timeline.map((e) => e.action)).toEqual(['propose', 'start', 'tick_step', 'change_level', 'end']);
      expect(restarted.viewsFor({ kind: 'all' })).toEqual([]);
      // within the cool-down the trigger does not propose again
      h.clock.now += 10 * MIN;
      await restarted.tick();
      expect(restarted.viewsFor({ kind: 'all' })).toEqual([]);
      h.clock.now += FLOOD_PLAN.coolDownMs;
      await restarted.tick();
      expect(restarted.viewsFor({ kind: 'all' }).map((v) => v.instance.state)).toEqual(['proposed']);
      restarted.close();
    } finally {
      service.close();
    }
  });
});

describe('plan commands: validation, roles and scope', () => {
  it('refuses handlers, screens, malformed commands and out-of-scope officers', async () => {
    const h = harness(new MemoryStore());
    const service = h.make();
    const propose = (actor: { username: string; role: Role }, extra: Record<string, unknown> = {}) =>
      service.execute(actor, { type: 'plan.propose', commandId: cmd(), planId: GAS_PLAN.id, level: 'III', note: '人工启动', ...extra });
    expect(await propose({ username: 'h1', role: 'handler' })).toMatchObject({ ok: false, error: { code: 'E_FORBIDDEN' } });
    expect(await propose({ username: 'wall', role: 'screen' })).toMatchObject({ ok: false, error: { code: 'E_FORBIDDEN' } });
    expect(await service.execute(officer, { type: 'plan.propose', commandId: 'short', planId: GAS_PLAN.id })).toMatchObject({
      ok: false,
      error: { code: 'E_VALIDATION' },
    });
    expect(await propose(officer, { planId: 'plan-nope' })).toMatchObject({ ok: false, error: { code: 'E_NOT_FOUND' } });
    // a district officer proposes for their own district only
    const north = { username: 'officerNorth', role: 'officer' as Role };
    expect(await propose(north, { districts: ['370202'] })).toMatchObject({ ok: false, error: { code: 'E_FORBIDDEN' } });
    const mine = okInstance(await propose(north));
    expect(mine.districts).toEqual(['370203']);
    // the plan has its one open instance now
    expect(await propose(officer)).toMatchObject({ ok: false, error: { code: 'E_CONFLICT' } });
    expect(service.viewsFor({ kind: 'districts', districts: ['370202'] })).toEqual([]);
    expect(service.viewsFor({ kind: 'districts', districts: ['370203'] })).toHaveLength(1);
    expect(service.viewsFor({ kind: 'handler', username: 'h1' })).toEqual([]);
    // a city-wide proposal is not a district officer's to start
    const flood = okInstance(
      await service.execute(officer, { type: 'plan.propose', commandId: cmd(), planId: FLOOD_PLAN.id, level: 'IV', note: '局部积水' }),
    );
    expect(flood.districts).toEqual([]);
    expect(await service.execute(north, { type: 'plan.start', commandId: cmd(), instanceId: flood.instance.id })).toMatchObject({
      ok: false,
      error: { code: 'E_FORBIDDEN' },
    });
    expect(await service.execute(officer, { type: 'plan.dismiss', commandId: cmd(), instanceId: flood.instance.id, note: '  ' })).toMatchObject({
      ok: false,
      error: { code: 'E_VALIDATION' },
    });
    // level I by hand starts at once (the flood plan auto-starts at I), and the hook hears of it
    const dismissed = okInstance(
      await service.execute(officer, { type: 'plan.dismiss', commandId: cmd(), instanceId: flood.instance.id, note: '已消退' }),
    );
    expect(dismissed.instance.state).toBe('dismissed');
    expect(h.audit.entries.every((e) => e.action === 'plan.command')).toBe(true);
    expect(h.audit.entries.filter((e) => e.outcome === 'success')).toHaveLength(3);
  });

  it('answers E_UNAVAILABLE when the audit log cannot be written, and the retry is answered as a duplicate', async () => {
    const h = harness(new MemoryStore());
    const service = h.make();
    const id = cmd();
    h.audit.failNext = true;
    const first = await service.execute(officer, { type: 'plan.propose', commandId: id, planId: GAS_PLAN.id, level: 'III', note: '人工' });
    expect(first).toMatchObject({ ok: false, error: { code: 'E_UNAVAILABLE' } });
    const again = await service.execute(officer, { type: 'plan.propose', commandId: id, planId: GAS_PLAN.id, level: 'III', note: '人工' });
    expect(again).toMatchObject({ ok: true, duplicate: true });
    expect(h.audit.entries).toHaveLength(1);
  });

  it('counts an alert that was active when it changed, even if it cleared before the evaluation ran', async () => {
    const h = harness(new MemoryStore());
    const service = h.make();
    const lel = fleet[0]!;
    const alert = {
      id: 'A-lel-1',
      deviceId: lel.id,
      deviceKind: lel.kind,
      ruleId: 'emergency.lel.threshold',
      scene: lel.scene,
      district: lel.district,
      location: lel.location,
      level: 'red' as const,
      peakLevel: 'red' as const,
      cleared: false,
      acknowledged: false,
      firstTs: T0,
      lastTs: T0,
      count: 1,
      title: 'LEL',
      titleEn: 'LEL',
    };
    // the live state already shows it cleared (quiet); the change event carried it active
    service.alertChanged(alert);
    service.alertChanged({ ...alert, cleared: true });
    await service.tick();
    expect(service.viewsFor({ kind: 'all' }).map((v) => [v.plan.id, v.instance.level])).toEqual([[GAS_PLAN.id, 'III']]);
    // seen once: a later evaluation does not count it again
    await service.execute(officer, {
      type: 'plan.dismiss',
      commandId: cmd(),
      instanceId: service.viewsFor({ kind: 'all' })[0]!.instance.id,
      note: '误报',
    });
    h.clock.now += GAS_PLAN.coolDownMs + 1;
    await service.tick();
    expect(service.viewsFor({ kind: 'all' })).toEqual([]);
  });

  it('starts a level I proposal at once when its plan says so, and tells the hook', async () => {
    const h = harness(new MemoryStore());
    const service = h.make();
    const r = okInstance(
      await service.execute(officer, { type: 'plan.propose', commandId: cmd(), planId: FLOOD_PLAN.id, level: 'I', note: '特大暴雨' }),
    );
    expect(r.instance.state).toBe('active');
    expect(r.instance.timeline.map((e) => [e.action, e.actor])).toEqual([
      ['propose', 'officer1'],
      ['start', 'system'],
    ]);
    expect(h.started.map((i) => i.id)).toEqual([r.instance.id]);
  });

  it('proposes only on the node that holds the trigger lease, and the other node still sees the proposal', async () => {
    const store = new MemoryStore();
    const h = harness(store);
    let aHolds = false;
    const a = h.make({ isHeld: async () => aHolds });
    const b = h.make({ isHeld: async () => !aHolds });
    await a.start();
    await b.start();
    try {
      aHolds = true;
      h.setSituation({ ...quiet, incidents: [redWaterlogging('I1'), redWaterlogging('I2')] });
      // b does not hold the lease: nothing is proposed however often it ticks
      await b.tick();
      await b.tick();
      expect(b.viewsFor({ kind: 'all' })).toEqual([]);
      await a.tick();
      const proposed = a.viewsFor({ kind: 'all' });
      expect(proposed.length).toBe(1);
      // b re-reads the store at its tick and shows the same instance
      await b.tick();
      expect(b.viewsFor({ kind: 'all' }).map((v) => v.instance.id)).toEqual(proposed.map((v) => v.instance.id));
    } finally {
      a.close();
      b.close();
    }
  });

  it('evaluates an alert storm a few times, not once per alert change, and leaves it to the lease holder', async () => {
    const store = new MemoryStore();
    const plans = planStoreFor(store);
    let reads = 0;
    const counting = { ...plans, loadPlanInstances: (sinceTs: number) => (reads++, plans.loadPlanInstances(sinceTs)) } as typeof plans;
    const make = (held: boolean) =>
      new PlanService({
        plans: counting,
        definitions: DEMO_PLANS,
        live: { situation: () => quiet, devices },
        store: { getUser: async () => null },
        log: createLogger('silent'),
        tickIntervalMs: 60_000,
        evaluationMinIntervalMs: 200,
        lease: { isHeld: async () => held },
      });
    const holder = make(true);
    const other = make(false);
    const alertChange = (i: number) => ({ id: `storm-${i}`, cleared: false }) as Alert;
    const started = Date.now();
    // 50 changes over ~250 ms on both nodes
    for (let i = 0; i < 50; i++) {
      holder.alertChanged(alertChange(i));
      other.alertChanged(alertChange(i));
      await new Promise((r) => setTimeout(r, 5));
    }
    await new Promise((r) => setTimeout(r, 500));
    holder.close();
    other.close();
    const elapsedMs = Date.now() - started;
    // the holder: one evaluation per 200 ms at most (plus the first); the other node: none
    expect(reads).toBeGreaterThanOrEqual(1);
    expect(reads).toBeLessThanOrEqual(Math.ceil(elapsedMs / 200) + 1);
    expect(reads).toBeLessThan(10);
  });
});
