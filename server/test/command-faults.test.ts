/**
 * Fault injection at the store: the n-th write fails, either before it is applied or after (the
 * reply is lost, as when Redis times out a command it then runs). A client retries with the same
 * commandId until it gets an answer that is not a store failure. Whatever the failure point, a
 * command reported `ok` is in the store, and a refused command is never reported `ok` on retry.
 */
import { describe, expect, it } from 'vitest';
import type { Alert, Incident } from '../../scenes/domain';
import type { CommandResult } from '../../scenes/protocol';
import { generateFleet } from '../../scenes/fleet';
import { CommandService, type ChangeNotifier } from '../commands';
import { Fusion, type AlertChangeRecord } from '../fusion';
import { createLogger } from '../logger';
import { MemoryStore } from '../store/memory-store';
import type { Store } from '../store/store';

const WRITES = new Set(['saveAlert', 'createIncident', 'transitionIncident', 'appendEvent']);

type FailMode = 'before' | 'after';

/** Wraps a store so that the `failAt`-th write (1-based) throws a typed store error. */
function faultyStore(inner: Store, failAt: number, mode: FailMode): { store: Store; writes: () => number } {
  let writes = 0;
  const store = new Proxy(inner, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      if (!WRITES.has(String(prop))) return (value as (...a: unknown[]) => unknown).bind(target);
      return async (...args: unknown[]) => {
        writes++;
        const fail = () => Object.assign(new Error('injected store failure'), { code: 'E_UNAVAILABLE' });
        if (writes === failAt && mode === 'before') throw fail();
        const result = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        if (writes === failAt && mode === 'after') throw fail();
        return result;
      };
    },
  });
  return { store, writes: () => writes };
}

const silentNotifier: ChangeNotifier = { alertChanged: () => undefined, incidentChanged: () => undefined };
const devices = generateFleet({ count: 100 });
const gas = devices.find((d) => d.kind === 'gas-detector')!;

async function setup(failAt: number, mode: FailMode) {
  const inner = new MemoryStore();
  const fusion = new Fusion(devices);
  const changes: AlertChangeRecord[] = [];
  fusion.applyReading({ deviceId: gas.id, ts: Date.now(), seq: 1, metrics: { lel: 60 } }, changes);
  const alert = changes.find((c) => c.change === 'raised')!.alert;
  await inner.saveAlert(alert);
  const { store } = faultyStore(inner, failAt, mode);
  const commands = new CommandService(store, fusion, silentNotifier, createLogger('silent'), { commandTtlMs: 60_000, commutativeRetries: 16 });
  return { inner, fusion, commands, alert };
}

const officer = { username: 'officer1', role: 'officer' as const };
const RETRYABLE = new Set(['E_UNAVAILABLE', 'E_INTERNAL']);

/** Sends a command, retrying with the same commandId while the answer is a store failure. */
async function sendWithRetries(commands: CommandService, cmd: Record<string, unknown>): Promise<CommandResult> {
  for (let i = 0; i < 5; i++) {
    const r = await commands.execute(cmd, officer);
    if (r.ok || !RETRYABLE.has(r.error.code)) return r;
  }
  throw new Error('still failing after 5 retries');
}

async function storedAlert(store: Store, id: string): Promise<Alert | undefined> {
  return (await store.loadAlerts(0)).find((a) => a.id === id);
}

describe('commands under store faults', () => {
  for (const mode of ['before', 'after'] as const) {
    for (const failAt of [1, 2]) {
      it(`reports an alert acknowledgement ok only when it was stored (write ${failAt} fails ${mode} applying)`, async () => {
        const { inner, fusion, commands, alert } = await setup(failAt, mode);
        const r = await sendWithRetries(commands, { type: 'alert.ack', commandId: 'ack-fault-0001', alertId: alert.id });
        expect(r.ok).toBe(true);
        expect((await storedAlert(inner, alert.id))?.acknowledged).toBe(true);
        expect(fusion.getAlert(alert.id)?.acknowledged).toBe(true);
        // and again later: still the same, still stored
        const again = await commands.execute({ type: 'alert.ack', commandId: 'ack-fault-0001', alertId: alert.id }, officer);
        expect(again.ok && again.duplicate).toBe(true);
      });
    }

    it(`reports an incident note ok only when it was stored (fails ${mode} applying)`, async () => {
      const { inner, commands } = await setup(Number.POSITIVE_INFINITY, mode);
      const created = await commands.execute(
        {
          type: 'incident.create',
          commandId: 'create-fault-01',
          title: '测试',
          category: 'other',
          scene: 'emergency',
          location: gas.location,
          priority: 'P3',
        },
        officer,
      );
      expect(created.ok).toBe(true);
      const incident = (created as { incident: Incident }).incident;
      for (const failAt of [1, 2, 3]) {
        const { store } = faultyStore(inner, failAt, mode);
        const faulty = new CommandService(store, new Fusion(devices), silentNotifier, createLogger('silent'), {
          commandTtlMs: 60_000,
          commutativeRetries: 16,
        });
        const commandId = `note-fault-${mode}-${failAt}`;
        const r = await sendWithRetries(faulty, { type: 'incident.note', commandId, incidentId: incident.id, note: `n${failAt}` });
        expect(r.ok).toBe(true);
        const stored = await inner.getIncident(incident.id);
        expect(stored!.history.filter((h) => h.commandId === commandId)).toHaveLength(1);
      }
    });
  }

  it('answers a refused acknowledgement with the same refusal on retry, never ok', async () => {
    const { commands, alert } = await setup(Number.POSITIVE_INFINITY, 'before');
    const first = await commands.execute({ type: 'alert.ack', commandId: 'ack-first-0001', alertId: alert.id }, officer);
    expect(first.ok).toBe(true);
    const refused = await commands.execute({ type: 'alert.ack', commandId: 'ack-second-001', alertId: alert.id }, officer);
    expect(refused.ok).toBe(false);
    const retried = await commands.execute({ type: 'alert.ack', commandId: 'ack-second-001', alertId: alert.id }, officer);
    expect(retried).toEqual(refused);
  });

  it('applies every one of many concurrent notes without expectedVersion (commutative)', async () => {
    const { inner, commands } = await setup(Number.POSITIVE_INFINITY, 'before');
    const created = await commands.execute(
      {
        type: 'incident.create',
        commandId: 'create-notes-01',
        title: '并发备注',
        category: 'other',
        scene: 'emergency',
        location: gas.location,
        priority: 'P3',
      },
      officer,
    );
    const incident = (created as { incident: Incident }).incident;
    // a second service on the same store stands for a second node: its notes conflict with ours
    const other = new CommandService(inner, new Fusion(devices), silentNotifier, createLogger('silent'), {
      commandTtlMs: 60_000,
      commutativeRetries: 16,
    });
    const sends = Array.from({ length: 100 }, (_, i) =>
      (i % 2 ? other : commands).execute(
        { type: 'incident.note', commandId: `note-many-${String(i).padStart(4, '0')}`, incidentId: incident.id, note: `#${i}` },
        officer,
      ),
    );
    const results = await Promise.all(sends);
    expect(results.filter((r) => !r.ok)).toEqual([]);
    const stored = await inner.getIncident(incident.id);
    expect(stored!.history.filter((h) => h.action === 'note')).toHaveLength(100);
    expect(stored!.version).toBe(incident.version + 100);
  });

  it('answers the same commandId sent twice at once with one outcome, applied once', async () => {
    const { inner, commands, alert } = await setup(Number.POSITIVE_INFINITY, 'before');
    const cmd = { type: 'alert.ack', commandId: 'ack-twice-0001', alertId: alert.id };
    const [a, b] = await Promise.all([commands.execute(cmd, officer), commands.execute(cmd, officer)]);
    expect(a).toEqual(b);
    expect(a.ok).toBe(true);
    const events = await inner.readEvents(0, Date.now() + 1000, 100);
    expect(events.filter((e) => e.type === 'alert.acked')).toHaveLength(1);
  });
});
