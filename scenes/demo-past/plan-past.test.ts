import { describe, expect, it } from 'vitest';
import type { Alert, Incident } from '../domain';
import { DEMO_PLANS, FIRE_PLAN, FLOOD_PLAN } from '../plans/demo-plans';
import { stepsAtLevel } from '../plans/plan-schema';
import { isPlanBlocked } from '../plans/plan-triggers';
import { demoPastFromTs, demoStormStartTs } from './demo-past';
import { DEFAULT_DEMO_PAST_CONFIG, DEMO_ID_PREFIX, DEMO_LEADER, DEMO_OFFICERS } from './demo-past-config';
import { demoPastPlans, type DemoPastPlansInput } from './plan-past';
import { NOW, SEED, runPast } from './demo-past.fixture';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const PAST = runPast();
const INPUT: DemoPastPlansInput = { plans: DEMO_PLANS, alerts: PAST.alerts, incidents: PAST.incidents, seed: SEED, nowTs: NOW };
const PLANS = demoPastPlans(INPUT);
const officers: readonly string[] = DEMO_OFFICERS;

/** A finished red water-depth alert in Shinan (the flood plan's `alerts` trigger wants two at once). */
function redDepthAlert(deviceId: string, firstTs: number, clearedTs: number): Alert {
  return {
    id: `${DEMO_ID_PREFIX}${deviceId}|water.depth.threshold|${firstTs}`,
    deviceId,
    deviceKind: 'waterlogging',
    ruleId: 'water.depth.threshold',
    scene: 'water',
    district: '370202',
    location: [120.38, 36.07],
    level: 'red',
    peakLevel: 'red',
    cleared: true,
    acknowledged: true,
    firstTs,
    lastTs: clearedTs,
    clearedTs,
    count: 1,
    title: '积水深度超限',
    titleEn: 'Standing water too deep',
  };
}

describe('the demo past: contingency plans (pure generator)', () => {
  it('is deterministic: the same past and seed give the same plan instances', () => {
    expect(JSON.stringify(demoPastPlans(INPUT))).toBe(JSON.stringify(PLANS));
  });

  it('answers the rainstorm with the flood plan its triggers proposed, the storm incidents as evidence, worked to its end', () => {
    const stormTs = demoStormStartTs(NOW);
    const flood = PLANS.filter((p) => p.instance.planId === FLOOD_PLAN.id);
    expect(flood).toHaveLength(1);
    const i = flood[0]!.instance;
    expect(i.proposedTs).toBeGreaterThanOrEqual(stormTs);
    expect(i.proposedTs).toBeLessThan(stormTs + 5 * HOUR_MS);
    expect(i.state).toBe('ended');
    expect(i.timeline[0]).toMatchObject({ action: 'propose', actor: 'system' });
    // the evidence names real records of the past: the red waterlogging incidents in progress then, the red alerts
    const incidentIds = i.reasons.find((r) => r.trigger === 'incidents')?.evidence ?? [];
    expect(incidentIds.length).toBeGreaterThanOrEqual(2);
    for (const id of incidentIds) {
      const incident = PAST.incidents.find((x) => x.id === id);
      expect(incident, id).toMatchObject({ category: 'waterlogging', level: 'red' });
      expect(incident!.createdTs).toBeLessThanOrEqual(i.proposedTs);
    }
    const alertIds = new Set(PAST.alerts.map((a) => a.id));
    expect(i.reasons.flatMap((r) => (r.trigger === 'alerts' ? r.evidence : [])).every((id) => alertIds.has(id))).toBe(true);
    // every step of its level ticked off; ended once the storm's incidents were resolved
    expect(Object.keys(i.ticked).sort()).toEqual(
      stepsAtLevel(FLOOD_PLAN, i.level)
        .map((s) => s.id)
        .sort(),
    );
    const lastResolvedTs = Math.max(...incidentIds.map((id) => PAST.incidents.find((x) => x.id === id)!.resolvedTs!));
    expect(i.closedTs).toBeGreaterThan(lastResolvedTs);
  });

  it("answers the week's longest smoke-alarm call with the fire plan's level IV, proposed by hand during it", () => {
    const fire = PLANS.filter((p) => p.instance.planId === FIRE_PLAN.id);
    expect(fire).toHaveLength(1);
    const i = fire[0]!.instance;
    expect(i).toMatchObject({ level: 'IV', state: 'ended' });
    const [reason] = i.reasons;
    expect(reason).toMatchObject({ trigger: 'manual', level: 'IV', evidence: [] });
    const incident = PAST.incidents.find((x) => reason!.text.includes(x.id));
    expect(incident).toMatchObject({ category: 'fire', outcome: 'resolved' });
    expect(i.timeline[0]).toMatchObject({ action: 'propose', actor: expect.stringMatching(/^officer/) });
    expect(i.focus.districts).toEqual([incident!.district]);
    expect(i.proposedTs).toBeGreaterThan(incident!.createdTs);
    expect(i.proposedTs).toBeLessThan(incident!.resolvedTs!);
    expect(i.closedTs).toBeGreaterThan(incident!.resolvedTs!);
  });

  it('keeps a plausible lifecycle: versions one step apart, times in order inside the past, the right people, closed before now', () => {
    const fromTs = demoPastFromTs(NOW, 7);
    expect(PLANS.length).toBeGreaterThanOrEqual(2);
    for (const { instance: i, versions } of PLANS) {
      expect(i.id.startsWith(DEMO_ID_PREFIX), i.id).toBe(true);
      expect(versions[versions.length - 1]).toEqual(i);
      versions.forEach((v, k) => {
        expect(v.version).toBe(k + 1);
        expect(v.timeline).toHaveLength(k + 1);
        expect(v.id).toBe(i.id);
        if (k > 0) expect(v.timeline.slice(0, k)).toEqual(versions[k - 1]!.timeline);
      });
      expect(['proposed', 'active']).toContain(versions[0]!.state);
      expect(['ended', 'dismissed']).toContain(i.state);
      const times = i.timeline.map((e) => e.ts);
      expect(times).toEqual([...times].sort((a, b) => a - b));
      expect(times[0]).toBe(i.proposedTs);
      expect(times[0]).toBeGreaterThanOrEqual(fromTs);
      expect(i.closedTs).toBe(times[times.length - 1]);
      expect(i.closedTs).toBeLessThanOrEqual(NOW - DEFAULT_DEMO_PAST_CONFIG.closedBeforeNowMs);
      for (const e of i.timeline) {
        if (e.action === 'start' || e.action === 'tick_step' || e.action === 'dismiss') expect(officers).toContain(e.actor);
        if (e.action === 'end') expect(e.actor).toBe(DEMO_LEADER);
      }
      if (i.state === 'ended') {
        expect(i.startedTs).toBeGreaterThanOrEqual(i.proposedTs);
        for (const t of Object.values(i.ticked)) expect(t.ts >= i.startedTs! && t.ts <= i.closedTs!).toBe(true);
      }
    }
  });

  it('never overlaps two instances of a plan nor proposes one within its cool-down, as the store slot would refuse', () => {
    for (const p of PLANS) {
      const plan = DEMO_PLANS.find((d) => d.id === p.instance.planId)!;
      const earlier = PLANS.filter((q) => q.instance.proposedTs < p.instance.proposedTs).map((q) => q.instance);
      expect(isPlanBlocked(plan, earlier, p.instance.proposedTs), p.instance.id).toBe(false);
    }
  });

  it('dismisses a proposal whose triggers stopped holding before the officer got to it', () => {
    const t0 = NOW - 2 * 24 * HOUR_MS;
    const alerts = [redDepthAlert('wl-a', t0, t0 + MINUTE_MS), redDepthAlert('wl-b', t0, t0 + MINUTE_MS)];
    const incidents: Incident[] = [];
    const [only, ...more] = demoPastPlans({ plans: [FLOOD_PLAN], alerts, incidents, seed: SEED, nowTs: NOW });
    expect(more).toEqual([]);
    expect(only!.instance).toMatchObject({ state: 'dismissed', proposedTs: t0, ticked: {} });
    expect(only!.instance.timeline.map((e) => e.action)).toEqual(['propose', 'dismiss']);
    expect(only!.instance.closedTs! - t0).toBeGreaterThanOrEqual(DEFAULT_DEMO_PAST_CONFIG.planDecisionDelayMs[0]);
  });

  it('leaves out a response that could not end before now', () => {
    // started after at most 9 minutes (its triggers still hold), it would end at least 20 minutes after they stop
    const t0 = NOW - 20 * MINUTE_MS;
    const alerts = [redDepthAlert('wl-a', t0, NOW - 3 * MINUTE_MS), redDepthAlert('wl-b', t0, NOW - 3 * MINUTE_MS)];
    expect(demoPastPlans({ plans: [FLOOD_PLAN], alerts, incidents: [], seed: SEED, nowTs: NOW })).toEqual([]);
  });
});
