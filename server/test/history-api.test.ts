/**
 * The long history over REST (issue 16): what each role and scope may search, the detail with
 * its timeline, typed refusals of bad queries, and the feed from commands (origin node) into the
 * archive — on a real Redis when one can be started, else the memory store.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Incident } from '../../scenes/domain';
import type { IncidentHistoryAnswer, IncidentHistoryDetail } from '../../scenes/history/history-answers';
import { archivedIncident } from '../../scenes/history/history-fixtures';
import { incidentAt, LAOSHAN, SHINAN, startScopeHarness, type ScopeHarness } from './scope-helpers';

let h: ScopeHarness;
/** officer1 is limited to 市南区; officer2 sees the whole city */
const SCOPED = 'officer1';
const CITY = 'officer2';
let shinan: Incident;
let laoshan: Incident;
const DAY_MS = 24 * 3600_000;
/** closed long ago: beyond the live working set, inside the history's 184 days */
const OLD = archivedIncident(
  'INC-HIST-OLD',
  Date.now() - 100 * DAY_MS,
  { district: SHINAN.district, title: '市南区 历史积水' },
  { closed: true, handler: 'handler2' },
);

beforeAll(async () => {
  h = await startScopeHarness('history');
  const user = (await h.server.store.getUser(SCOPED))!;
  await h.server.store.putUser({ ...user, districts: [SHINAN.district] });
  shinan = await h.must('admin', incidentAt(SHINAN, '市南区 燃气泄漏'));
  laoshan = await h.must('admin', incidentAt(LAOSHAN, '崂山区 燃气泄漏'));
  shinan = await h.must('officer2', { type: 'incident.dispatch', incidentId: shinan.id, assignees: ['handler1'], note: '请立即处置阀门' });
  await h.server.history.history.upsertIncident(OLD);
  await h.server.history.feeder.settled();
});

afterAll(async () => {
  await h?.close();
});

const ids = (answer: IncidentHistoryAnswer) => answer.incidents.map((i) => i.id);

describe('GET /api/history/incidents', () => {
  it('archives every incident as it is now after each command on the node that ran it', async () => {
    const r = await h.get(`/api/history/incidents/${shinan.id}`, CITY);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const detail = r.body as IncidentHistoryDetail;
    expect(detail.incident.state).toBe('dispatched');
    expect(detail.incident.history.map((t) => t.action)).toEqual(['create', 'dispatch']);
    expect(detail.incident.history[1]!.note).toBe('请立即处置阀门');
  });

  it('answers a whole-city officer every district, and finds Chinese text in titles and notes', async () => {
    const all = await h.get('/api/history/incidents?text=燃气泄漏', CITY);
    expect(all.status).toBe(200);
    expect(ids(all.body).sort()).toEqual([shinan.id, laoshan.id].sort());
    expect(ids((await h.get(`/api/history/incidents?text=${encodeURIComponent('阀门')}`, CITY)).body)).toEqual([shinan.id]);
  });

  it('finds an incident closed long ago that the working set no longer holds, by time range', async () => {
    const from = OLD.createdTs - DAY_MS;
    const r = await h.get(`/api/history/incidents?from=${from}&to=${OLD.createdTs + DAY_MS}&outcome=resolved`, CITY);
    expect(ids(r.body)).toEqual([OLD.id]);
  });

  it('limits a district-scoped officer to their districts, whatever the query names', async () => {
    expect(ids((await h.get('/api/history/incidents?text=燃气泄漏', SCOPED)).body)).toEqual([shinan.id]);
    const asked = await h.get(`/api/history/incidents?district=${LAOSHAN.district}`, SCOPED);
    expect(asked.status).toBe(200);
    expect(ids(asked.body)).toEqual([]);
    expect((await h.get(`/api/history/incidents/${laoshan.id}`, SCOPED)).body.error.code).toBe('E_NOT_FOUND');
  });

  it('shows a handler only the incidents they are or were assigned to, without alerts', async () => {
    expect(ids((await h.get('/api/history/incidents', 'handler1')).body)).toEqual([shinan.id]);
    expect(ids((await h.get('/api/history/incidents', 'handler2')).body)).toEqual([OLD.id]);
    expect(ids((await h.get('/api/history/incidents', 'handler3')).body)).toEqual([]);
    const mine = await h.get(`/api/history/incidents/${shinan.id}`, 'handler1');
    expect(mine.status).toBe(200);
    expect(mine.body.alerts).toEqual([]);
    expect((await h.get(`/api/history/incidents/${shinan.id}`, 'handler3')).status).toBe(404);
  });

  it('refuses a handler the alert history', async () => {
    const alerts = await h.get('/api/history/alerts', 'handler1');
    expect(alerts.status).toBe(403);
    expect(alerts.body.error.code).toBe('E_FORBIDDEN');
    expect((await h.get('/api/history/alerts', CITY)).status).toBe(200);
  });

  it.each([
    ['limit=1000', 'limit'],
    ['bbox=120.5,36,120.1,36.2', 'bbox'],
    ['polygon=1,2', 'polygon'],
    ['from=tomorrow', 'from'],
    ['sort=random', 'sort'],
    ['cursor=garbage', 'cursor'],
    ['unknownParam=1', 'unknownParam'],
  ])('refuses %s with E_VALIDATION naming %s', async (query, param) => {
    const r = await h.get(`/api/history/incidents?${query}`, CITY);
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('E_VALIDATION');
    expect(r.body.error.message).toContain(param);
  });

  it.each([
    `polygon=${Array.from({ length: 600 }, (_, n) => `120.${n},36.1`).join(';')}`,
    'text=%ED%A0%80',
    'bbox=NaN,1,2,3',
    'limit=-1',
    'from=99999999999999999999',
    'district=370202&district=370203',
    'cursor=' + 'A'.repeat(400),
    'text=' + encodeURIComponent('"\\\u0000'),
  ])('answers a hostile query %# with 200 or 400, never a crash', async (query) => {
    const r = await h.get(`/api/history/incidents?${query}`, CITY);
    expect([200, 400]).toContain(r.status);
    if (r.status === 400) expect(r.body.error.code).toBe('E_VALIDATION');
  });

  it('pages with an opaque cursor until nothing more matches', async () => {
    const first = await h.get('/api/history/incidents?limit=2&sort=time_asc', CITY);
    expect(first.body.incidents).toHaveLength(2);
    expect(first.body.nextCursor).toBeTypeOf('string');
    const second = await h.get(`/api/history/incidents?limit=2&sort=time_asc&cursor=${first.body.nextCursor}`, CITY);
    expect(ids(second.body)).toHaveLength(1);
    expect(second.body.nextCursor).toBeUndefined();
    expect(new Set([...ids(first.body), ...ids(second.body)]).size).toBe(3);
  });

  it('records history searches and reads in the audit log', async () => {
    const r = await h.get('/api/audit?action=history.search&limit=50', 'admin');
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect((r.body.records as { actor: string }[]).some((x) => x.actor === SCOPED)).toBe(true);
  });
});
