/**
 * The audit chain as NDJSON (for backups and `npm run audit:verify -- --file`): a header line
 * `{"type":"audit-export", chain, trimPoint, head, exportedTs}` then one `{"id", "record"}` line per
 * record, oldest first. The records are exported as stored, so the export verifies like the log.
 */
import type { ChainHead } from './audit-chain';
import type { AuditBackend, AuditStreamEntry } from './audit-backend';

export interface AuditExportHeader {
  type: 'audit-export';
  chain: string;
  trimPoint: ChainHead | null;
  head: ChainHead | null;
  exportedTs: number;
}

/** records read per backend call while exporting */
const EXPORT_PAGE = 1000;

/** Writes the whole chain, page by page; answers the number of records written. */
export async function writeAuditExport(backend: AuditBackend, writeLine: (line: string) => unknown): Promise<number> {
  // the head first: every record up to it is in the log when the pages are read
  const header: AuditExportHeader = {
    type: 'audit-export',
    chain: backend.chainName,
    trimPoint: await backend.readTrimPoint(),
    head: await backend.readHead(),
    exportedTs: Date.now(),
  };
  await writeLine(JSON.stringify(header));
  let after: string | null = null;
  let n = 0;
  for (;;) {
    const page = await backend.readForward(after, EXPORT_PAGE);
    for (const e of page) {
      let record: unknown;
      try {
        record = JSON.parse(e.text);
      } catch {
        record = e.text; // exported as found: verify names it
      }
      await writeLine(JSON.stringify({ id: e.id, record }));
      n++;
    }
    if (page.length < EXPORT_PAGE) return n;
    after = page[page.length - 1]!.id;
  }
}

export interface ParsedAuditExport {
  header: AuditExportHeader | null;
  entries: AuditStreamEntry[];
}

/** Reads an export back; a line that is not an entry becomes an unreadable entry (verify names it). */
export function parseAuditExport(text: string): ParsedAuditExport {
  let header: AuditExportHeader | null = null;
  const entries: AuditStreamEntry[] = [];
  let lineNo = 0;
  for (const line of text.split('\n')) {
    lineNo++;
    if (line.trim() === '') continue;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      entries.push({ id: `line ${lineNo}`, text: line });
      continue;
    }
    const o = (v ?? {}) as Record<string, unknown>;
    if (o.type === 'audit-export' && header === null && entries.length === 0) {
      header = o as unknown as AuditExportHeader;
      continue;
    }
    const id = typeof o.id === 'string' ? o.id : `line ${lineNo}`;
    const record = 'record' in o ? o.record : o;
    entries.push({ id, text: typeof record === 'string' ? record : JSON.stringify(record) });
  }
  return { header, entries };
}
