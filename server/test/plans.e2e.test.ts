/**
 * Contingency plans end to end: a real server (memory store), people on REST and `/live`. A river
 * gauge over its guarantee level makes the trigger tick propose the flood plan once; the wall
 * and the officer hear `plans`; the officer starts it over the socket and ticks a step over REST;
 * the leader raises the level; a handler is refused everywhere; the leader ends it and the push
 * empties.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../scenes/protocol';
import type { Socket } from 'socket.io-client';
import type { IocServer } from '../app';
import type { Device } from '../../scenes/domain';
import type { PlansMessage } from '../../scenes/plans/plan-protocol';
import { FLOOD_PLAN } from '../../scenes/plans/demo-plans';
import { emitAck, ingest, liveSocket, login, sign, startTestServer } from './helpers';

let server: IocServer;
const sockets: Socket[] = [];
const tokens: Record<string, string> = {};

beforeAll(async () => {
  server = await startTestServer({ planTickIntervalMs: 100 });
  for (const u of ['officer1', 'leader1', 'screen1', 'handler1']) tokens[u] = await login(server, u);
});

afterAll(async () => {
  for (const s of sockets) s.disconnect();
  await server?.close();
});

async function live(
  username: string,
): Promise<{ socket: Socket; latest: () => PlansMessage | null; next: (pred: (m: PlansMessage) => boolean) => Promise<PlansMessage> }> {
  const socket = await liveSocket(server, tokens[username]!);
  sockets.push(socket);
  let latest: PlansMessage | null = null;
  const waiters: { pred: (m: PlansMessage) => boolean; resolve: (m: PlansMessage) => void }[] = [];
  socket.on('plans', (m: PlansMessage) => {
    latest = m;
    for (const w of [...waiters])
      if (w.pred(m)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
  });
  const next = (pred: (m: PlansMessage) => boolean) =>
    new Promise<PlansMessage>((resolve, reject) => {
      if (latest && pred(latest)) return resolve(latest);
      const t = setTimeout(() => reject(new Error('no matching plans push')), 5_000);
      waiters.push({ pred, resolve: (m) => (clearTimeout(t), resolve(m)) });
    });
  return { socket, latest: () => latest, next };
}

async function rest(method: string, path: string, username: string, body?: unknown): Promise<{ status: number; body: any }> {
  const r = await fetch(`${server.url}/api${path}`, {
    method,
    headers: { authorization: `Bearer ${tokens[username]}`, 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: r.status, body: await r.json() };
}

describe('contingency plans over REST and /live', () => {
  it('serves the plan definitions to officers, not to handlers', async () => {
    const r = await rest('GET', '/plans', 'officer1');
    expect(r.status).toBe(200);
    expect(r.body.plans.map((p: { id: string }) => p.id)).toContain(FLOOD_PLAN.id);
    expect((await rest('GET', '/plans', 'handler1')).status).toBe(403);
    expect((await rest('GET', '/plans/instances', 'handler1')).status).toBe(403);
  });

  it('proposes the flood plan once when a river passes its guarantee level, and runs it to its end', async () => {
    const wall = await live('screen1');
    const officer = await live('officer1');
    const handler = await live('handler1');
    const gauge = [...server.fusion.devices.values()].find(
      (d: Device) =>
        d.kind === 'water-level' &&
        d.assetId !== undefined &&
        server.fusion.fusedState(Date.now()).assets.some((a) => a.id === d.assetId && typeof a.props.guaranteeLevelM === 'number'),
    );
    if (!gauge) throw new Error('the test fleet needs a river gauge');
    const r = await ingest(server, sign([{ deviceId: gauge.id, ts: Date.now(), seq: 1, metrics: { level: 9.5 } }]));
    expect(r.body).toMatchObject({ accepted: 1 });

    const proposed = await wall.next((m) => m.instances.some((v) => v.plan.id === FLOOD_PLAN.id));
    const view = proposed.instances.find((v) => v.plan.id === FLOOD_PLAN.id)!;
    expect(view.instance).toMatchObject({ state: 'proposed', level: 'II' });
    expect(view.instance.reasons.map((x) => x.trigger)).toContain('water-over-guarantee');
    expect(view.districts).toContain(gauge.district);
    const id = view.instance.id;
    // more ticks: still one proposal
    await server.plans.tick();
    await server.plans.tick();
    const listed = await emitAck<{ ok: boolean; instances: PlansMessage['instances'] }>(officer.socket, 'plans:list', {});
    expect(listed.instances.filter((v) => v.plan.id === FLOOD_PLAN.id).map((v) => v.instance.id)).toEqual([id]);
    // handlers never hear of plans and may not act on them
    expect(handler.latest()).toBeNull();
    expect(await emitAck(handler.socket, 'plans:list', {})).toMatchObject({ ok: false, error: { code: 'E_FORBIDDEN' } });
    expect(await emitAck(handler.socket, 'plan:command', { type: 'plan.start', commandId: 'handler-start-1', instanceId: id })).toMatchObject({
      ok: false,
      error: { code: 'E_FORBIDDEN' },
    });

    const start = await emitAck<any>(officer.socket, 'plan:command', { type: 'plan.start', commandId: 'officer-start-1', instanceId: id });
    expect(start).toMatchObject({ ok: true, instance: { instance: { state: 'active' } } });
    await wall.next((m) => m.instances.some((v) => v.instance.id === id && v.instance.state === 'active'));

    const tick = await rest('POST', '/plans/commands', 'officer1', {
      type: 'plan.tick_step',
      commandId: 'officer-tick-1',
      instanceId: id,
      stepId: 'notify-districts',
    });
    expect(tick.status).toBe(200);
    expect(tick.body.instance.checklist.done).toBe(1);
    const banner = await wall.next((m) => m.instances.some((v) => v.instance.id === id && v.checklist.done === 1));
    expect(banner.instances[0]!.checklist.items[0]!.done?.by).toBe('officer1');

    const denied = await rest('POST', '/plans/commands', 'officer1', { type: 'plan.end', commandId: 'officer-end-1', instanceId: id, note: '结束' });
    expect(denied.status).toBe(403);
    const raised = await rest('POST', '/plans/commands', 'leader1', {
      type: 'plan.change_level',
      commandId: 'leader-level-1',
      instanceId: id,
      level: 'I',
      note: '全市响应',
    });
    expect(raised.body.instance.instance.level).toBe('I');
    const ended = await rest('POST', '/plans/commands', 'leader1', { type: 'plan.end', commandId: 'leader-end-1', instanceId: id, note: '水位回落' });
    expect(ended.body.instance.instance.state).toBe('ended');
    await wall.next((m) => !m.instances.some((v) => v.instance.id === id));
    // the same command again: answered, not applied
    const again = await rest('POST', '/plans/commands', 'leader1', { type: 'plan.end', commandId: 'leader-end-1', instanceId: id, note: '水位回落' });
    expect(again.body).toMatchObject({ ok: true, duplicate: true });
  });
});

describe('plan entry points under hostile input', () => {
  const template = { type: 'plan.tick_step', commandId: 'fuzz-plan-0001', instanceId: 'pi:plan-flood-rainstorm:1', stepId: 'start-pumps', note: 'n' };
  const hostileField = fc.oneof(
    fc.jsonValue({ maxDepth: 3 }),
    fc.constantFrom('__proto__', 'constructor', '', ' ', '\u0000', 'x'.repeat(5000), -1, 1e309, null, [], {}),
  );
  const payload = fc.oneof(
    fc.tuple(fc.constantFrom(...Object.keys(template)), hostileField).map(([k, v]) => ({ ...template, [k]: v })),
    fc
      .constantFrom('plan.propose', 'plan.start', 'plan.dismiss', 'plan.change_level', 'plan.end', 'plan.send_device_commands')
      .map((type) => ({ ...template, type })),
    fc.jsonValue({ maxDepth: 3 }),
  );
  let seq = 0;
  const fresh = (p: unknown) =>
    p !== null && typeof p === 'object' && !Array.isArray(p) && 'commandId' in p ? { ...p, commandId: `fuzz-plan-${process.pid}-${++seq}` } : p;

  it('answers every REST and socket plan command with a typed outcome, never a 500', async () => {
    const officer = await live('officer1');
    await fc.assert(
      fc.asyncProperty(payload, async (raw) => {
        const body = fresh(raw);
        const r = await rest('POST', '/plans/commands', 'officer1', body);
        expect(r.status).toBeLessThan(500);
        if (r.status !== 200) expect(ERROR_CODES).toContain(r.body.error.code);
        const a = await emitAck<{ ok: boolean; error?: { code: string } }>(officer.socket, 'plan:command', fresh(raw));
        if (!a.ok) expect(ERROR_CODES).toContain(a.error!.code);
      }),
      { numRuns: 60 },
    );
  });
});
