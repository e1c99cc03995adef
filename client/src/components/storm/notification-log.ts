/**
 * Pure helpers of the incident's notification log (通知记录, issue 14): newest first, a count of
 * recipients reached and acknowledged per notification, and each step's time with how long after
 * sending it came.
 */
import type { NotificationLogEntry, RecipientStatus } from '../../../../server/notify/notify-types';

/** Newest first; the same time keeps the server's order. */
export function sortLog(entries: readonly NotificationLogEntry[]): NotificationLogEntry[] {
  return entries
    .map((e, i) => ({ e, i }))
    .sort((a, b) => b.e.ts - a.e.ts || a.i - b.i)
    .map(({ e }) => e);
}

// a type (not an interface): it fills `st()` placeholders as it is
export type LogSummary = {
  n: number;
  delivered: number;
  acked: number;
};

export function logSummary(e: Pick<NotificationLogEntry, 'recipientStatus'>): LogSummary {
  const s = e.recipientStatus;
  return {
    n: s.length,
    delivered: s.filter((r) => r.deliveredTs !== undefined).length,
    acked: s.filter((r) => r.acknowledgedTs !== undefined).length,
  };
}

/**
 * A recipient's delivered / acknowledged step: its time and the delay after sending (ms, ≥ 0), or
 * null when it has not happened.
 */
export function stepAfterSent(r: RecipientStatus, step: 'deliveredTs' | 'acknowledgedTs'): { ts: number; afterMs: number } | null {
  const ts = r[step];
  if (ts === undefined) return null;
  return { ts, afterMs: Math.max(0, ts - r.sentTs) };
}

/** The notification's progress for a badge: everyone acknowledged, everyone reached, or still open. */
export function logProgress(s: LogSummary): 'acked' | 'delivered' | 'open' | 'none' {
  if (s.n === 0) return 'none';
  if (s.acked === s.n) return 'acked';
  if (s.delivered === s.n) return 'delivered';
  return 'open';
}
