/**
 * Area warnings end to end (issue 14): rain readings through POST /api/ingest raise per-gauge
 * alerts; the server groups them into one district warning, pushes `warnings` to officers in
 * scope, shows it on the wall's scene, hides its gauges from the officer's decisions, and lets an
 * admin replace the rules (compare-and-set, audited). A restart on Redis brings the warning back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { io, type Socket } from 'socket.io-client';
import type { IocServer } from '../app';
import type { Device, DistrictCode, Reading } from '../../scenes/domain';
import type { SceneModel } from '../../scenes/scene-model';
import { DEFAULT_AREA_WARNING_RULES } from '../../scenes/storm/area-warnings';
import { WarningsMessageSchema, type AlertsAnswer, type DecisionsAnswer, type WarningsMessage } from '../../scenes/storm/warning-messages';
import { RedisStore } from '../store/redis-store';
import { MemoryStore } from '../store/memory-store';
import { startRedisServer } from '../../tests/helpers/redis-server';
import { PROTOCOL_VERSION } from '../../scenes/protocol';
import { ingest, login, sign, startTestServer } from './helpers';

/** Collects `warnings` pushes; `next` resolves with the first (already received or later) matching one. */
class WarningsCollector {
  readonly messages: WarningsMessage[] = [];
  private waiters: { pred: (m: WarningsMessage) => boolean; resolve: (m: WarningsMessage) => void }[] = [];
  constructor(socket: Socket) {
    socket.on('warnings', (raw: unknown) => {
      const m = WarningsMessageSchema.parse(raw);
      this.messages.push(m);
      this.waiters = this.waiters.filter((w) => (w.pred(m) ? (w.resolve(m), false) : true));
    });
  }
  next(pred: (m: WarningsMessage) => boolean, timeoutMs = 5000): Promise<WarningsMessage> {
    const hit = this.messages.find(pred);
    if (hit) return Promise.resolve(hit);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no matching warnings push; got ${JSON.stringify(this.messages)}`)), timeoutMs);
      this.waiters.push({ pred, resolve: (m) => (clearTimeout(t), resolve(m)) });
    });
  }
}

/** A `/live` socket whose `warnings` pushes are collected from the first one (sent right after connect). */
async function warningsSocket(server: IocServer, token: string): Promise<{ socket: Socket; pushes: WarningsCollector }> {
  const socket = io(`${server.url}/live`, {
    auth: { token, protocol: PROTOCOL_VERSION },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    autoConnect: false,
  });
  const pushes = new WarningsCollector(socket);
  socket.connect();
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', (e) => reject(e));
  });
  return { socket, pushes };
}

const seqs = new Map<string, number>();
/** Rain over the red line (70 mm/h) for 90 s up to now: each gauge raises a red alert after the rule's minute. */
function stormReadings(gauges: readonly Device[], mmPerH = 80): Reading[] {
  const now = Date.now();
  return gauges.flatMap((g) =>
    [90_000, 60_000, 30_000, 0].map((ago) => {
      const seq = (seqs.get(g.id) ?? 0) + 1;
      seqs.set(g.id, seq);
      return { deviceId: g.id, ts: now - ago, seq, metrics: { rainfall: mmPerH } };
    }),
  );
}

function rainGaugesByDistrict(server: IocServer): Map<DistrictCode, Device[]> {
  const out = new Map<DistrictCode, Device[]>();
  for (const d of server.fusion.devices.values()) if (d.kind === 'rain-gauge') out.set(d.district, [...(out.get(d.district) ?? []), d]);
  return out;
}

async function call(server: IocServer, token: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const r = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: r.status, body: await r.json() };
}

describe('area warnings on a real server (memory store)', () => {
  let server: IocServer;
  let stormDistrict: DistrictCode;
  let quietDistrict: DistrictCode;
  let stormGauges: Device[];
  const tokens: Record<string, string> = {};
  let cityWide: WarningsCollector;
  let scoped: WarningsCollector;
  const sockets: Socket[] = [];
  const get = (user: string, path: string) => call(server, tokens[user]!, 'GET', path);

  beforeAll(async () => {
    server = await startTestServer({}, { store: new MemoryStore() });
    const byDistrict = [...rainGaugesByDistrict(server)].sort((a, b) => b[1].length - a[1].length);
    expect(byDistrict[0]![1].length).toBeGreaterThanOrEqual(3);
    [stormDistrict, stormGauges] = [byDistrict[0]![0], byDistrict[0]![1].slice(0, 3)];
    quietDistrict = byDistrict[1]![0];
    // officer1 watches the quiet district only (straight into the store, as the scope tests do)
    const user = (await server.store.getUser('officer1'))!;
    await server.store.putUser({ ...user, districts: [quietDistrict] });
    for (const u of ['officer1', 'officer2', 'admin', 'screen1', 'handler1', 'leader1']) tokens[u] = await login(server, u);
    const city = await warningsSocket(server, tokens.officer2!);
    const district = await warningsSocket(server, tokens.officer1!);
    sockets.push(city.socket, district.socket);
    cityWide = city.pushes;
    scoped = district.pushes;
    await cityWide.next(() => true);
    await scoped.next(() => true);
  });

  afterAll(async () => {
    for (const s of sockets) s.close();
    await server?.close();
  });

  it('pushes one district warning carrying its three gauges to officers whose scope holds the district', async () => {
    expect(cityWide.messages[0]).toMatchObject({ warnings: [], rulesVersion: 0 });
    expect((await ingest(server, sign(stormReadings(stormGauges)))).body).toMatchObject({ rejected: [] });
    const pushed = await cityWide.next((m) => m.warnings.length === 1);
    const [w] = pushed.warnings;
    expect(w).toMatchObject({ district: stormDistrict, level: 'red', active: true, ruleId: 'area.rainfall.district' });
    expect(w!.deviceIds).toEqual(stormGauges.map((g) => g.id).sort());
    expect(Object.keys(pushed.coveredBy).sort()).toEqual([...w!.alertIds].sort());
    // the officer limited to another district hears of none of it: by the answer to a later request
    // (pushes to one socket arrive in order), only the welcome push came
    const asked = WarningsMessageSchema.parse(await sockets[1]!.timeout(5000).emitWithAck('warnings:get', {}));
    expect(asked.warnings).toEqual([]);
    expect(scoped.messages).toHaveLength(1);
    expect((await get('officer1', '/api/warnings')).body).toMatchObject({ warnings: [], coveredBy: {} });
    expect((await get('officer2', '/api/warnings')).body.warnings.map((x: { id: string }) => x.id)).toEqual([w!.id]);
  });

  it('shows the warning on the water and overview walls, not on the bridge wall', async () => {
    const [water, overview, bridge] = await Promise.all(
      ['water', 'overview', 'bridge'].map(async (s) => (await get('screen1', `/api/scenes/${s}`)).body.model as SceneModel),
    );
    const id = (await get('officer2', '/api/warnings')).body.warnings[0].id;
    expect(water.warnings).toEqual([expect.objectContaining({ id, scene: 'water', alertCount: 3, deviceCount: 3, level: 'red' })]);
    expect(overview.warnings?.map((x) => x.id)).toEqual([id]);
    expect(bridge.warnings).toBeUndefined();
  });

  it('lists alerts by state, level, scene and district, marks covered ones, and refuses bad filters', async () => {
    const q = `/api/alerts?state=open&level=red,orange&scene=water&district=${stormDistrict}`;
    const listed = (await get('officer2', q)).body as AlertsAnswer;
    expect(listed.alerts.map((a) => a.deviceId).sort()).toEqual(stormGauges.map((g) => g.id).sort());
    expect(listed.total).toBe(3);
    expect(Object.keys(listed.coveredBy)).toHaveLength(3);
    expect(((await get('officer2', `${q}&covered=false`)).body as AlertsAnswer).alerts).toEqual([]);
    expect(((await get('officer2', '/api/alerts?state=recovered')).body as AlertsAnswer).alerts).toEqual([]);
    // scoped: the district officer lists none of another district's alerts
    expect(((await get('officer1', '/api/alerts?state=all')).body as AlertsAnswer).alerts.filter((a) => a.district !== quietDistrict)).toEqual([]);
    const bad = await get('officer2', '/api/alerts?level=purple');
    expect([bad.status, bad.body.error.code]).toEqual([400, 'E_VALIDATION']);
    expect((await get('officer2', '/api/alerts?sort=x')).status).toBe(400);
    expect((await get('handler1', '/api/alerts')).status).toBe(403);
  });

  it('asks the officer for one decision on the warning instead of one per gauge', async () => {
    const answer = (await get('officer2', '/api/decisions')).body as DecisionsAnswer;
    const warningId = answer.warnings[0]!.id;
    expect(answer.decisions.filter((d) => d.kind === 'bulletin')).toEqual([
      { kind: 'bulletin', ruleId: 'area.rainfall.district', level: 'red', warningIds: [warningId], districts: [stormDistrict], alertCount: 3 },
    ]);
    const covered = new Set(Object.keys(answer.coveredBy));
    expect(answer.decisions.filter((d) => d.kind === 'alert' && covered.has(d.alertId))).toEqual([]);
    expect(answer.alerts.filter((a) => covered.has(a.id))).toEqual([]);
    expect(((await get('officer1', '/api/decisions')).body as DecisionsAnswer).decisions).toEqual([]);
    expect((await get('screen1', '/api/decisions')).status).toBe(403);
  });

  it('lets only an admin replace the rules, with compare-and-set and an audit record; a stricter rule ends the warning', async () => {
    const before = (await get('officer2', '/api/storm/area-warning-rules')).body;
    expect(before).toMatchObject({ version: 0, isDefault: true, rules: DEFAULT_AREA_WARNING_RULES });
    const stricter = [{ ...DEFAULT_AREA_WARNING_RULES[0]!, minCount: 4 }];
    const denied = await call(server, tokens.officer2!, 'PUT', '/api/storm/area-warning-rules', { expectedVersion: 0, rules: stricter });
    expect([denied.status, denied.body.error.code]).toEqual([403, 'E_FORBIDDEN']);
    const unknownRule = [{ ...stricter[0]!, alertRuleIds: ['no.such.rule'] }];
    expect((await call(server, tokens.admin!, 'PUT', '/api/storm/area-warning-rules', { expectedVersion: 0, rules: unknownRule })).status).toBe(400);

    const put = await call(server, tokens.admin!, 'PUT', '/api/storm/area-warning-rules', { expectedVersion: 0, rules: stricter });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ version: 1, isDefault: false, updatedBy: 'admin', rules: stricter });
    await cityWide.next((m) => m.rulesVersion === 1 && m.warnings.length === 0);
    const stale = await call(server, tokens.admin!, 'PUT', '/api/storm/area-warning-rules', {
      expectedVersion: 0,
      rules: DEFAULT_AREA_WARNING_RULES,
    });
    expect([stale.status, stale.body.error.code, stale.body.error.details.currentVersion]).toEqual([409, 'E_CONFLICT', 1]);

    const audit = await get('admin', '/api/audit?action=storm.area_rules.update');
    expect(audit.body.records.map((r: { outcome: string; actor: string }) => [r.actor, r.outcome])).toEqual(
      expect.arrayContaining([
        ['admin', 'success'],
        ['admin', 'failure'],
      ]),
    );
    expect((await get('admin', '/api/storm/area-warning-rules/history')).body.changes.map((c: { version: number }) => c.version)).toEqual([1]);

    // back to three gauges: the same warning (same id: rule, district, earliest member) returns
    const first = cityWide.messages.find((m) => m.warnings.length === 1)!.warnings[0]!;
    expect(
      (await call(server, tokens.admin!, 'PUT', '/api/storm/area-warning-rules', { expectedVersion: 1, rules: DEFAULT_AREA_WARNING_RULES })).status,
    ).toBe(200);
    const back = await cityWide.next((m) => m.rulesVersion === 2 && m.warnings.length === 1);
    expect(back.warnings[0]!.id).toBe(first.id);
  });
});

describe('storm routes: who may call them, and hostile input', () => {
  let server: IocServer;
  const tokens: Record<string, string> = {};
  const ACTORS = { screen: 'screen1', officer: 'officer1', handler: 'handler1', leader: 'leader1', admin: 'admin' } as const;

  beforeAll(async () => {
    server = await startTestServer({}, { store: new MemoryStore() });
    for (const u of Object.values(ACTORS)) tokens[u] = await login(server, u);
  });
  afterAll(async () => {
    await server?.close();
  });

  it('limits each route by role (handlers see none of it; only admins edit the rules or read their history)', async () => {
    const table: [string, string, readonly string[]][] = [
      ['GET', '/api/warnings', ['screen', 'officer', 'leader', 'admin']],
      ['GET', '/api/alerts', ['screen', 'officer', 'leader', 'admin']],
      ['GET', '/api/decisions', ['officer', 'leader', 'admin']],
      ['GET', '/api/storm/area-warning-rules', ['officer', 'leader', 'admin']],
      ['GET', '/api/storm/area-warning-rules/history', ['admin']],
      // an empty body: refused as invalid (400) once the role passed, and nothing changes
      ['PUT', '/api/storm/area-warning-rules', ['admin']],
    ];
    for (const [method, path, allowed] of table) {
      for (const [role, user] of Object.entries(ACTORS)) {
        const r = await call(server, tokens[user]!, method, path, method === 'PUT' ? {} : undefined);
        const expected = allowed.includes(role) ? (method === 'PUT' ? 400 : 200) : 403;
        expect(r.status, `${method} ${path} as ${role}`).toBe(expected);
      }
    }
    expect((await call(server, tokens.admin!, 'GET', '/api/storm/area-warning-rules')).body.version).toBe(0);
  });

  it('answers hostile queries and bodies with a typed E_VALIDATION, never a 500', async () => {
    const queries = [
      'level=',
      'level=red&level=__proto__',
      'state[]=open',
      'district=370202,'.repeat(50),
      'limit=2.5',
      'limit=-1',
      'scene=%00',
      '__proto__=1',
    ];
    for (const q of queries) {
      const r = await call(server, tokens.officer1!, 'GET', `/api/alerts?${q}`);
      expect([r.status, r.body.error?.code], q).toEqual([400, 'E_VALIDATION']);
    }
    const rule = DEFAULT_AREA_WARNING_RULES[0]!;
    const bodies: unknown[] = [
      [],
      { expectedVersion: -1, rules: [] },
      { expectedVersion: 0, rules: [{ ...rule, minCount: 1 }] },
      { expectedVersion: 0, rules: [rule, rule] },
      { expectedVersion: 0, rules: [{ ...rule, grouping: { by: 'radius', radiusM: 1e9 } }] },
      { expectedVersion: 0, rules: [{ ...rule, extra: true }] },
      { expectedVersion: 0, rules: Array.from({ length: 21 }, (_, i) => ({ ...rule, id: `r${i}` })) },
      { expectedVersion: 0, rules: [{ ...rule, title: 'x'.repeat(81) }] },
    ];
    for (const body of bodies) {
      const r = await call(server, tokens.admin!, 'PUT', '/api/storm/area-warning-rules', body);
      expect([r.status, r.body.error?.code], JSON.stringify(body).slice(0, 80)).toEqual([400, 'E_VALIDATION']);
    }
    expect((await call(server, tokens.admin!, 'GET', '/api/storm/area-warning-rules')).body.version).toBe(0);
  });
});

const redis = await startRedisServer();

describe.skipIf(redis === null)('area warnings survive a restart (Redis store)', () => {
  afterAll(async () => {
    await redis?.stop();
  });

  it('recomputes the warning with its id from the stored alerts, under the stored rules', async () => {
    const prefix = `storm-warnings-${process.pid}`;
    const first = await startTestServer({}, { store: new RedisStore(redis!.url, { prefix }) });
    let id: string;
    try {
      const [, gauges] = [...rainGaugesByDistrict(first)].sort((a, b) => b[1].length - a[1].length)[0]!;
      const admin = await login(first, 'admin');
      const rules = [{ ...DEFAULT_AREA_WARNING_RULES[0]!, title: '区域强降雨预警（演练）' }];
      expect((await call(first, admin, 'PUT', '/api/storm/area-warning-rules', { expectedVersion: 0, rules })).status).toBe(200);
      await ingest(first, sign(stormReadings(gauges.slice(0, 3))));
      let warnings: { id: string }[] = [];
      for (let i = 0; i < 100 && warnings.length === 0; i++) {
        warnings = (await call(first, admin, 'GET', '/api/warnings')).body.warnings;
        if (warnings.length === 0) await new Promise((r) => setTimeout(r, 50));
      }
      expect(warnings).toHaveLength(1);
      id = warnings[0]!.id;
    } finally {
      await first.close();
    }
    const second = await startTestServer({}, { store: new RedisStore(redis!.url, { prefix }) });
    try {
      const admin = await login(second, 'admin');
      const after = (await call(second, admin, 'GET', '/api/warnings')).body as WarningsMessage;
      expect(after.warnings.map((w) => [w.id, w.title])).toEqual([[id, '区域强降雨预警（演练）']]);
      expect(after.rulesVersion).toBe(1);
    } finally {
      await second.close();
    }
  });
});
