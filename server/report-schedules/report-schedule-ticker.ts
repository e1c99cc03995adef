/**
 * The scheduled reports' timer (issue 16): a pass every `intervalMs` on the holder of its cluster
 * lease only. The lease keeps the other nodes idle; the store's per-schedule slot claim
 * (ReportScheduleStore.claimSlot) is what makes each slot's report exactly once — a pass that
 * outlives its holding (a lease handover mid-pass) cannot make a slot the new holder made too.
 */
import type { ClusterLease } from '../cluster/lease';
import type { Logger } from '../logger';
import type { ReportScheduleService } from './report-schedule-service';

/** how often the schedules are looked at, ms: a run is made within this of its cron time */
export const REPORT_SCHEDULE_TICK_MS = 30_000;

export interface ReportScheduleTicker {
  /** one pass now (tests, and the first pass at start); resolves when it is done */
  tick(): Promise<void>;
  stop(): Promise<void>;
}

export function startReportScheduleTicker(d: {
  service: Pick<ReportScheduleService, 'runDue'>;
  lease: ClusterLease;
  log: Logger;
  intervalMs?: number;
}): ReportScheduleTicker {
  let running: Promise<void> | null = null;
  const tick = (): Promise<void> => {
    // one pass at a time on this node: a slow generation never overlaps the next tick
    running ??= (async () => {
      try {
        if (!(await d.lease.isHeld())) return;
        await d.service.runDue();
      } catch (err) {
        d.log.warn({ err }, 'scheduled reports pass failed; will retry');
      } finally {
        running = null;
      }
    })();
    return running;
  };
  const timer = setInterval(() => void tick(), d.intervalMs ?? REPORT_SCHEDULE_TICK_MS);
  timer.unref();
  return {
    tick,
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
