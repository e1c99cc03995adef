/**
 * The OpenAPI 3.0 definition of City IOC's OGC API – Features (`GET /ogc/api`; the landing page
 * links it as `service-desc`, conformance class oas30). Pure data, built from what the router
 * serves: its collections, the items query of ogc-features.ts (parameters, limits) and the ways a
 * reader authenticates (server/exports/api-keys.ts `presentedApiKey`: `Authorization: ApiKey <key>`
 * or the `apiKey` query parameter; people a session's bearer token).
 *
 * Paths are relative to the one server entry, `<origin>/ogc`. There is no HTML rendering of it
 * (no `service-doc`): GIS clients read the JSON.
 */
import type { ExportLayer } from './geojson';
import { CRS84, GEOJSON_MEDIA_TYPE, OGC_DEFAULT_LIMIT, OGC_MAX_LIMIT, OPENAPI_MEDIA_TYPE, type OgcItemsQuerySchema } from './ogc-features';

export const OGC_OPENAPI_VERSION = '3.0.3';
/** version of this API definition (info.version): bumped when a path, parameter or schema changes */
export const OGC_API_DEFINITION_VERSION = '1.0.0';
const JSON_MEDIA_TYPE = 'application/json';

/** An OpenAPI 3.0 object as plain JSON data. */
export type OpenApiObject = { [key: string]: OpenApiValue };
export type OpenApiValue = string | number | boolean | null | OpenApiValue[] | OpenApiObject;

export interface OpenApiOperation {
  operationId: string;
  summary: string;
  parameters?: OpenApiObject[];
  responses: OpenApiObject;
}

export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string; description: string };
  servers: { url: string; description: string }[];
  paths: Record<string, { get: OpenApiOperation }>;
  components: {
    schemas: Record<string, OpenApiObject>;
    parameters: Record<string, OpenApiObject>;
    responses: Record<string, OpenApiObject>;
    securitySchemes: Record<string, OpenApiObject>;
  };
  security: Record<string, string[]>[];
}

const ref = (kind: 'schemas' | 'parameters' | 'responses', name: string): OpenApiObject => ({ $ref: `#/components/${kind}/${name}` });
const json = (schema: OpenApiObject, mediaType = JSON_MEDIA_TYPE): OpenApiObject => ({ [mediaType]: { schema } });

/**
 * The items query's parameters, one per key of OgcItemsQuerySchema but `apiKey` (a security
 * scheme): a parameter added to the schema does not compile until it is described here.
 */
const ITEMS_QUERY_PARAMETERS: Record<Exclude<keyof typeof OgcItemsQuerySchema.shape, 'apiKey'>, OpenApiObject> = {
  bbox: {
    name: 'bbox',
    in: 'query',
    required: false,
    style: 'form',
    explode: false,
    description: 'Only features whose geometry’s bounding box intersects this box: minLng,minLat,maxLng,maxLat in CRS84 (WGS84 longitude/latitude).',
    schema: { type: 'array', minItems: 4, maxItems: 4, items: { type: 'number' } },
  },
  'bbox-crs': {
    name: 'bbox-crs',
    in: 'query',
    required: false,
    description: 'The CRS of bbox: CRS84 only (the default).',
    schema: { type: 'string', format: 'uri', enum: [CRS84] },
  },
  datetime: {
    name: 'datetime',
    in: 'query',
    required: false,
    style: 'form',
    explode: false,
    description:
      'Only features whose time span intersects this RFC 3339 instant or interval a/b (`..` or empty for an open end), e.g. 2026-07-01T00:00:00+08:00/..',
    schema: { type: 'string' },
  },
  limit: {
    name: 'limit',
    in: 'query',
    required: false,
    style: 'form',
    explode: false,
    description: 'Features per page (out of range is a 400, not a clamp).',
    schema: { type: 'integer', minimum: 1, maximum: OGC_MAX_LIMIT, default: OGC_DEFAULT_LIMIT },
  },
  offset: {
    name: 'offset',
    in: 'query',
    required: false,
    style: 'form',
    explode: false,
    description: 'Features skipped before the page (stable order by id); the `next` and `prev` links carry it.',
    schema: { type: 'integer', minimum: 0, default: 0 },
  },
  f: {
    name: 'f',
    in: 'query',
    required: false,
    description: 'Encoding: GeoJSON (the only one served).',
    schema: { type: 'string', enum: ['json', 'geojson'] },
  },
};

const SCHEMAS: Record<string, OpenApiObject> = {
  link: {
    type: 'object',
    required: ['href', 'rel'],
    properties: { href: { type: 'string', format: 'uri' }, rel: { type: 'string' }, type: { type: 'string' }, title: { type: 'string' } },
  },
  landingPage: {
    type: 'object',
    required: ['links'],
    properties: { title: { type: 'string' }, description: { type: 'string' }, links: { type: 'array', items: ref('schemas', 'link') } },
  },
  confClasses: {
    type: 'object',
    required: ['conformsTo'],
    properties: { conformsTo: { type: 'array', items: { type: 'string', format: 'uri' } } },
  },
  extent: {
    type: 'object',
    properties: {
      spatial: {
        type: 'object',
        properties: {
          bbox: { type: 'array', minItems: 1, items: { type: 'array', minItems: 4, maxItems: 4, items: { type: 'number' } } },
          crs: { type: 'string', format: 'uri', enum: [CRS84] },
        },
      },
      temporal: {
        type: 'object',
        properties: {
          interval: {
            type: 'array',
            minItems: 1,
            items: { type: 'array', minItems: 2, maxItems: 2, items: { type: 'string', format: 'date-time', nullable: true } },
          },
          trs: { type: 'string', format: 'uri' },
        },
      },
    },
  },
  collection: {
    type: 'object',
    required: ['id', 'links'],
    properties: {
      id: { type: 'string' },
      title: { type: 'string' },
      description: { type: 'string' },
      itemType: { type: 'string', enum: ['feature'] },
      crs: { type: 'array', items: { type: 'string', format: 'uri' } },
      extent: ref('schemas', 'extent'),
      links: { type: 'array', items: ref('schemas', 'link') },
    },
  },
  collections: {
    type: 'object',
    required: ['links', 'collections'],
    properties: {
      links: { type: 'array', items: ref('schemas', 'link') },
      collections: { type: 'array', items: ref('schemas', 'collection') },
    },
  },
  geometryGeoJSON: {
    type: 'object',
    required: ['type', 'coordinates'],
    properties: { type: { type: 'string', enum: ['Point', 'LineString', 'Polygon'] }, coordinates: { type: 'array', items: {} } },
  },
  featureGeoJSON: {
    type: 'object',
    required: ['type', 'id', 'geometry', 'properties'],
    properties: {
      type: { type: 'string', enum: ['Feature'] },
      id: { type: 'string' },
      geometry: ref('schemas', 'geometryGeoJSON'),
      properties: { type: 'object' },
      links: { type: 'array', items: ref('schemas', 'link') },
    },
  },
  featureCollectionGeoJSON: {
    type: 'object',
    required: ['type', 'features'],
    properties: {
      type: { type: 'string', enum: ['FeatureCollection'] },
      features: { type: 'array', items: ref('schemas', 'featureGeoJSON') },
      links: { type: 'array', items: ref('schemas', 'link') },
      numberMatched: { type: 'integer', minimum: 0 },
      numberReturned: { type: 'integer', minimum: 0 },
      timeStamp: { type: 'string', format: 'date-time' },
    },
  },
  exception: {
    type: 'object',
    description: 'An OGC-style error: a stable code (E_VALIDATION, E_NOT_FOUND) and a human description.',
    required: ['code', 'description'],
    properties: { code: { type: 'string' }, description: { type: 'string' } },
  },
  error: {
    type: 'object',
    description: 'An authentication or permission error (E_UNAUTHORIZED, E_FORBIDDEN, E_RATE_LIMIT, E_VALIDATION for two different keys).',
    required: ['error'],
    properties: {
      error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string' }, message: { type: 'string' } } },
    },
  },
};

const RESPONSES: Record<string, OpenApiObject> = {
  InvalidParameter: { description: 'A query parameter is invalid or unknown.', content: json(ref('schemas', 'exception')) },
  NotFound: { description: 'No such collection or feature (in the caller’s scope).', content: json(ref('schemas', 'exception')) },
  Unauthorized: { description: 'No valid API key or session.', content: json(ref('schemas', 'error')) },
  Forbidden: { description: 'The session’s role does not read exports (handlers, wall screens).', content: json(ref('schemas', 'error')) },
};

/** what every route may answer besides its own success and errors */
const AUTH_RESPONSES: OpenApiObject = { '401': ref('responses', 'Unauthorized'), '403': ref('responses', 'Forbidden') };

const get = (operationId: string, summary: string, responses: OpenApiObject, parameters: OpenApiObject[] = []): { get: OpenApiOperation } => ({
  get: { operationId, summary, ...(parameters.length > 0 ? { parameters } : {}), responses: { ...responses, ...AUTH_RESPONSES } },
});

/**
 * The definition for a server at `serverUrl` (`<origin>/ogc`) offering `collections` (the router's
 * collection list, in its order): `collectionId` is one of them.
 */
export function buildOgcOpenApi(serverUrl: string, collections: readonly ExportLayer[]): OpenApiDocument {
  const itemsParameters = [ref('parameters', 'collectionId'), ...Object.keys(ITEMS_QUERY_PARAMETERS).map((name) => ref('parameters', name))];
  return {
    openapi: OGC_OPENAPI_VERSION,
    info: {
      title: 'City IOC — OGC API – Features',
      version: OGC_API_DEFINITION_VERSION,
      description:
        'City IOC (城市运行管理中心) layers as OGC API – Features (Part 1: Core, GeoJSON): devices, assets, open incidents, active alerts, ' +
        'in the caller’s data scope. WGS84 (CRS84), times ISO 8601 +08:00. Read with an API key (admin → API 密钥) or an officer’s, leader’s or admin’s session.',
    },
    servers: [{ url: serverUrl, description: 'this server' }],
    paths: {
      '/': get('getLandingPage', 'Landing page: links to the API definition, conformance and collections', {
        '200': { description: 'The landing page.', content: json(ref('schemas', 'landingPage')) },
      }),
      '/api': get('getApiDefinition', 'This API definition (OpenAPI 3.0)', {
        '200': { description: 'The OpenAPI 3.0 document.', content: json({ type: 'object' }, OPENAPI_MEDIA_TYPE) },
      }),
      '/conformance': get('getConformanceDeclaration', 'The conformance classes implemented', {
        '200': { description: 'The conformance classes.', content: json(ref('schemas', 'confClasses')) },
      }),
      '/collections': get('getCollections', 'The collections, with their spatial and temporal extent in the caller’s scope', {
        '200': { description: 'The collections.', content: json(ref('schemas', 'collections')) },
      }),
      '/collections/{collectionId}': get(
        'describeCollection',
        'One collection',
        { '200': { description: 'The collection.', content: json(ref('schemas', 'collection')) }, '404': ref('responses', 'NotFound') },
        [ref('parameters', 'collectionId')],
      ),
      '/collections/{collectionId}/items': get(
        'getFeatures',
        'A page of a collection’s features, filtered by bbox and datetime; `next`/`prev` links page on',
        {
          '200': { description: 'A page of features.', content: json(ref('schemas', 'featureCollectionGeoJSON'), GEOJSON_MEDIA_TYPE) },
          '400': ref('responses', 'InvalidParameter'),
          '404': ref('responses', 'NotFound'),
        },
        itemsParameters,
      ),
      '/collections/{collectionId}/items/{featureId}': get(
        'getFeature',
        'One feature',
        {
          '200': { description: 'The feature.', content: json(ref('schemas', 'featureGeoJSON'), GEOJSON_MEDIA_TYPE) },
          '404': ref('responses', 'NotFound'),
        },
        [ref('parameters', 'collectionId'), ref('parameters', 'featureId')],
      ),
    },
    components: {
      schemas: SCHEMAS,
      parameters: {
        collectionId: {
          name: 'collectionId',
          in: 'path',
          required: true,
          description: 'The collection.',
          schema: { type: 'string', enum: [...collections] },
        },
        featureId: { name: 'featureId', in: 'path', required: true, description: 'The feature’s id (its `id` member).', schema: { type: 'string' } },
        ...ITEMS_QUERY_PARAMETERS,
      },
      responses: RESPONSES,
      securitySchemes: {
        apiKeyHeader: {
          type: 'apiKey',
          in: 'header',
          name: 'Authorization',
          description: 'An API key as `Authorization: ApiKey <key>` (admin → API 密钥).',
        },
        apiKeyQuery: {
          type: 'apiKey',
          in: 'query',
          name: 'apiKey',
          description: 'The same API key as `?apiKey=<key>` (for clients that cannot set a header, e.g. QGIS); every link keeps it.',
        },
        sessionBearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'An officer’s, leader’s or admin’s session access token.',
        },
      },
    },
    // any one of them
    security: [{ apiKeyHeader: [] }, { apiKeyQuery: [] }, { sessionBearer: [] }],
  };
}
