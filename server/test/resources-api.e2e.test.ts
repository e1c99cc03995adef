/**
 * Impact ranges and live resources over REST (issue 17): the range around an incident or a point,
 * scoped to the caller's districts; assign/release with idempotency, over-assignment refused,
 * automatic release when an incident closes, audit and incident log records, and fusion's
 * resources (what every wall shows) following the assignments. On Redis when one can be started.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Incident } from '../../scenes/domain';
import type { ImpactRange } from '../../scenes/impact/impact-types';
import { incidentAt, LAOSHAN, SHINAN, startScopeHarness, type ScopeHarness } from './scope-helpers';

let h: ScopeHarness;
let shinan: Incident;
let laoshan: Incident;
let seq = 0;

async function call(method: string, path: string, username: string, body?: unknown): Promise<{ status: number; body: any }> {
  const r = await fetch(`${h.server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${await h.token(username)}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null };
}
const assign = (incidentId: string, username: string, resourceId: string, amount: number, commandId = `res-cmd-${++seq}`) =>
  call('POST', `/api/incidents/${incidentId}/resources`, username, { resourceId, amount, commandId });
const fusedAvailable = (id: string) => h.server.fusion.fusedState(Date.now()).resources.find((r) => r.id === id)?.available;

async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeAll(async () => {
  h = await startScopeHarness('resimp');
  const scoped = (await h.server.store.getUser('officer2'))!;
  await h.server.store.putUser({ ...scoped, districts: [SHINAN.district] });
  shinan = await h.must('admin', incidentAt(SHINAN, '市南区 燃气泄漏'));
  laoshan = await h.must('admin', incidentAt(LAOSHAN, '崂山区 燃气泄漏'));
}, 60_000);

afterAll(async () => {
  await h?.close();
});

describe('impact range', () => {
  it('answers the range around an incident: category radius, nearest teams with distance and ETA', async () => {
    const r = await h.get(`/api/incidents/${shinan.id}/impact`, 'officer1');
    expect(r.status).toBe(200);
    const range = r.body as ImpactRange;
    expect(range).toMatchObject({ center: SHINAN.location, category: 'gas-leak', radiusM: 500 });
    expect(range.polygon.coordinates[0]!.length).toBeGreaterThan(32);
    const teams = range.nearest['rescue-team'];
    expect(teams[0]!.id).toBe('team-fire-shinan');
    for (let i = 1; i < teams.length; i++) expect(teams[i]!.distanceM).toBeGreaterThanOrEqual(teams[i - 1]!.distanceM);
    expect(teams[0]!.etaMin).toBeGreaterThanOrEqual(1);
    expect((await h.get(`/api/incidents/${shinan.id}/impact?radiusM=1200`, 'leader1')).body.radiusM).toBe(1200);
  });

  it('answers the range around a point, validates the query and refuses roles without the need', async () => {
    const r = await h.get(`/api/impact?lng=120.385&lat=36.062&category=fire`, 'officer1');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ radiusM: 800, category: 'fire' });
    expect(r.body.shelters.items.map((s: { id: string }) => s.id)).toContain('shelter-wusi');
    expect(r.body.shelters.freeCapacity).toBeGreaterThanOrEqual(8000);
    expect((await h.get(`/api/impact?lng=999&lat=36`, 'officer1')).body.error.code).toBe('E_VALIDATION');
    expect((await h.get(`/api/impact?lng=120.38&lat=36.07&radiusM=-5`, 'officer1')).status).toBe(400);
    expect((await h.get(`/api/impact?lng=120.38&lat=36.07`, 'handler1')).status).toBe(403);
    expect((await h.get(`/api/incidents/${shinan.id}/impact`, 'screen1')).status).toBe(403);
  });

  it('gives a district-scoped officer only what is in their districts', async () => {
    expect((await h.get(`/api/incidents/${laoshan.id}/impact`, 'officer2')).body.error.code).toBe('E_NOT_FOUND');
    const r = await h.get(`/api/impact?lng=${LAOSHAN.location[0]}&lat=${LAOSHAN.location[1]}`, 'officer2');
    expect(r.status).toBe(200);
    const all = [...r.body.nearest['rescue-team'], ...r.body.nearest['supply-depot'], ...r.body.nearest.shelter];
    expect(all.length).toBeGreaterThan(0);
    for (const x of all) expect(x.district).toBe(SHINAN.district);
  });
});

describe('live resources', () => {
  it('assigns a team: its availability drops on every screen, a replay takes nothing, too much is refused', async () => {
    const before = fusedAvailable('team-fire-shinan')!;
    const a = await assign(shinan.id, 'officer1', 'team-fire-shinan', 10, 'res-assign-once');
    expect(a.status).toBe(200);
    expect(a.body).toMatchObject({
      duplicate: false,
      assignment: { amount: 10, resourceId: 'team-fire-shinan' },
      resource: { available: before - 10 },
    });
    expect(fusedAvailable('team-fire-shinan')).toBe(before - 10);
    const impact = await h.get(`/api/incidents/${shinan.id}/impact`, 'officer1');
    expect(impact.body.nearest['rescue-team'][0]).toMatchObject({ id: 'team-fire-shinan', available: before - 10 });

    const replay = await assign(shinan.id, 'officer1', 'team-fire-shinan', 10, 'res-assign-once');
    expect(replay.body).toMatchObject({ duplicate: true, resource: { available: before - 10 } });
    const tooMuch = await assign(shinan.id, 'officer1', 'team-fire-shinan', before);
    expect(tooMuch.status).toBe(409);
    expect(tooMuch.body.error).toMatchObject({ code: 'E_CONFLICT', details: { available: before - 10 } });
    expect(fusedAvailable('team-fire-shinan')).toBe(before - 10);
    expect((await h.get(`/api/incidents/${shinan.id}/resources`, 'leader1')).body.assignments).toMatchObject([
      { resourceId: 'team-fire-shinan', amount: 10 },
    ]);
  });

  it('records assign in the audit log and the incident log', async () => {
    const audit = await h.get('/api/audit?action=resource.assign&limit=20', 'admin');
    expect(audit.status).toBe(200);
    const rows = audit.body.records as { actor: string; outcome: string; target: string }[];
    expect(rows.some((x) => x.actor === 'officer1' && x.outcome === 'success' && x.target === `incident:${shinan.id}`)).toBe(true);
    expect(rows.some((x) => x.outcome === 'failure')).toBe(true);
    await until(() =>
      (h.server.fusion.incidents.get(shinan.id)?.history ?? []).some((t) => t.action === 'note' && (t.note ?? '').includes('调派资源')),
    );
  });

  it('refuses roles and scopes that may not assign, and bad bodies', async () => {
    expect((await assign(shinan.id, 'leader1', 'team-fire-shinan', 1)).status).toBe(403);
    expect((await assign(shinan.id, 'handler1', 'team-fire-shinan', 1)).status).toBe(403);
    // officer2 is scoped to 市南区: neither a 崂山区 incident nor a 市北区 team
    expect((await assign(laoshan.id, 'officer2', 'team-fire-shinan', 1)).body.error.code).toBe('E_NOT_FOUND');
    expect((await assign(shinan.id, 'officer2', 'team-gas', 1)).body.error.code).toBe('E_NOT_FOUND');
    expect((await assign(shinan.id, 'officer2', 'team-fire-shinan', 1)).status).toBe(200);
    expect((await assign(shinan.id, 'officer1', 'no-such-team', 1)).status).toBe(404);
    expect(
      (await call('POST', `/api/incidents/${shinan.id}/resources`, 'officer1', { resourceId: 'team-gas', amount: 0, commandId: 'res-bad-amount' }))
        .body.error.code,
    ).toBe('E_VALIDATION');
  });

  it('releases on request, and everything an incident holds when it closes', async () => {
    const before = fusedAvailable('team-fire-shinan')!;
    const rel = await call('DELETE', `/api/incidents/${shinan.id}/resources/team-fire-shinan`, 'officer1');
    expect(rel.status).toBe(200);
    expect(rel.body.released.amount).toBe(11);
    expect(fusedAvailable('team-fire-shinan')).toBe(before + 11);
    expect((await call('DELETE', `/api/incidents/${shinan.id}/resources/team-fire-shinan`, 'officer1')).status).toBe(404);

    const full = fusedAvailable('depot-laoshan')!;
    expect((await assign(laoshan.id, 'officer1', 'depot-laoshan', 500)).status).toBe(200);
    expect((await assign(laoshan.id, 'officer1', 'shelter-qdu', 2000)).status).toBe(200);
    expect(fusedAvailable('depot-laoshan')).toBe(full - 500);
    await h.must('officer1', { type: 'incident.close_unresolved', incidentId: laoshan.id, outcome: 'cancelled', reason: '演练取消' });
    await until(() => fusedAvailable('depot-laoshan') === full && fusedAvailable('shelter-qdu') === 10000);
    expect((await h.get(`/api/incidents/${laoshan.id}/resources`, 'officer1')).body.assignments).toEqual([]);
    // a closed incident takes nothing more
    expect((await assign(laoshan.id, 'officer1', 'depot-laoshan', 1)).body.error.code).toBe('E_CONFLICT');
    const audit = await h.get('/api/audit?action=resource.release&limit=20', 'admin');
    expect(audit.body.records.some((x: { actor: string; target: string }) => x.actor === 'system' && x.target === `incident:${laoshan.id}`)).toBe(
      true,
    );
  });
});
