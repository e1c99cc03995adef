import { describe, expect, it } from 'vitest';
import type { Incident } from '../domain';
import { INCIDENT_TRANSITIONS } from '../incident-machine';
import { startOfLocalDay } from '../builders/common';
import { demoPastFromTs, demoPastIncidents, demoStormStartTs } from './demo-past';
import { DEFAULT_DEMO_PAST_CONFIG, DEMO_ID_PREFIX } from './demo-past-config';
import { DAYS, FLEET, NOW, rulesFor, runPast, SEED } from './demo-past.fixture';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

const PAST = runPast();

/** Replays an incident's recorded steps against the state machine's table: each from the state the last left, by an allowed role. */
function lifecycleProblems(i: Incident): string[] {
  const problems: string[] = [];
  const [first, ...rest] = i.history;
  if (first?.action !== 'create' || first.from !== null || first.to !== 'reported') problems.push('does not start with create');
  let state = first?.to;
  let ts = first?.ts ?? 0;
  for (const e of rest) {
    if (e.action === 'create') {
      problems.push('second create');
      continue;
    }
    const spec = INCIDENT_TRANSITIONS[e.action];
    if (e.from !== state) problems.push(`${e.action} from ${e.from} but the incident was ${state}`);
    if (!spec.from.includes(e.from!)) problems.push(`${e.action} is not allowed from ${e.from}`);
    const to = spec.to === 'same' ? e.from : spec.to;
    if (e.to !== to) problems.push(`${e.action} led to ${e.to}, not ${to}`);
    if (e.ts < ts) problems.push(`${e.action} before the step ahead of it`);
    const role = e.actor.startsWith('handler') ? 'handler' : e.actor.startsWith('officer') ? 'officer' : 'system';
    if (role !== 'system' && !spec.roles.includes(role)) problems.push(`${e.action} by a ${role}`);
    if (spec.assigneeOnly && role === 'handler' && !i.history.some((h) => h.assignees?.includes(e.actor)))
      problems.push(`${e.action} by an unassigned handler`);
    state = e.to;
    ts = e.ts;
  }
  if (state !== i.state) problems.push(`ends ${state} but the record says ${i.state}`);
  if (i.version !== i.history.length) problems.push(`version ${i.version} for ${i.history.length} steps`);
  return problems;
}

describe('the demo past (pure generator)', () => {
  it('is deterministic: the same fleet, seed and now give the same past', () => {
    const again = runPast(NOW, FLEET.slice(0, 150));
    const first = runPast(NOW, FLEET.slice(0, 150));
    expect(JSON.stringify(again)).toBe(JSON.stringify(first));
  });

  it('plays every incident through legal steps of the state machine, and closes every one before now', () => {
    expect(PAST.incidents.length).toBeGreaterThan(0);
    for (const i of PAST.incidents) {
      expect(lifecycleProblems(i), i.id).toEqual([]);
      expect(i.state).toBe('closed');
      expect(i.closedTs).toBeLessThanOrEqual(NOW - DEFAULT_DEMO_PAST_CONFIG.closedBeforeNowMs);
    }
  });

  it('keeps every timestamp inside the past window', () => {
    const fromTs = demoPastFromTs(NOW, DAYS);
    for (const a of PAST.alerts) {
      for (const ts of [a.firstTs, a.lastTs, a.clearedTs!, a.ackTs!]) expect(ts >= fromTs && ts < NOW, a.id).toBe(true);
      expect(a.cleared && a.acknowledged).toBe(true);
    }
    for (const i of PAST.incidents) for (const e of i.history) expect(e.ts >= fromTs && e.ts < NOW, i.id).toBe(true);
    expect(PAST.buckets.filter((b) => b.bucketTs < fromTs - HOUR_MS || b.bucketTs >= NOW)).toEqual([]);
  });

  it('marks everything it makes as demo data (ids start with demo-)', () => {
    for (const r of [...PAST.alerts, ...PAST.incidents]) expect(r.id.startsWith(DEMO_ID_PREFIX)).toBe(true);
  });

  it('has a plausible mix: alerts every day, most on the rainstorm day, some false alarms, some overdue, manual tickets', () => {
    const dayOf = (ts: number) => Math.floor((ts - startOfLocalDay(demoPastFromTs(NOW, DAYS))) / DAY_MS);
    const alertsPerDay = new Map<number, number>();
    for (const a of PAST.alerts) alertsPerDay.set(dayOf(a.firstTs), (alertsPerDay.get(dayOf(a.firstTs)) ?? 0) + 1);
    const stormDay = dayOf(demoStormStartTs(NOW));
    const busiest = [...alertsPerDay].sort((a, b) => b[1] - a[1])[0]!;
    expect(busiest[0]).toBe(stormDay);
    expect(PAST.alerts.filter((a) => a.ruleId === 'water.depth.threshold').length).toBeGreaterThan(0);
    // alerts on most days (a sparse 300-device fleet; the demo's 2,000 raise several times more)
    expect(alertsPerDay.size).toBeGreaterThanOrEqual(DAYS - 2);
    expect(PAST.incidents.length).toBeGreaterThan(DAYS * 2);
    expect(PAST.incidents.length).toBeLessThan(PAST.alerts.length + DAYS * 12);
    expect(PAST.incidents.some((i) => i.outcome === 'false_alarm')).toBe(true);
    expect(PAST.incidents.some((i) => i.resolvedTs !== undefined && i.resolvedTs > i.slaDueTs)).toBe(true);
    expect(PAST.incidents.some((i) => i.source === 'manual' || i.source === 'field_report')).toBe(true);
    expect(PAST.incidents.filter((i) => i.outcome === 'resolved').every((i) => i.resolution !== undefined)).toBe(true);
  });

  it('links each incident-opening alert to its incident, both ways', () => {
    const byId = new Map(PAST.incidents.map((i) => [i.id, i]));
    const linked = PAST.alerts.filter((a) => a.incidentId !== undefined);
    expect(linked.length).toBeGreaterThan(0);
    for (const a of linked) expect(byId.get(a.incidentId!)?.alertIds).toContain(a.id);
  });

  it('rolls each device up into hours over the whole past and minutes over the last day', () => {
    const gauge = FLEET.find((d) => d.kind === 'pipe-pressure')!;
    const mine = PAST.buckets.filter((b) => b.deviceId === gauge.id && b.metric === 'pressure');
    const hours = mine.filter((b) => b.resolution === 'hour');
    const minutes = mine.filter((b) => b.resolution === 'minute');
    expect(hours.length).toBeGreaterThanOrEqual(DAYS * 24 - 1);
    expect(minutes.length).toBeGreaterThanOrEqual(24 * 12 - 1);
    expect(Math.min(...minutes.map((b) => b.bucketTs))).toBeGreaterThanOrEqual(NOW - DAY_MS - HOUR_MS);
    for (const b of hours)
      expect(b.aggregate.min <= b.aggregate.sum / b.aggregate.count && b.aggregate.sum / b.aggregate.count <= b.aggregate.max).toBe(true);
  });

  it('always holds a resolved incident of each hand-started response category: a phoned-in call when the week drew none', () => {
    // the fixture's week draws a single smoke alarm (at this NOW, resolved): without any alert, the call is taken
    const { incidents } = demoPastIncidents({ devices: FLEET, rulesFor, seed: SEED, nowTs: NOW, days: DAYS }, []);
    const callTs =
      startOfLocalDay(NOW) - DEFAULT_DEMO_PAST_CONFIG.manualPlanCallDaysAgo * DAY_MS + DEFAULT_DEMO_PAST_CONFIG.manualPlanCallHourBeijing * HOUR_MS;
    const fires = incidents.filter((i) => i.category === 'fire');
    expect(fires).toHaveLength(1);
    expect(fires[0]).toMatchObject({ createdTs: callTs, outcome: 'resolved', source: 'manual', priority: 'P2' });
    expect(lifecycleProblems(fires[0]!)).toEqual([]);
    // …and a week that has one resolved gets none added
    expect(PAST.incidents.filter((i) => i.category === 'fire' && i.createdTs === callTs)).toEqual([]);
    expect(PAST.incidents.filter((i) => i.category === 'fire' && i.outcome === 'resolved')).toHaveLength(1);
  });
});
