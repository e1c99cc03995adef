import { describe, expect, it } from 'vitest';
import { Fusion } from '../fusion';
import { generateFleet } from '../../scenes/fleet';
import type { AlertChangeRecord } from '../fusion';

describe('fusion', () => {
  const devices = generateFleet({ count: 100 });
  const gas = devices.find((d) => d.kind === 'gas-detector')!;

  it('moves the status epoch when a device comes online or an alert changes level, not on ordinary readings', () => {
    const f = new Fusion(devices);
    const out: AlertChangeRecord[] = [];
    const epoch = () => f.fusedState(Date.now()).statusEpoch!;
    const e0 = epoch();
    const now = Date.now();
    f.applyReading({ deviceId: gas.id, ts: now, seq: 1, metrics: { lel: 1 } }, out);
    const e1 = epoch();
    expect(e1).toBeGreaterThan(e0);
    f.applyReading({ deviceId: gas.id, ts: now + 1, seq: 2, metrics: { lel: 1.2 } }, out);
    expect(epoch()).toBe(e1);
    f.applyReading({ deviceId: gas.id, ts: now + 2, seq: 3, metrics: { lel: 60 } }, out);
    expect(out.some((c) => c.change === 'raised')).toBe(true);
    const e2 = epoch();
    expect(e2).toBeGreaterThan(e1);
    f.applyReading({ deviceId: gas.id, ts: now + 3, seq: 4, metrics: { lel: 61 } }, out);
    expect(epoch()).toBe(e2);
  });

  it('classifies readings with the anti-replay window: duplicates, out-of-order and far-behind', () => {
    const f = new Fusion(devices);
    const out: AlertChangeRecord[] = [];
    const r = (seq: number) => ({ deviceId: gas.id, ts: 1_000_000 + seq, seq, metrics: { lel: 1 } });
    expect(f.applyReading(r(100), out)).toBe('accepted');
    expect(f.applyReading(r(100), out)).toBe('duplicate');
    expect(f.applyReading(r(132), out)).toBe('accepted');
    // 100 is exactly at the window edge (32 behind): still remembered as seen
    expect(f.classify(r(100))).toBe('duplicate');
    expect(f.applyReading(r(120), out)).toBe('out_of_order');
    expect(f.classify(r(120))).toBe('duplicate');
    expect(f.classify(r(50))).toBe('duplicate');
  });
});

describe('handler positions', () => {
  it("ignores the simulator's position while a real phone reported recently, and takes it again later", () => {
    const f = new Fusion(generateFleet({ count: 10 }));
    f.syncHandlers([{ id: 'handler1', name: 'H1', team: 't', skills: [], home: [120.3, 36.1] }]);
    const t = 1_000_000_000;
    expect(f.updateHandlerPosition('handler1', [120.4, 36.2], t, false)).toBe(true);
    expect(f.updateHandlerPosition('handler1', [120.0, 36.0], t + 5_000, true)).toBe('ignored');
    expect(f.getHandler('handler1')!.location).toEqual([120.4, 36.2]);
    expect(f.updateHandlerPosition('handler1', [120.0, 36.0], t + 11 * 60_000, true)).toBe(true);
    expect(f.getHandler('handler1')!.location).toEqual([120.0, 36.0]);
    expect(f.updateHandlerPosition('nobody', [120.0, 36.0], t, false)).toBe(false);
  });
});

describe('status change log', () => {
  it('tells which devices changed status since an epoch, and gives up past its horizon', () => {
    const fleet = generateFleet({ count: 60 });
    const f = new Fusion(fleet);
    const out: AlertChangeRecord[] = [];
    const detector = fleet.find((d) => d.kind === 'gas-detector')!;
    const e0 = f.fusedState(Date.now()).statusEpoch!;
    f.applyReading({ deviceId: detector.id, ts: Date.now(), seq: 1, metrics: { lel: 1 } }, out);
    expect(f.statusChangedSince(e0)).toEqual(new Set([detector.id]));
    const e1 = f.fusedState(Date.now()).statusEpoch!;
    expect(f.statusChangedSince(e1)).toEqual(new Set());
    f.restore([], [], []);
    expect(f.statusChangedSince(e1)).toBeNull();
  });
});
