/**
 * A raster basemap the map may draw under its overlays: an XYZ template (`{z}/{x}/{y}`, optional
 * `{s}` subdomain) or a WMTS template, REST or KVP (`{TileMatrix}`, `{TileRow}`, `{TileCol}`;
 * Web-Mercator tile matrix set such as 天地图's `w`, where TileMatrix = z, TileRow = y, TileCol = x).
 *
 * The schema is the wire type of `GET /api/basemaps` and the shape the server validates its
 * environment into; `expandTileUrl` is the one place a template becomes a URL. Pure: no I/O.
 */
import { z } from 'zod';
import type { TileIndex } from './tile-math';

/** Datums of a basemap: WGS84 and CGCS2000 coincide at map scale (< 1 m); GCJ-02 is offset by hundreds of metres. */
export const BASEMAP_DATUMS = ['wgs84', 'cgcs2000', 'gcj02'] as const;
export type BasemapDatum = (typeof BASEMAP_DATUMS)[number];

export const BASEMAP_KINDS = ['vector', 'imagery'] as const;

/** Limits of a basemap entry (the configuration is an admin's, but it is still bounded). */
export const BASEMAP_LIMITS = {
  maxBasemaps: 8,
  maxSubdomains: 16,
  maxTemplateChars: 2_000,
  maxAttributionChars: 200,
  maxNameChars: 40,
  /** deepest zoom any tile source offers */
  maxZoom: 24,
} as const;

/** The placeholders a template may hold; `{TileMatrix}` etc. are matched case-insensitively (WMTS KVP is often lower-case). */
const XYZ_PLACEHOLDERS = ['z', 'x', 'y'] as const;
const WMTS_PLACEHOLDERS = ['tilematrix', 'tilerow', 'tilecol'] as const;
const KNOWN_PLACEHOLDERS = new Set<string>([...XYZ_PLACEHOLDERS, ...WMTS_PLACEHOLDERS, 's']);

function placeholdersOf(template: string): string[] {
  return [...template.matchAll(/\{([^{}]*)\}/g)].map((m) => m[1]!.toLowerCase());
}

/**
 * Why a tile URL template is unusable, or null when it is fine: it must be an http(s) URL or a
 * path on this server, hold the three XYZ or the three WMTS placeholders and nothing unknown.
 */
export function tileTemplateProblem(template: string): string | null {
  if (template.length > BASEMAP_LIMITS.maxTemplateChars) return `longer than ${BASEMAP_LIMITS.maxTemplateChars} characters`;
  if (!/^(https?:\/\/|\/(?!\/))/i.test(template)) return 'must start with http://, https:// or / (a path on this server)';
  const found = placeholdersOf(template);
  const unknown = found.filter((p) => !KNOWN_PLACEHOLDERS.has(p));
  if (unknown.length > 0)
    return `unknown placeholder(s) ${unknown.map((p) => `{${p}}`).join(', ')} (use {z} {x} {y} [{s}] or {TileMatrix} {TileRow} {TileCol} [{s}])`;
  const xyz = XYZ_PLACEHOLDERS.every((p) => found.includes(p));
  const wmts = WMTS_PLACEHOLDERS.every((p) => found.includes(p));
  if (!xyz && !wmts) return 'needs {z}, {x} and {y} (XYZ) or {TileMatrix}, {TileRow} and {TileCol} (WMTS)';
  const sample = expandTemplate(template, { x: 0, y: 0, z: 0 }, 'a');
  if (!URL.canParse(sample, 'http://localhost')) return 'is not a valid URL once its placeholders are filled in';
  return null;
}

function expandTemplate(template: string, { x, y, z }: TileIndex, subdomain: string): string {
  return template.replace(/\{([^{}]*)\}/g, (whole, name: string) => {
    switch (name.toLowerCase()) {
      case 'z':
      case 'tilematrix':
        return String(z);
      case 'x':
      case 'tilecol':
        return String(x);
      case 'y':
      case 'tilerow':
        return String(y);
      case 's':
        return subdomain;
      default:
        return whole;
    }
  });
}

const TileTemplateSchema = z
  .string()
  .trim()
  .superRefine((t, ctx) => {
    const problem = tileTemplateProblem(t);
    if (problem) ctx.addIssue({ code: 'custom', message: `tile URL template ${problem}` });
  });

export const BasemapSourceSchema = z
  .object({
    /** stable id, used in the URL (`?basemap=`) */
    id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'id: lower-case letters, digits and dashes, at most 32'),
    /** Chinese name, shown in the switcher */
    name: z.string().trim().min(1).max(BASEMAP_LIMITS.maxNameChars),
    nameEn: z.string().trim().max(BASEMAP_LIMITS.maxNameChars).default(''),
    kind: z.enum(BASEMAP_KINDS).default('vector'),
    url: TileTemplateSchema,
    /** an annotation (labels) layer drawn over the base, e.g. 天地图 `cva` over `vec` */
    annotationUrl: TileTemplateSchema.optional(),
    subdomains: z
      .array(z.string().regex(/^[A-Za-z0-9-]{1,16}$/, 'subdomain: letters, digits, dashes'))
      .max(BASEMAP_LIMITS.maxSubdomains)
      .default([]),
    attribution: z.string().trim().max(BASEMAP_LIMITS.maxAttributionChars).default(''),
    minZoom: z.number().int().min(0).max(BASEMAP_LIMITS.maxZoom).default(0),
    maxZoom: z.number().int().min(0).max(BASEMAP_LIMITS.maxZoom).default(18),
    datum: z.enum(BASEMAP_DATUMS).default('wgs84'),
  })
  .strict()
  .superRefine((b, ctx) => {
    if (b.minZoom > b.maxZoom) ctx.addIssue({ code: 'custom', path: ['minZoom'], message: 'minZoom is above maxZoom' });
    const usesSubdomain = [b.url, b.annotationUrl ?? ''].some((t) => placeholdersOf(t).includes('s'));
    if (usesSubdomain && b.subdomains.length === 0)
      ctx.addIssue({ code: 'custom', path: ['subdomains'], message: 'the template uses {s} but no subdomains are given' });
  });
export type BasemapSource = z.infer<typeof BasemapSourceSchema>;

export const BasemapListSchema = z
  .array(BasemapSourceSchema)
  .max(BASEMAP_LIMITS.maxBasemaps)
  .superRefine((list, ctx) => {
    const seen = new Set<string>();
    for (const b of list) {
      if (seen.has(b.id) || b.id === OFFLINE_BASEMAP_ID) ctx.addIssue({ code: 'custom', message: `basemap id '${b.id}' is used twice or reserved` });
      seen.add(b.id);
    }
  });

/** `GET /api/basemaps` answers this. */
export const BasemapsResponseSchema = z.object({ basemaps: BasemapListSchema });
export type BasemapsResponse = z.infer<typeof BasemapsResponseSchema>;

/** The always-present offline base's id (`?basemap=offline`). */
export const OFFLINE_BASEMAP_ID = 'offline';

/** The URL of one tile; subdomains rotate by tile so that requests spread over hosts. */
export function expandTileUrl(template: string, tile: TileIndex, subdomains: readonly string[]): string {
  const subdomain = subdomains.length > 0 ? subdomains[(tile.x + tile.y) % subdomains.length]! : '';
  return expandTemplate(template, tile, subdomain);
}

/** The origins a basemap's tiles come from (for the Content-Security-Policy); empty for paths on this server. */
export function basemapOrigins(b: BasemapSource): string[] {
  const origins = new Set<string>();
  for (const template of [b.url, b.annotationUrl].filter((t): t is string => !!t)) {
    if (template.startsWith('/')) continue;
    for (const s of b.subdomains.length > 0 ? b.subdomains : ['']) origins.add(new URL(expandTemplate(template, { x: 0, y: 0, z: 0 }, s)).origin);
  }
  return [...origins];
}
