/**
 * Unattended walls: the scene playlist and "a new red alert takes the screen".
 */
import { SCREEN_SCENE_IDS } from '@scenes/domain';
import type { ScreenSceneId } from '@scenes/domain';
import type { AlertItem } from '@scenes/scene-model';

/** Smallest accepted `?rotate=` period, s (faster is unreadable). */
export const MIN_ROTATE_PERIOD_S = 10;

/** `?rotate=60` → 60 000 ms; absent or invalid → null (no rotation). */
export function parseRotatePeriodMs(value: unknown): number | null {
  const raw = Array.isArray(value) ? value[0] : value;
  if (typeof raw !== 'string' || raw.trim() === '') return null;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds <= 0) return null;
  return Math.max(MIN_ROTATE_PERIOD_S, seconds) * 1_000;
}

/** The scene after `current` in the playlist (overview → emergency → bridge → water → community → …). */
export function nextPlaylistScene(current: ScreenSceneId): ScreenSceneId {
  const i = SCREEN_SCENE_IDS.indexOf(current);
  return SCREEN_SCENE_IDS[(i + 1) % SCREEN_SCENE_IDS.length];
}

/** true while a person interacted within the last `pauseMs`. */
export function isPersonActive(nowTs: number, lastInteractionTs: number, pauseMs: number): boolean {
  return lastInteractionTs > 0 && nowTs - lastInteractionTs < pauseMs;
}

/**
 * Red alerts in `alerts` that were not red and open in the previous model. `previousRedIds` is
 * null for the first model seen: alerts already open when the screen starts are not "new".
 * The returned id set replaces the previous one (bounded by the open alerts, never grows).
 */
export function detectNewRedAlerts(
  previousRedIds: ReadonlySet<string> | null,
  alerts: readonly AlertItem[],
): { fresh: AlertItem[]; redIds: Set<string> } {
  const red = alerts.filter((a) => a.level === 'red' && !a.cleared);
  const redIds = new Set(red.map((a) => a.id));
  if (previousRedIds === null) return { fresh: [], redIds };
  return { fresh: red.filter((a) => !previousRedIds.has(a.id)).sort((a, b) => b.firstTs - a.firstTs), redIds };
}
