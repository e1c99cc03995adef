import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createPinia, setActivePinia } from 'pinia';
import { aggregateAreaWarnings, DEFAULT_AREA_WARNING_RULES } from '@scenes/storm/area-warnings';
import { MINUTE_MS, T0, makeAlert } from '@scenes/storm/fixtures/storm-fixtures';
import type { OfficerDecision } from '@scenes/storm/decisions';
import type { Command } from '@scenes/protocol';
import { createFakeTransport, type FakeTransport } from '../data/fake-transport';
import { ACK_BULK_MAX_IDS } from '../components/storm/alert-queue';
import { DECISIONS_MIN_INTERVAL_MS, useStormStore, type StormApi } from './storm-store';

const result = aggregateAreaWarnings(
  Array.from({ length: 3 }, (_, i) => makeAlert(`rg-${i}`, { firstTs: T0 + i * MINUTE_MS })),
  [],
  DEFAULT_AREA_WARNING_RULES,
  T0 + 10 * MINUTE_MS,
);

function fakeApi(): StormApi & { decisionCalls: number } {
  const api = {
    decisionCalls: 0,
    fetchDecisions: async (): Promise<OfficerDecision[]> => {
      api.decisionCalls++;
      return [{ kind: 'incident', incidentId: `INC-${api.decisionCalls}` }];
    },
    fetchWarnings: async () => result,
  };
  return api;
}

const emit = (t: FakeTransport, payload: unknown) => (t.emitServer as unknown as (e: string, p: unknown) => void)('warnings', payload);

describe('storm store', () => {
  beforeEach(() => {
    setActivePinia(createPinia());
    vi.useFakeTimers();
  });
  afterEach(() => vi.useRealTimers());

  it('loads warnings on bind and replaces them with each push', async () => {
    const store = useStormStore();
    const t = createFakeTransport();
    store.bind(t, fakeApi());
    await vi.waitFor(() => expect(store.warnings).toHaveLength(1));
    expect(Object.keys(store.coveredBy)).toHaveLength(3);
    store.toggleWarning(result.warnings[0].id);
    emit(t, { warnings: [], coveredBy: {} });
    expect(store.warnings).toEqual([]);
    expect(store.expandedWarningId).toBeNull();
    emit(t, result);
    store.unbind();
    // the next person signing in on this page must not see this session's warnings
    expect(store.warnings).toEqual([]);
    expect(store.coveredBy).toEqual({});
    emit(t, result);
    expect(store.warnings).toEqual([]);
  });

  it('keeps a pushed warning when a fetch started before the push answers after it (stale answer)', async () => {
    const store = useStormStore();
    const t = createFakeTransport();
    let answer: (r: typeof result) => void = () => undefined;
    const api = { ...fakeApi(), fetchWarnings: () => new Promise<typeof result>((r) => (answer = r)) };
    store.bind(t, api);
    // the storm's warning is pushed while the page's first fetch is still in flight
    emit(t, result);
    expect(store.warnings).toHaveLength(1);
    // that fetch was answered before the warning existed
    answer({ warnings: [], coveredBy: {} });
    await vi.advanceTimersByTimeAsync(0);
    expect(store.warnings).toHaveLength(1);
    expect(Object.keys(store.coveredBy)).toHaveLength(3);
  });

  it('asks for decisions at most once per interval however many pushes arrive', async () => {
    const store = useStormStore();
    const t = createFakeTransport();
    const api = fakeApi();
    store.bind(t, api);
    await vi.advanceTimersByTimeAsync(10);
    expect(api.decisionCalls).toBe(1);
    for (let i = 0; i < 20; i++) emit(t, result);
    await vi.advanceTimersByTimeAsync(DECISIONS_MIN_INTERVAL_MS / 2);
    expect(api.decisionCalls).toBe(1);
    await vi.advanceTimersByTimeAsync(DECISIONS_MIN_INTERVAL_MS);
    expect(api.decisionCalls).toBe(2);
    expect(store.decisions).toEqual([{ kind: 'incident', incidentId: 'INC-2' }]);
    store.unbind();
  });

  it('acknowledges recovered alerts in chunks with alert.ack_bulk and counts what the server acknowledged', async () => {
    vi.useRealTimers();
    const store = useStormStore();
    const t = createFakeTransport();
    store.bind(t, fakeApi());
    const ids = Array.from({ length: ACK_BULK_MAX_IDS + 3 }, (_, i) => `a${i}`);
    const done = store.ackRecovered(ids);
    await vi.waitFor(() => expect(t.requests.filter((r) => r.event === 'command')).toHaveLength(1));
    const first = t.requests.find((r) => r.event === 'command')!;
    const cmd = first.payload as Extract<Command, { type: 'alert.ack_bulk' }>;
    expect(cmd.type).toBe('alert.ack_bulk');
    expect(cmd.alertIds).toHaveLength(ACK_BULK_MAX_IDS);
    first.resolve({ ok: true, commandId: cmd.commandId, duplicate: false, alerts: cmd.alertIds!.map((id) => ({ id })) });
    await vi.waitFor(() => expect(t.requests.filter((r) => r.event === 'command')).toHaveLength(2));
    const second = t.requests.filter((r) => r.event === 'command')[1];
    expect((second.payload as typeof cmd).alertIds).toEqual(ids.slice(ACK_BULK_MAX_IDS));
    // the server acknowledged only two of the three (one was acknowledged meanwhile by someone else)
    second.resolve({ ok: true, commandId: 'x', duplicate: false, alerts: [{ id: 'a' }, { id: 'b' }] });
    expect(await done).toEqual({ ok: true, acknowledged: ACK_BULK_MAX_IDS + 2 });
    expect(store.acking).toBe(false);
    store.unbind();
  });

  it('reports a refused chunk with what was acknowledged before it', async () => {
    vi.useRealTimers();
    const store = useStormStore();
    const t = createFakeTransport();
    store.bind(t, fakeApi());
    const done = store.ackRecovered(['a1']);
    await vi.waitFor(() => expect(t.requests.some((r) => r.event === 'command')).toBe(true));
    t.requests.find((r) => r.event === 'command')!.resolve({ ok: false, error: { code: 'E_FORBIDDEN', message: 'out of scope' } });
    expect(await done).toEqual({ ok: false, acknowledged: 0, message: 'out of scope' });
    store.unbind();
  });
});
