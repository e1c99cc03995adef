/**
 * 查重 (incident de-duplication) settings from the environment, over DEFAULT_DEDUP_CONFIG:
 * - `IOC_DEDUP_RADII_M`: `category=metres` pairs, comma-separated (`waterlogging=2000,fire=200`);
 *   a listed category replaces its default radius, `=0` turns de-duplication off for it;
 * - `IOC_DEDUP_WINDOW_MIN`: an open incident takes a new alert when created at most this long before it.
 */
import { DEFAULT_DEDUP_CONFIG, DedupConfigSchema, type DedupConfig } from '../scenes/storm/incident-dedup';

const MINUTE_MS = 60_000;
const PAIR = /^([a-z0-9][a-z0-9_-]{0,63})=(\d{1,6})$/;

/** The de-duplication config the env describes; throws Error with a readable message when malformed. */
export function dedupConfigFromEnv(radii: string | undefined, windowMin: number | undefined): DedupConfig {
  const radiusMByCategory: Record<string, number> = { ...DEFAULT_DEDUP_CONFIG.radiusMByCategory };
  for (const raw of (radii ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')) {
    const m = PAIR.exec(raw);
    if (!m) throw new Error(`IOC_DEDUP_RADII_M: '${raw}' is not category=metres`);
    const metres = Number(m[2]);
    if (metres === 0) delete radiusMByCategory[m[1]!];
    else radiusMByCategory[m[1]!] = metres;
  }
  const windowMs = windowMin === undefined ? DEFAULT_DEDUP_CONFIG.windowMs : windowMin * MINUTE_MS;
  const parsed = DedupConfigSchema.safeParse({ radiusMByCategory, windowMs });
  if (!parsed.success) throw new Error(`IOC_DEDUP_RADII_M / IOC_DEDUP_WINDOW_MIN: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  return parsed.data;
}
