import { beforeEach, describe, expect, it } from 'vitest';
import { createPinia, setActivePinia } from 'pinia';
import { GAS_PLAN } from '@scenes/plans/demo-plans';
import { proposePlan } from '@scenes/plans/plan-instance';
import { planInstanceView, storedInstance, type PlanInstanceView } from '@scenes/plans/plan-protocol';
import { createFakeTransport, type FakeTransport } from '../data/fake-transport';
import { usePlanStore } from './plan-store';

const flush = () => new Promise((r) => setTimeout(r, 0));
const T0 = Date.UTC(2026, 6, 15, 2, 0, 0);

function proposed(): PlanInstanceView {
  return planInstanceView(
    storedInstance(proposePlan(GAS_PLAN, { level: 'III', reasons: [] }, T0), { districts: ['370202'], deviceIds: [] }),
    GAS_PLAN,
    [],
    T0,
  );
}

function answer(transport: FakeTransport, event: string, reply: unknown) {
  const req = [...transport.requests].reverse().find((r) => r.event === event);
  if (!req) throw new Error(`no ${event} request`);
  transport.requests.splice(transport.requests.indexOf(req), 1);
  req.resolve(reply);
}

beforeEach(() => setActivePinia(createPinia()));

describe('plan store', () => {
  it('lists on bind, takes pushes whole, ignores an older list, and lists again after a reconnect', async () => {
    const transport = createFakeTransport();
    const store = usePlanStore();
    const release = store.bind(transport);
    answer(transport, 'plans:list', { ok: true, ts: 10, instances: [proposed()] });
    await flush();
    expect(store.proposed.map((v) => v.plan.id)).toEqual([GAS_PLAN.id]);
    transport.emitServer('plans', { ts: 20, instances: [] });
    expect(store.instances).toEqual([]);
    transport.emitServer('plans', { ts: 15, instances: [proposed()] });
    expect(store.instances).toEqual([]);
    transport.connect(true);
    expect(transport.requests.some((r) => r.event === 'plans:list')).toBe(true);
    release();
    transport.emitServer('plans', { ts: 30, instances: [proposed()] });
    expect(store.instances).toEqual([]);
  });

  it('sends a command with a fresh id, shows its refusal, and replaces the instance with the answer', async () => {
    const transport = createFakeTransport();
    const store = usePlanStore();
    store.bind(transport);
    const v = proposed();
    transport.emitServer('plans', { ts: 10, instances: [v] });
    const refused = store.send({ type: 'plan.start', instanceId: v.instance.id });
    expect(store.busy.has(v.instance.id)).toBe(true);
    const req = transport.requests.find((r) => r.event === 'plan:command')!;
    expect(req.payload).toMatchObject({ type: 'plan.start', instanceId: v.instance.id, commandId: expect.stringMatching(/^[A-Za-z0-9_-]{8,64}$/) });
    answer(transport, 'plan:command', { ok: false, error: { code: 'E_FORBIDDEN', message: 'no' } });
    await refused;
    expect(store.errors.get(v.instance.id)?.code).toBe('E_FORBIDDEN');
    const started = { ...v, instance: { ...v.instance, state: 'active' as const, version: 2 } };
    const ok = store.send({ type: 'plan.start', instanceId: v.instance.id });
    const second = transport.requests.find((r) => r.event === 'plan:command')!;
    expect((second.payload as { commandId: string }).commandId).not.toBe((req.payload as { commandId: string }).commandId);
    answer(transport, 'plan:command', { ok: true, commandId: 'x', instance: started });
    await ok;
    expect(store.active.map((x) => x.instance.id)).toEqual([v.instance.id]);
    expect(store.errors.size).toBe(0);
    expect(store.banner).toMatchObject({ level: 'III' });
  });
});
