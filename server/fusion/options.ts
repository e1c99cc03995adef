/** Fusion's limits and windows, with units in their names (server/config.ts overrides some). */
export interface FusionOptions {
  /** width of one chart bucket, ms */
  seriesBucketMs: number;
  /** buckets kept per series */
  seriesBuckets: number;
  /** window of the per-scene alert trend, ms (24 h) */
  trendWindowMs: number;
  /** width of one trend bucket, ms (1 h) */
  trendBucketMs: number;
  /** cleared+acknowledged alerts and closed incidents stay in the scene models this long, ms */
  recentRetentionMs: number;
  /** a handler without a position report for this long counts as off duty, ms */
  handlerOffDutyAfterMs: number;
  /** after a real phone's position, simulated positions for that handler are ignored this long, ms */
  realPositionPriorityMs: number;
  /** status changes remembered for incremental scene builds; past this a build starts over */
  statusLogMax: number;
  /**
   * a device not yet heard since the process started is offline only after this plus its offline
   * rule's silence, ms: a fleet reconnecting after a server restart (with its own backoff, through
   * per-address CONNECT limits) is not an outage and raises no offline storm
   */
  offlineStartupGraceMs: number;
}

export const DEFAULT_FUSION_OPTIONS: FusionOptions = {
  seriesBucketMs: 10_000,
  seriesBuckets: 60,
  trendWindowMs: 24 * 3600_000,
  trendBucketMs: 3600_000,
  recentRetentionMs: 24 * 3600_000,
  handlerOffDutyAfterMs: 10 * 60_000,
  realPositionPriorityMs: 10 * 60_000,
  statusLogMax: 20_000,
  offlineStartupGraceMs: 60_000,
};
