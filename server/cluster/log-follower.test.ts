import { describe, expect, it, vi } from 'vitest';
import type { Alert, Incident, Reading } from '../../scenes/domain';
import type { LogEvent, RegistryChangeNotice } from '../../scenes/protocol';
import type { AlertChangeRecord } from '../fusion';
import { EMPTY_LOG_CURSOR, StoreUnavailableError, type LogCursor, type LogTail } from '../store/store';
import { LogFollower, type LogFollowerDeps } from './log-follower';
import { mergeAlertCopies } from '../../scenes/alert-lifecycle';

const BLOCK_MS = 20;

function reading(deviceId: string, seq: number): Reading {
  return { deviceId, ts: 1_000 + seq, seq, metrics: { level: seq } };
}

function alert(id: string, acknowledged = false): Alert {
  return {
    id,
    deviceId: 'd1',
    deviceKind: 'water-level',
    ruleId: 'r1',
    scene: 'water',
    district: '370202',
    location: [120.3, 36.07],
    level: 'red',
    peakLevel: 'red',
    cleared: false,
    acknowledged,
    firstTs: 1,
    lastTs: 2,
    count: 1,
    title: 't',
    titleEn: 't',
  } as unknown as Alert;
}

function incident(id: string, version: number, assignees: string[] = []): Incident {
  return { id, version, assignees, history: [{ ts: version, state: 'open' }], scene: 'emergency' } as unknown as Incident;
}

function event(id: string, fields: Omit<LogEvent, 'id' | 'ts' | 'scene'>): LogEvent {
  return { id, ts: 1, scene: 'water', ...fields } as LogEvent;
}

type Step = LogTail | Error;

/** A store that answers scripted tails in order, then blocks (like XREAD) until stopped. */
function fakeStore(steps: Step[], incidents: Map<string, Incident> = new Map()) {
  const cursors: LogCursor[] = [];
  const blocks: number[] = [];
  let incidentFailures = 0;
  const store = {
    cursors,
    blocks,
    failIncidentFetches(n: number) {
      incidentFailures = n;
    },
    getIncidentCalls: [] as string[],
    async tailLog(cursor: LogCursor, blockMs: number): Promise<LogTail> {
      cursors.push({ ...cursor });
      blocks.push(blockMs);
      const step = steps.shift();
      if (step instanceof Error) throw step;
      if (step) return step;
      await new Promise((r) => setTimeout(r, blockMs));
      return { readings: [], events: [], cursor };
    },
    async logCursor(): Promise<LogCursor> {
      return { readings: '900-0', events: '900-0' };
    },
    async getIncident(id: string): Promise<Incident | null> {
      store.getIncidentCalls.push(id);
      if (incidentFailures > 0) {
        incidentFailures--;
        throw new StoreUnavailableError('down');
      }
      return incidents.get(id) ?? null;
    },
  };
  return store;
}

function fakeFusion() {
  const applied: Reading[] = [];
  const changeArrays: AlertChangeRecord[][] = [];
  const alerts = new Map<string, Alert>();
  const incidents = new Map<string, Incident>();
  return {
    applied,
    changeArrays,
    alerts,
    incidents,
    applyReading(r: Reading, changes: AlertChangeRecord[]) {
      applied.push(r);
      // fusion derives an alert change from every reading: the follower must not pass it on
      changes.push({ alert: alert(`derived-${r.seq}`), change: 'raised' } as unknown as AlertChangeRecord);
      changeArrays.push(changes);
      return 'accepted' as const;
    },
    putAlert(a: Alert) {
      alerts.set(a.id, a);
    },
    getAlert: (id: string) => alerts.get(id),
    putIncident(i: Incident) {
      incidents.set(i.id, i);
    },
  };
}

function follower(store: ReturnType<typeof fakeStore>, fusion: ReturnType<typeof fakeFusion>, extra: Partial<LogFollowerDeps> = {}) {
  const calls = {
    readingsApplied: 0,
    alerts: [] as Alert[],
    incidents: [] as { incident: Incident; previous: string[] }[],
    gaps: 0,
    /** the back-off each warning announced, ms */
    retryMs: [] as number[],
  };
  const f = new LogFollower({
    store,
    nodeId: 'b',
    fusion: fusion as unknown as LogFollowerDeps['fusion'],
    onReadingsApplied: () => calls.readingsApplied++,
    onAlert: (a) => calls.alerts.push(a),
    onIncident: (incident, previous) => calls.incidents.push({ incident, previous }),
    onGap: async () => {
      calls.gaps++;
    },
    log: {
      warn: (o: object | string) => {
        if (typeof o === 'object' && 'retryMs' in o) calls.retryMs.push(o.retryMs as number);
      },
      error: () => undefined,
    },
    blockMs: BLOCK_MS,
    limit: 100,
    retryMinMs: 20,
    retryMaxMs: 60,
    ...extra,
  });
  return { f, calls };
}

describe('LogFollower', () => {
  it("applies other nodes' readings in stream order and skips its own node's entries", async () => {
    const store = fakeStore([
      {
        readings: [
          { reading: reading('d1', 1), node: 'a' },
          { reading: reading('d1', 2), node: 'b' },
          { reading: reading('d2', 1), node: 'c' },
          { reading: reading('d1', 3), node: 'a' },
        ],
        events: [{ event: event('5-0', { type: 'alert.raised', alert: alert('own') }), node: 'b' }],
        cursor: { readings: '4-0', events: '5-0' },
      },
    ]);
    const fusion = fakeFusion();
    const { f, calls } = follower(store, fusion);
    f.start(EMPTY_LOG_CURSOR);
    await vi.waitFor(() => expect(f.caughtUp()).toBe(true));
    await f.stop();
    expect(fusion.applied.map((r) => `${r.deviceId}#${r.seq}`)).toEqual(['d1#1', 'd2#1', 'd1#3']);
    expect(calls.readingsApplied).toBe(1);
    expect(fusion.alerts.has('own')).toBe(false);
    expect(store.cursors[1]).toEqual({ readings: '4-0', events: '5-0' });
  });

  it('does not wait on the log before it has read it to the end (a starting node is ready at once on an idle log), then waits blockMs', async () => {
    const store = fakeStore([]);
    const { f } = follower(store, fakeFusion());
    f.start(EMPTY_LOG_CURSOR);
    await vi.waitFor(() => expect(store.blocks.length).toBeGreaterThanOrEqual(2));
    await f.stop();
    expect(store.blocks.slice(0, 2)).toEqual([0, BLOCK_MS]);
  });

  it('discards the alert changes fusion derives from other nodes’ readings (the origin node notifies them), showing them on this node at once', async () => {
    const store = fakeStore([{ readings: [{ reading: reading('d1', 1), node: 'a' }], events: [], cursor: { readings: '1-0', events: '0-0' } }]);
    const fusion = fakeFusion();
    const derived: string[] = [];
    const { f, calls } = follower(store, fusion, { onDerivedAlert: (a) => void derived.push(a.id) });
    f.start(EMPTY_LOG_CURSOR);
    await vi.waitFor(() => expect(f.caughtUp()).toBe(true));
    await f.stop();
    expect(fusion.applied).toHaveLength(1);
    expect(calls.alerts).toEqual([]);
    for (const changes of fusion.changeArrays) expect(changes).toEqual([]);
    // not persisted or notified (no onAlert), but this node's screens are flushed for it
    expect(derived).toEqual(['derived-1']);
  });

  it("puts other nodes' alerts into fusion and tells the local screens", async () => {
    const store = fakeStore([
      {
        readings: [],
        events: [{ event: event('2-0', { type: 'alert.acked', alert: alert('A1', true) }), node: 'a' }],
        cursor: { readings: '0-0', events: '2-0' },
      },
    ]);
    const fusion = fakeFusion();
    const { f, calls } = follower(store, fusion);
    f.start(EMPTY_LOG_CURSOR);
    await vi.waitFor(() => expect(calls.alerts).toHaveLength(1));
    await f.stop();
    expect(fusion.alerts.get('A1')?.acknowledged).toBe(true);
  });

  it('fetches the full incident (with history) for incident events, only when newer than fusion’s copy', async () => {
    const full = incident('INC-1', 3, ['h2']);
    const store = fakeStore(
      [
        {
          readings: [],
          events: [
            { event: event('3-0', { type: 'incident.transition', incident: { ...incident('INC-1', 3, ['h2']), history: undefined } }), node: 'a' },
            { event: event('4-0', { type: 'incident.transition', incident: { ...incident('INC-0', 1), history: undefined } }), node: 'a' },
          ],
          cursor: { readings: '0-0', events: '4-0' },
        },
      ],
      new Map([['INC-1', full]]),
    );
    const fusion = fakeFusion();
    fusion.incidents.set('INC-1', incident('INC-1', 2, ['h1']));
    // fusion already has version 1 of INC-0: the event is not newer, nothing is fetched
    fusion.incidents.set('INC-0', incident('INC-0', 1));
    const { f, calls } = follower(store, fusion);
    f.start(EMPTY_LOG_CURSOR);
    await vi.waitFor(() => expect(f.caughtUp()).toBe(true));
    await f.stop();
    expect(store.getIncidentCalls).toEqual(['INC-1']);
    expect(fusion.incidents.get('INC-1')).toBe(full);
    expect(calls.incidents).toEqual([{ incident: full, previous: ['h1'] }]);
  });

  it('backs off on store errors and retries from the same cursor, longer each time up to the bound', async () => {
    const start: LogCursor = { readings: '7-0', events: '8-0' };
    const store = fakeStore([
      new StoreUnavailableError('down'),
      new StoreUnavailableError('down'),
      new StoreUnavailableError('down'),
      { readings: [{ reading: reading('d1', 1), node: 'a' }], events: [], cursor: { readings: '9-0', events: '8-0' } },
    ]);
    const fusion = fakeFusion();
    const { f, calls } = follower(store, fusion);
    f.start(start);
    await vi.waitFor(() => expect(f.caughtUp()).toBe(true), { timeout: 5_000 });
    await f.stop();
    expect(store.cursors.slice(0, 4)).toEqual([start, start, start, start]);
    // doubled from retryMinMs, capped at retryMaxMs
    expect(calls.retryMs).toEqual([20, 40, 60]);
    expect(fusion.applied).toHaveLength(1);
  });

  it('retries an incident fetch that failed from that event, without applying the readings again', async () => {
    const full = incident('INC-1', 1);
    const store = fakeStore(
      [
        {
          readings: [{ reading: reading('d1', 1), node: 'a' }],
          events: [
            { event: event('2-0', { type: 'alert.raised', alert: alert('A1') }), node: 'a' },
            { event: event('3-0', { type: 'incident.created', incident: { ...full, history: undefined } }), node: 'a' },
          ],
          cursor: { readings: '1-0', events: '3-0' },
        },
        // what the log answers after the position the retry names
        {
          readings: [],
          events: [{ event: event('3-0', { type: 'incident.created', incident: { ...full, history: undefined } }), node: 'a' }],
          cursor: { readings: '1-0', events: '3-0' },
        },
      ],
      new Map([['INC-1', full]]),
    );
    store.failIncidentFetches(1);
    const fusion = fakeFusion();
    const { f, calls } = follower(store, fusion);
    f.start(EMPTY_LOG_CURSOR);
    await vi.waitFor(() => expect(calls.incidents).toHaveLength(1));
    await f.stop();
    expect(store.cursors[1]).toEqual({ readings: '1-0', events: '2-0' });
    expect(fusion.applied).toHaveLength(1);
    expect(calls.alerts).toHaveLength(1);
  });

  it('re-syncs from the store on a gap and continues from the position taken before the reload', async () => {
    const store = fakeStore([
      { readings: [{ reading: reading('d1', 5), node: 'a' }], events: [], cursor: { readings: '50-0', events: '0-0' }, gap: true },
    ]);
    const fusion = fakeFusion();
    const { f, calls } = follower(store, fusion);
    f.start(EMPTY_LOG_CURSOR);
    await vi.waitFor(() => expect(store.cursors.length).toBeGreaterThanOrEqual(2));
    await f.stop();
    expect(calls.gaps).toBe(1);
    expect(fusion.applied).toEqual([]);
    expect(store.cursors[1]).toEqual({ readings: '900-0', events: '900-0' });
  });

  it("hands other nodes' registry changes to onRegistryChanged in log order, and skips its own node's", async () => {
    const store = fakeStore([
      {
        readings: [],
        events: [
          { event: event('2-0', { type: 'registry.changed', registry: { collection: 'device', ids: ['d9'] } }), node: 'a' },
          { event: event('3-0', { type: 'registry.changed', registry: { collection: 'rule', ids: ['r1'] } }), node: 'b' },
          { event: event('4-0', { type: 'registry.changed', registry: { collection: 'asset', ids: [], all: true } }), node: 'c' },
        ],
        cursor: { readings: '0-0', events: '4-0' },
      },
    ]);
    const changes: RegistryChangeNotice[] = [];
    const { f } = follower(store, fakeFusion(), { onRegistryChanged: async (c) => void changes.push(c) });
    f.start(EMPTY_LOG_CURSOR);
    await vi.waitFor(() => expect(f.caughtUp()).toBe(true));
    await f.stop();
    expect(changes).toEqual([
      { collection: 'device', ids: ['d9'] },
      { collection: 'asset', ids: [], all: true },
    ]);
  });

  it('waits for a registry refresh before it applies the next event (order of the log)', async () => {
    const store = fakeStore([
      {
        readings: [],
        events: [
          { event: event('2-0', { type: 'registry.changed', registry: { collection: 'device', ids: ['d9'] } }), node: 'a' },
          { event: event('3-0', { type: 'alert.raised', alert: alert('A1') }), node: 'a' },
        ],
        cursor: { readings: '0-0', events: '3-0' },
      },
    ]);
    const order: string[] = [];
    const { f } = follower(store, fakeFusion(), {
      onRegistryChanged: async () => {
        await new Promise((r) => setTimeout(r, 30));
        order.push('registry');
      },
      onAlert: () => order.push('alert'),
    });
    f.start(EMPTY_LOG_CURSOR);
    await vi.waitFor(() => expect(f.caughtUp()).toBe(true));
    await f.stop();
    expect(order).toEqual(['registry', 'alert']);
  });

  it('retries a registry refresh the store did not answer from that event; a refresh that fails otherwise is logged and passed over', async () => {
    const registryEvent = (id: string, deviceId: string) => ({
      event: event(id, { type: 'registry.changed', registry: { collection: 'device', ids: [deviceId] } }),
      node: 'a',
    });
    const store = fakeStore([
      { readings: [], events: [registryEvent('2-0', 'd1'), registryEvent('3-0', 'd2')], cursor: { readings: '0-0', events: '3-0' } },
      // what the log answers again from the position the retry names
      { readings: [], events: [registryEvent('2-0', 'd1'), registryEvent('3-0', 'd2')], cursor: { readings: '0-0', events: '3-0' } },
    ]);
    const seen: string[] = [];
    let d2Failures = 1;
    const errors: unknown[] = [];
    const { f } = follower(store, fakeFusion(), {
      onRegistryChanged: async ({ ids }) => {
        seen.push(ids[0]!);
        if (ids[0] === 'd1') throw new TypeError('a bug in the refresh');
        if (d2Failures-- > 0) throw new StoreUnavailableError('down');
      },
      log: { warn: () => undefined, error: (o) => errors.push(o) },
    });
    f.start(EMPTY_LOG_CURSOR);
    await vi.waitFor(() => expect(seen).toEqual(['d1', 'd2', 'd2']), { timeout: 5_000 });
    await vi.waitFor(() => expect(f.caughtUp()).toBe(true));
    await f.stop();
    // the bug passed d1 over; the outage retried the read (registry edits go before its readings), never d1 again
    expect(store.cursors[1]).toEqual({ readings: '0-0', events: '0-0' });
    expect(errors).toHaveLength(1);
  });

  it('applies a registry edit before the readings read with it: a device created on another node is known to its first readings', async () => {
    const store = fakeStore([
      {
        readings: [{ reading: reading('dnew', 1), node: 'a' }],
        events: [{ event: event('5-0', { type: 'registry.changed', registry: { collection: 'device', ids: ['dnew'] } }), node: 'a' }],
        cursor: { readings: '4-0', events: '5-0' },
      },
    ]);
    const fusion = fakeFusion();
    const order: string[] = [];
    const applyReading = fusion.applyReading.bind(fusion);
    fusion.applyReading = (r, changes) => {
      order.push(`reading ${r.deviceId}`);
      return applyReading(r, changes);
    };
    const { f } = follower(store, fusion, { onRegistryChanged: async ({ ids }) => void order.push(`registry ${ids[0]}`) });
    f.start(EMPTY_LOG_CURSOR);
    await vi.waitFor(() => expect(f.caughtUp()).toBe(true));
    await f.stop();
    expect(order).toEqual(['registry dnew', 'reading dnew']);
  });

  it('re-reads every registry collection on a gap (the events in the hole are gone), assets first', async () => {
    const store = fakeStore([{ readings: [], events: [], cursor: { readings: '0-0', events: '50-0' }, gap: true }]);
    const changes: RegistryChangeNotice[] = [];
    const { f, calls } = follower(store, fakeFusion(), { onRegistryChanged: async (c) => void changes.push(c) });
    f.start(EMPTY_LOG_CURSOR);
    await vi.waitFor(() => expect(store.cursors.length).toBeGreaterThanOrEqual(2));
    await f.stop();
    expect(calls.gaps).toBe(1);
    expect(changes).toEqual(['asset', 'device', 'rule', 'setting'].map((collection) => ({ collection, ids: [], all: true })));
  });

  it('stop() ends the loop when the blocking read in flight answers, without reading again', async () => {
    let answer: (t: LogTail) => void = () => undefined;
    let reads = 0;
    const store = {
      ...fakeStore([]),
      tailLog: (cursor: LogCursor) => {
        reads++;
        return new Promise<LogTail>((resolve) => {
          answer = () => resolve({ readings: [{ reading: reading('d1', 1), node: 'a' }], events: [], cursor });
        });
      },
    };
    const fusion = fakeFusion();
    const { f } = follower(store as unknown as ReturnType<typeof fakeStore>, fusion);
    f.start(EMPTY_LOG_CURSOR);
    await vi.waitFor(() => expect(reads).toBe(1));
    const stopped = f.stop();
    answer({ readings: [], events: [], cursor: EMPTY_LOG_CURSOR });
    await stopped;
    expect(reads).toBe(1);
    // what the last read answered after stop() is not applied: the next start resumes from the same position
    expect(fusion.applied).toEqual([]);
    expect(f.status()).toBe('stopped');
  });

  it('stop() during a back-off pause ends at once', async () => {
    const store = fakeStore([new StoreUnavailableError('down')]);
    const { f, calls } = follower(store, fakeFusion(), { retryMinMs: 3_600_000, retryMaxMs: 3_600_000 });
    f.start(EMPTY_LOG_CURSOR);
    await vi.waitFor(() => expect(calls.retryMs).toHaveLength(1));
    await f.stop();
    expect(store.cursors).toHaveLength(1);
  });
});

describe('mergeAlertCopies', () => {
  const local = { ...alert('A1'), lastTs: 300, count: 3, value: 81 } as Alert;

  it("never moves this node's copy back to an older snapshot of readings it already fused", () => {
    const snapshot = { ...alert('A1'), lastTs: 100, count: 1, value: 80 } as Alert;
    expect(mergeAlertCopies(local, snapshot)).toBe(local);
  });

  it('takes the logged copy when it observed later readings', () => {
    const newer = { ...alert('A1'), lastTs: 400, count: 4, level: 'orange' } as Alert;
    expect(mergeAlertCopies(local, newer)).toEqual(newer);
  });

  it('keeps an acknowledgement from either side: an ack logged by another node, or one made here before a later snapshot', () => {
    const ackedThere = { ...alert('A1', true), lastTs: 100, ackTs: 150, ackBy: 'officer1' } as Alert;
    expect(mergeAlertCopies(local, ackedThere)).toEqual({ ...local, acknowledged: true, ackTs: 150, ackBy: 'officer1' });
    const ackedHere = { ...local, acknowledged: true, ackTs: 350, ackBy: 'officer2' } as Alert;
    const laterSnapshot = { ...alert('A1'), lastTs: 500, count: 5 } as Alert;
    expect(mergeAlertCopies(ackedHere, laterSnapshot)).toEqual({ ...laterSnapshot, acknowledged: true, ackTs: 350, ackBy: 'officer2' });
  });

  it('keeps the incident an alert was linked to, whichever copy has it', () => {
    const linked = { ...alert('A1'), lastTs: 100, incidentId: 'INC-1' } as Alert;
    expect(mergeAlertCopies(local, linked).incidentId).toBe('INC-1');
    expect(mergeAlertCopies({ ...local, incidentId: 'INC-1' }, { ...alert('A1'), lastTs: 900 } as Alert).incidentId).toBe('INC-1');
  });

  it('answers the logged copy for an alert this node does not know, and its own copy when nothing changes', () => {
    const logged = alert('A2');
    expect(mergeAlertCopies(undefined, logged)).toBe(logged);
    expect(mergeAlertCopies(local, { ...local })).toBe(local);
  });
});
