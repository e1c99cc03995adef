import { QINGDAO_CAMERAS } from './city/qingdao-cameras';
import { describe, expect, it } from 'vitest';
import { DEVICE_CATALOGUE } from './catalogue';
import { QINGDAO_ASSETS } from './city/qingdao';
import { DISTRICT_CODES, IdSchema } from './domain';
import { CONTROL_KINDS, DEFAULT_FLEET, generateControlDevices, generateFleet } from './fleet';
import { isInQingdaoBounds } from './geo/districts';
import { createRng, deriveSeed } from './random';

describe('seeded random', () => {
  it('repeats the same sequence for the same seed and differs for another', () => {
    const a = createRng(42);
    const b = createRng(42);
    const c = createRng(43);
    const sa = [a(), a(), a()];
    expect([b(), b(), b()]).toEqual(sa);
    expect([c(), c(), c()]).not.toEqual(sa);
    for (const v of sa) expect(v >= 0 && v < 1).toBe(true);
  });

  it('derives distinct stable seeds per salt', () => {
    expect(deriveSeed(1, 'gas-w001-01')).toBe(deriveSeed(1, 'gas-w001-01'));
    expect(deriveSeed(1, 'gas-w001-01')).not.toBe(deriveSeed(1, 'gas-w002-01'));
  });
});

describe('demo fleet', () => {
  const fleet = generateFleet();

  it('defaults to 2000 devices', () => {
    expect(fleet).toHaveLength(DEFAULT_FLEET.count);
  });

  it('is deterministic for the same options', () => {
    expect(generateFleet({ count: 500, seed: 7 })).toEqual(generateFleet({ count: 500, seed: 7 }));
    expect(generateFleet({ count: 50, seed: 7 })).not.toEqual(generateFleet({ count: 50, seed: 8 }));
  });

  it('keeps the first devices unchanged when the fleet grows', () => {
    const small = generateFleet({ count: 10 });
    expect(fleet.slice(0, 10)).toEqual(small);
    expect(generateFleet({ count: 5000 }).slice(0, 2000)).toEqual(fleet);
  });

  it('has unique ids that pass the id schema', () => {
    const ids = fleet.map((d) => d.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(IdSchema.safeParse(id).success, id).toBe(true);
    expect(ids).toContain('br-jzwdq-strain-001');
    expect(ids).toContain('wl-licun-01');
    expect(ids).toContain('gas-w001-01');
  });

  it('mixes scenes roughly 30/30/20/20', () => {
    const share = (s: string) => fleet.filter((d) => d.scene === s).length / fleet.length;
    expect(share('bridge')).toBeCloseTo(0.3, 2);
    expect(share('water')).toBeCloseTo(0.3, 2);
    expect(share('emergency')).toBeCloseTo(0.2, 2);
    expect(share('community')).toBeCloseTo(0.2, 2);
  });

  it('uses every device kind, each in its catalogue scene (the sensor fleet, the control devices and the demo cameras)', () => {
    const all = [...fleet, ...generateControlDevices(DEFAULT_FLEET.seed), ...QINGDAO_CAMERAS];
    for (const d of all) expect(d.scene).toBe(DEVICE_CATALOGUE[d.kind].scene);
    expect(new Set(all.map((d) => d.kind)).size).toBe(Object.keys(DEVICE_CATALOGUE).length);
    for (const k of CONTROL_KINDS) expect(fleet.some((d) => d.kind === k)).toBe(false);
  });

  it('adds one flood gate per river and reservoir, deterministic, with ids unique against the fleet', () => {
    const gates = generateControlDevices(DEFAULT_FLEET.seed);
    const mounts = QINGDAO_ASSETS.filter((a) => a.kind === 'river' || a.kind === 'reservoir');
    expect(gates.map((g) => g.assetId)).toEqual(mounts.map((a) => a.id));
    expect(gates.every((g) => g.kind === 'flood-gate' && /^gate-.+-01$/.test(g.id))).toBe(true);
    expect(generateControlDevices(DEFAULT_FLEET.seed)).toEqual(gates);
    const ids = new Set(fleet.map((d) => d.id));
    for (const g of gates) {
      expect(ids.has(g.id)).toBe(false);
      expect(isInQingdaoBounds(g.location)).toBe(true);
    }
  });

  it('places every device inside Qingdao with a valid district, on a known asset', () => {
    const assetIds = new Set(QINGDAO_ASSETS.map((a) => a.id));
    for (const d of fleet) {
      expect(isInQingdaoBounds(d.location), d.id).toBe(true);
      expect(DISTRICT_CODES).toContain(d.district);
      expect(assetIds.has(d.assetId!), d.id).toBe(true);
    }
  });

  it('names devices in Chinese after their asset and kind', () => {
    const first = fleet.find((d) => d.id === 'br-jzwdq-strain-001')!;
    expect(first.name).toBe('胶州湾大桥 应变计 #1');
  });

  it('keeps point-mounted devices within ~100 m of their asset', () => {
    const byId = new Map(QINGDAO_ASSETS.map((a) => [a.id, a]));
    for (const d of fleet.filter((x) => x.kind === 'gas-detector')) {
      const a = byId.get(d.assetId!)!;
      if (a.geometry.type !== 'Point') throw new Error('gas wells are points');
      const [lng, lat] = a.geometry.coordinates;
      const dy = (d.location[1] - lat) * 111_195;
      const dx = (d.location[0] - lng) * 111_195 * Math.cos((lat * Math.PI) / 180);
      expect(Math.hypot(dx, dy)).toBeLessThan(101);
    }
  });

  it('generates 100,000 devices with unique ids in under 2 s', () => {
    const t0 = performance.now();
    const big = generateFleet({ count: 100_000 });
    const ms = performance.now() - t0;
    expect(big).toHaveLength(100_000);
    expect(new Set(big.map((d) => d.id)).size).toBe(100_000);
    expect(ms).toBeLessThan(2000);
  });

  it('returns an empty fleet for a zero or negative count', () => {
    expect(generateFleet({ count: 0 })).toEqual([]);
    expect(generateFleet({ count: -5 })).toEqual([]);
  });
});
