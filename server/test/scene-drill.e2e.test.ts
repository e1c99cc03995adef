/**
 * District drill-down (issue 17): `scene:join` with a district answers the scene built from the
 * viewer's scope narrowed to that district — on the server, for every screen scene — and refuses
 * a district outside the viewer's scope, a code that is no district, and a field handler.
 * `replay:range` with a district answers that district's events only, under the same rule.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DISTRICT_CODES, SCREEN_SCENE_IDS, type DistrictCode } from '../../scenes/domain';
import type { LogEvent, SceneJoinResult, SceneSnapshotMessage } from '../../scenes/protocol';
import { districtOf } from '../../scenes/geo/districts';
import { waitUntil } from '../../tests/helpers/cluster-clients';
import { QINGDAO_ASSETS } from '../../scenes/city/qingdao';
import type { SceneDeltaMessage } from '../../scenes/protocol';
import { ingest, sign } from './helpers';
import { ask, collect, incidentAt, LAOSHAN, SHINAN, startScopeHarness, type ScopeHarness } from './scope-helpers';

let h: ScopeHarness;
/** officer1 is limited to 市南区; officer2 sees the whole city */
const SCOPED = 'officer1';
const CITY = 'officer2';
const SHIBEI: DistrictCode = '370203';

beforeAll(async () => {
  h = await startScopeHarness('drill');
  const user = (await h.server.store.getUser(SCOPED))!;
  await h.server.store.putUser({ ...user, districts: [SHINAN.district] });
});

afterAll(async () => {
  await h?.close();
});

function snapshotOf(r: SceneJoinResult): SceneSnapshotMessage {
  if (!r.ok || r.mode !== 'snapshot') throw new Error(JSON.stringify(r).slice(0, 300));
  return r.snapshot;
}

const districtOfDevice = (id: string) => h.server.fusion.devices.get(id)?.district;

describe('scene:join with a district', () => {
  it('answers the water scene of 市北区 only: its devices and alerts, fewer than the city’s', async () => {
    const s = await h.socket(CITY);
    const drilled = snapshotOf(await ask(s, 'scene:join', { scene: 'water', district: SHIBEI }));
    expect(drilled.district).toBe(SHIBEI);
    const model = drilled.model;
    expect(model.devices.length).toBeGreaterThan(0);
    expect(model.devices.every((d) => districtOfDevice(d.id) === SHIBEI)).toBe(true);
    expect(model.alerts.every((a) => a.district === SHIBEI)).toBe(true);
    expect(model.assets.every((a) => QINGDAO_ASSETS.find((x) => x.id === a.id)?.district === SHIBEI)).toBe(true);
    const city = snapshotOf(await ask(s, 'scene:join', { scene: 'water' }));
    expect(city.district).toBeUndefined();
    expect(city.model.devices.length).toBeGreaterThan(model.devices.length);
    // the two views are separate channels with their own revisions
    expect(city.model.devices.some((d) => districtOfDevice(d.id) !== SHIBEI)).toBe(true);
  });

  it('resumes per view: a drilled revision resumes the drilled view, never the city view', async () => {
    const s = await h.socket(CITY);
    const first = snapshotOf(await ask(s, 'scene:join', { scene: 'bridge', district: SHIBEI }));
    const again = await ask<SceneJoinResult>(s, 'scene:join', { scene: 'bridge', district: SHIBEI, sinceRev: first.rev });
    expect(again.ok).toBe(true);
    if (again.ok && again.mode === 'snapshot') expect(again.snapshot.district).toBe(SHIBEI);
    else if (again.ok) expect(again.deltas.every((d) => d.district === SHIBEI)).toBe(true);
    // the drilled revision means nothing to the city view: a snapshot of the whole city
    const city = await ask<SceneJoinResult>(s, 'scene:join', { scene: 'bridge', sinceRev: first.rev });
    expect(snapshotOf(city).district).toBeUndefined();
    s.emit('scene:leave', { scene: 'bridge', district: SHIBEI });
  });

  it('tags the drilled view’s deltas with its district, so one socket tells them from the city view’s', async () => {
    const s = await h.socket(CITY);
    const deltas = collect<SceneDeltaMessage>(s, 'scene:delta');
    const drilled = snapshotOf(await ask(s, 'scene:join', { scene: 'bridge', district: SHIBEI }));
    const city = snapshotOf(await ask(s, 'scene:join', { scene: 'bridge' }));
    const gauge = [...h.server.fusion.devices.values()].find((d) => d.kind === 'strain-gauge' && d.district === SHIBEI)!;
    expect(gauge).toBeDefined();
    // far over the red limit for longer than the rule's minimum duration (10 s): an alert, sent at once to both views
    const now = Date.now();
    const over = (seq: number, ts: number) => ({ deviceId: gauge.id, ts, seq, metrics: { strain: 900 } });
    const r = await ingest(h.server, sign([over(1, now - 11_000), over(2, now)]));
    expect(r.status).toBe(200);
    const mine = await deltas.waitFor((d) => d.district === SHIBEI && (d.delta.alerts?.put ?? []).some((a) => a.deviceId === gauge.id));
    expect(mine.prevRev).toBeGreaterThanOrEqual(drilled.rev);
    const whole = await deltas.waitFor(
      (d) => d.district === undefined && d.scene === 'bridge' && (d.delta.alerts?.put ?? []).some((a) => a.deviceId === gauge.id),
    );
    expect(whole.prevRev).toBeGreaterThanOrEqual(city.rev);
  });

  it('builds every screen scene for every district (empty districts give empty charts, not broken ones)', async () => {
    for (const district of DISTRICT_CODES) {
      // a socket per district: joins have a per-connection budget (a burst of 12)
      const s = await h.socket(CITY);
      for (const scene of SCREEN_SCENE_IDS) {
        const snap = snapshotOf(await ask(s, 'scene:join', { scene, district }));
        expect(snap.model.scene).toBe(scene);
        for (const k of snap.model.kpis) expect(k.value === null || Number.isFinite(k.value), `${scene}@${district} ${k.id}`).toBe(true);
        for (const [key, chart] of Object.entries(snap.model.charts)) {
          expect(chart.dataTs, `${scene}@${district} ${key}`).toBeGreaterThan(0);
          // an empty chart is never "data delayed" on arrival
          expect(Date.now() - chart.dataTs, `${scene}@${district} ${key}`).toBeLessThanOrEqual(chart.expectedIntervalMs);
        }
        expect(snap.model.devices.every((d) => districtOfDevice(d.id) === district)).toBe(true);
        s.emit('scene:leave', { scene, district });
      }
    }
  });

  it('lets an officer limited to 市南区 drill into 市南区, and refuses 市北区 with E_FORBIDDEN and no data', async () => {
    const s = await h.socket(SCOPED);
    const inside = snapshotOf(await ask(s, 'scene:join', { scene: 'emergency', district: SHINAN.district }));
    expect(inside.model.devices.every((d) => districtOfDevice(d.id) === SHINAN.district)).toBe(true);
    const outside = await ask(s, 'scene:join', { scene: 'emergency', district: SHIBEI });
    expect(outside.ok).toBe(false);
    expect(outside.error.code).toBe('E_FORBIDDEN');
    expect(outside.snapshot).toBeUndefined();
    const audit = await h.get('/api/audit?action=access.denied&actor=officer1', 'admin');
    expect(JSON.stringify(audit.body)).toContain(`live:scene:join:emergency@${SHIBEI}`);
  });

  it('refuses a code that is no district with E_VALIDATION', async () => {
    const s = await h.socket(CITY);
    const r = await ask(s, 'scene:join', { scene: 'water', district: '999999' });
    expect(r.ok).toBe(false);
    expect(r.error.code).toBe('E_VALIDATION');
  });

  it('refuses a field handler any drill-down', async () => {
    const s = await h.socket('handler1');
    const r = await ask(s, 'scene:join', { scene: 'water', district: SHIBEI });
    expect(r.ok).toBe(false);
    expect(r.error.code).toBe('E_FORBIDDEN');
  });
});

describe('replay:range with a district', () => {
  /** 台东 in 市北区 */
  const SHIBEI_AT = [120.3525, 36.0885] as const;
  let startTs: number;
  let shibeiIncident: string;
  let others: string[];
  let shibeiAlert: string;

  type Page = { ok: boolean; events: LogEvent[]; next?: string; error?: { code: string } };
  async function replayAll(username: string, district?: DistrictCode): Promise<LogEvent[]> {
    const s = await h.socket(username);
    const events: LogEvent[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 1000; pages++) {
      const r = await ask<Page>(s, 'replay:range', {
        scene: 'overview',
        fromTs: startTs,
        toTs: Date.now() + 1000,
        ...(district ? { district } : {}),
        ...(cursor ? { cursor } : {}),
      });
      if (!r.ok) throw new Error(JSON.stringify(r));
      events.push(...r.events);
      if (r.next === undefined) return events;
      cursor = r.next;
    }
    throw new Error('replay did not end');
  }
  const districtOfEvent = (e: LogEvent) => (e.incident ?? e.alert)?.district ?? e.deviceCommand?.district;

  beforeAll(async () => {
    startTs = Date.now();
    expect(districtOf([...SHIBEI_AT])).toBe(SHIBEI);
    const shibei = await h.must('admin', { ...incidentAt(SHINAN, '市北区 回放事件'), location: [...SHIBEI_AT], district: SHIBEI });
    shibeiIncident = shibei.id;
    others = [(await h.must('admin', incidentAt(SHINAN, '市南区 回放事件'))).id, (await h.must('admin', incidentAt(LAOSHAN, '崂山区 回放事件'))).id];
    // an alert in 市北区: a strain gauge far over its red limit for longer than the rule's minimum duration
    const gauge = [...h.server.fusion.devices.values()].filter((d) => d.kind === 'strain-gauge' && d.district === SHIBEI).at(-1)!;
    expect(gauge).toBeDefined();
    const now = Date.now();
    const over = (seq: number, ts: number) => ({ deviceId: gauge.id, ts, seq, metrics: { strain: 900 } });
    expect((await ingest(h.server, sign([over(1_000, now - 11_000), over(1_001, now)]))).status).toBe(200);
    const logged = await waitUntil(
      'the 市北区 alert in the event log',
      async () => (await h.server.store.readEvents(startTs, Date.now() + 1000, 10_000)).find((e) => e.alert?.deviceId === gauge.id),
      10_000,
    );
    shibeiAlert = logged.alert!.id;
  });

  it('answers the events of 市北区 only: its incidents and alerts, exactly the city replay’s 市北区 events', async () => {
    const drilled = await replayAll(CITY, SHIBEI);
    const city = await replayAll(CITY);
    const incidentIds = new Set(drilled.flatMap((e) => (e.incident ? [e.incident.id] : [])));
    expect(incidentIds.has(shibeiIncident)).toBe(true);
    for (const id of others) expect(incidentIds.has(id)).toBe(false);
    expect(drilled.some((e) => e.alert?.id === shibeiAlert)).toBe(true);
    expect(drilled.every((e) => districtOfEvent(e) === SHIBEI)).toBe(true);
    // the city replay holds the others too; the drilled one is its 市北区 part, in order
    expect(city.some((e) => e.incident && others.includes(e.incident.id))).toBe(true);
    expect(drilled.map((e) => e.id)).toEqual(city.filter((e) => districtOfEvent(e) === SHIBEI).map((e) => e.id));
  });

  it('lets an officer limited to 市南区 replay 市南区, and refuses 市北区 with E_FORBIDDEN, no events, audited', async () => {
    const inside = await replayAll(SCOPED, SHINAN.district);
    expect(inside.some((e) => e.incident?.id === others[0])).toBe(true);
    expect(inside.every((e) => districtOfEvent(e) === SHINAN.district)).toBe(true);
    const s = await h.socket(SCOPED);
    const outside = await ask<Page>(s, 'replay:range', { scene: 'overview', fromTs: startTs, toTs: Date.now() + 1000, district: SHIBEI });
    expect(outside.ok).toBe(false);
    expect(outside.error?.code).toBe('E_FORBIDDEN');
    expect(outside.events).toBeUndefined();
    const audit = await h.get('/api/audit?action=access.denied&actor=officer1', 'admin');
    expect(JSON.stringify(audit.body)).toContain(`live:replay:range:overview@${SHIBEI}`);
  });

  it('refuses a code that is no district with E_VALIDATION, and a field handler any replay', async () => {
    const s = await h.socket(CITY);
    const bad = await ask<Page>(s, 'replay:range', { scene: 'overview', fromTs: startTs, toTs: Date.now(), district: '999999' });
    expect(bad.error?.code).toBe('E_VALIDATION');
    const handler = await h.socket('handler1');
    const r = await ask<Page>(handler, 'replay:range', { scene: 'overview', fromTs: startTs, toTs: Date.now(), district: SHIBEI });
    expect(r.error?.code).toBe('E_FORBIDDEN');
  });
});
