/** Bounds of the after-action summary (事件总结). */
export interface ReportIncidentSummaryLimits {
  /** readings returned with a summary at most (the newest ones), count */
  readingsMax: number;
  /** how long before the incident its alerts are looked for in the store, ms */
  alertLookbackMs: number;
}

const HOUR_MS = 3600_000;

export const DEFAULT_SUMMARY_LIMITS: ReportIncidentSummaryLimits = { readingsMax: 500, alertLookbackMs: 24 * HOUR_MS };
