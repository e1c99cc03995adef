/**
 * 视频联动弹屏: which alert the camera pop-up shows. An alert at orange or red that is active pops
 * up the cameras nearest to its device (nearest-cameras.ts); the worst level wins, then the
 * newest. Alerts the person already closed — and those already open when the page started (the
 * pop-up is for what fires while someone watches) — are left out by their key, which includes
 * the level: an alert that escalates from orange to red pops up again. Pure.
 */
import type { AlertLevel } from '../domain';
import type { AlertItem } from '../scene-model';
import type { CameraView } from './camera-view';
import { DEFAULT_CAMERA_LINKAGE, nearestCameras, type CameraLinkageConfig, type NearCamera } from './nearest-cameras';

/** Levels that pop up cameras. */
export const LINKAGE_LEVELS: readonly AlertLevel[] = ['red', 'orange'];
const RANK: Record<AlertLevel, number> = { red: 0, orange: 1, yellow: 2, blue: 3 };

export interface CameraLinkage {
  alert: AlertItem;
  /** best first, at least one */
  cameras: NearCamera[];
}

/** The key a pop-up is closed (or pre-existing) by: the alert at its level. */
export function linkageKey(alert: Pick<AlertItem, 'id' | 'level'>): string {
  return `${alert.id}:${alert.level}`;
}

function eligible(a: AlertItem, ignored: ReadonlySet<string>): boolean {
  return !a.cleared && LINKAGE_LEVELS.includes(a.level) && !ignored.has(linkageKey(a));
}

/**
 * The linkage to show: the current one while its alert stays eligible (a pop-up does not jump to
 * another alert under the person's eyes), else the worst and newest eligible alert with a camera
 * nearby, else null.
 */
export function chooseLinkage(
  alerts: readonly AlertItem[],
  cameras: readonly CameraView[],
  ignored: ReadonlySet<string>,
  currentAlertId: string | null,
  config: CameraLinkageConfig = DEFAULT_CAMERA_LINKAGE,
): CameraLinkage | null {
  const current = currentAlertId === null ? undefined : alerts.find((a) => a.id === currentAlertId);
  if (current && eligible(current, ignored)) {
    const near = nearestCameras(cameras, current.p, config);
    if (near.length > 0) return { alert: current, cameras: near };
  }
  const candidates = alerts.filter((a) => eligible(a, ignored)).sort((a, b) => RANK[a.level] - RANK[b.level] || b.firstTs - a.firstTs);
  for (const alert of candidates) {
    const near = nearestCameras(cameras, alert.p, config);
    if (near.length > 0) return { alert, cameras: near };
  }
  return null;
}
