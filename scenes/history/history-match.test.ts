import { describe, expect, it } from 'vitest';
import { alertMatches, compareSortKeys, incidentMatches, incidentSortKey, pageOf } from './history-match';
import {
  AlertHistoryRequestSchema,
  alertQueryOf,
  decodeCursor,
  encodeCursor,
  IncidentHistoryRequestSchema,
  incidentQueryOf,
  withinDistricts,
  type IncidentHistoryQuery,
} from './history-query';
import { alertTimeline } from './alert-timeline';
import { alertEndTs, alertRevision, incidentEndTs, incidentRevision, isExpired } from './history-record';
import { alertQuery, archivedAlert, archivedIncident, incidentQuery } from './history-fixtures';
import type { Incident } from '../domain';

const T0 = Date.UTC(2026, 5, 1, 2, 0, 0);
const HOUR_MS = 3600_000;

describe('incident history matching', () => {
  const closed = archivedIncident(
    'INC-1',
    T0,
    { title: '李村河道路积水严重', district: '370213' },
    { closed: true, handler: 'handler7', note: '居民报告井盖冒水' },
  );
  const open = archivedIncident('INC-2', T0 + HOUR_MS, { priority: 'P1', level: 'red', scene: 'emergency', category: 'gas-leak' });

  it('matches a time range on the created time, inclusive at both ends', () => {
    expect(incidentMatches(closed, incidentQuery({ from: T0, to: T0 }))).toBe(true);
    expect(incidentMatches(closed, incidentQuery({ from: T0 + 1 }))).toBe(false);
  });

  it('matches a time range on the closed time, and never an incident that is not closed', () => {
    const q = incidentQuery({ timeField: 'closed', from: T0 + 30 * 60_000 });
    expect(incidentMatches(closed, q)).toBe(true);
    expect(incidentMatches(open, incidentQuery({ timeField: 'closed' }))).toBe(false);
  });

  it('finds Chinese text as a substring of the title or of any note, case-insensitively for Latin text', () => {
    expect(incidentMatches(closed, incidentQuery({ text: '河道' }))).toBe(true);
    expect(incidentMatches(closed, incidentQuery({ text: '井盖' }))).toBe(true);
    expect(incidentMatches(closed, incidentQuery({ text: 'inc-1' }))).toBe(true);
    expect(incidentMatches(closed, incidentQuery({ text: '燃气' }))).toBe(false);
  });

  it('matches someone who was assigned at any step, and a handler only on incidents they were assigned to or reported', () => {
    const reassigned: Incident = { ...closed, assignees: ['handler9'] };
    expect(incidentMatches(reassigned, incidentQuery({ assignee: 'handler7' }))).toBe(true);
    expect(incidentMatches(reassigned, incidentQuery({ involves: 'handler7' }))).toBe(true);
    expect(incidentMatches(open, incidentQuery({ involves: 'handler7' }))).toBe(false);
    expect(incidentMatches(open, incidentQuery({ involves: 'officer1' }))).toBe(true);
  });

  it('filters by scene, category, district, priority, level, state and outcome', () => {
    expect(
      incidentMatches(
        open,
        incidentQuery({ scenes: ['emergency'], categories: ['gas-leak'], priorities: ['P1'], levels: ['red'], states: ['reported'] }),
      ),
    ).toBe(true);
    expect(incidentMatches(open, incidentQuery({ outcomes: ['resolved'] }))).toBe(false);
    expect(incidentMatches(closed, incidentQuery({ outcomes: ['resolved'], districts: ['370213'] }))).toBe(true);
    expect(incidentMatches(closed, incidentQuery({ districts: ['370202'] }))).toBe(false);
    expect(incidentMatches({ ...open, level: null }, incidentQuery({ levels: ['red'] }))).toBe(false);
  });

  it('matches a location inside a bbox or a polygon, open or closed ring', () => {
    expect(incidentMatches(closed, incidentQuery({ bbox: [120.3, 36.0, 120.4, 36.1] }))).toBe(true);
    expect(incidentMatches(closed, incidentQuery({ bbox: [120.4, 36.0, 120.5, 36.1] }))).toBe(false);
    const ring: [number, number][] = [
      [120.3, 36.0],
      [120.5, 36.0],
      [120.4, 36.2],
    ];
    expect(incidentMatches(closed, incidentQuery({ polygon: ring }))).toBe(true);
    expect(incidentMatches(closed, incidentQuery({ polygon: [...ring, ring[0]!] }))).toBe(true);
    expect(incidentMatches({ ...closed, location: [120.31, 36.19] }, incidentQuery({ polygon: ring }))).toBe(false);
  });
});

describe('alert history matching', () => {
  const finished = archivedAlert('a|r|1', T0, { peakLevel: 'red' }, true);
  it('filters on the worst level reached, the state axes, who acknowledged it and the device kind', () => {
    expect(alertMatches(finished, alertQuery({ levels: ['red'], state: 'closed', acknowledgedBy: 'officer1', deviceKinds: ['water-level'] }))).toBe(
      true,
    );
    expect(alertMatches(finished, alertQuery({ levels: ['yellow'] }))).toBe(false);
    expect(alertMatches(finished, alertQuery({ state: 'active' }))).toBe(false);
    expect(alertMatches(finished, alertQuery({ text: '水位' }))).toBe(true);
  });

  it('derives the alert timeline from its steps, in time order', () => {
    expect(alertTimeline({ ...finished, incidentId: 'INC-9' }).map((s) => s.kind)).toEqual([
      'raised',
      'observed',
      'acknowledged',
      'cleared',
      'linked',
    ]);
  });
});

describe('ordering and paging', () => {
  const records = Array.from({ length: 25 }, (_, n) =>
    archivedIncident(`INC-${String(n).padStart(2, '0')}`, T0 + (n % 10) * HOUR_MS, { priority: (['P1', 'P2', 'P3', 'P4'] as const)[n % 4]! }),
  );

  function allPages(q: IncidentHistoryQuery): string[] {
    const ids: string[] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = pageOf(
        records,
        { ...q, ...(cursor ? { cursor } : {}) },
        (i) => incidentMatches(i, q),
        (i) => incidentSortKey(i, q),
      );
      ids.push(...page.records.map((i) => i.id));
      if (!page.nextCursor) return ids;
      cursor = page.nextCursor;
    }
  }

  it.each(['time_desc', 'time_asc', 'priority'] as const)('pages through every match once in %s order with a cursor', (sort) => {
    const q = incidentQuery({ sort, limit: 7 });
    const ids = allPages(q);
    const expected = [...records].sort((a, b) => compareSortKeys(sort, incidentSortKey(a, q), incidentSortKey(b, q))).map((i) => i.id);
    expect(ids).toEqual(expected);
    expect(new Set(ids).size).toBe(records.length);
  });

  it('orders newest first by default and puts P1 first when sorted by priority', () => {
    const byTime = allPages(incidentQuery({ limit: 50 }));
    expect(records.find((i) => i.id === byTime[0])!.createdTs).toBe(T0 + 9 * HOUR_MS);
    const byPriority = allPages(incidentQuery({ sort: 'priority' }));
    expect(records.find((i) => i.id === byPriority[0])!.priority).toBe('P1');
    expect(records.find((i) => i.id === byPriority[byPriority.length - 1])!.priority).toBe('P4');
  });

  it('skips an offset of matches and says when more follow', () => {
    const q = incidentQuery({ sort: 'time_asc', limit: 10, offset: 20 });
    const page = pageOf(
      records,
      q,
      () => true,
      (i) => incidentSortKey(i, q),
    );
    expect(page.records).toHaveLength(5);
    expect(page.nextCursor).toBeUndefined();
  });

  it('round-trips a cursor and refuses one that is not ours', () => {
    expect(decodeCursor(encodeCursor([1, T0, '路口-1']))).toEqual([1, T0, '路口-1']);
    expect(decodeCursor('not-a-cursor')).toBeNull();
    expect(decodeCursor(encodeCursor([1, T0, 'x']).slice(3))).toBeNull();
  });
});

describe('history query schema', () => {
  it('reads comma lists, ISO 8601 or epoch times, a bbox and a polygon from a URL query', () => {
    const r = IncidentHistoryRequestSchema.safeParse({
      from: '2026-06-01T00:00:00+08:00',
      to: String(T0),
      district: '370202,370203',
      priority: 'P1',
      bbox: '120.1,36.0,120.5,36.3',
      polygon: '120.1,36.0;120.5,36.0;120.3,36.3',
      text: '积水',
      limit: '20',
    });
    expect(r.success).toBe(true);
    const q = incidentQueryOf(r.data!);
    expect(q).toMatchObject({
      from: Date.parse('2026-06-01T00:00:00+08:00'),
      to: T0,
      districts: ['370202', '370203'],
      priorities: ['P1'],
      limit: 20,
      sort: 'time_desc',
    });
    expect(q.polygon).toHaveLength(3);
    expect('assignee' in q).toBe(false);
  });

  it.each([
    [{ limit: '201' }, 'limit'],
    [{ bbox: '120,36,119,37' }, 'bbox'],
    [{ polygon: '120,36;121,36' }, 'polygon'],
    [{ from: 'yesterday' }, 'from'],
    [{ from: String(T0 + 1), to: String(T0) }, 'from'],
    [{ district: '999999' }, 'district'],
    [{ involves: 'handler1' }, ''],
    [{ cursor: 'x', offset: '5' }, 'offset'],
  ])('refuses %o naming the parameter %s', (query, param) => {
    const r = IncidentHistoryRequestSchema.safeParse(query);
    expect(r.success).toBe(false);
    if (param) expect(r.error!.issues.map((i) => i.path[0])).toContain(param);
  });

  it('reads an alert query with its state and kind', () => {
    const r = AlertHistoryRequestSchema.safeParse({ state: 'closed', kind: 'water-level,rain-gauge', level: 'red' });
    expect(r.success).toBe(true);
    expect(alertQueryOf(r.data!)).toMatchObject({ state: 'closed', deviceKinds: ['water-level', 'rain-gauge'], levels: ['red'] });
  });

  it('narrows a query to the districts of a scope, or to nothing when it asked only for others', () => {
    expect(withinDistricts(incidentQuery(), ['370202'])?.districts).toEqual(['370202']);
    expect(withinDistricts(incidentQuery({ districts: ['370202', '370203'] }), ['370203'])?.districts).toEqual(['370203']);
    expect(withinDistricts(incidentQuery({ districts: ['370211'] }), ['370203'])).toBeNull();
  });
});

describe('revisions and retention', () => {
  it('orders incident copies by version and alert copies by their steps', () => {
    const a = archivedIncident('INC-1', T0);
    expect(incidentRevision({ ...a, version: 10 }) > incidentRevision({ ...a, version: 9 })).toBe(true);
    const alert = archivedAlert('x', T0);
    expect(alertRevision({ ...alert, acknowledged: true }) > alertRevision(alert)).toBe(true);
    expect(alertRevision({ ...alert, lastTs: alert.lastTs + 1 }) > alertRevision({ ...alert, cleared: true, acknowledged: true })).toBe(true);
  });

  it('counts retention from when a record finished and keeps unfinished ones however old', () => {
    const closed = archivedIncident('INC-1', T0, {}, { closed: true });
    expect(incidentEndTs(closed)).toBe(closed.closedTs);
    expect(incidentEndTs(archivedIncident('INC-2', T0))).toBeUndefined();
    expect(alertEndTs(archivedAlert('x', T0))).toBeUndefined();
    expect(isExpired(undefined, T0 * 2, 1)).toBe(false);
    expect(isExpired(T0, T0 + 11, 10)).toBe(true);
    expect(isExpired(T0, T0 + 10, 10)).toBe(false);
  });
});
