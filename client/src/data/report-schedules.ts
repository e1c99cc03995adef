/**
 * Scheduled reports (issue 16): the admin's schedules (`/api/reports/schedules`, 运行 now) and a
 * reader's inbox of delivered reports (`/api/reports/inbox`, files of `/api/reports/runs/:id/export`).
 * The inbox refreshes on the live `report.ready` event (see subscribeReportReady) and on demand.
 */
import type { ReportSchedule } from '@scenes/reports/report-schedule';
import type { IocError } from '@scenes/protocol';
import type { ReportFormat } from '@scenes/reports/report-query';
import { freshToken } from '../auth/session';
import { call, jsonInit, type ApiResult } from './rest';
import { fileNameOf } from './reports';

export type { ReportSchedule };

export interface ReportRunOutcome {
  runId: string;
  status: 'ok' | 'failed';
  ts: number;
  error?: string;
}

/** A schedule as the server answers it (server/store/report-schedule-store.ts StoredReportSchedule). */
export interface StoredReportSchedule extends ReportSchedule {
  createdBy: string;
  createdTs: number;
  updatedTs: number;
  lastRun?: ReportRunOutcome;
}

/** A delivered report in the inbox. */
export interface ReportInboxEntry {
  id: string;
  scheduleId: string;
  kind: ReportSchedule['kind'];
  date: string;
  district?: ReportSchedule['district'];
  recipients: string[];
  trigger: 'schedule' | 'manual';
  slotTs: number;
  generatedTs: number;
  read: boolean;
}

export const fetchReportSchedules = (token: string): Promise<ApiResult<{ schedules: StoredReportSchedule[] }>> =>
  call(token, '/api/reports/schedules');

export const createReportSchedule = (token: string, s: ReportSchedule): Promise<ApiResult<{ schedule: StoredReportSchedule }>> =>
  call(token, '/api/reports/schedules', jsonInit(s));

export const updateReportSchedule = (token: string, s: ReportSchedule): Promise<ApiResult<{ schedule: StoredReportSchedule }>> =>
  call(token, `/api/reports/schedules/${encodeURIComponent(s.id)}`, jsonInit(s, 'PUT'));

export const deleteReportSchedule = (token: string, id: string): Promise<ApiResult<object>> =>
  call(token, `/api/reports/schedules/${encodeURIComponent(id)}`, { method: 'DELETE' });

export const runReportSchedule = (token: string, id: string): Promise<ApiResult<{ run: ReportInboxEntry }>> =>
  call(token, `/api/reports/schedules/${encodeURIComponent(id)}/run`, { method: 'POST' });

export const fetchReportInbox = (token: string): Promise<ApiResult<{ runs: ReportInboxEntry[]; unread: number }>> =>
  call(token, '/api/reports/inbox');

/** A delivered report as a file (the server records the export and marks the report read). */
export async function downloadReportRun(
  token: string,
  runId: string,
  format: ReportFormat,
): Promise<{ ok: true; blob: Blob; fileName: string } | { ok: false; error: IocError }> {
  let res: Response;
  try {
    res = await fetch(`/api/reports/runs/${encodeURIComponent(runId)}/export?format=${format}`, {
      headers: { authorization: `Bearer ${(await freshToken()) ?? token}` },
    });
  } catch (e) {
    return { ok: false, error: { code: 'E_INTERNAL', message: e instanceof Error ? e.message : String(e) } };
  }
  if (!res.ok) {
    const body = (await res.json().catch(() => null)) as { error?: IocError } | null;
    return { ok: false, error: body?.error ?? { code: 'E_INTERNAL', message: `HTTP ${res.status}` } };
  }
  return { ok: true, blob: await res.blob(), fileName: fileNameOf(res.headers.get('content-disposition'), `report.${format}`) };
}
