/**
 * A report as a file: XLSX (exceljs, one sheet per table, bold Chinese headers, column widths, the
 * header row frozen) or CSV (every table one after another under its name, UTF-8 with a BOM so
 * Excel reads the Chinese right, RFC 4180 quoting, CRLF).
 */
import type { Report } from '../../scenes/reports/build-report';
import type { ReportFormat } from '../../scenes/reports/report-query';
import { beijingDate } from '../../scenes/reports/report-period';
import { type Cell, KIND_NAMES, reportTables, reportTitle } from './report-tables';

/** Excel reads a UTF-8 CSV as UTF-8 only with this mark in front */
export const UTF8_BOM = '\uFEFF';
const CSV_LINE_END = '\r\n';

export const CONTENT_TYPES: Record<ReportFormat, string> = {
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  csv: 'text/csv; charset=utf-8',
};

/** A cell that starts like a formula is quoted with `'` (CSV injection in spreadsheet apps). */
function csvCell(v: Cell): string {
  if (v === null) return '';
  let s = String(v);
  if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s) && !/^[-+]?\d/.test(s) && s !== '—') s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function reportCsv(report: Report): string {
  const lines: string[] = [csvCell(reportTitle(report))];
  for (const t of reportTables(report)) {
    lines.push('', csvCell(t.name), t.columns.map((c) => csvCell(c.header)).join(','));
    for (const row of t.rows) lines.push(row.map(csvCell).join(','));
  }
  return UTF8_BOM + lines.join(CSV_LINE_END) + CSV_LINE_END;
}

export async function reportXlsx(report: Report): Promise<Buffer> {
  // loaded on the first download: exceljs costs ~0.3 s to import, paid otherwise by every server start
  const { default: ExcelJS } = await import('exceljs');
  const wb = new ExcelJS.Workbook();
  wb.creator = 'City IOC';
  wb.title = reportTitle(report);
  wb.created = new Date(report.generatedTs);
  for (const t of reportTables(report)) {
    const ws = wb.addWorksheet(t.name, { views: [{ state: 'frozen', ySplit: 1 }] });
    ws.columns = t.columns.map((c) => ({ header: c.header, width: c.widthChars }));
    ws.getRow(1).font = { bold: true };
    for (const row of t.rows) ws.addRow(row);
  }
  return Buffer.from(await wb.xlsx.writeBuffer());
}

/** 城市运行日报_2026-11-30.xlsx (and an ASCII fallback for old clients) */
export function reportFileNames(report: Report, format: ReportFormat): { utf8: string; ascii: string } {
  const day = beijingDate(report.period.fromTs);
  const where = report.district ? `_${report.district}` : '';
  return {
    utf8: `城市运行${KIND_NAMES[report.period.kind]}_${day}${where}.${format}`,
    ascii: `city-ioc-${report.period.kind}-report_${day}${where}.${format}`,
  };
}

/** RFC 6266 / RFC 5987: `attachment; filename="ascii"; filename*=UTF-8''percent-encoded` */
export function contentDisposition(names: { utf8: string; ascii: string }): string {
  const encoded = encodeURIComponent(names.utf8).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${names.ascii}"; filename*=UTF-8''${encoded}`;
}
