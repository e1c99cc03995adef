/**
 * History store contract (history-store.ts): the same requirements against the memory history
 * store and the Redis one (a throwaway redis-server from tests/helpers, also through the app's ACL
 * user, so the layout needs no command the server is not granted).
 */
import { describe, expect, it } from 'vitest';
import { storeImplementations } from '../../tests/helpers/store-contract';
import { historyStoreFor, type HistoryStore, type HistoryStoreOptions } from '../store/history-store';
import type { Incident } from '../../scenes/domain';
import { alertQuery, archivedAlert, archivedIncident, incidentQuery } from '../../scenes/history/history-fixtures';
import type { HistoryPage, IncidentHistoryQuery } from '../../scenes/history/history-query';

const implementations = await storeImplementations('history');

const DAY_MS = 24 * 3600_000;
const HOUR_MS = 3600_000;
const T0 = Date.UTC(2026, 5, 1, 0, 0, 0);
const DISTRICTS = ['370202', '370203', '370212'] as const;
const PRIORITIES = ['P1', 'P2', 'P3', 'P4'] as const;

/** 60 incidents over 10 days, three districts, all priorities, every other one closed. */
function sixtyIncidents(): Incident[] {
  return Array.from({ length: 60 }, (_, n) =>
    archivedIncident(
      `INC-${String(n).padStart(3, '0')}`,
      T0 + n * 4 * HOUR_MS,
      {
        district: DISTRICTS[n % 3]!,
        priority: PRIORITIES[n % 4]!,
        title: n % 5 === 0 ? `李沧区燃气泄漏 ${n}` : `积水 ${n}`,
        location: [120.3 + (n % 6) * 0.02, 36.05 + (n % 4) * 0.02],
      },
      { closed: n % 2 === 0, handler: `handler${n % 3}` },
    ),
  );
}

async function allPages(history: HistoryStore, q: IncidentHistoryQuery): Promise<string[]> {
  const ids: string[] = [];
  for await (const i of history.scanIncidents(q)) ids.push(i.id);
  return ids;
}

function ids(page: HistoryPage<{ id: string }>): string[] {
  return page.records.map((r) => r.id);
}

describe.each(implementations)('$name history store', ({ name, available, make }) => {
  describe.skipIf(!available)('contract', () => {
    function fresh(options: Partial<HistoryStoreOptions> = {}): HistoryStore {
      return historyStoreFor(make(), options);
    }

    async function seeded(options: Partial<HistoryStoreOptions> = {}): Promise<{ history: HistoryStore; incidents: Incident[] }> {
      const history = fresh(options);
      const incidents = sixtyIncidents();
      await Promise.all(incidents.map((i) => history.upsertIncident(i)));
      return { history, incidents };
    }

    it('keeps one record per id, the newest copy, whatever order copies arrive in', async () => {
      const history = fresh();
      const closed = archivedIncident('INC-A', T0, {}, { closed: true });
      const first: Incident = { ...closed, state: 'reported', version: 1, history: closed.history.slice(0, 1), assignees: [] };
      delete first.closedTs;
      delete first.outcome;
      await history.upsertIncident(closed);
      await history.upsertIncident(first);
      await history.upsertIncident(closed);
      expect(await history.getIncident('INC-A')).toEqual(closed);
      expect(ids(await history.searchIncidents(incidentQuery()))).toEqual(['INC-A']);
      const alert = archivedAlert('dev|rule|1', T0);
      const acked = { ...alert, acknowledged: true, ackTs: T0 + 1, ackBy: 'officer1' };
      await history.upsertAlert(acked);
      await history.upsertAlert(alert);
      expect(await history.getAlert(alert.id)).toEqual(acked);
      expect(await history.getIncident('INC-none')).toBeNull();
    });

    it('finds incidents by district and time range, newest first', async () => {
      const { history, incidents } = await seeded();
      const q = incidentQuery({ districts: ['370203'], from: T0 + 2 * DAY_MS, to: T0 + 7 * DAY_MS - 1 });
      const expected = incidents
        .filter((i) => i.district === '370203' && i.createdTs >= q.from! && i.createdTs <= q.to!)
        .sort((a, b) => b.createdTs - a.createdTs)
        .map((i) => i.id);
      expect(expected.length).toBeGreaterThan(5);
      expect(ids(await history.searchIncidents(q))).toEqual(expected);
    });

    it('finds Chinese text anywhere in the title or notes', async () => {
      const { history } = await seeded();
      const found = await history.searchIncidents(incidentQuery({ text: '燃气泄漏', limit: 200 }));
      expect(found.records.length).toBe(12);
      expect(found.records.every((i) => i.title.includes('燃气泄漏'))).toBe(true);
      expect(ids(await history.searchIncidents(incidentQuery({ text: '已处置', limit: 200 })))).toHaveLength(30);
      // characters JSON escapes are found too, and Latin text case-insensitively
      await history.upsertIncident(archivedIncident('INC-Q', T0, { title: '群众反映"漏水"\\严重 Pipe Burst' }));
      expect(ids(await history.searchIncidents(incidentQuery({ text: '"漏水"\\' })))).toEqual(['INC-Q']);
      expect(ids(await history.searchIncidents(incidentQuery({ text: 'pipe burst' })))).toEqual(['INC-Q']);
    });

    it('finds incidents within a bbox or a polygon', async () => {
      const { history, incidents } = await seeded();
      const bbox: [number, number, number, number] = [120.29, 36.04, 120.33, 36.08];
      const inBox = incidents.filter((i) => i.location[0] <= 120.33 && i.location[1] <= 36.08).map((i) => i.id);
      expect((await allPages(history, incidentQuery({ bbox, sort: 'time_asc' }))).sort()).toEqual(inBox.sort());
      const polygon: [number, number][] = [
        [120.29, 36.04],
        [120.33, 36.04],
        [120.33, 36.08],
        [120.29, 36.08],
      ];
      expect((await allPages(history, incidentQuery({ polygon }))).sort()).toEqual(inBox.sort());
    });

    it('filters by assignee (ever), state, outcome, priority and closed time', async () => {
      const { history, incidents } = await seeded();
      const byHandler = await allPages(history, incidentQuery({ assignee: 'handler1', limit: 7 }));
      expect(byHandler.sort()).toEqual(
        incidents
          .filter((i) => i.assignees.includes('handler1'))
          .map((i) => i.id)
          .sort(),
      );
      const closedLate = await history.searchIncidents(
        incidentQuery({ timeField: 'closed', from: T0 + 5 * DAY_MS, outcomes: ['resolved'], priorities: ['P1'], limit: 200 }),
      );
      const expected = incidents.filter((i) => i.closedTs !== undefined && i.closedTs >= T0 + 5 * DAY_MS && i.priority === 'P1');
      expect(ids(closedLate).sort()).toEqual(expected.map((i) => i.id).sort());
      expect(ids(await history.searchIncidents(incidentQuery({ states: ['reported'], limit: 200 })))).toHaveLength(30);
    });

    it.each(['time_desc', 'time_asc', 'priority'] as const)(
      'pages through every match exactly once in %s order, by cursor and by offset',
      async (sort) => {
        const { history, incidents } = await seeded();
        const all = ids(await history.searchIncidents(incidentQuery({ sort, limit: 200 })));
        expect(all).toHaveLength(incidents.length);
        expect(await allPages(history, incidentQuery({ sort, limit: 7 }))).toEqual(all);
        const third = await history.searchIncidents(incidentQuery({ sort, limit: 7, offset: 14 }));
        expect(ids(third)).toEqual(all.slice(14, 21));
        if (sort === 'priority') {
          const first = incidents.find((i) => i.id === all[0])!;
          expect(first.priority).toBe('P1');
        }
      },
    );

    it('moves an incident between priorities when it is reprioritised', async () => {
      const history = fresh();
      const i = archivedIncident('INC-R', T0, { priority: 'P3' });
      await history.upsertIncident(i);
      await history.upsertIncident({ ...i, priority: 'P1', version: i.version + 1 });
      expect(ids(await history.searchIncidents(incidentQuery({ sort: 'priority', priorities: ['P3'] })))).toEqual([]);
      expect(ids(await history.searchIncidents(incidentQuery({ sort: 'priority', priorities: ['P1'] })))).toEqual(['INC-R']);
    });

    it('searches alerts by level, state and text', async () => {
      const history = fresh();
      await history.upsertAlert(archivedAlert('d1|r|1', T0, { peakLevel: 'red', level: 'orange' }, true));
      await history.upsertAlert(archivedAlert('d2|r|2', T0 + HOUR_MS, { district: '370202', title: '燃气浓度超限' }));
      await history.upsertAlert(archivedAlert('d3|r|3', T0 + 2 * HOUR_MS));
      expect(ids(await history.searchAlerts(alertQuery({ levels: ['red'] })))).toEqual(['d1|r|1']);
      expect(ids(await history.searchAlerts(alertQuery({ state: 'active', sort: 'time_asc' })))).toEqual(['d2|r|2', 'd3|r|3']);
      expect(ids(await history.searchAlerts(alertQuery({ text: '燃气', districts: ['370202'] })))).toEqual(['d2|r|2']);
      expect(ids(await history.searchAlerts(alertQuery({ timeField: 'closed' })))).toEqual(['d1|r|1']);
    });

    it('prunes finished records past retention and keeps the rest, re-opened ones included', async () => {
      const retentionMs = 30 * DAY_MS;
      const history = fresh({ retentionMs });
      const old = archivedIncident('INC-OLD', T0, {}, { closed: true });
      const recent = archivedIncident('INC-NEW', T0 + 40 * DAY_MS, {}, { closed: true });
      const openOld = archivedIncident('INC-OPEN', T0);
      const reopened = archivedIncident('INC-REOPEN', T0, {}, { closed: true });
      await Promise.all([old, recent, openOld, reopened].map((i) => history.upsertIncident(i)));
      await history.upsertIncident({ ...reopened, state: 'dispatched', closedTs: undefined, outcome: undefined, version: reopened.version + 1 });
      await history.upsertAlert(archivedAlert('old|r|1', T0, {}, true));
      await history.upsertAlert(archivedAlert('active|r|1', T0));
      const nowTs = T0 + 45 * DAY_MS;
      expect(await history.prune(nowTs)).toEqual({ removed: 2 });
      expect(await history.prune(nowTs)).toEqual({ removed: 0 });
      expect(await history.getIncident('INC-OLD')).toBeNull();
      expect((await allPages(history, incidentQuery())).sort()).toEqual(['INC-NEW', 'INC-OPEN', 'INC-REOPEN']);
      expect(ids(await history.searchAlerts(alertQuery()))).toEqual(['active|r|1']);
    });

    it('answers a search past its scan budget with a cursor that goes on where it stopped', async () => {
      const { history } = await seeded({ scanBudgetRecords: 10 });
      const found: string[] = [];
      let page = await history.searchIncidents(incidentQuery({ text: '燃气泄漏', sort: 'time_asc' }));
      let calls = 1;
      found.push(...ids(page));
      while (page.nextCursor) {
        page = await history.searchIncidents(incidentQuery({ text: '燃气泄漏', sort: 'time_asc', cursor: page.nextCursor }));
        found.push(...ids(page));
        calls++;
      }
      expect(found).toEqual(Array.from({ length: 12 }, (_, k) => `INC-${String(k * 5).padStart(3, '0')}`));
      // the memory store has every record at hand and answers in one call; Redis stops after about 10 records a call
      if (name === 'memory') expect(calls).toBe(1);
      else expect(calls).toBeGreaterThan(3);
    });

    it('keeps the history for a new history store on the same backing store (a restart)', async () => {
      const store = make();
      const i = archivedIncident('INC-K', T0, {}, { closed: true });
      await historyStoreFor(store).upsertIncident(i);
      expect(await historyStoreFor(store).getIncident('INC-K')).toEqual(i);
    });
  });
});
