/**
 * The wall's camera pop-up is opt-in per kiosk URL (a wall PC decodes video only when its operator
 * says so): `?cameraPopup=1`, closing by itself after `cameraPopupMin` minutes (default 3).
 */

export const DEFAULT_WALL_POPUP_MIN = 3;
/** Longest a wall pop-up may stay open, minutes. */
export const MAX_WALL_POPUP_MIN = 60;

export interface WallPopupSettings {
  /** ms */
  autoCloseMs: number;
}

type QueryValue = string | null | (string | null)[] | undefined;

function first(v: QueryValue): string | null {
  return Array.isArray(v) ? (v[0] ?? null) : (v ?? null);
}

/** The settings a wall URL's query asks for, or null when the pop-up is off. */
export function wallPopupSettings(query: Record<string, QueryValue>): WallPopupSettings | null {
  const on = first(query.cameraPopup);
  if (on !== '1' && on !== 'true') return null;
  const minutes = Number(first(query.cameraPopupMin));
  const m = Number.isFinite(minutes) && minutes > 0 ? Math.min(minutes, MAX_WALL_POPUP_MIN) : DEFAULT_WALL_POPUP_MIN;
  return { autoCloseMs: m * 60_000 };
}
