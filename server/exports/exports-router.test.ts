import type { RequestHandler } from 'express';
import { describe, expect, it } from 'vitest';
import { EXPORT_LAYERS } from '../../scenes/exports/geojson';
import { buildOgcOpenApi } from '../../scenes/exports/ogc-openapi';
import { createExportsRouters, type ExportsRouterDeps } from './exports-router';

/** Routers built with inert dependencies: only their route table is read. */
function routers() {
  const passThrough: RequestHandler = (_req, _res, next) => next();
  return createExportsRouters({
    registry: {} as ExportsRouterDeps['registry'],
    fusion: {} as ExportsRouterDeps['fusion'],
    activeWarnings: () => [],
    apiKeys: {} as ExportsRouterDeps['apiKeys'],
    audit: {} as ExportsRouterDeps['audit'],
    route: (_entry, handler) => handler as RequestHandler,
    auth: () => passThrough,
    scopeOf: async () => ({ districts: null }) as never,
  });
}

/** `/collections/:collectionId` → `/collections/{collectionId}` */
const openApiPath = (expressPath: string): string => expressPath.replace(/:(\w+)/g, '{$1}');

describe('the /ogc router and its OpenAPI definition', () => {
  it('describes every route it serves, and serves every path it describes', () => {
    const { ogc } = routers();
    const served = ogc.stack
      .map((layer) => layer.route)
      .filter((r) => r !== undefined)
      .map((r) => {
        expect(Object.keys((r as unknown as { methods: Record<string, boolean> }).methods)).toEqual(['get']);
        return openApiPath(r.path);
      });
    const described = Object.keys(buildOgcOpenApi('https://ioc.example/ogc', EXPORT_LAYERS).paths);
    expect(served.sort()).toEqual(described.sort());
  });
});
