import { describe, expect, it } from 'vitest';
import { generateFleet } from '../scenes/fleet';
import { DEVICE_CATALOGUE } from '../scenes/catalogue';
import { ReadingSchema } from '../scenes/domain';
import { FleetSimulator, SEQ_PER_MS, type SignedReadingWithoutToken } from './simulator';
import { RuleHarness } from './rule-harness';

const SEED = 42;
/** 2026-08-15 07:00 Beijing time: a summer morning rush hour. */
const SUMMER_MORNING_TS = Date.UTC(2026, 7, 14, 23, 0, 0);
/** 2026-08-15 13:30 Beijing time: the hottest part of a summer day. */
const SUMMER_AFTERNOON_TS = Date.UTC(2026, 7, 15, 5, 30, 0);
const HOUR_MS = 3_600_000;

function run(sim: FleetSimulator, fromTs: number, toTs: number, stepMs: number, sink: (r: SignedReadingWithoutToken[]) => void): void {
  for (let t = fromTs; t <= toTs; t += stepMs) sink(sim.step(t));
}

describe('FleetSimulator', () => {
  const fleet = generateFleet({ count: 300, seed: 7 });

  it('gives every device strictly increasing seq and ts, and valid readings', () => {
    const sim = new FleetSimulator({ fleet, seed: SEED });
    const last = new Map<string, { seq: number; ts: number }>();
    let n = 0;
    run(sim, SUMMER_MORNING_TS, SUMMER_MORNING_TS + 5 * 60_000, 700, (rs) => {
      for (const r of rs) {
        const prev = last.get(r.deviceId);
        if (prev) {
          expect(r.seq).toBeGreaterThan(prev.seq);
          expect(r.ts).toBeGreaterThan(prev.ts);
        }
        last.set(r.deviceId, { seq: r.seq, ts: r.ts });
        if (n++ % 50 === 0) expect(ReadingSchema.safeParse(r).success).toBe(true);
      }
    });
    expect(last.size).toBe(fleet.length);
  });

  it('derives seq from time so a restarted simulator never goes backwards', () => {
    const a = new FleetSimulator({ fleet: fleet.slice(0, 20), seed: SEED });
    const first = a.step(SUMMER_MORNING_TS + 60_000);
    const b = new FleetSimulator({ fleet: fleet.slice(0, 20), seed: SEED });
    const later = b.step(SUMMER_MORNING_TS + 120_000);
    const maxFirst = Math.max(...first.map((r) => r.seq));
    expect(Math.min(...later.map((r) => r.seq))).toBeGreaterThan(maxFirst);
    for (const r of later) expect(Math.floor(r.seq / SEQ_PER_MS)).toBe(r.ts);
  });

  it('reports each device at its catalogue interval divided by the rate scale', () => {
    const count = (rateScale: number) => {
      const sim = new FleetSimulator({ fleet, seed: SEED, rateScale });
      const perDevice = new Map<string, number>();
      run(sim, SUMMER_MORNING_TS, SUMMER_MORNING_TS + 10 * 60_000 - 1, 1000, (rs) => {
        for (const r of rs) perDevice.set(r.deviceId, (perDevice.get(r.deviceId) ?? 0) + 1);
      });
      return perDevice;
    };
    const x1 = count(1);
    const x2 = count(2);
    for (const d of fleet.slice(0, 40)) {
      const expected = (10 * 60_000) / DEVICE_CATALOGUE[d.kind].intervalMs;
      expect(Math.abs(x1.get(d.id)! - expected)).toBeLessThanOrEqual(1);
      expect(Math.abs(x2.get(d.id)! - 2 * expected)).toBeLessThanOrEqual(1);
    }
  });

  it('spreads reports over time instead of firing the whole fleet at once', () => {
    const sim = new FleetSimulator({ fleet, seed: SEED });
    const perStep: number[] = [];
    run(sim, SUMMER_MORNING_TS, SUMMER_MORNING_TS + 30_000, 1000, (rs) => perStep.push(rs.length));
    expect(Math.max(...perStep)).toBeLessThan(fleet.length / 4);
  });

  it('is deterministic for a given fleet, seed and sequence of steps', () => {
    const a = new FleetSimulator({ fleet, seed: SEED });
    const b = new FleetSimulator({ fleet, seed: SEED });
    for (let t = SUMMER_MORNING_TS; t < SUMMER_MORNING_TS + 30_000; t += 1000) expect(a.step(t)).toEqual(b.step(t));
  });

  it('catches up at most a few readings per device after a long pause', () => {
    const sim = new FleetSimulator({ fleet: fleet.slice(0, 10), seed: SEED });
    sim.step(SUMMER_MORNING_TS);
    const burst = sim.step(SUMMER_MORNING_TS + HOUR_MS);
    expect(burst.length).toBeLessThanOrEqual(10 * 5);
  });

  it.each([
    ['a summer morning rush hour', SUMMER_MORNING_TS],
    ['a hot summer afternoon', SUMMER_AFTERNOON_TS],
  ])('raises no orange or red alert in steady state over %s (300 devices, one hour)', (_label, startTs) => {
    const sim = new FleetSimulator({ fleet, seed: SEED });
    const harness = new RuleHarness(fleet);
    let readings = 0;
    run(sim, startTs, startTs + HOUR_MS, 2000, (rs) => {
      readings += rs.length;
      harness.feed(rs);
    });
    expect(readings).toBeGreaterThan(30_000);
    expect(harness.hitsAtLeast('orange')).toEqual([]);
    // "few": the odd legal-limit truck (45–52 t) and sparse community events only
    const yellow = harness.hitsAtLeast('yellow');
    expect(yellow.length).toBeLessThanOrEqual(5);
    for (const h of yellow) expect(h.ruleId).toMatch(/overload|elevator-fault|blocked/);
  });
});

describe('FleetSimulator.setFleet (the registry changed)', () => {
  const fleet = generateFleet({ count: 40, seed: 7 });

  it('starts new devices, stops removed ones, and keeps the schedule and seq of those that stayed', () => {
    const sim = new FleetSimulator({ fleet: fleet.slice(0, 30), seed: SEED });
    const last = new Map<string, number>();
    const note = (rs: SignedReadingWithoutToken[]) => {
      for (const r of rs) last.set(r.deviceId, r.seq);
    };
    run(sim, SUMMER_MORNING_TS, SUMMER_MORNING_TS + 60_000, 1000, note);
    const kept = fleet.slice(10, 30);
    const added = fleet.slice(30, 40);
    expect(sim.setFleet([...kept, ...added])).toEqual({ added: 10, removed: 10 });
    const seen = new Set<string>();
    run(sim, SUMMER_MORNING_TS + 61_000, SUMMER_MORNING_TS + 121_000, 1000, (rs) => {
      for (const r of rs) {
        seen.add(r.deviceId);
        const prev = last.get(r.deviceId);
        if (prev !== undefined) expect(r.seq).toBeGreaterThan(prev);
        last.set(r.deviceId, r.seq);
      }
    });
    expect([...seen].sort()).toEqual([...kept, ...added].map((d) => d.id).sort());
    expect(sim.deviceIds()).toEqual([...kept, ...added].map((d) => d.id));
  });
});
