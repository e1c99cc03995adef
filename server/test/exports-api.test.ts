/**
 * Standard exports through a real server (issue 16): API keys created and revoked by an admin, an
 * OGC API – Features client paging a bbox to the end with its key (header and `?apiKey=`), a
 * district's key seeing its district only, the key refused everywhere else, people's sessions by role and district scope, typed OGC errors, the
 * GeoJSON and CAP endpoints, and the audit records of it all.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IocServer } from '../app';
import { login, startTestServer } from './helpers';

let server: IocServer;
let admin: string;
let officer: string;

beforeAll(async () => {
  server = await startTestServer();
  admin = await login(server, 'admin');
  officer = await login(server, 'officer1');
});
afterAll(async () => {
  await server?.close();
});

async function call(method: string, url: string, authorization?: string, body?: unknown) {
  const r = await fetch(url.startsWith('http') ? url : `${server.url}${url}`, {
    method,
    headers: { ...(authorization ? { authorization } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await r.text();
  let json: any = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = null;
  }
  return { status: r.status, type: r.headers.get('content-type') ?? '', text, body: json };
}

async function createKey(name: string, districts?: string[]): Promise<{ key: string; id: string }> {
  const r = await call('POST', '/api/admin/api-keys', `Bearer ${admin}`, { name, ...(districts ? { districts } : {}) });
  expect(r.status).toBe(201);
  return { key: r.body.key, id: r.body.apiKey.id };
}

/** Follows `next` links from `url` to the end; every feature id seen, and the pages' numberMatched. */
async function pageToEnd(url: string, authorization?: string): Promise<{ ids: string[]; matched: number[]; pages: number }> {
  const ids: string[] = [];
  const matched: number[] = [];
  let next: string | undefined = url;
  let pages = 0;
  while (next) {
    const r = await call('GET', next, authorization);
    expect(r.status, r.text).toBe(200);
    expect(r.type).toContain('application/geo+json');
    expect(r.body.numberReturned).toBe(r.body.features.length);
    ids.push(...r.body.features.map((f: { id: string }) => f.id));
    matched.push(r.body.numberMatched);
    next = r.body.links.find((l: { rel: string }) => l.rel === 'next')?.href;
    pages++;
  }
  return { ids, matched, pages };
}

// Qingdao's urban core (市南/市北/崂山…): a box holding some but not all demo devices
const BBOX = '120.2,36.0,120.5,36.2';

describe('API keys for machine clients', () => {
  it('lets an admin create a key (shown once), page OGC items in a bbox to the end with it, and revoke it', async () => {
    const { key, id } = await createKey('QGIS 测试');
    const listed = await call('GET', '/api/admin/api-keys', `Bearer ${admin}`);
    const entry = listed.body.keys.find((k: { id: string }) => k.id === id);
    expect(entry).toMatchObject({ name: 'QGIS 测试', scope: 'read', createdBy: 'admin' });
    expect(JSON.stringify(listed.body)).not.toContain(key);
    expect(entry).not.toHaveProperty('keyHash');

    const all = await call('GET', '/ogc/collections/devices/items?limit=1000', `ApiKey ${key}`);
    const inBox = all.body.features.filter((f: any) => {
      const [x, y] = f.geometry.coordinates;
      return x >= 120.2 && x <= 120.5 && y >= 36.0 && y <= 36.2;
    });
    expect(inBox.length).toBeGreaterThan(10);
    expect(inBox.length).toBeLessThan(all.body.numberMatched);

    const paged = await pageToEnd(`/ogc/collections/devices/items?bbox=${BBOX}&limit=10`, `ApiKey ${key}`);
    expect(paged.pages).toBe(Math.ceil(inBox.length / 10));
    expect(new Set(paged.matched)).toEqual(new Set([inBox.length]));
    expect(new Set(paged.ids).size).toBe(inBox.length);
    expect([...paged.ids].sort()).toEqual(inBox.map((f: { id: string }) => f.id).sort());

    const gone = await call('DELETE', `/api/admin/api-keys/${id}`, `Bearer ${admin}`);
    expect(gone.status).toBe(200);
    expect(gone.body.apiKey.revokedBy).toBe('admin');
    const refused = await call('GET', `/ogc/collections/devices/items?bbox=${BBOX}`, `ApiKey ${key}`);
    expect(refused.status).toBe(401);
    expect(refused.body.error.code).toBe('E_UNAUTHORIZED');
  });

  it('takes the key as ?apiKey= (QGIS) and keeps it in the paging links', async () => {
    const { key } = await createKey('qgis-query');
    const paged = await pageToEnd(`/ogc/collections/devices/items?bbox=${BBOX}&limit=25&apiKey=${encodeURIComponent(key)}`);
    expect(paged.pages).toBeGreaterThan(1);
    const landing = await call('GET', `/ogc?apiKey=${encodeURIComponent(key)}`);
    expect(landing.status).toBe(200);
    expect(landing.body.links.map((l: { rel: string }) => l.rel)).toEqual(expect.arrayContaining(['self', 'conformance', 'data']));
  });

  it('refuses a key on every other endpoint, and an unknown key', async () => {
    const { key } = await createKey('narrow');
    for (const path of ['/api/incidents', '/api/devices', '/api/admin/api-keys', '/api/me'])
      expect((await call('GET', path, `ApiKey ${key}`)).status, path).toBe(401);
    expect((await call('POST', '/api/admin/api-keys', `ApiKey ${key}`, { name: 'x' })).status).toBe(401);
    expect((await call('GET', '/ogc/collections', 'ApiKey ioc_not-a-key')).status).toBe(401);
    expect((await call('GET', '/ogc/collections')).status).toBe(401);
  });

  it('lets only admins manage keys, and validates the name', async () => {
    expect((await call('GET', '/api/admin/api-keys', `Bearer ${officer}`)).status).toBe(403);
    expect((await call('POST', '/api/admin/api-keys', `Bearer ${officer}`, { name: 'x' })).status).toBe(403);
    const bad = await call('POST', '/api/admin/api-keys', `Bearer ${admin}`, { name: '', extra: 1 });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('E_VALIDATION');
    expect((await call('DELETE', '/api/admin/api-keys/ak-nope', `Bearer ${admin}`)).status).toBe(404);
  });

  it("limits a district's key to its district: items, exports, and 404 for another district's feature", async () => {
    const SHINAN = '370202';
    const { key, id } = await createKey('市南区 GIS', [SHINAN, SHINAN]);
    const listed = (await call('GET', '/api/admin/api-keys', `Bearer ${admin}`)).body.keys.find((k: { id: string }) => k.id === id);
    expect(listed.districts).toEqual([SHINAN]);

    const mine = await call('GET', '/ogc/collections/devices/items?limit=1000', `ApiKey ${key}`);
    expect(mine.body.features.length).toBeGreaterThan(0);
    expect(new Set(mine.body.features.map((f: any) => f.properties.district))).toEqual(new Set([SHINAN]));
    const exported = await call('GET', '/api/exports/geojson/devices', `ApiKey ${key}`);
    expect(exported.status).toBe(200);
    expect(exported.body.features.map((f: { id: string }) => f.id).sort()).toEqual(mine.body.features.map((f: { id: string }) => f.id).sort());
    const assets = await call('GET', '/ogc/collections/assets/items?limit=1000', `ApiKey ${key}`);
    expect(assets.body.features.every((f: any) => f.properties.district === SHINAN)).toBe(true);

    const city = (await createKey('全市 GIS')).key;
    const all = await call('GET', '/ogc/collections/devices/items?limit=1000', `ApiKey ${city}`);
    const elsewhere = all.body.features.find((f: any) => f.properties.district !== SHINAN);
    expect(elsewhere).toBeDefined();
    expect((await call('GET', `/ogc/collections/devices/items/${encodeURIComponent(elsewhere.id)}`, `ApiKey ${city}`)).status).toBe(200);
    const hidden = await call('GET', `/ogc/collections/devices/items/${encodeURIComponent(elsewhere.id)}`, `ApiKey ${key}`);
    expect(hidden.status).toBe(404);
    expect(hidden.body.code).toBe('E_NOT_FOUND');
    const own = mine.body.features[0].id;
    expect((await call('GET', `/ogc/collections/devices/items/${encodeURIComponent(own)}`, `ApiKey ${key}`)).status).toBe(200);
  });

  it.each([
    ['an unknown district code', ['110101']],
    ['an empty district list', []],
    ['a district list that is not a list', '370202'],
  ])('refuses a key with %s: 400 E_VALIDATION', async (_what, districts) => {
    const r = await call('POST', '/api/admin/api-keys', `Bearer ${admin}`, { name: 'bad scope', districts });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('E_VALIDATION');
    const keys = (await call('GET', '/api/admin/api-keys', `Bearer ${admin}`)).body.keys;
    expect(keys.some((k: { name: string }) => k.name === 'bad scope')).toBe(false);
  });

  it('records key creation, revocation and use in the audit log', async () => {
    const { key, id } = await createKey('audited');
    await call('GET', '/ogc/conformance', `ApiKey ${key}`);
    await call('DELETE', `/api/admin/api-keys/${id}`, `Bearer ${admin}`);
    const audit = await call('GET', '/api/audit?limit=200', `Bearer ${admin}`);
    expect(audit.status, audit.text).toBe(200);
    const records: { action: string; target?: string; actor: string }[] = audit.body.records ?? audit.body.entries ?? [];
    const mine = records.filter((r) => r.target === `api_key:${id}` || r.actor === `api_key:${id}`).map((r) => r.action);
    expect(mine).toEqual(expect.arrayContaining(['api_key.create', 'api_key.use', 'api_key.revoke']));

    const scoped = await createKey('audited 崂山', ['370212']);
    const after = await call('GET', '/api/audit?limit=200', `Bearer ${admin}`);
    const created = (after.body.records ?? after.body.entries ?? []).find(
      (r: { action: string; target?: string }) => r.action === 'api_key.create' && r.target === `api_key:${scoped.id}`,
    );
    expect(created?.details).toMatchObject({ scope: 'read', districts: ['370212'] });
  });
});

describe('OGC API – Features for people and its errors', () => {
  it('serves conformance, collections and single items to an officer; refuses handlers', async () => {
    const conf = await call('GET', '/ogc/conformance', `Bearer ${officer}`);
    expect(conf.body.conformsTo).toContain('http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson');
    const cols = await call('GET', '/ogc/collections', `Bearer ${officer}`);
    expect(cols.body.collections.map((c: { id: string }) => c.id)).toEqual(['devices', 'assets', 'incidents', 'alerts']);
    const first = (await call('GET', '/ogc/collections/assets/items?limit=1', `Bearer ${officer}`)).body.features[0];
    const one = await call('GET', `/ogc/collections/assets/items/${encodeURIComponent(first.id)}`, `Bearer ${officer}`);
    expect(one.status).toBe(200);
    expect(one.body.id).toBe(first.id);
    const handler = await login(server, 'handler1');
    expect((await call('GET', '/ogc/collections', `Bearer ${handler}`)).status).toBe(403);
  });

  it.each([
    ['/ogc/collections/devices/items?bbox=1,2,3', 400, 'E_VALIDATION'],
    ['/ogc/collections/devices/items?limit=1001', 400, 'E_VALIDATION'],
    ['/ogc/collections/devices/items?datetime=soon', 400, 'E_VALIDATION'],
    ['/ogc/collections/devices/items?colour=red', 400, 'E_VALIDATION'],
    ['/ogc/collections/rivers/items', 404, 'E_NOT_FOUND'],
    ['/ogc/collections/devices/items/no-such-device', 404, 'E_NOT_FOUND'],
  ])('answers %s with %i {code, description}', async (path, status, code) => {
    const r = await call('GET', path, `Bearer ${officer}`);
    expect(r.status).toBe(status);
    expect(r.body.code).toBe(code);
    expect(typeof r.body.description).toBe('string');
  });

  it('filters what a district-scoped officer gets to their districts', async () => {
    const patched = await call('PATCH', '/api/users/officer2', `Bearer ${admin}`, { districts: ['370202'] });
    expect(patched.status, patched.text).toBe(200);
    const scoped = await login(server, 'officer2');
    const r = await call('GET', '/ogc/collections/devices/items?limit=1000', `Bearer ${scoped}`);
    expect(r.body.features.length).toBeGreaterThan(0);
    expect(new Set(r.body.features.map((f: any) => f.properties.district))).toEqual(new Set(['370202']));
    const g = await call('GET', '/api/exports/geojson/devices', `Bearer ${scoped}`);
    expect(g.body.features.length).toBe(r.body.features.length);
  });
});

describe('GeoJSON and CAP endpoints', () => {
  it('serves every layer as an RFC 7946 FeatureCollection without a crs member or device tokens', async () => {
    for (const layer of ['devices', 'assets', 'incidents', 'alerts']) {
      const r = await call('GET', `/api/exports/geojson/${layer}`, `Bearer ${officer}`);
      expect(r.status, layer).toBe(200);
      expect(r.type).toContain('application/geo+json');
      expect(r.body.type).toBe('FeatureCollection');
      expect(r.body).not.toHaveProperty('crs');
      expect(r.text).not.toMatch(/"(token|credential|secret)"/i);
    }
    expect((await call('GET', '/api/exports/geojson/secrets', `Bearer ${officer}`)).status).toBe(404);
  });

  it('serves the CAP Atom feed and a 404 for an unknown CAP identifier', async () => {
    const feed = await call('GET', '/api/exports/cap', `Bearer ${officer}`);
    expect(feed.status).toBe(200);
    expect(feed.type).toContain('application/atom+xml');
    expect(feed.text).toContain('<feed xmlns="http://www.w3.org/2005/Atom">');
    expect((await call('GET', '/api/exports/cap?format=rss', `Bearer ${officer}`)).status).toBe(400);
    expect((await call('GET', '/api/exports/cap/cn.nope', `Bearer ${officer}`)).status).toBe(404);
  });
});

describe('the OGC API definition (OpenAPI 3.0)', () => {
  it('is linked from the landing page, declared in conformance, and describes only paths that are served', async () => {
    const { key } = await createKey('OpenAPI 测试');
    const landing = await call('GET', `/ogc?apiKey=${key}`);
    expect(landing.status, landing.text).toBe(200);
    const desc = landing.body.links.find((l: { rel: string }) => l.rel === 'service-desc');
    expect(desc.type).toBe('application/vnd.oai.openapi+json;version=3.0');
    expect(new URL(desc.href).searchParams.get('apiKey')).toBe(key);
    const api = await call('GET', desc.href);
    expect(api.status, api.text).toBe(200);
    expect(api.type).toContain('application/vnd.oai.openapi+json');
    expect(api.body.openapi).toMatch(/^3\.0\.\d+$/);
    const base: string = api.body.servers[0].url;
    expect(base).toBe(`${server.url}/ogc`);
    const conf = await call('GET', '/ogc/conformance', `ApiKey ${key}`);
    expect(conf.body.conformsTo).toContain('http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30');
    const feature = (await call('GET', '/ogc/collections/assets/items?limit=1', `ApiKey ${key}`)).body.features[0];
    for (const path of Object.keys(api.body.paths)) {
      const url = `${base}${path === '/' ? '' : path}`.replace('{collectionId}', 'assets').replace('{featureId}', encodeURIComponent(feature.id));
      expect((await call('GET', url, `ApiKey ${key}`)).status, path).toBe(200);
    }
  });

  it('is read with the same credentials as the rest of /ogc', async () => {
    for (const path of ['/ogc', '/ogc/api']) {
      expect((await call('GET', path)).status, path).toBe(401);
      expect((await call('GET', path, 'ApiKey ioc_not-a-key')).status, path).toBe(401);
      expect((await call('GET', path, `Bearer ${await login(server, 'handler1')}`)).status, path).toBe(403);
      expect((await call('GET', path, `Bearer ${officer}`)).status, path).toBe(200);
    }
  });
});
