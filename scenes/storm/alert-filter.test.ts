import { describe, expect, it } from 'vitest';
import { AlertQuerySchema, filterAlerts } from './alert-filter';
import type { AlertQuery } from './alert-filter';
import { MINUTE_MS, T0, makeAlert } from './fixtures/storm-fixtures';

const active = makeAlert('rg-1', { firstTs: T0, level: 'red' });
const recovered = { ...makeAlert('rg-2', { firstTs: T0 + MINUTE_MS, level: 'orange', cleared: true }), lastTs: T0 + 5 * MINUTE_MS };
const closed = makeAlert('rg-3', { firstTs: T0 + 2 * MINUTE_MS, level: 'yellow', cleared: true, acknowledged: true });
const acked = makeAlert('rg-4', { firstTs: T0 + 3 * MINUTE_MS, level: 'red', acknowledged: true, district: '370203' });
const gas = { ...makeAlert('gas-1', { ruleId: 'emergency.gas.threshold', firstTs: T0 + 4 * MINUTE_MS }), scene: 'emergency' as const };
const all = [active, recovered, closed, acked, gas];
const ids = (q: AlertQuery, coveredBy: Record<string, string> = {}) => filterAlerts(all, q, coveredBy).alerts.map((a) => a.deviceId);
const parse = (query: Record<string, unknown>) => AlertQuerySchema.safeParse(query);

describe('alert list filters', () => {
  it('shows open alerts by default (not cleared-and-acknowledged), newest change first', () => {
    expect(ids({})).toEqual(['rg-2', 'gas-1', 'rg-4', 'rg-1']);
  });

  it('filters each state on the active/cleared × unacknowledged/acknowledged axes', () => {
    expect(ids({ state: 'active' }).sort()).toEqual(['gas-1', 'rg-1', 'rg-4']);
    expect(ids({ state: 'recovered' })).toEqual(['rg-2']);
    expect(ids({ state: 'closed' })).toEqual(['rg-3']);
    expect(ids({ state: 'acknowledged' }).sort()).toEqual(['rg-3', 'rg-4']);
    expect(ids({ state: 'unacknowledged' }).sort()).toEqual(['gas-1', 'rg-1', 'rg-2']);
    expect(ids({ state: 'all' })).toHaveLength(5);
  });

  it('combines level, scene, district and coverage, and counts matches beyond the limit', () => {
    expect(ids({ level: ['red'], scene: ['water'], district: ['370202'] })).toEqual(['rg-1']);
    expect(ids({ covered: 'false' }, { [active.id]: 'aw:1' })).not.toContain('rg-1');
    expect(ids({ covered: 'true' }, { [active.id]: 'aw:1' })).toEqual(['rg-1']);
    expect(filterAlerts(all, { state: 'all', limit: 2 }, {})).toMatchObject({ total: 5, alerts: [{ deviceId: 'rg-2' }, { deviceId: 'gas-1' }] });
  });

  it('reads comma lists from the query and refuses unknown values, keys and limits', () => {
    const ok = parse({ state: 'recovered', level: 'red,orange', scene: 'water', district: '370202,370203', limit: '20' });
    expect(ok.success && ok.data).toEqual({
      state: 'recovered',
      level: ['red', 'orange'],
      scene: ['water'],
      district: ['370202', '370203'],
      limit: 20,
    });
    expect(parse({ level: 'red,purple' }).success).toBe(false);
    expect(parse({ state: 'gone' }).success).toBe(false);
    expect(parse({ district: '999999' }).success).toBe(false);
    expect(parse({ limit: '0' }).success).toBe(false);
    expect(parse({ limit: '100000' }).success).toBe(false);
    expect(parse({ order: 'asc' }).success).toBe(false);
  });
});
