/** The server's area warnings follow alert changes (issue 14): real fusion, real rule store (memory). */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Alert } from '../../scenes/domain';
import { DEFAULT_AREA_WARNING_RULES } from '../../scenes/storm/area-warnings';
import { MINUTE_MS, SHINAN, T0, makeAlert, makeDevice } from '../../scenes/storm/fixtures/storm-fixtures';
import { Fusion } from '../fusion';
import { createLogger } from '../logger';
import { MemoryStore } from '../store/memory-store';
import { AreaWarningRuleStore } from './area-warning-rules';
import { WarningService, type WarningChange } from './warning-service';

const COALESCE_MS = 200;
const devices = Array.from({ length: 5 }, (_, i) => makeDevice(`rg-${i}`, '370202', SHINAN));
const gauge = (i: number): Alert => makeAlert(`rg-${i}`, { firstTs: T0 + i * MINUTE_MS });

async function setup(alerts: readonly Alert[] = []) {
  const fusion = new Fusion(devices, undefined, undefined, T0);
  fusion.restore([], alerts, []);
  const rules = new AreaWarningRuleStore(new MemoryStore());
  await rules.load();
  const service = new WarningService({ fusion, rules, log: createLogger('silent'), coalesceMs: COALESCE_MS });
  const changes: WarningChange[] = [];
  service.onChange((c) => changes.push(c));
  service.start();
  /** an alert change as the server makes it: fusion first, then the notifier */
  const change = (a: Alert) => {
    fusion.putAlert(a);
    service.alertChanged(a);
  };
  return { fusion, rules, service, changes, change };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('WarningService', () => {
  it('recomputes once per coalescing window, however many gauge alerts arrive', async () => {
    vi.useFakeTimers();
    const { service, changes, change } = await setup();
    for (let i = 0; i < 4; i++) change(gauge(i));
    expect(changes).toEqual([]);
    vi.advanceTimersByTime(COALESCE_MS);
    expect(changes).toHaveLength(1);
    expect(changes[0]!.raised.map((w) => w.alertIds.length)).toEqual([4]);
    expect(service.current().warnings).toHaveLength(1);
  });

  it('keeps the warning id as it grows and changes level, and ends it once its alerts are cleared and acknowledged', async () => {
    vi.useFakeTimers();
    const { service, changes, change, fusion } = await setup();
    [0, 1, 2].forEach((i) => change(gauge(i)));
    vi.advanceTimersByTime(COALESCE_MS);
    const id = service.current().warnings[0]!.id;
    change({ ...gauge(3), level: 'orange' });
    change({ ...gauge(0), level: 'orange' });
    vi.advanceTimersByTime(COALESCE_MS);
    expect(service.current().warnings.map((w) => [w.id, w.alertIds.length])).toEqual([[id, 4]]);
    expect(fusion.fusedState(T0).areaWarnings?.map((w) => w.id)).toEqual([id]);
    // cleared but not acknowledged: still open, the warning stays (inactive)
    for (const i of [0, 1, 2, 3]) change({ ...fusion.getAlert(gauge(i).id)!, cleared: true, clearedTs: T0 + 10 * MINUTE_MS });
    vi.advanceTimersByTime(COALESCE_MS);
    expect(service.current().warnings.map((w) => [w.id, w.active])).toEqual([[id, false]]);
    for (const i of [0, 1, 2, 3]) change({ ...fusion.getAlert(gauge(i).id)!, acknowledged: true });
    vi.advanceTimersByTime(COALESCE_MS);
    expect(service.current()).toEqual({ warnings: [], coveredBy: {} });
    expect(changes.at(-1)!.ended.map((w) => w.id)).toEqual([id]);
  });

  it('does not recompute for alerts no area rule aggregates', async () => {
    vi.useFakeTimers();
    const { changes, change } = await setup([gauge(0), gauge(1), gauge(2)]);
    const before = changes.length;
    change(makeAlert('rg-4', { ruleId: 'water.level.threshold' }));
    expect(vi.getTimerCount()).toBe(0);
    expect(changes).toHaveLength(before);
  });

  it('finds the warnings of restored alerts at start, with the ids they had', async () => {
    const first = await setup();
    [0, 1, 2].forEach((i) => first.change(gauge(i)));
    first.service.recompute();
    const restarted = await setup([0, 1, 2].map((i) => first.fusion.getAlert(gauge(i).id)!));
    expect(restarted.service.current().warnings.map((w) => w.id)).toEqual(first.service.current().warnings.map((w) => w.id));
    expect(restarted.changes).toHaveLength(1);
  });

  it('follows an edit of the rules', async () => {
    const { rules, service, changes } = await setup([0, 1, 2].map(gauge));
    expect(service.current().warnings).toHaveLength(1);
    const edited = await rules.replace({ expectedVersion: 0, rules: [{ ...DEFAULT_AREA_WARNING_RULES[0]!, minCount: 4 }] }, 'admin');
    expect(edited.ok).toBe(true);
    await vi.waitFor(() => expect(changes.at(-1)!.ended).toHaveLength(1));
    expect(service.messageFor({ kind: 'all' })).toMatchObject({ rulesVersion: 1, warnings: [] });
    const stale = await rules.replace({ expectedVersion: 0, rules: [] }, 'admin');
    expect(stale.ok === false && stale.error).toMatchObject({ code: 'E_CONFLICT', details: { currentVersion: 1 } });
  });
});
