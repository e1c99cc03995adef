/**
 * Client-side timing and size limits (house style rule 8: no magic numbers in logic).
 * Every value carries its unit in its name.
 */
export const CLIENT_CONFIG = {
  /** a scene nobody watches any more is left after this grace period (re-subscribing within it is free) */
  sceneLeaveGraceMs: 5_000,
  /** a failed scene join is retried after this delay */
  sceneJoinRetryMs: 3_000,
  /** deltas buffered while a join is in flight; beyond this the join result is discarded and re-requested */
  maxBufferedDeltas: 500,
  /** a socket request without an ack within this time fails with E_INTERNAL */
  requestTimeoutMs: 10_000,
  /** the indicator shows "reconnecting" (amber) for this long after a disconnect, then "disconnected" (red) */
  reconnectingGraceMs: 10_000,
  /** the full-width disconnect banner appears this soon after a disconnect */
  disconnectBannerDelayMs: 2_000,
  /** UI clocks (stale badges, SLA countdowns, header clock) tick at this period */
  uiTickMs: 1_000,
  /** scene rotation pauses this long after any pointer or keyboard interaction */
  interactionPauseMs: 120_000,
  /** how far back the replay slider reaches */
  replayWindowMs: 6 * 3_600_000,
  /** replay slider step */
  replayStepMs: 60_000,
  /** map fly-to duration when a new red alert takes the screen */
  flyToDurationMs: 2_000,
  /** zoom used when flying to an alert */
  flyToZoom: 13,
} as const;
