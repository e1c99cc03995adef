/**
 * Import/export file formats of the registry: CSV (RFC 4180, a header row naming the columns)
 * and GeoJSON FeatureCollections. Parsing only — what a row means is the registry's business.
 */
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { iocError } from '../errors';
import { IocFailure } from '../guard';

/** One data row of an import: its 1-based row number and its cells/properties by column name. */
export interface ImportRow {
  /** CSV: line of the record in the file (header = line 1); GeoJSON: 1-based feature number */
  row: number;
  /** CSV: cell text by header name (empty cells absent); GeoJSON: properties plus `geometry` */
  values: Record<string, unknown>;
}

export type ImportFormat = 'csv' | 'geojson';

/** The import format a request's content type names, or null. */
export function importFormatOf(contentType: string | undefined): ImportFormat | null {
  const type = String(contentType ?? '')
    .split(';')[0]!
    .trim()
    .toLowerCase();
  if (type === 'text/csv') return 'csv';
  if (type === 'application/geo+json') return 'geojson';
  return null;
}

function fail(message: string): never {
  throw new IocFailure(iocError('E_VALIDATION', message));
}

/** An own-property map (no prototype), so a header or property named `__proto__` is plain data. */
function plainMap(): Record<string, unknown> {
  return Object.create(null) as Record<string, unknown>;
}

/**
 * Parse CSV text: the header must name only `allowed` columns, each once, and include `required`.
 * Throws IocFailure(E_VALIDATION) for a file that cannot be read at all (bad quoting, bad header).
 */
export function parseCsvRows(text: string, allowed: readonly string[], required: readonly string[], maxRows: number): ImportRow[] {
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text.replace(/^\uFEFF/, ''), { info: true, relax_column_count: true, skip_empty_lines: true }) as unknown as typeof records;
  } catch (err) {
    fail(`the CSV cannot be read: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (records.length === 0) fail('the CSV has no header row');
  const header = records[0]!.record.map((h) => h.trim());
  const unknown = header.filter((h) => !allowed.includes(h));
  if (unknown.length > 0) fail(`unknown column(s) ${unknown.slice(0, 5).join(', ')}; allowed: ${allowed.join(', ')}`);
  const duplicate = header.find((h, i) => header.indexOf(h) !== i);
  if (duplicate !== undefined) fail(`column ${duplicate} appears twice in the header`);
  const missing = required.filter((c) => !header.includes(c));
  if (missing.length > 0) fail(`missing column(s) ${missing.join(', ')}`);
  if (records.length - 1 > maxRows) fail(`at most ${maxRows} rows per import (this file has ${records.length - 1})`);
  const rows: ImportRow[] = [];
  for (let i = 1; i < records.length; i++) {
    const { record, info } = records[i]!;
    const values = plainMap();
    // a record with more cells than the header keeps the extras under a name the schema refuses
    for (let c = 0; c < record.length; c++) {
      const cell = record[c]!;
      if (cell === '') continue;
      values[c < header.length ? header[c]! : `(column ${c + 1})`] = cell;
    }
    rows.push({ row: info.lines, values });
  }
  return rows;
}

/** Parse a GeoJSON FeatureCollection: one row per feature (properties plus `geometry`). */
export function parseGeoJsonRows(json: unknown, maxRows: number): ImportRow[] {
  const fc = json as { type?: unknown; features?: unknown };
  if (fc === null || typeof fc !== 'object' || fc.type !== 'FeatureCollection' || !Array.isArray(fc.features))
    fail('a GeoJSON import is a FeatureCollection');
  const features = fc.features as unknown[];
  if (features.length > maxRows) fail(`at most ${maxRows} features per import (this file has ${features.length})`);
  return features.map((f, i) => {
    const values = plainMap();
    const feature = f as { type?: unknown; geometry?: unknown; properties?: unknown } | null;
    if (feature && typeof feature === 'object' && feature.type === 'Feature') {
      const props = feature.properties;
      if (props && typeof props === 'object' && !Array.isArray(props))
        for (const k of Object.keys(props)) values[k] = (props as Record<string, unknown>)[k];
      values.geometry = feature.geometry;
    } else values['(feature)'] = f;
    return { row: i + 1, values };
  });
}

/** CSV text with a header row; cells that need it are quoted (RFC 4180). */
export function toCsv(columns: readonly string[], rows: readonly (readonly (string | number | undefined)[])[]): string {
  return stringify([columns as string[], ...rows.map((r) => r.map((v) => (v === undefined ? '' : String(v))))], { record_delimiter: '\r\n' });
}
