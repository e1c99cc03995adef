/**
 * Large imports do not hold the event loop (issue 11): a 100,000-row CSV is parsed, validated and
 * written in chunks with a turn of the loop between them, so the server keeps answering while it
 * works — and the import keeps its all-or-nothing semantics and its per-row report.
 */
import type { IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IocServer } from '../app';
import { CSV_PARSE_SLICE_CHARS, parseCsvRows } from '../registry/import-format';
import { DEVICE_COLUMNS, type ImportReport } from '../registry/registry-schemas';
import { login, startTestServer } from './helpers';

const ROWS = 100_000;

/** A device CSV of `n` rows inside the city; `bad` replaces the line of row index i. */
function deviceCsv(n: number, bad: Map<number, string> = new Map()): string {
  const lines = [DEVICE_COLUMNS.join(',')];
  for (let i = 0; i < n; i++) {
    const lng = (120.35 + (i % 100) * 0.0001).toFixed(5);
    const lat = (36.15 + Math.floor(i / 100) * 0.0001).toFixed(5);
    lines.push(bad.get(i) ?? `chunk-${i},water-level,"水位计 ${i}",${lng},${lat},370213,,2026-03-01,Hikvision,WL-${i % 7},active`);
  }
  return `${lines.join('\r\n')}\r\n`;
}

let server: IocServer;
let admin: string;

beforeAll(async () => {
  server = await startTestServer();
  admin = await login(server, 'admin');
});
afterAll(async () => {
  await server?.close();
});

describe('large imports and the event loop', () => {
  it('answers /healthz while a 100,000-row dry-run import is parsed and validated, and reports exactly its bad rows', async () => {
    const csv = deviceCsv(
      ROWS,
      new Map([
        [10, 'chunk-10,toaster,坏行,120.4,36.15,,,,,,'],
        [99_990, 'chunk-99990,water-level,出界,121.9,38.5,,,,,,'],
      ]),
    );
    const devicesBefore = server.registry.listDevices().length;

    // order in which the server finished things: the import's work, the health check
    const finished: string[] = [];
    const importDevices = server.registry.importDevices.bind(server.registry);
    server.registry.importDevices = async (...args) => {
      const report = await importDevices(...args);
      finished.push('import');
      return report;
    };
    // the health check is sent the moment the server has the whole import body, i.e. just before
    // parsing starts: with parse + validation in one synchronous step it could only be answered after
    let healthz: Promise<number> | null = null;
    const onRequest = (req: IncomingMessage) => {
      if (!req.url?.startsWith('/api/devices/import')) return;
      req.once('end', () => {
        healthz = fetch(`${server.url}/healthz`).then(async (r) => {
          await r.arrayBuffer();
          finished.push('healthz');
          return r.status;
        });
      });
    };
    server.http.prependListener('request', onRequest);
    try {
      const r = await fetch(`${server.url}/api/devices/import?dryRun=1`, {
        method: 'POST',
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'text/csv' },
        body: csv,
      });
      const report = (await r.json()) as ImportReport;
      expect(r.status).toBe(200);
      expect(report).toMatchObject({ created: ROWS - 2, updated: 0, dryRun: true, applied: false });
      expect(report.rejected.map((x) => `${x.row}:${x.column}:${x.code}`)).toEqual(['12:kind:E_VALIDATION', '99992:lng,lat:E_VALIDATION']);
      expect(healthz).not.toBeNull();
      expect(await healthz).toBe(200);
      expect(finished).toEqual(['healthz', 'import']);
      expect(server.registry.listDevices()).toHaveLength(devicesBefore);
      expect(server.fusion.devices.has('chunk-0')).toBe(false);
    } finally {
      server.http.off('request', onRequest);
      server.registry.importDevices = importDevices;
    }
  }, 120_000);

  it('refuses a CSV with more rows than allowed without reading it to the end', async () => {
    await expect(parseCsvRows(deviceCsv(3_000), DEVICE_COLUMNS, ['id'], 1_000)).rejects.toMatchObject({
      error: { code: 'E_VALIDATION', message: expect.stringContaining('at most 1000 rows') },
    });
  });

  it('refuses a CSV that cannot be read (an unterminated quote) with E_VALIDATION', async () => {
    await expect(parseCsvRows('id,name\r\na-1,"no end\r\n', DEVICE_COLUMNS, ['id'], 10)).rejects.toMatchObject({
      error: { code: 'E_VALIDATION', message: expect.stringContaining('the CSV cannot be read') },
    });
  });

  it('parses a CSV whose quoted cells and surrogate pairs straddle the parser slices', async () => {
    // the emoji's first UTF-16 unit is the last one of the first slice, inside a quoted cell
    const head = 'id,name\r\na-1,"引号"" ';
    const filler = '桥'.repeat(CSV_PARSE_SLICE_CHARS - 1 - head.length);
    const text = `${head}${filler}😀 尾"\r\na-2,"两行\r\n名字"\r\n`;
    expect(text.charCodeAt(CSV_PARSE_SLICE_CHARS - 1)).toBe('😀'.charCodeAt(0));
    const rows = await parseCsvRows(text, DEVICE_COLUMNS, ['id'], 10);
    expect(rows.map((r) => r.values.id)).toEqual(['a-1', 'a-2']);
    expect(rows[0]!.values.name).toBe(`引号" ${filler}😀 尾`);
    expect(rows[1]!.values.name).toBe('两行\r\n名字');
  });
});
