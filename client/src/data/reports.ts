/**
 * Reports (issue 16) for the `/reports` and `/reports/incident/:id` pages: the report of a period
 * (`GET /api/reports`), its XLSX/CSV file (fetched with the bearer token and handed to the browser
 * as a download — a plain link would carry no token) and an incident's after-action summary.
 */
import type { DistrictCode } from '@scenes/domain';
import type { IocError } from '@scenes/protocol';
import type { Report } from '@scenes/reports/build-report';
import type { IncidentSummary } from '@scenes/reports/incident-summary';
import type { ReportFormat } from '@scenes/reports/report-query';
import type { ReportKind } from '@scenes/reports/report-period';
import { freshToken } from '../auth/session';
import { call, type ApiResult } from './rest';

export type { Report, IncidentSummary, ReportFormat, ReportKind };

/** What the page asks for; `date` for daily/weekly/monthly, `from`/`to` for custom (YYYY-MM-DD, Beijing). */
export interface ReportForm {
  kind: ReportKind;
  date: string;
  from: string;
  to: string;
  /** '' = every district the reader may see */
  district: DistrictCode | '';
}

export function reportQueryString(f: ReportForm, format?: ReportFormat): string {
  const q = new URLSearchParams({ kind: f.kind });
  if (f.kind === 'custom') {
    q.set('from', f.from);
    q.set('to', f.to);
  } else q.set('date', f.date);
  if (f.district) q.set('district', f.district);
  if (format) q.set('format', format);
  return q.toString();
}

export async function fetchReport(token: string, f: ReportForm): Promise<ApiResult<{ report: Report }>> {
  const r = await call<Report>(token, `/api/reports?${reportQueryString(f)}`);
  if (!r.ok) return r;
  const { ok: _ok, ...report } = r;
  return { ok: true, report: report as Report };
}

export async function fetchIncidentSummary(token: string, incidentId: string): Promise<ApiResult<{ summary: IncidentSummary }>> {
  const r = await call<IncidentSummary>(token, `/api/reports/incidents/${encodeURIComponent(incidentId)}/summary`);
  if (!r.ok) return r;
  const { ok: _ok, ...summary } = r;
  return { ok: true, summary: summary as IncidentSummary };
}

/** The file name of a `Content-Disposition`: the RFC 5987 `filename*` (UTF-8) first, else `filename`. */
export function fileNameOf(disposition: string | null, fallback: string): string {
  const star = /filename\*=UTF-8''([^;]+)/i.exec(disposition ?? '')?.[1];
  if (star) {
    try {
      return decodeURIComponent(star);
    } catch {
      // a malformed name: fall through to the plain one
    }
  }
  return /filename="?([^";]+)"?/.exec(disposition ?? '')?.[1] ?? fallback;
}

/** The report as a file (the server records the export in the audit log). */
export async function downloadReport(
  token: string,
  f: ReportForm,
  format: ReportFormat,
): Promise<{ ok: true; blob: Blob; fileName: string } | { ok: false; error: IocError; network: boolean }> {
  let res: Response;
  try {
    res = await fetch(`/api/reports/export?${reportQueryString(f, format)}`, {
      headers: { authorization: `Bearer ${(await freshToken()) ?? token}` },
    });
  } catch (e) {
    return { ok: false, network: true, error: { code: 'E_INTERNAL', message: e instanceof Error ? e.message : String(e) } };
  }
  if (!res.ok) {
    const body = (await res.json().catch(() => null)) as { error?: IocError } | null;
    return { ok: false, network: false, error: body?.error ?? { code: 'E_INTERNAL', message: `HTTP ${res.status}` } };
  }
  return { ok: true, blob: await res.blob(), fileName: fileNameOf(res.headers.get('content-disposition'), `report.${format}`) };
}

/** Hands a Blob to the browser as a download. */
export function saveBlob(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}
