/**
 * Scheduled reports (issue 16): the admin's schedules (`/api/reports/schedules`, 运行 now) and a
 * reader's inbox of delivered reports (`/api/reports/inbox`, files of `/api/reports/runs/:id/export`).
 * The inbox refreshes on the live `report.ready` event (watchReportInbox), after a reconnect and,
 * as a fallback only, on a slow poll.
 */
import { ReportReadyMessageSchema, type ReportReadyMessage, type ReportSchedule } from '@scenes/reports/report-schedule';
import type { IocError } from '@scenes/protocol';
import type { ReportFormat } from '@scenes/reports/report-query';
import { freshToken } from '../auth/session';
import type { LiveTransport } from '../connection';
import { call, jsonInit, type ApiResult } from './rest';
import { fileNameOf } from './reports';

export type { ReportSchedule, ReportReadyMessage };

/**
 * The inbox is refetched this often without a live event, ms: only a fallback for an event lost
 * (a socket down at delivery time and not reconnected since), so slow.
 */
export const INBOX_FALLBACK_REFRESH_MS = 5 * 60_000;

/** Calls `onReady` for each valid `report.ready` (a malformed one is dropped). Returns the unsubscribe. */
export function subscribeReportReady(transport: Pick<LiveTransport, 'on'>, onReady: (msg: ReportReadyMessage) => void): () => void {
  return transport.on('report.ready', (msg: unknown) => {
    const parsed = ReportReadyMessageSchema.safeParse(msg);
    if (parsed.success) onReady(parsed.data);
  });
}

/**
 * Keeps an inbox current: `reload` at once on `report.ready`, after a reconnect (an event sent
 * while the socket was away is lost: Socket.IO delivers at most once) and every `fallbackMs`.
 * Without a live connection only the poll runs. Returns the stop.
 */
export function watchReportInbox(
  transport: Pick<LiveTransport, 'on' | 'onConnect'> | null,
  reload: (why: 'ready' | 'reconnect' | 'poll', msg?: ReportReadyMessage) => void,
  fallbackMs: number = INBOX_FALLBACK_REFRESH_MS,
): () => void {
  const offReady = transport ? subscribeReportReady(transport, (msg) => reload('ready', msg)) : () => undefined;
  const offConnect =
    transport?.onConnect(({ reconnect }) => {
      if (reconnect) reload('reconnect');
    }) ?? (() => undefined);
  const timer = setInterval(() => reload('poll'), fallbackMs);
  return () => {
    offReady();
    offConnect();
    clearInterval(timer);
  };
}

export interface ReportRunOutcome {
  runId: string;
  status: 'ok' | 'failed';
  /** epoch ms */
  ts: number;
  error?: string;
  /** which try of a scheduled slot, 1 = the first */
  attempt?: number;
  /** epoch ms of the next try of a failed scheduled run; absent on a failure = given up */
  retryTs?: number;
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
