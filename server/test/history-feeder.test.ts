/**
 * The history feeder (server/history/history-feeder.ts): the one hook between changes and the
 * archive never holds up or fails the change, coalesces an alert's copies, counts and logs
 * failures, and backfills the working set.
 */
import { describe, expect, it, vi } from 'vitest';
import { Registry } from 'prom-client';
import type { Alert, Incident } from '../../scenes/domain';
import { archivedAlert, archivedIncident } from '../../scenes/history/history-fixtures';
import { HistoryFeeder } from '../history/history-feeder';
import { MemoryHistoryStore, type HistoryStore } from '../store/history-store';
import { createLogger } from '../logger';
import type { ChangeNotifier } from '../commands';

const T0 = Date.UTC(2026, 5, 1);

function inner(): ChangeNotifier & { alerts: Alert[]; incidents: Incident[] } {
  const alerts: Alert[] = [];
  const incidents: Incident[] = [];
  return { alerts, incidents, alertChanged: (a) => alerts.push(a), incidentChanged: (i) => incidents.push(i) };
}

async function writesMetric(registry: Registry): Promise<string> {
  return registry.metrics();
}

describe('history feeder', () => {
  it('tells the inner notifier first and archives every incident change as it is now', async () => {
    const history = new MemoryHistoryStore();
    const feeder = new HistoryFeeder(history, createLogger('silent'));
    const told = inner();
    const notifier = feeder.wrap(told);
    const i = archivedIncident('INC-1', T0);
    notifier.incidentChanged(i, []);
    expect(told.incidents).toEqual([i]);
    await feeder.settled();
    expect(await history.getIncident('INC-1')).toEqual(i);
  });

  it('writes the newest of an alert’s copies once per coalescing period', async () => {
    const history = new MemoryHistoryStore();
    const upsert = vi.spyOn(history, 'upsertAlert');
    const feeder = new HistoryFeeder(history, createLogger('silent'), Date.now, 60_000);
    const notifier = feeder.wrap(inner());
    const a = archivedAlert('dev|rule|1', T0);
    for (let n = 1; n <= 5; n++) notifier.alertChanged({ ...a, count: n, lastTs: a.lastTs + n });
    expect(upsert).not.toHaveBeenCalled();
    await feeder.settled();
    expect(upsert).toHaveBeenCalledTimes(1);
    expect((await history.getAlert(a.id))?.count).toBe(5);
  });

  it('never throws to the caller when the archive fails: counts it and logs one line per interval', async () => {
    const failing: HistoryStore = new (class extends MemoryHistoryStore {
      override upsertIncident(): Promise<void> {
        return Promise.reject(new Error('redis down'));
      }
    })();
    const log = createLogger('silent');
    const error = vi.spyOn(log, 'error');
    const registry = new Registry();
    const feeder = new HistoryFeeder(failing, log);
    feeder.registerMetrics(registry);
    const notifier = feeder.wrap(inner());
    expect(() => {
      notifier.incidentChanged(archivedIncident('INC-1', T0), []);
      notifier.incidentChanged(archivedIncident('INC-2', T0), []);
    }).not.toThrow();
    await feeder.settled();
    expect(error).toHaveBeenCalledTimes(1);
    expect(await writesMetric(registry)).toContain('ioc_history_writes_total{kind="incident",outcome="failed"} 2');
  });

  it('backfills the incidents and alerts the store still holds', async () => {
    const history = new MemoryHistoryStore();
    const feeder = new HistoryFeeder(history, createLogger('silent'));
    const store = {
      loadIncidents: async () => [archivedIncident('INC-1', T0), archivedIncident('INC-2', T0, {}, { closed: true })],
      loadAlerts: async () => [archivedAlert('a|r|1', T0)],
    };
    expect(await feeder.backfill(store)).toEqual({ incidents: 2, alerts: 1 });
    expect(await history.getIncident('INC-2')).not.toBeNull();
    expect(await history.getAlert('a|r|1')).not.toBeNull();
  });
});
