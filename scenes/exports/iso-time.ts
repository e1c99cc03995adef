/**
 * Times in exports: ISO 8601 with an explicit offset, whole seconds (`2026-07-01T08:30:00+08:00`),
 * which is also CAP 1.2's dateTime form (no fractional seconds, never `Z`). Pure.
 */

/** Beijing time (China Standard Time, no daylight saving): the offset every export states, minutes east of UTC. */
export const EXPORT_UTC_OFFSET_MINUTES = 480;

const MINUTE_MS = 60_000;

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** `ts` (epoch ms) as `YYYY-MM-DDThh:mm:ss±hh:mm` in the given offset (default +08:00). */
export function isoWithOffset(ts: number, offsetMinutes: number = EXPORT_UTC_OFFSET_MINUTES): string {
  const local = new Date(Math.floor(ts / 1000) * 1000 + offsetMinutes * MINUTE_MS);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  const date = `${pad(local.getUTCFullYear(), 4)}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}`;
  const time = `${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}`;
  return `${date}T${time}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}
