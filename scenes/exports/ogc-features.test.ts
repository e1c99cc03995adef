import { describe, expect, it } from 'vitest';
import type { ExportFeature } from './geojson';
import { featureCandidate } from './ogc-candidates';
import { buildOgcCollection, buildOgcConformance, buildOgcItem, buildOgcItemsPage, buildOgcLanding, parseOgcItemsQuery } from './ogc-features';

const BASE = 'https://ioc.example/ogc';
const T = Date.UTC(2025, 6, 15, 0, 0, 0);
const iso = (ts: number) => new Date(ts).toISOString();

/** 25 points on a diagonal, one a minute. */
const features: ExportFeature[] = Array.from({ length: 25 }, (_, i) => ({
  type: 'Feature',
  id: `d-${String(i).padStart(2, '0')}`,
  geometry: { type: 'Point', coordinates: [120 + i * 0.01, 36 + i * 0.01] },
  properties: { updatedAt: iso(T + i * 60_000) },
}));
/** each point's time: an instant a minute after the previous one */
const candidates = features.map((f, i) => featureCandidate(f, [T + i * 60_000, T + i * 60_000]));

function query(raw: Record<string, string>) {
  const q = parseOgcItemsQuery(raw);
  if (!q.ok) throw new Error(q.error.description);
  return buildOgcItemsPage({ baseUrl: BASE, layer: 'devices', candidates, query: q.query, rawQuery: raw, nowTs: T });
}

describe('OGC API – Features items', () => {
  it('declares the Core, GeoJSON and OpenAPI 3.0 conformance classes', () => {
    expect(buildOgcConformance().conformsTo).toEqual([
      'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core',
      'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson',
      'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30',
    ]);
  });

  it('links the OpenAPI 3.0 definition from the landing page as service-desc, keeping an apiKey', () => {
    const desc = buildOgcLanding(BASE, 'ioc_k').links.find((l) => l.rel === 'service-desc');
    expect(desc).toEqual({
      href: `${BASE}/api?apiKey=ioc_k`,
      rel: 'service-desc',
      type: 'application/vnd.oai.openapi+json;version=3.0',
      title: expect.any(String),
    });
    // no HTML rendering of it is served: no service-doc link
    expect(buildOgcLanding(BASE).links.map((l) => l.rel)).not.toContain('service-doc');
  });

  it('pages with next/prev/self links until the last page, which has no next', () => {
    const first = query({ limit: '10' });
    expect(first).toMatchObject({ numberMatched: 25, numberReturned: 10 });
    expect(first.links.find((l) => l.rel === 'prev')).toBeUndefined();
    const next = new URL(first.links.find((l) => l.rel === 'next')!.href);
    const second = query(Object.fromEntries(next.searchParams));
    expect(second.features[0]!.id).toBe('d-10');
    expect(second.links.find((l) => l.rel === 'prev')!.href).toContain('offset=0');
    const last = query({ limit: '10', offset: '20' });
    expect(last.numberReturned).toBe(5);
    expect(last.links.find((l) => l.rel === 'next')).toBeUndefined();
    expect(last.timeStamp).toMatch(/\+08:00$/);
  });

  it('builds only the features of the page it returns', () => {
    let built = 0;
    const counting = candidates.map((c) => ({ ...c, feature: () => (built++, c.feature()) }));
    const q = parseOgcItemsQuery({ limit: '3' });
    if (!q.ok) throw new Error(q.error.description);
    buildOgcItemsPage({ baseUrl: BASE, layer: 'devices', candidates: counting, query: q.query, rawQuery: { limit: '3' }, nowTs: T });
    expect(built).toBe(3);
  });

  it('keeps the apiKey and filters in paging links', () => {
    const page = query({ limit: '5', apiKey: 'k', bbox: '119,35,121,37' });
    const next = new URL(page.links.find((l) => l.rel === 'next')!.href);
    expect(next.searchParams.get('apiKey')).toBe('k');
    expect(next.searchParams.get('bbox')).toBe('119,35,121,37');
  });

  it('selects by bbox (minLng,minLat,maxLng,maxLat)', () => {
    expect(query({ bbox: '120.095,36.095,120.125,36.125' }).features.map((f) => f.id)).toEqual(['d-10', 'd-11', 'd-12']);
  });

  it('selects by datetime instant, closed interval and open-ended interval', () => {
    expect(query({ datetime: iso(T + 3 * 60_000) }).features.map((f) => f.id)).toEqual(['d-03']);
    expect(query({ datetime: `${iso(T + 60_000)}/${iso(T + 2 * 60_000)}` }).numberMatched).toBe(2);
    expect(query({ datetime: `../${iso(T + 60_000)}` }).numberMatched).toBe(2);
    expect(query({ datetime: `2025-07-15T08:20:00+08:00/..` }).numberMatched).toBe(5);
  });

  it.each([
    [{ bbox: '1,2,3' }, 'bbox'],
    [{ bbox: '10,10,0,0' }, 'bbox'],
    [{ limit: '0' }, 'limit'],
    [{ limit: '1001' }, 'limit'],
    [{ limit: 'ten' }, 'limit'],
    [{ offset: '-1' }, 'offset'],
    [{ datetime: 'yesterday' }, 'datetime'],
    [{ datetime: '../..' }, 'datetime'],
    [{ colour: 'red' }, 'colour'],
  ])('refuses %o with a typed E_VALIDATION naming %s', (raw, name) => {
    const q = parseOgcItemsQuery(raw);
    expect(q.ok).toBe(false);
    if (!q.ok) {
      expect(q.error.code).toBe('E_VALIDATION');
      expect(q.error.description).toContain(name);
    }
  });

  it('refuses a parameter given twice', () => {
    expect(parseOgcItemsQuery({ limit: ['1', '2'] }).ok).toBe(false);
  });

  it('describes a collection with its CRS84 extent and items link', () => {
    const c = buildOgcCollection(BASE, 'devices', candidates);
    expect(c.extent.spatial.bbox[0]).toEqual([120, 36, 120.24, 36.24]);
    expect(c.links.find((l) => l.rel === 'items')!.type).toBe('application/geo+json');
    expect(c.extent.temporal!.interval[0]).toEqual(['2025-07-15T08:00:00+08:00', '2025-07-15T08:24:00+08:00']);
  });

  it('finds one item by id with self and collection links, or null', () => {
    expect(buildOgcItem(BASE, 'devices', candidates, 'd-01')!.links.map((l) => l.rel)).toEqual(['self', 'collection']);
    expect(buildOgcItem(BASE, 'devices', candidates, 'nope')).toBeNull();
  });
});
