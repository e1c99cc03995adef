import { describe, expect, it } from 'vitest';
import { generateFleet } from '../scenes/fleet';
import { ALERT_LEVEL_RANK } from '../scenes/domain';
import { DEFAULT_RULES } from '../scenes/catalogue';
import { DRILLS, DRILL_NAMES, expectedAlerts, isDrillName } from './drills';
import { FleetSimulator, DRILL_REPORT_INTERVAL_MS } from './simulator';
import { RuleHarness } from './rule-harness';

/** 2026-06-10 03:00 Beijing: a quiet night, so nothing but the drill moves. */
const NIGHT_TS = Date.UTC(2026, 5, 9, 19, 0, 0);
const STEP_MS = 500;

function runDrillOn(count: number, name: (typeof DRILL_NAMES)[number]) {
  const fleet = generateFleet({ count, seed: 11 });
  const sim = new FleetSimulator({ fleet, seed: 3 });
  const harness = new RuleHarness(fleet);
  // settle for a minute before the drill
  for (let t = NIGHT_TS; t < NIGHT_TS + 60_000; t += STEP_MS) harness.feed(sim.step(t));
  const startTs = NIGHT_TS + 60_000;
  const plan = sim.startDrill(name, startTs);
  for (let t = startTs; t <= startTs + plan.durationMs; t += STEP_MS) harness.feed(sim.step(t));
  return { fleet, sim, harness, plan, startTs };
}

describe('drills', () => {
  it('names all four drills and recognises only those names', () => {
    expect(Object.keys(DRILLS).sort()).toEqual([...DRILL_NAMES].sort());
    expect(isDrillName('rainstorm')).toBe(true);
    expect(isDrillName('earthquake')).toBe(false);
  });

  it('last between 60 and 120 s', () => {
    for (const d of Object.values(DRILLS)) {
      expect(d.durationMs).toBeGreaterThanOrEqual(60_000);
      expect(d.durationMs).toBeLessThanOrEqual(120_000);
    }
  });

  it('pick the named real assets: the Licun River gauge, the Jiaozhou Bay Bridge, a gas valve well, one community', () => {
    const fleet = generateFleet({ count: 300, seed: 11 });
    const byId = new Map(fleet.map((d) => [d.id, d]));
    const rain = DRILLS.rainstorm.plan(fleet);
    const level = rain.overrides.find((o) => o.metric === 'level')!;
    expect(byId.get(level.deviceId)!.assetId).toBe('river-licun');
    const underpasses = rain.overrides.filter((o) => o.metric === 'depth').map((o) => byId.get(o.deviceId)!.assetId);
    expect(new Set(underpasses).size).toBe(3);
    for (const a of underpasses) expect(a).toMatch(/^uph-/);

    const bridge = DRILLS['bridge-overload'].plan(fleet);
    for (const o of bridge.overrides) expect(byId.get(o.deviceId)!.assetId).toBe('bridge-jzwdq');

    const gas = DRILLS['gas-leak'].plan(fleet);
    expect(byId.get(gas.overrides[0].deviceId)!.assetId).toMatch(/^well-/);
    expect(gas.overrides[1].deviceId).not.toBe(gas.overrides[0].deviceId);

    const fire = DRILLS['community-fire'].plan(fleet);
    const communities = new Set(fire.overrides.map((o) => byId.get(o.deviceId)!.assetId));
    expect(communities.size).toBe(1);
    expect(fire.overrides.map((o) => o.metric)).toEqual(['smoke', 'fire', 'trapped']);
  });

  it('return the same expected alerts for the same fleet options', () => {
    for (const name of DRILL_NAMES) {
      const a = expectedAlerts(name, generateFleet({ count: 2000, seed: 5 }));
      const b = expectedAlerts(name, generateFleet({ count: 2000, seed: 5 }));
      expect(a).toEqual(b);
      expect(a.length).toBeGreaterThan(0);
    }
  });

  it('expect the scripted outcomes of the brief', () => {
    const fleet = generateFleet({ count: 300, seed: 11 });
    const levels = (name: (typeof DRILL_NAMES)[number]) => expectedAlerts(name, fleet).map((e) => `${e.ruleIdPrefix}:${e.level}`);
    expect(levels('rainstorm')).toEqual(
      expect.arrayContaining(['water.level.threshold:red', 'water.depth.threshold:red', 'water.rainfall.threshold:red']),
    );
    expect(levels('rainstorm').filter((l) => l === 'water.depth.threshold:red')).toHaveLength(3);
    expect(levels('bridge-overload').sort()).toEqual([
      'bridge.deflection.threshold:orange',
      'bridge.overload.threshold:red',
      'bridge.strain.threshold:orange',
    ]);
    expect(levels('gas-leak')).toEqual(['emergency.lel.threshold:red', 'emergency.lel.threshold:yellow']);
    expect(levels('community-fire')).toEqual(['community.smoke.event:orange', 'emergency.fire.event:red', 'community.trapped.event:red']);
  });

  it('hold every scripted threshold long enough to satisfy the rule minimum duration', () => {
    const minDuration = Math.max(...DEFAULT_RULES.map((r) => (r.type === 'threshold' ? r.minDurationMs : 0)).filter((ms) => ms <= 60_000));
    // the longest minimum duration a drill has to beat (river level, rainfall: 1 min) fits within every rainstorm
    expect(DRILLS.rainstorm.durationMs).toBeGreaterThan(minDuration + 2 * DRILL_REPORT_INTERVAL_MS);
  });

  for (const count of [200, 300]) {
    for (const name of DRILL_NAMES) {
      it(`${name} drives every expected device past its expected level within the drill (${count} devices)`, () => {
        const { harness, plan } = runDrillOn(count, name);
        expect(plan.expected.length).toBeGreaterThan(0);
        for (const e of plan.expected) {
          const got = harness.worstLevel(e.deviceId, e.ruleIdPrefix);
          expect(got, `${e.deviceId} ${e.ruleIdPrefix}`).not.toBeNull();
          expect(ALERT_LEVEL_RANK[got!], `${e.deviceId} ${e.ruleIdPrefix} reached ${got}, expected ${e.level}`).toBeLessThanOrEqual(
            ALERT_LEVEL_RANK[e.level],
          );
        }
      });
    }
  }

  it('lets devices return to normal after a drill (gas detectors drop below yellow again)', () => {
    const { sim, harness, plan, startTs } = runDrillOn(300, 'gas-leak');
    const end = startTs + plan.durationMs;
    for (let t = end; t < end + 60_000; t += STEP_MS) harness.feed(sim.step(t));
    expect(sim.activeDrill()).toBeUndefined();
    for (const e of plan.expected) expect(harness.currentLevel(e.deviceId, 'emergency.lel.threshold')).toBeNull();
  });
});
