import { describe, expect, it } from 'vitest';
import { EXPORT_LAYERS } from './geojson';
import { OgcItemsQuerySchema, OGC_MAX_LIMIT } from './ogc-features';
import { buildOgcOpenApi, type OpenApiDocument } from './ogc-openapi';

const SERVER = 'https://ioc.example/ogc';
/** the document as a client receives it: JSON text, parsed */
const doc = JSON.parse(JSON.stringify(buildOgcOpenApi(SERVER, EXPORT_LAYERS))) as OpenApiDocument;

/** every `$ref` anywhere in `node` */
function refsOf(node: unknown): string[] {
  if (Array.isArray(node)) return node.flatMap(refsOf);
  if (node === null || typeof node !== 'object') return [];
  return Object.entries(node).flatMap(([k, v]) => (k === '$ref' && typeof v === 'string' ? [v] : refsOf(v)));
}

function resolve(ref: string): Record<string, unknown> | undefined {
  expect(ref.startsWith('#/')).toBe(true);
  return ref
    .slice(2)
    .split('/')
    .reduce<unknown>((at, part) => (at as Record<string, unknown> | undefined)?.[part], doc) as Record<string, unknown> | undefined;
}

const parametersOf = (path: string) => (doc.paths[path]!.get.parameters ?? []).map((p) => resolve(p.$ref as string)!);

describe('the OpenAPI 3.0 definition of the OGC API', () => {
  it('is an OpenAPI 3.0.x document for the given server', () => {
    expect(doc.openapi).toMatch(/^3\.0\.\d+$/);
    expect(doc.info.title).toBeTruthy();
    expect(doc.info.version).toBeTruthy();
    expect(doc.servers).toEqual([{ url: SERVER, description: expect.any(String) }]);
  });

  it('resolves every $ref it holds', () => {
    const refs = refsOf(doc);
    expect(refs.length).toBeGreaterThan(20);
    for (const ref of new Set(refs)) expect(resolve(ref), ref).toBeDefined();
  });

  it('describes the landing page, the definition, conformance, collections, a collection, its items and one item', () => {
    expect(Object.keys(doc.paths).sort()).toEqual(
      [
        '/',
        '/api',
        '/conformance',
        '/collections',
        '/collections/{collectionId}',
        '/collections/{collectionId}/items',
        '/collections/{collectionId}/items/{featureId}',
      ].sort(),
    );
    for (const [path, item] of Object.entries(doc.paths)) {
      expect(item.get.responses['200'], path).toBeDefined();
      const declared = parametersOf(path)
        .filter((p) => p.in === 'path')
        .map((p) => p.name);
      expect(declared.sort(), path).toEqual([...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort());
    }
  });

  it('offers the collections it was given as the values of collectionId', () => {
    const [collectionId] = parametersOf('/collections/{collectionId}');
    expect(collectionId).toMatchObject({ name: 'collectionId', required: true, schema: { enum: [...EXPORT_LAYERS] } });
    expect(JSON.stringify(buildOgcOpenApi(SERVER, ['devices']).components.parameters.collectionId)).not.toContain('alerts');
  });

  it('documents every items query parameter the server accepts but the API key (a security scheme)', () => {
    const documented = parametersOf('/collections/{collectionId}/items')
      .filter((p) => p.in === 'query')
      .map((p) => p.name);
    expect(documented.sort()).toEqual(
      Object.keys(OgcItemsQuerySchema.shape)
        .filter((k) => k !== 'apiKey')
        .sort(),
    );
    const limit = parametersOf('/collections/{collectionId}/items').find((p) => p.name === 'limit');
    expect(limit?.schema).toMatchObject({ type: 'integer', minimum: 1, maximum: OGC_MAX_LIMIT });
  });

  it('requires an API key (header or query) or a session, as the routes do', () => {
    const schemes = doc.components.securitySchemes;
    expect(schemes.apiKeyHeader).toMatchObject({ type: 'apiKey', in: 'header', name: 'Authorization' });
    expect(schemes.apiKeyQuery).toMatchObject({ type: 'apiKey', in: 'query', name: 'apiKey' });
    expect(schemes.sessionBearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.security).toEqual([{ apiKeyHeader: [] }, { apiKeyQuery: [] }, { sessionBearer: [] }]);
  });

  it('serves items and features as GeoJSON', () => {
    const items = doc.paths['/collections/{collectionId}/items']!.get.responses['200'] as { content: Record<string, unknown> };
    const item = doc.paths['/collections/{collectionId}/items/{featureId}']!.get.responses['200'] as { content: Record<string, unknown> };
    expect(Object.keys(items.content)).toEqual(['application/geo+json']);
    expect(Object.keys(item.content)).toEqual(['application/geo+json']);
  });
});
