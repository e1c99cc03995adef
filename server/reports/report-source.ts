/**
 * Where reports (and the briefing) read incidents, alerts and contingency responses from.
 * `ReportSource` is the seam: today's adapter reads the working store; a long history store
 * (issue 16, the history part) can replace it without touching the report model or the router.
 * Plan instances come from the plan store beside either (closed ones kept as long as the history).
 *
 * Limit of today's adapter: `Store.loadIncidents(sinceTs)` / `loadAlerts(sinceTs)` answer the open
 * records plus those changed after `sinceTs` (closed incidents and finished alerts stay in the store
 * for `closedRetentionMs`). An incident or alert closed before the window opened is not returned,
 * so the adapter suits short windows (a day, a week, a month within the retention); a report over
 * older periods needs the history store.
 */
import type { Alert, Incident } from '../../scenes/domain';
import type { StoredPlanInstance } from '../../scenes/plans/plan-protocol';
import type { ContingencyPlan } from '../../scenes/plans/plan-schema';
import type { Store } from '../store/store';
import type { HistoryStore } from '../store/history-store';
import type { PlanStore } from '../store/plan-store';
import { HISTORY_INTERNAL_MAX_LIMIT } from '../../scenes/history/history-query';

/** Plan instances of a period with the definitions of the plans (names, districts, checklists). */
export interface PlanInstanceRecords {
  instances: StoredPlanInstance[];
  plans: readonly ContingencyPlan[];
}

export interface ReportSource {
  /** incidents created in `[fromTs, toTs)` (epoch ms) and those resolved or closed in it */
  incidents(fromTs: number, toTs: number): Promise<Incident[]>;
  /** alerts first raised in `[fromTs, toTs)` (epoch ms) */
  alerts(fromTs: number, toTs: number): Promise<Alert[]>;
  /**
   * plan instances overlapping `[fromTs, toTs)` (epoch ms), closed ones too (PlanStore
   * `loadPlanInstancesOverlapping`); absent: a source without plans (the 应急预案响应 section is empty)
   */
  planInstances?(fromTs: number, toTs: number): Promise<PlanInstanceRecords>;
}

/** What a source needs to read plan instances: the plan store and the plans it runs. */
export interface PlanRecordsDeps {
  store: Pick<PlanStore, 'loadPlanInstancesOverlapping'>;
  definitions: readonly ContingencyPlan[];
}

function planInstancesOf(plans: PlanRecordsDeps): NonNullable<ReportSource['planInstances']> {
  return async (fromTs, toTs) => ({ instances: await plans.store.loadPlanInstancesOverlapping(fromTs, toTs), plans: plans.definitions });
}

const touches = (i: Incident, fromTs: number, toTs: number): boolean =>
  [i.createdTs, i.resolvedTs, i.closedTs].some((ts) => ts !== undefined && ts >= fromTs && ts < toTs);

/** The adapter over the working store (short windows only, see above). */
export function storeReportSource(store: Pick<Store, 'loadIncidents' | 'loadAlerts'>, plans?: PlanRecordsDeps): ReportSource {
  return {
    ...(plans ? { planInstances: planInstancesOf(plans) } : {}),
    async incidents(fromTs, toTs) {
      return (await store.loadIncidents(fromTs)).filter((i) => touches(i, fromTs, toTs));
    },
    async alerts(fromTs, toTs) {
      return (await store.loadAlerts(fromTs)).filter((a) => a.firstTs >= fromTs && a.firstTs < toTs);
    },
  };
}

/**
 * The adapter over the long history (server/store/history-store.ts, 184 days by default): the
 * incidents created in the window plus those closed in it (one id once), and the alerts first
 * seen in it, read page by page. What it cannot see: an incident created before the window and
 * resolved (not closed) inside it.
 */
export function historyReportSource(history: Pick<HistoryStore, 'scanIncidents' | 'scanAlerts'>, plans?: PlanRecordsDeps): ReportSource {
  const window = (fromTs: number, toTs: number) => ({ from: fromTs, to: toTs - 1, sort: 'time_asc' as const, limit: HISTORY_INTERNAL_MAX_LIMIT });
  return {
    async incidents(fromTs, toTs) {
      const byId = new Map<string, Incident>();
      for (const timeField of ['created', 'closed'] as const)
        for await (const i of history.scanIncidents({ ...window(fromTs, toTs), timeField })) byId.set(i.id, i);
      return [...byId.values()].filter((i) => touches(i, fromTs, toTs));
    },
    async alerts(fromTs, toTs) {
      const out: Alert[] = [];
      for await (const a of history.scanAlerts({ ...window(fromTs, toTs), timeField: 'created' })) out.push(a);
      return out;
    },
    ...(plans ? { planInstances: planInstancesOf(plans) } : {}),
  };
}
