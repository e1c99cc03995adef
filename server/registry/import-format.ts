/**
 * Import/export file formats of the registry: CSV (RFC 4180, a header row naming the columns)
 * and GeoJSON FeatureCollections. Parsing only — what a row means is the registry's business.
 *
 * Invariant: parsing never holds the event loop for long. A 100,000-row CSV takes about a second
 * of CPU to parse; it is fed to the parser in slices of CSV_PARSE_SLICE_CHARS and rows are built
 * in chunks of IMPORT_CHUNK_ROWS, yielding to the loop (setImmediate) in between, so the server
 * keeps answering (health checks, ingest, sockets) while a large import is read.
 */
import { setImmediate as nextLoopTurn } from 'node:timers/promises';
import { parse, type Info } from 'csv-parse';
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

/** Rows handled per synchronous step of an import (parse, validate, prepare writes): ≈ 10–20 ms of CPU each. */
export const IMPORT_CHUNK_ROWS = 1_000;
/** Characters of CSV text fed to the parser per synchronous step (≈ 1,000 rows of a device file, ≈ 15 ms). */
export const CSV_PARSE_SLICE_CHARS = 128 * 1024;

/** Let the event loop run pending I/O (requests, timers) before the next chunk of a long job. */
export function yieldToEventLoop(): Promise<void> {
  return nextLoopTurn();
}

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

/** One record as csv-parse answers it with `info: true`. */
interface CsvRecord {
  record: string[];
  info: Info;
}

/**
 * CSV text as records, parsed slice by slice with a turn of the event loop between slices. Stops
 * (E_VALIDATION) as soon as more than `maxRecords` records were read. Slices never split a UTF-16
 * surrogate pair.
 */
async function readCsvRecords(text: string, maxRecords: number, maxRows: number): Promise<CsvRecord[]> {
  const parser = parse({ info: true, relax_column_count: true, skip_empty_lines: true });
  const records: CsvRecord[] = [];
  let failed: unknown = null;
  let ended = false;
  parser.on('readable', () => {
    let r: CsvRecord | null;
    while ((r = parser.read() as CsvRecord | null) !== null) records.push(r);
  });
  const done = new Promise<void>((resolve) => {
    parser.once('end', () => {
      ended = true;
      resolve();
    });
    // `on`, not `once`: a second error event must never go unhandled (it would crash the process)
    parser.on('error', (err: unknown) => {
      failed ??= err;
      resolve();
    });
  });
  let at = 0;
  while (at < text.length && failed === null) {
    let to = Math.min(text.length, at + CSV_PARSE_SLICE_CHARS);
    const last = text.charCodeAt(to - 1);
    if (to < text.length && last >= 0xd800 && last <= 0xdbff) to++;
    parser.write(text.slice(at, to));
    at = to;
    await yieldToEventLoop();
    if (records.length > maxRecords) {
      parser.destroy();
      fail(`at most ${maxRows} rows per import (this file has more)`);
    }
  }
  if (failed === null) parser.end();
  await done;
  if (failed !== null || !ended) fail(`the CSV cannot be read: ${failed instanceof Error ? failed.message : String(failed)}`);
  return records;
}

/**
 * Parse CSV text: the header must name only `allowed` columns, each once, and include `required`.
 * Rejects with IocFailure(E_VALIDATION) for a file that cannot be read at all (bad quoting, bad
 * header, more than `maxRows` rows). Yields to the event loop between chunks (module comment).
 */
export async function parseCsvRows(text: string, allowed: readonly string[], required: readonly string[], maxRows: number): Promise<ImportRow[]> {
  const records = await readCsvRecords(text.replace(/^\uFEFF/, ''), maxRows + 1, maxRows);
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
    if (i % IMPORT_CHUNK_ROWS === 0) await yieldToEventLoop();
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

/** Parse a GeoJSON FeatureCollection: one row per feature (properties plus `geometry`), in chunks. */
export async function parseGeoJsonRows(json: unknown, maxRows: number): Promise<ImportRow[]> {
  const fc = json as { type?: unknown; features?: unknown };
  if (fc === null || typeof fc !== 'object' || fc.type !== 'FeatureCollection' || !Array.isArray(fc.features))
    fail('a GeoJSON import is a FeatureCollection');
  const features = fc.features as unknown[];
  if (features.length > maxRows) fail(`at most ${maxRows} features per import (this file has ${features.length})`);
  const rows: ImportRow[] = [];
  for (let i = 0; i < features.length; i++) {
    if (i > 0 && i % IMPORT_CHUNK_ROWS === 0) await yieldToEventLoop();
    const f = features[i];
    const values = plainMap();
    const feature = f as { type?: unknown; geometry?: unknown; properties?: unknown } | null;
    if (feature && typeof feature === 'object' && feature.type === 'Feature') {
      const props = feature.properties;
      if (props && typeof props === 'object' && !Array.isArray(props))
        for (const k of Object.keys(props)) values[k] = (props as Record<string, unknown>)[k];
      values.geometry = feature.geometry;
    } else values['(feature)'] = f;
    rows.push({ row: i + 1, values });
  }
  return rows;
}

/** CSV text with a header row; cells that need it are quoted (RFC 4180). */
export function toCsv(columns: readonly string[], rows: readonly (readonly (string | number | undefined)[])[]): string {
  return stringify([columns as string[], ...rows.map((r) => r.map((v) => (v === undefined ? '' : String(v))))], { record_delimiter: '\r\n' });
}
