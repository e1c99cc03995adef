/**
 * Who watched which camera (issue 17 follow-up): `video.view` in the audit log once per (user,
 * camera) per window — a live HLS player reloads its playlist every few seconds and fetches a
 * segment per few seconds, and the log must record a viewing, not its traffic. The gate lives in
 * this node's memory: behind several nodes a viewing moved to another node is recorded there too
 * (at most once per node per window), which errs on the side of recording.
 */

/** one `video.view` per (user, camera) per this, ms */
export const VIDEO_VIEW_AUDIT_WINDOW_MS = 10 * 60_000;

export interface VideoViewGate {
  /** true when a viewing of `cameraKey` by `username` at `nowTs` (epoch ms) is to be recorded; notes it */
  admit(username: string, cameraKey: string, nowTs: number): boolean;
  /** the record could not be written: the next request tries again */
  forget(username: string, cameraKey: string): void;
}

export function createVideoViewGate(windowMs: number = VIDEO_VIEW_AUDIT_WINDOW_MS): VideoViewGate {
  /** `${username}\n${cameraKey}` → epoch ms of the recorded viewing; bounded by the viewings of one window */
  const recorded = new Map<string, number>();
  const keyOf = (username: string, cameraKey: string) => `${username}\n${cameraKey}`;
  return {
    admit(username, cameraKey, nowTs) {
      const key = keyOf(username, cameraKey);
      const last = recorded.get(key);
      if (last !== undefined && nowTs - last < windowMs) return false;
      // drop the expired entries (insertion order = time order, as every admit re-inserts)
      for (const [k, ts] of recorded) {
        if (nowTs - ts < windowMs) break;
        recorded.delete(k);
      }
      recorded.delete(key);
      recorded.set(key, nowTs);
      return true;
    },
    forget(username, cameraKey) {
      recorded.delete(keyOf(username, cameraKey));
    },
  };
}
