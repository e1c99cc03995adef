import { describe, expect, it } from 'vitest';
import type { Alert, Handler, Incident } from '../scenes/domain';
import { slaCompliancePct as wallOnTimePct } from '../scenes/builders/build-overview-scene';
import { WHOLE_CITY } from '../scenes/scope';
import { BRIEFING_DAYS, briefingFor, briefingWindowStart, buildBriefing, type BriefingSources } from './briefing';

const DAY_MS = 24 * 3600_000;
/** 2025-06-15 12:00 Beijing time */
const NOW = Date.UTC(2025, 5, 15, 4, 0, 0);

function alert(firstTs: number, over: Partial<Alert> = {}): Alert {
  return {
    id: `a-${firstTs}-${over.scene ?? 'water'}`,
    deviceId: 'd',
    deviceKind: 'water-level',
    ruleId: 'r',
    scene: 'water',
    district: '370202',
    location: [120.38, 36.07],
    level: 'orange',
    peakLevel: 'orange',
    cleared: true,
    acknowledged: true,
    firstTs,
    lastTs: firstTs,
    count: 1,
    title: 't',
    titleEn: 't',
    ...over,
  };
}

function incident(createdTs: number, over: Partial<Incident> = {}): Incident {
  return {
    id: `i-${createdTs}`,
    version: 1,
    state: 'reported',
    priority: 'P2',
    level: 'orange',
    scene: 'emergency',
    category: 'gas-leak',
    title: 't',
    district: '370203',
    location: [120.38, 36.07],
    source: 'alert',
    alertIds: [],
    assignees: [],
    escalated: false,
    createdTs,
    updatedTs: createdTs,
    slaDueTs: createdTs + 4 * 3600_000,
    slaResponseDueTs: createdTs + 1800_000,
    reportedBy: 'system',
    photos: [],
    history: [],
    ...over,
  };
}

const handlers: Handler[] = [
  { id: 'h1', name: 'h1', team: '', skills: [], location: null, locationTs: 0, status: 'busy' },
  { id: 'h2', name: 'h2', team: '', skills: [], location: null, locationTs: 0, status: 'idle' },
  { id: 'h3', name: 'h3', team: '', skills: [], location: null, locationTs: 0, status: 'off_duty' },
];

describe('buildBriefing', () => {
  it('covers seven city-time days ending today', () => {
    const b = buildBriefing({ alerts: [], incidents: [], handlers }, NOW);
    expect(b.dayStartTs).toHaveLength(BRIEFING_DAYS);
    // midnight Beijing = 16:00 UTC the day before
    expect(new Date(b.dayStartTs.at(-1)!).toISOString()).toBe('2025-06-14T16:00:00.000Z');
    expect(b.dayStartTs[0]).toBe(briefingWindowStart(NOW));
  });

  it('counts alerts and incidents per day by scene and by district, ignoring what started before the window', () => {
    const start = briefingWindowStart(NOW);
    const b = buildBriefing(
      {
        alerts: [alert(NOW - 1000), alert(NOW - 2 * DAY_MS, { scene: 'bridge', district: '370212' }), alert(start - 1)],
        incidents: [incident(NOW - 1000), incident(start + 10)],
        handlers,
      },
      NOW,
    );
    expect(b.alerts.byScene.water.at(-1)).toBe(1);
    expect(b.alerts.byScene.bridge.at(-3)).toBe(1);
    expect(b.alerts.byDistrict['370212'].at(-3)).toBe(1);
    expect(b.alerts.total.reduce((x, y) => x + y, 0)).toBe(2);
    expect(b.incidents.byScene.emergency).toEqual([1, 0, 0, 0, 0, 0, 1]);
    expect(b.today).toMatchObject({ alertsRaised: 1, incidentsCreated: 1, incidentsOpen: 2, handlersOnDuty: 2, handlersBusy: 1 });
  });

  it('reports SLA compliance of incidents resolved each day, and null for days with none', () => {
    const created = NOW - 5 * 3600_000;
    const b = buildBriefing(
      {
        alerts: [],
        incidents: [
          incident(created, { id: 'late', state: 'closed', resolvedTs: NOW - 10, closedTs: NOW - 5 }),
          incident(created + 1, { id: 'ok', state: 'resolved', resolvedTs: created + 3600_000 }),
        ],
        handlers,
      },
      NOW,
    );
    expect(b.today.slaCompliancePct).toBe(50);
    expect(b.slaCompliancePct.slice(0, -1).every((x) => x === null)).toBe(true);
    expect(b.today).toMatchObject({ incidentsResolved: 2, incidentsClosed: 1, incidentsOpen: 1 });
  });

  it('counts escalations waiting for a leader, overdue open incidents and open alerts by level', () => {
    const b = buildBriefing(
      {
        alerts: [alert(NOW - 10, { cleared: false, acknowledged: false, level: 'red' })],
        incidents: [incident(NOW - DAY_MS, { escalated: true, state: 'dispatched' })],
        handlers,
      },
      NOW,
    );
    expect(b.today).toMatchObject({ escalationsPending: 1, overdueOpen: 1 });
    expect(b.today.openAlertsByLevel).toEqual({ red: 1, orange: 0, yellow: 0, blue: 0 });
  });

  it('gives the same on-time rate as the wall: no data (null) on a day with nothing resolved, the same share otherwise', () => {
    const created = NOW - 5 * 3600_000;
    const days: Incident[][] = [
      [incident(created, { state: 'on_site' })],
      [
        incident(created, { id: 'late', state: 'closed', resolvedTs: NOW - 10, closedTs: NOW - 5 }),
        incident(created + 1, { id: 'ok', state: 'resolved', resolvedTs: created + 3600_000 }),
        incident(created + 2, { id: 'ok2', state: 'resolved', resolvedTs: created + 3600_000 }),
      ],
    ];
    for (const incidents of days) {
      const brief = buildBriefing({ alerts: [], incidents, handlers }, NOW).today.slaCompliancePct;
      expect(brief).toBe(wallOnTimePct(incidents, NOW));
    }
    expect(wallOnTimePct(days[0]!, NOW)).toBeNull();
    expect(wallOnTimePct(days[1]!, NOW)).toBe(66.7);
  });
});

describe('the briefing period selector (GET /api/briefing?period=…)', () => {
  /** the working store holds the last week; the history what is older */
  const recent = [
    incident(NOW - 1000, { id: 'today' }),
    incident(NOW - 3 * DAY_MS, { id: 'week', state: 'closed', resolvedTs: NOW - 3 * DAY_MS + 3600_000, closedTs: NOW - 3 * DAY_MS + 7200_000 }),
  ];
  const older = [incident(NOW - 20 * DAY_MS, { id: 'month', district: '370212' }), incident(NOW - 60 * DAY_MS, { id: 'quarter' })];
  const seen: { store: number[]; history: [number, number][] } = { store: [], history: [] };
  const sources: BriefingSources = {
    store: {
      loadAlerts: async () => [alert(NOW - 1000)],
      loadIncidents: async (since: number) => {
        seen.store.push(since);
        return recent.filter((i) => i.createdTs >= since);
      },
    },
    history: {
      alerts: async () => [alert(NOW - 1000), alert(NOW - 20 * DAY_MS)],
      incidents: async (fromTs, toTs) => {
        seen.history.push([fromTs, toTs]);
        return [...recent, ...older].filter((i) => i.createdTs >= fromTs && i.createdTs < toTs);
      },
    },
    handlers: () => handlers,
  };
  const brief = async (query: Record<string, string>, scope = WHOLE_CITY) => {
    const out = await briefingFor(sources, query, scope, NOW);
    if (!out.ok) throw new Error(out.error.message);
    return out.briefing;
  };

  it('answers the 7-day briefing without a period, as before, with its summary', async () => {
    const b = await brief({});
    expect(b.dayStartTs).toHaveLength(BRIEFING_DAYS);
    expect(b.period).toMatchObject({ period: '7d', days: 7, incidentsCreated: 2, incidentsResolved: 1, incidentsClosed: 1, slaCompliancePct: 100 });
    expect(b.today).toMatchObject({ incidentsCreated: 1, alertsRaised: 1 });
  });

  it('covers today only, or 30 days from the history joined with the working store (one record once)', async () => {
    expect((await brief({ period: 'today' })).period).toMatchObject({ days: 1, incidentsCreated: 1, alertsRaised: 1 });
    const month = await brief({ period: '30d' });
    expect(month.dayStartTs).toHaveLength(30);
    expect(month.period).toMatchObject({ period: '30d', incidentsCreated: 3, alertsRaised: 2 });
    expect(month.incidents.byDistrict['370212'].reduce((a, b) => a + b, 0)).toBe(1);
  });

  it('takes a custom range of past days, and keeps a district-limited reader to their districts', async () => {
    const from = new Date(NOW - 70 * DAY_MS + 8 * 3600_000).toISOString().slice(0, 10);
    const to = new Date(NOW - 10 * DAY_MS + 8 * 3600_000).toISOString().slice(0, 10);
    const b = await brief({ period: 'custom', from, to });
    expect(b.period).toMatchObject({ period: 'custom', days: 61, incidentsCreated: 2 });
    expect(b.dayStartTs).toHaveLength(61);
    const scoped = await brief({ period: 'custom', from, to }, { kind: 'districts', districts: ['370212'] });
    expect(scoped.period.incidentsCreated).toBe(1);
  });

  it('refuses a bad period with E_VALIDATION: unknown, no range, reversed, in the future, too long', async () => {
    for (const query of [
      { period: 'year' },
      { period: 'custom' },
      { period: 'custom', from: '2025-06-10', to: '2025-06-01' },
      { period: 'custom', from: '2025-06-10', to: '2025-06-16' },
      { period: 'custom', from: '2025-01-01', to: '2025-06-01' },
      { period: '7d', extra: '1' },
    ]) {
      const out = await briefingFor(sources, query, WHOLE_CITY, NOW);
      expect(out.ok, JSON.stringify(query)).toBe(false);
      if (!out.ok) expect(out.error.code).toBe('E_VALIDATION');
    }
  });
});
