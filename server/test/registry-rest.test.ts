/**
 * Registry REST (issue 11): devices and assets as data, with their own credentials, compare-and-set
 * edits, imports that change nothing when a row is bad, and exports that import as no-ops.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IocServer } from '../app';
import { deviceToken, DEV_DEVICE_SECRET } from '../device-token';
import type { ImportReport, RegistryAsset, RegistryDevice } from '../registry/registry-schemas';
import { ingest, login, startTestServer } from './helpers';

let server: IocServer;
let admin: string;
let officer: string;
let seq = 1;

beforeAll(async () => {
  server = await startTestServer();
  admin = await login(server, 'admin');
  officer = await login(server, 'officer1');
});
afterAll(async () => {
  await server?.close();
});

async function api(method: string, path: string, token: string, body?: unknown, contentType = 'application/json') {
  const r = await fetch(`${server.url}/api${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': contentType }) },
    body: body === undefined ? undefined : typeof body === 'string' ? body : Buffer.isBuffer(body) ? new Uint8Array(body) : JSON.stringify(body),
  });
  const text = await r.text();
  let json: any = text;
  try {
    json = JSON.parse(text);
  } catch {
    // CSV / GeoJSON exports
  }
  return { status: r.status, body: json, text };
}

const reading = (deviceId: string, token: string) => ({ deviceId, ts: Date.now(), seq: seq++, metrics: { strain: 50 }, token });
const newDevice = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  kind: 'strain-gauge',
  name: `测试应变计 ${id}`,
  location: [120.41, 36.16],
  ...extra,
});

describe('devices: credentials', () => {
  it('issues a token at creation that ingest accepts; rotating makes the old one fail at once', async () => {
    const created = await api('POST', '/devices', admin, newDevice('reg-sg-1', { vendor: 'ACME', installDate: '2026-01-15' }));
    expect(created.status).toBe(201);
    const { device, token } = created.body as { device: RegistryDevice; token: string };
    expect(device).toMatchObject({ id: 'reg-sg-1', version: 1, status: 'active', scene: 'bridge', district: '370213', updatedBy: 'admin' });
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(JSON.stringify((await api('GET', '/devices/reg-sg-1', admin)).body)).not.toContain(token);
    // live at once: the device is in fusion and its readings are accepted
    expect(server.fusion.devices.has('reg-sg-1')).toBe(true);
    expect((await ingest(server, [reading('reg-sg-1', token)])).body.accepted).toBe(1);
    // the HMAC demo token is not a credential of a registered device
    expect((await ingest(server, [reading('reg-sg-1', deviceToken(DEV_DEVICE_SECRET, 'reg-sg-1'))])).body.rejected[0].code).toBe('E_UNAUTHORIZED');

    const rotated = await api('POST', '/devices/reg-sg-1/token', admin, {});
    expect(rotated.status).toBe(200);
    expect(rotated.body.token).not.toBe(token);
    expect((await ingest(server, [reading('reg-sg-1', token)])).body.rejected[0].code).toBe('E_UNAUTHORIZED');
    expect((await ingest(server, [reading('reg-sg-1', rotated.body.token)])).body.accepted).toBe(1);
  });

  it('refuses the readings of a retired device and keeps its record and history', async () => {
    const { body } = await api('POST', '/devices', admin, newDevice('reg-sg-2'));
    expect((await ingest(server, [reading('reg-sg-2', body.token)])).body.accepted).toBe(1);
    const retired = await api('DELETE', '/devices/reg-sg-2', admin);
    expect(retired.body.device).toMatchObject({ status: 'retired', version: 2 });
    const after = await ingest(server, [reading('reg-sg-2', body.token)]);
    expect(after.body.accepted).toBe(0);
    expect(['E_NOT_FOUND', 'E_UNAUTHORIZED']).toContain(after.body.rejected[0].code);
    expect(server.fusion.devices.has('reg-sg-2')).toBe(false);
    // reactivated, it still needs a new token
    const back = await api('PATCH', '/devices/reg-sg-2', admin, { version: 2, status: 'active' });
    expect(back.status).toBe(200);
    expect((await ingest(server, [reading('reg-sg-2', body.token)])).body.accepted).toBe(0);
    const history = await api('GET', '/devices/reg-sg-2/history', officer);
    expect(history.body.history.map((c: { action: string; actor: string }) => `${c.action}:${c.actor}`)).toEqual([
      'create:admin',
      'retire:admin',
      'update:admin',
    ]);
    expect(history.body.history[1]).toMatchObject({ before: { status: 'active' }, after: { status: 'retired' } });
  });

  it('accepts the HMAC demo token only for the seeded demo fleet, until the device is rotated', async () => {
    const demo = [...server.fusion.devices.values()].find((d) => d.kind === 'strain-gauge' && !d.id.startsWith('reg-'))!;
    const hmac = deviceToken(DEV_DEVICE_SECRET, demo.id);
    expect((await ingest(server, [reading(demo.id, hmac)])).body.accepted).toBe(1);
    expect((await api('GET', `/devices/${demo.id}/token`, admin)).body.token).toBe(hmac);
    const rotated = await api('POST', `/devices/${demo.id}/token`, admin, {});
    expect((await ingest(server, [reading(demo.id, hmac)])).body.rejected[0].code).toBe('E_UNAUTHORIZED');
    expect((await ingest(server, [reading(demo.id, rotated.body.token)])).body.accepted).toBe(1);
    expect((await api('GET', `/devices/${demo.id}/token`, admin)).body.error.code).toBe('E_CONFLICT');
    // in bulk: the rotated device is left out, another demo device is answered, an unknown id too is left out
    const other = [...server.fusion.devices.values()].find((d) => d.kind === 'strain-gauge' && !d.id.startsWith('reg-') && d.id !== demo.id)!;
    const bulk = await api('POST', '/devices/demo-tokens', admin, { ids: [demo.id, other.id, 'no-such-device'] });
    expect(bulk.body.tokens).toEqual({ [other.id]: deviceToken(DEV_DEVICE_SECRET, other.id) });
    expect((await api('POST', '/devices/demo-tokens', officer, { ids: [other.id] })).body.error.code).toBe('E_FORBIDDEN');
    expect((await api('POST', '/devices/demo-tokens', admin, { ids: [] })).body.error.code).toBe('E_VALIDATION');
  });
});

describe('devices: edits', () => {
  it('lets exactly one of two concurrent edits of the same version win (E_CONFLICT for the other)', async () => {
    await api('POST', '/devices', admin, newDevice('reg-cas'));
    const [a, b] = await Promise.all([
      api('PATCH', '/devices/reg-cas', admin, { version: 1, name: '甲' }),
      api('PATCH', '/devices/reg-cas', admin, { version: 1, name: '乙' }),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    expect([a, b].find((r) => r.status === 409)!.body.error.code).toBe('E_CONFLICT');
    expect((await api('GET', '/devices/reg-cas', admin)).body.device.version).toBe(2);
  });

  it('derives the district from the location and refuses bad input with typed errors', async () => {
    const moved = await api('POST', '/devices', admin, newDevice('reg-geo', { location: [120.385, 36.07] }));
    expect(moved.body.device.district).toBe('370202');
    const bad = async (body: unknown) => (await api('POST', '/devices', admin, body)).body.error.code;
    expect(await bad(newDevice('reg-geo'))).toBe('E_CONFLICT');
    expect(await bad(newDevice('__proto__'))).toBe('E_VALIDATION');
    expect(await bad(newDevice('reg-x', { kind: 'toaster' }))).toBe('E_VALIDATION');
    expect(await bad(newDevice('reg-x', { location: [116.4, 39.9] }))).toBe('E_VALIDATION');
    expect(await bad(newDevice('reg-x', { assetId: 'no-such-asset' }))).toBe('E_VALIDATION');
    expect(await bad({ ...newDevice('reg-x'), extra: 1 })).toBe('E_VALIDATION');
    expect((await api('PATCH', '/devices/nope', admin, { version: 1, name: 'x' })).body.error.code).toBe('E_NOT_FOUND');
  });
});

describe('devices: permissions', () => {
  it('lets officers and leaders read, only admins write; handlers and screens are refused', async () => {
    expect((await api('GET', '/devices', officer)).status).toBe(200);
    expect((await api('GET', '/devices/export?format=csv', officer)).status).toBe(200);
    expect((await api('GET', '/assets', await login(server, 'leader1'))).status).toBe(200);
    expect((await api('POST', '/devices', officer, newDevice('reg-off'))).body.error.code).toBe('E_FORBIDDEN');
    expect((await api('PATCH', '/devices/reg-cas', officer, { version: 2, name: 'x' })).body.error.code).toBe('E_FORBIDDEN');
    expect((await api('DELETE', '/devices/reg-cas', officer)).body.error.code).toBe('E_FORBIDDEN');
    expect((await api('POST', '/devices/reg-cas/token', officer, {})).body.error.code).toBe('E_FORBIDDEN');
    expect((await api('POST', '/devices/import', officer, 'id\nx', 'text/csv')).body.error.code).toBe('E_FORBIDDEN');
    for (const who of ['handler1', 'screen1']) {
      const t = await login(server, who);
      expect((await api('GET', '/devices', t)).body.error.code).toBe('E_FORBIDDEN');
      expect((await api('GET', '/assets', t)).body.error.code).toBe('E_FORBIDDEN');
    }
    expect((await fetch(`${server.url}/api/devices`)).status).toBe(401);
  });
});

const HEADER = 'id,kind,name,lng,lat,district,assetId,installDate,vendor,model,status';
function bulkCsv(n: number, bad: Map<number, string> = new Map()): string {
  const lines = [HEADER];
  for (let i = 0; i < n; i++) {
    const lng = (120.4 + (i % 100) * 0.0002).toFixed(5);
    const lat = (36.15 + Math.floor(i / 100) * 0.0001).toFixed(5);
    lines.push(bad.get(i) ?? `bulk-${i},water-level,"水位计 ${i}, ""北段""",${lng},${lat},370213,,2026-03-01,Hikvision,WL-${i % 7},active`);
  }
  return `${lines.join('\r\n')}\r\n`;
}

describe('devices: import and export', () => {
  it('reports exactly the bad rows of a 10,000-row CSV (row, column, reason) and changes nothing', async () => {
    const before = (await api('GET', '/devices', admin)).body.devices.length;
    const bad = new Map([
      [17, 'bulk-17,toaster,坏行,120.4,36.15,,,,,,'],
      [4_321, 'bulk-4321,water-level,出界,121.9,38.5,,,,,,'],
      [9_998, '__proto__,water-level,原型,120.4,36.15,,,,,,'],
    ]);
    const r = await api('POST', '/devices/import', admin, bulkCsv(10_000, bad), 'text/csv');
    expect(r.status).toBe(200);
    const report = r.body as ImportReport;
    expect(report.applied).toBe(false);
    expect(report.created).toBe(9_997);
    expect(report.rejected.map((x) => `${x.row}:${x.column}:${x.code}`)).toEqual([
      '19:kind:E_VALIDATION',
      '4323:lng,lat:E_VALIDATION',
      '10000:id:E_VALIDATION',
    ]);
    expect((await api('GET', '/devices', admin)).body.devices.length).toBe(before);
    expect(server.fusion.devices.has('bulk-0')).toBe(false);
  });

  it('imports the fixed file (devices live), and export → import is all unchanged, in CSV and GeoJSON', async () => {
    const dry = await api('POST', '/devices/import?dryRun=1', admin, bulkCsv(10_000), 'text/csv');
    expect(dry.body).toMatchObject({ created: 10_000, updated: 0, rejected: [], applied: false, dryRun: true });
    expect(server.fusion.devices.has('bulk-0')).toBe(false);

    const r = await api('POST', '/devices/import', admin, bulkCsv(10_000), 'text/csv');
    expect(r.body).toMatchObject({ created: 10_000, updated: 0, unchanged: 0, rejected: [], applied: true });
    expect(r.body.tokens).toHaveLength(10_000);
    expect(server.fusion.devices.get('bulk-42')).toMatchObject({ kind: 'water-level', district: '370213' });
    expect((await api('GET', '/devices/bulk-0', admin)).body.device.name).toBe('水位计 0, "北段"');
    const t = r.body.tokens.find((x: { deviceId: string }) => x.deviceId === 'bulk-7').token;
    expect((await ingest(server, [{ deviceId: 'bulk-7', ts: Date.now(), seq: seq++, metrics: { level: 1.2 }, token: t }])).body.rejected).toEqual([]);

    const total = (await api('GET', '/devices', admin)).body.devices.length;
    for (const format of ['csv', 'geojson'] as const) {
      const exported = await api('GET', `/devices/export?format=${format}`, admin);
      expect(exported.status).toBe(200);
      const again = await api('POST', '/devices/import', admin, exported.text, format === 'csv' ? 'text/csv' : 'application/geo+json');
      expect(again.body).toMatchObject({ created: 0, updated: 0, unchanged: total, rejected: [] });
    }
  });

  it('updates only the columns a row names and records who changed what', async () => {
    const r = await api('POST', '/devices/import', admin, 'id,vendor\nbulk-1,Huawei\nbulk-2,Hikvision\n', 'text/csv');
    expect(r.body).toMatchObject({ created: 0, updated: 1, unchanged: 1, rejected: [] });
    const d = (await api('GET', '/devices/bulk-1', admin)).body.device as RegistryDevice;
    expect(d).toMatchObject({ vendor: 'Huawei', model: 'WL-1', version: 2 });
    const h = (await api('GET', '/devices/bulk-1/history', admin)).body.history;
    expect(h[h.length - 1]).toMatchObject({ actor: 'admin', action: 'import-update', before: { vendor: 'Hikvision' }, after: { vendor: 'Huawei' } });
  });

  it('refuses duplicate ids in a file, unknown columns, files over 20 MB and unsupported content types', async () => {
    const dup = await api(
      'POST',
      '/devices/import',
      admin,
      `${HEADER}\nd-1,water-level,a,120.4,36.15,,,,,,\nd-1,water-level,b,120.4,36.15,,,,,,\n`,
      'text/csv',
    );
    expect(dup.body.rejected).toEqual([{ row: 3, column: 'id', code: 'E_VALIDATION', message: 'duplicate id d-1 (first at row 2)' }]);
    expect((await api('POST', '/devices/import', admin, 'id,colour\nx,red\n', 'text/csv')).body.error.code).toBe('E_VALIDATION');
    expect((await api('POST', '/devices/import', admin, 'id\nx\n', 'text/plain')).body.error.code).toBe('E_VALIDATION');
    const huge = await api('POST', '/devices/import', admin, Buffer.alloc(21 * 1024 * 1024, 0x61), 'text/csv');
    expect(huge.status).toBe(413);
    expect(huge.body.error.code).toBe('E_PAYLOAD_TOO_LARGE');
    const proto = await api(
      'POST',
      '/devices/import',
      admin,
      '{"type":"FeatureCollection","features":[],"__proto__":{"x":1}}',
      'application/geo+json',
    );
    expect(proto.body.error.code).toBe('E_VALIDATION');
  });

  it("imports and exports a camera's video as four CSV columns; an update row may name only one", async () => {
    const header = `${HEADER},streamUrl,streamFormat,headingDeg,fovDeg`;
    const row = 'cam-csv-1,camera,测试摄像机,120.385,36.062,,,,,,active';
    const created = await api('POST', '/devices/import', admin, `${header}\n${row},https://nvr.example/cam1.flv,,90,\n`, 'text/csv');
    expect(created.body).toMatchObject({ created: 1, rejected: [] });
    expect((await api('GET', '/devices/cam-csv-1', admin)).body.device.camera).toEqual({
      stream: { url: 'https://nvr.example/cam1.flv', format: 'flv' },
      headingDeg: 90,
      fovDeg: 60,
    });
    const turned = await api('POST', '/devices/import', admin, 'id,headingDeg\ncam-csv-1,270\n', 'text/csv');
    expect(turned.body).toMatchObject({ updated: 1, rejected: [] });
    expect((await api('GET', '/devices/cam-csv-1', admin)).body.device.camera).toMatchObject({ stream: { format: 'flv' }, headingDeg: 270 });

    const exported = await api('GET', '/devices/export?format=csv', admin);
    const line = exported.text.split('\r\n').find((l: string) => l.startsWith('cam-csv-1,'));
    expect(line).toMatch(/,https:\/\/nvr\.example\/cam1\.flv,flv,270,60$/);

    const bad = await api(
      'POST',
      '/devices/import',
      admin,
      `${header}\ncam-csv-2,camera,坏摄像机,120.385,36.062,,,,,,active,javascript:alert(1),,400,\nwl-csv-9,water-level,水位计,120.385,36.062,,,,,,active,https://x.example/a.m3u8,,0,\n`,
      'text/csv',
    );
    expect(bad.body.applied).toBe(false);
    const columns = bad.body.rejected.map((r: { row: number; column?: string }) => `${r.row}:${r.column}`).sort();
    expect(columns).toEqual(['2:headingDeg', '2:streamUrl', '3:camera']);
  });

  it('imports the example files shipped in examples/', async () => {
    const { readFileSync } = await import('node:fs');
    const csv = readFileSync(new URL('../../examples/devices-sample.csv', import.meta.url), 'utf8');
    const first = await api('POST', '/devices/import?dryRun=1', admin, csv, 'text/csv');
    expect(first.body.rejected).toEqual([]);
    expect(first.body.created).toBeGreaterThan(0);
    const geo = readFileSync(new URL('../../examples/devices-sample.geojson', import.meta.url), 'utf8');
    const second = await api('POST', '/devices/import?dryRun=1', admin, geo, 'application/geo+json');
    expect(second.body.rejected).toEqual([]);
    expect(second.body.created).toBeGreaterThan(0);
  });
});

describe('assets', () => {
  it('serves the seeded Qingdao assets and resources; export → import is all unchanged', async () => {
    const assets = (await api('GET', '/assets', officer)).body.assets as RegistryAsset[];
    expect(assets.find((a) => a.id === 'river-zhangcun')).toMatchObject({ type: 'river', attributes: { warningLevelM: expect.any(Number) } });
    expect(assets.find((a) => a.id === 'shelter-wusi')).toMatchObject({ type: 'shelter', attributes: { capacity: 8000 } });
    for (const format of ['csv', 'geojson'] as const) {
      const exported = await api('GET', `/assets/export?format=${format}`, admin);
      const again = await api('POST', '/assets/import', admin, exported.text, format === 'csv' ? 'text/csv' : 'application/geo+json');
      expect(again.body).toMatchObject({ created: 0, updated: 0, unchanged: assets.length, rejected: [] });
    }
  });

  it('validates levels per type and edits compare-and-set', async () => {
    const river = {
      id: 'river-test',
      type: 'river',
      name: '测试河',
      geometry: {
        type: 'LineString',
        coordinates: [
          [120.4, 36.15],
          [120.41, 36.16],
        ],
      },
    };
    expect((await api('POST', '/assets', admin, { ...river, attributes: { warningLevelM: 5, guaranteeLevelM: 4 } })).body.error.code).toBe(
      'E_VALIDATION',
    );
    const created = await api('POST', '/assets', admin, { ...river, attributes: { warningLevelM: 3, guaranteeLevelM: 4 } });
    expect(created.body.asset).toMatchObject({ version: 1, district: '370213' });
    expect((await api('PATCH', '/assets/river-test', admin, { version: 1, attributes: { warningLevelM: 3.2, guaranteeLevelM: 4 } })).status).toBe(
      200,
    );
    expect((await api('PATCH', '/assets/river-test', admin, { version: 1, name: 'x' })).body.error.code).toBe('E_CONFLICT');
    expect(
      (await api('PATCH', '/assets/river-test', admin, { version: 2, attributes: { warningLevelM: 5, guaranteeLevelM: 4 } })).body.error.code,
    ).toBe('E_VALIDATION');
    expect((await api('PATCH', '/assets/river-test', officer, { version: 2, name: 'x' })).body.error.code).toBe('E_FORBIDDEN');
  });
});

describe('registry on Redis across a restart', async () => {
  const { startRedisServer } = await import('../../tests/helpers/redis-server');
  const { RedisStore } = await import('../store/redis-store');
  const redis = await startRedisServer();
  afterAll(async () => {
    await redis?.stop();
  });

  it.skipIf(redis === null)('seeds once, then loads devices, credentials and retirements from the store', async () => {
    const prefix = `registry-${process.pid}-${Date.now()}`;
    const first = await startTestServer({}, { store: new RedisStore(redis!.url, { prefix }) });
    let second: IocServer | undefined;
    try {
      const token1 = await login(first, 'admin');
      const call = (s: IocServer, method: string, path: string, token: string, body?: unknown) =>
        fetch(`${s.url}/api${path}`, {
          method,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: body === undefined ? undefined : JSON.stringify(body),
        }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));
      const created = await call(first, 'POST', '/devices', token1, newDevice('redis-sg-1'));
      expect(created.status).toBe(201);
      await call(first, 'POST', '/devices', token1, newDevice('redis-sg-2'));
      const retiredToken = (await call(first, 'POST', '/devices/redis-sg-2/token', token1, {})).body.token;
      await call(first, 'DELETE', '/devices/redis-sg-2', token1);
      const count = first.fusion.devices.size;
      await first.close();

      second = await startTestServer({ demoDevices: 5 }, { store: new RedisStore(redis!.url, { prefix }) });
      // not re-seeded (the demo count changed), the registry is the store's
      expect(second.fusion.devices.size).toBe(count);
      expect(second.fusion.devices.has('redis-sg-1')).toBe(true);
      expect(second.fusion.devices.has('redis-sg-2')).toBe(false);
      expect((await ingest(second, [reading('redis-sg-1', created.body.token)])).body.accepted).toBe(1);
      expect((await ingest(second, [reading('redis-sg-2', retiredToken)])).body.accepted).toBe(0);
      const demo = [...second.fusion.devices.values()].find((d) => d.kind === 'strain-gauge' && !d.id.startsWith('redis-'))!;
      expect((await ingest(second, [reading(demo.id, deviceToken(DEV_DEVICE_SECRET, demo.id))])).body.accepted).toBe(1);
      const token2 = await login(second, 'admin');
      expect((await call(second, 'GET', '/devices/redis-sg-2/history', token2)).body.history.map((c: { action: string }) => c.action)).toEqual([
        'create',
        'rotate-token',
        'retire',
      ]);
    } finally {
      await first.close();
      await second?.close();
    }
  });
});
