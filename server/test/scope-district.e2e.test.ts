/**
 * 分级分类分岗 data scope (issue 12): an officer limited to 市南区 (370202) does not see a 崂山区
 * (370212) incident anywhere — REST list and get, `incidents:list`, the emergency and overview
 * scene snapshots and their later deltas, replay and `/api/events`, the briefing, `incident:update`
 * pushes, recommendations, the registry — and cannot act on it; a 市南区 incident they see and
 * act on. A whole-city officer keeps seeing both.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Device, Incident } from '../../scenes/domain';
import type { LogEvent, SceneDeltaMessage, SceneJoinResult } from '../../scenes/protocol';
import type { SceneModel } from '../../scenes/scene-model';
import { districtName } from '../../scenes/geo/districts';
import { ask, collect, incidentAt, LAOSHAN, SHINAN, startScopeHarness, type ScopeHarness } from './scope-helpers';

let h: ScopeHarness;
/** officer1 is limited to 市南区; officer2 sees the whole city */
const SCOPED = 'officer1';
const CITY = 'officer2';
let shinan: Incident;
let laoshan: Incident;
let startTs: number;

beforeAll(async () => {
  h = await startScopeHarness('scoped');
  startTs = Date.now();
  // straight into the store: the admin API for it has a test of its own below
  const user = (await h.server.store.getUser(SCOPED))!;
  await h.server.store.putUser({ ...user, districts: [SHINAN.district] });
  shinan = await h.must('admin', incidentAt(SHINAN, '市南区 燃气泄漏'));
  laoshan = await h.must('admin', incidentAt(LAOSHAN, '崂山区 燃气泄漏'));
  expect([shinan.district, laoshan.district]).toEqual([SHINAN.district, LAOSHAN.district]);
});

afterAll(async () => {
  await h?.close();
});

const ids = (list: { id: string }[]) => list.map((x) => x.id);

describe('the districts attribute', () => {
  it('is set by an admin, shown in the user list, and refused for unknown codes', async () => {
    const set = await h.patch('/api/users/leader1', 'admin', { districts: [LAOSHAN.district, SHINAN.district] });
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    expect(set.body.user.districts).toEqual([LAOSHAN.district, SHINAN.district]);
    const list = await h.get('/api/users', 'admin');
    expect(list.body.users.find((u: { username: string }) => u.username === 'leader1').districts).toEqual([LAOSHAN.district, SHINAN.district]);
    expect((await h.patch('/api/users/leader1', 'admin', { districts: ['999999'] })).status).toBe(400);
    // back to the whole city (an empty list)
    expect((await h.patch('/api/users/leader1', 'admin', { districts: [] })).body.user.districts).toEqual([]);
  });

  it('is kept when an admin creates an officer limited to a district', async () => {
    const r = await fetch(`${h.server.url}/api/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await h.token('admin')}` },
      body: JSON.stringify({
        username: 'officer-shinan',
        displayName: '市南区值班员',
        role: 'officer',
        password: 'Shinan-Duty-2026!',
        districts: [SHINAN.district],
      }),
    });
    const body = (await r.json()) as { user: { districts?: string[] } };
    expect(r.status, JSON.stringify(body)).toBe(201);
    expect(body.user.districts).toEqual([SHINAN.district]);
    expect((await h.server.store.getUser('officer-shinan'))?.districts).toEqual([SHINAN.district]);
  });
});

describe('an officer limited to 市南区', () => {
  it('lists and opens only 市南区 incidents over REST', async () => {
    const list = await h.get('/api/incidents', SCOPED);
    expect(ids(list.body.incidents)).toContain(shinan.id);
    expect(ids(list.body.incidents)).not.toContain(laoshan.id);
    expect(list.body.incidents.every((i: Incident) => i.district === SHINAN.district)).toBe(true);
    expect((await h.get(`/api/incidents/${shinan.id}`, SCOPED)).status).toBe(200);
    expect((await h.get(`/api/incidents/${laoshan.id}`, SCOPED)).status).toBe(403);
    expect((await h.get(`/api/incidents/${laoshan.id}/recommendations`, SCOPED)).status).toBe(403);
    expect((await h.get(`/api/incidents/${shinan.id}/recommendations`, SCOPED)).status).toBe(200);
    // the whole-city officer sees both
    const city = await h.get('/api/incidents', CITY);
    expect(ids(city.body.incidents)).toEqual(expect.arrayContaining([shinan.id, laoshan.id]));
  });

  it('gets only 市南区 incidents from incidents:list and incident:readings', async () => {
    const s = await h.socket(SCOPED);
    const list = await ask<{ ok: true; incidents: Incident[] }>(s, 'incidents:list');
    expect(ids(list.incidents)).toContain(shinan.id);
    expect(ids(list.incidents)).not.toContain(laoshan.id);
    expect((await ask(s, 'incident:readings', { incidentId: laoshan.id })).error?.code).toBe('E_FORBIDDEN');
    expect((await ask(s, 'incident:readings', { incidentId: shinan.id })).ok).toBe(true);
  });

  it('sees only 市南区 in the emergency and overview snapshots, and in their later deltas', async () => {
    const s = await h.socket(SCOPED);
    const city = await h.socket(CITY);
    const deltas = collect<SceneDeltaMessage>(s, 'scene:delta');
    const cityDeltas = collect<SceneDeltaMessage>(city, 'scene:delta');
    const inScopeDevices = new Set([...h.server.fusion.devices.values()].filter((d) => d.district === SHINAN.district).map((d) => d.id));
    const laoshanName = districtName('370212', 'zh');
    for (const scene of ['emergency', 'overview'] as const) {
      const joined = await ask<SceneJoinResult>(s, 'scene:join', { scene });
      if (!joined.ok || joined.mode !== 'snapshot') throw new Error(JSON.stringify(joined).slice(0, 300));
      const model: SceneModel = joined.snapshot.model;
      expect(ids(model.incidents), scene).toContain(shinan.id);
      expect(ids(model.incidents), scene).not.toContain(laoshan.id);
      expect(model.devices.length, scene).toBeGreaterThan(0);
      expect(
        model.devices.every((d) => inScopeDevices.has(d.id)),
        scene,
      ).toBe(true);
      expect(
        model.alerts.every((a) => a.district === SHINAN.district),
        scene,
      ).toBe(true);
      const byDistrict = model.charts.incidentsByDistrict;
      if (byDistrict?.kind === 'bar') expect(byDistrict.series[0]!.values[byDistrict.categories.indexOf(laoshanName)]).toBe(0);
      const whole = await ask<SceneJoinResult>(city, 'scene:join', { scene });
      if (!whole.ok || whole.mode !== 'snapshot') throw new Error('whole-city join failed');
      expect(ids(whole.snapshot.model.incidents), scene).toEqual(expect.arrayContaining([shinan.id, laoshan.id]));
    }

    // later: a 崂山区 incident, then a 市南区 one; once the 市南区 one reached the scoped screen,
    // the 崂山区 one (made first) would have come before it
    const laterLaoshan = await h.must('admin', incidentAt(LAOSHAN, '崂山区 后续事件'));
    const laterShinan = await h.must('admin', incidentAt(SHINAN, '市南区 后续事件'));
    const putIds = (d: SceneDeltaMessage) => ids(d.delta.incidents?.put ?? []);
    for (const scene of ['emergency', 'overview'] as const) {
      await deltas.waitFor((d) => d.scene === scene && putIds(d).includes(laterShinan.id));
      await cityDeltas.waitFor((d) => d.scene === scene && putIds(d).includes(laterLaoshan.id));
    }
    expect(JSON.stringify(deltas.seen)).not.toContain(laterLaoshan.id);
    expect(JSON.stringify(deltas.seen)).not.toContain(laoshan.id);
    // and a scoped snapshot over REST, too
    const rest = await h.get('/api/scenes/emergency', SCOPED);
    expect(ids(rest.body.model.incidents)).toContain(laterShinan.id);
    expect(JSON.stringify(rest.body)).not.toContain(laterLaoshan.id);
  });

  it('hears incident:update of 市南区 incidents only', async () => {
    const s = await h.socket(SCOPED);
    const city = await h.socket(CITY);
    const updates = collect<Incident>(s, 'incident:update');
    const cityUpdates = collect<Incident>(city, 'incident:update');
    const a = await h.must('admin', incidentAt(LAOSHAN, '崂山区 推送'));
    const b = await h.must('admin', incidentAt(SHINAN, '市南区 推送'));
    await updates.waitFor((i) => i.id === b.id);
    await cityUpdates.waitFor((i) => i.id === a.id);
    expect(ids(updates.seen)).not.toContain(a.id);
  });

  it('replays only 市南区 events, over the socket and GET /api/events, paging right', async () => {
    const s = await h.socket(SCOPED);
    const toTs = Date.now() + 1000;
    const readAll = async (page: (cursor?: string) => Promise<{ events: LogEvent[]; next?: string }>) => {
      const events: LogEvent[] = [];
      let cursor: string | undefined;
      for (let pages = 0; pages < 1000; pages++) {
        const p = await page(cursor);
        events.push(...p.events);
        if (p.next === undefined) return events;
        cursor = p.next;
      }
      throw new Error('replay did not end');
    };
    const socketReplay = await readAll(async (cursor) => {
      const r = await ask(s, 'replay:range', { scene: 'overview', fromTs: startTs, toTs, ...(cursor ? { cursor } : {}) });
      if (!r.ok) throw new Error(JSON.stringify(r));
      return r;
    });
    const restReplay = await readAll(async (cursor) => {
      const r = await h.get(`/api/events?from=${startTs}&to=${toTs}${cursor ? `&cursor=${cursor}` : ''}`, SCOPED);
      if (r.status !== 200) throw new Error(JSON.stringify(r.body));
      return r.body;
    });
    const cityReplay = await readAll(async (cursor) => {
      const r = await h.get(`/api/events?from=${startTs}&to=${toTs}${cursor ? `&cursor=${cursor}` : ''}`, CITY);
      return r.body;
    });
    const incidentIds = (events: LogEvent[]) => new Set(events.flatMap((e) => (e.incident ? [e.incident.id] : [])));
    expect([...incidentIds(cityReplay)]).toEqual(expect.arrayContaining([shinan.id, laoshan.id]));
    for (const events of [socketReplay, restReplay]) {
      expect(incidentIds(events).has(shinan.id)).toBe(true);
      expect(incidentIds(events).has(laoshan.id)).toBe(false);
      expect(events.every((e) => (e.incident ?? e.alert)?.district === SHINAN.district)).toBe(true);
    }
    // the scoped events are exactly the whole city's in-scope ones: filtering kept paging right
    const inScope = cityReplay.filter((e) => (e.incident ?? e.alert)?.district === SHINAN.district);
    expect(restReplay.map((e) => e.id)).toEqual(inScope.map((e) => e.id));
  });

  it('is briefed on 市南区 only', async () => {
    const scoped = await h.get('/api/briefing', SCOPED);
    const city = await h.get('/api/briefing', CITY);
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    expect(sum(city.body.incidents.byDistrict[LAOSHAN.district])).toBeGreaterThan(0);
    expect(sum(scoped.body.incidents.byDistrict[LAOSHAN.district])).toBe(0);
    expect(sum(scoped.body.incidents.byDistrict[SHINAN.district])).toBe(sum(city.body.incidents.byDistrict[SHINAN.district]));
    expect(sum(scoped.body.incidents.total)).toBe(sum(scoped.body.incidents.byDistrict[SHINAN.district]));
  });

  it('reads only 市南区 devices and assets, and no whole-city export', async () => {
    const devices = await h.get('/api/devices', SCOPED);
    expect(devices.status).toBe(200);
    expect(devices.body.devices.length).toBeGreaterThan(0);
    expect(devices.body.devices.every((d: Device) => d.district === SHINAN.district)).toBe(true);
    const assets = await h.get('/api/assets', SCOPED);
    expect(assets.body.assets.every((a: { district: string }) => a.district === SHINAN.district)).toBe(true);
    const other = [...h.server.fusion.devices.values()].find((d) => d.district === LAOSHAN.district)!;
    const mine = [...h.server.fusion.devices.values()].find((d) => d.district === SHINAN.district)!;
    expect((await h.get(`/api/devices/${other.id}`, SCOPED)).status).toBe(403);
    expect((await h.get(`/api/devices/${mine.id}`, SCOPED)).status).toBe(200);
    expect((await h.get('/api/devices/export', SCOPED)).status).toBe(403);
    expect((await h.get('/api/devices', CITY)).body.devices.some((d: Device) => d.district === LAOSHAN.district)).toBe(true);
    const s = await h.socket(SCOPED);
    expect((await ask(s, 'device:detail', { deviceId: other.id })).error?.code).toBe('E_FORBIDDEN');
    expect((await ask(s, 'device:detail', { deviceId: mine.id })).ok).toBe(true);
  });

  it('acts on 市南区 incidents only, and may not open one elsewhere', async () => {
    const outside = await h.must('admin', incidentAt(LAOSHAN, '崂山区 派单'));
    const inside = await h.must('admin', incidentAt(SHINAN, '市南区 派单'));
    for (const body of [
      { type: 'incident.dispatch', incidentId: outside.id, assignees: ['handler1'] },
      { type: 'incident.note', incidentId: outside.id, note: 'not mine' },
      incidentAt(LAOSHAN, '越界上报'),
    ]) {
      const r = await h.command(SCOPED, body);
      expect(r.ok, JSON.stringify(r)).toBe(false);
      if (!r.ok) expect(r.error.code).toBe('E_FORBIDDEN');
    }
    expect((await h.get(`/api/incidents/${outside.id}`, 'admin')).body.incident.version).toBe(outside.version);
    expect(await h.command(SCOPED, { type: 'incident.dispatch', incidentId: inside.id, assignees: ['handler1'] })).toMatchObject({ ok: true });
    expect(await h.command(SCOPED, incidentAt(SHINAN, '辖区内上报'))).toMatchObject({ ok: true });
    // the whole-city officer acts anywhere
    expect(await h.command(CITY, { type: 'incident.note', incidentId: outside.id, note: 'seen' })).toMatchObject({ ok: true });
  });
});
