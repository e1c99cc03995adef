/**
 * The community "urgent" list and the alert ticker: open alerts, most severe first, then the
 * longest-waiting first, with how long each has been waiting.
 */
import { ALERT_LEVEL_RANK } from '@scenes/domain';
import type { AlertItem } from '@scenes/scene-model';

export interface UrgentItem {
  alert: AlertItem;
  /** ms since the alert was first raised (≥ 0) */
  waitingMs: number;
}

/** Open alerts (not cleared), most severe first, oldest first within a level; at most `limit`. */
export function urgentItems(alerts: readonly AlertItem[], nowTs: number, limit: number): UrgentItem[] {
  return alerts
    .filter((a) => !a.cleared)
    .sort((a, b) => ALERT_LEVEL_RANK[a.level] - ALERT_LEVEL_RANK[b.level] || a.firstTs - b.firstTs)
    .slice(0, limit)
    .map((alert) => ({ alert, waitingMs: Math.max(0, nowTs - alert.firstTs) }));
}

/**
 * Newest open alerts first (the ticker), at most `limit`. A cleared alert nobody acknowledged yet is
 * still open: a truck that overloaded a bridge for ten seconds must not vanish from the wall.
 */
export function latestAlerts(alerts: readonly AlertItem[], limit: number): AlertItem[] {
  return alerts
    .filter((a) => !a.cleared || !a.acknowledged)
    .sort((a, b) => b.lastTs - a.lastTs || ALERT_LEVEL_RANK[a.level] - ALERT_LEVEL_RANK[b.level])
    .slice(0, limit);
}
