/**
 * Scheduled reports' wiring (issue 16) for app.ts: the store beside the main Store, the service,
 * the ticker under a cluster lease, and delivery — each recipient's open `/live` sockets get
 * `report.ready` (their `user:<username>` room, on every node through the adapter) and the
 * notification service publishes `report.ready` (Web Push to the recipients, matching webhooks).
 */
import type { Namespace } from 'socket.io';
import type { ClusterLease } from '../cluster/lease';
import type { Logger } from '../logger';
import type { NotificationEvent } from '../notify/notify-types';
import type { ReportGeneratorDeps } from '../reports/report-router';
import { KIND_NAMES } from '../reports/report-tables';
import type { ReportRunMeta } from '../store/report-schedule-store';
import { reportScheduleStoreFor } from '../store/report-schedule-store';
import type { Store } from '../store/store';
import { ReportScheduleService, type ReportReadyEvent } from './report-schedule-service';
import { startReportScheduleTicker, type ReportScheduleTicker } from './report-schedule-ticker';

export interface StartReportSchedulesDeps {
  store: Store;
  generator: ReportGeneratorDeps;
  log: Logger;
  /** the ticker acts only on its holder */
  lease: ClusterLease;
  /** the `/live` namespace */
  live: Pick<Namespace, 'to'>;
  /** the notification service's publish (webhooks, Web Push); absent = live sockets only */
  publish?: (event: NotificationEvent) => Promise<unknown>;
}

export interface StartedReportSchedules {
  service: ReportScheduleService;
  ticker: ReportScheduleTicker;
  close(): Promise<void>;
}

export const REPORT_READY_EVENT = 'report.ready';
const KIND_NAMES_EN: Record<ReportRunMeta['kind'], string> = { daily: 'Daily', weekly: 'Weekly', monthly: 'Monthly' };

/** The notification of a delivered run (idempotent by the run's id). */
export function reportReadyNotification(run: ReportRunMeta): NotificationEvent {
  const kind = { zh: KIND_NAMES[run.kind], en: KIND_NAMES_EN[run.kind] };
  return {
    id: `report.ready:${run.id}`,
    type: 'report.ready',
    ...(run.district ? { district: run.district } : {}),
    recipients: run.recipients,
    title: { zh: `${kind.zh}已生成`, en: `${kind.en} report ready` },
    body: { zh: `${run.date} ${kind.zh}（定时报表 ${run.scheduleId}）`, en: `${kind.en} report for ${run.date} (schedule ${run.scheduleId})` },
    url: '/reports',
    ts: run.generatedTs,
  };
}

export function startReportSchedules(d: StartReportSchedulesDeps): StartedReportSchedules {
  const onDelivered = (run: ReportRunMeta): void => {
    const ready: ReportReadyEvent = {
      runId: run.id,
      scheduleId: run.scheduleId,
      kind: run.kind,
      date: run.date,
      ...(run.district ? { district: run.district } : {}),
      generatedTs: run.generatedTs,
    };
    for (const u of run.recipients) d.live.to(`user:${u}`).emit(REPORT_READY_EVENT, ready);
    if (d.publish && run.recipients.length > 0)
      d.publish(reportReadyNotification(run)).catch((err: unknown) => d.log.warn({ err, runId: run.id }, 'report.ready notification failed'));
  };
  const service = new ReportScheduleService({
    schedules: reportScheduleStoreFor(d.store),
    users: d.store,
    generator: d.generator,
    log: d.log,
    onDelivered,
  });
  const ticker = startReportScheduleTicker({ service, lease: d.lease, log: d.log });
  return { service, ticker, close: () => ticker.stop() };
}
