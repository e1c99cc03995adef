/**
 * The alert list's filters (issue 14): state, level, scene, district, covered by a warning. Pure;
 * the query schema lives here too so REST and any other caller read filters the same way.
 *
 * States, on the two alert axes active/cleared × unacknowledged/acknowledged:
 * - `open` (default): still shown as an alert — not (cleared and acknowledged);
 * - `active`: not cleared;            - `recovered`: cleared, not yet acknowledged;
 * - `unacknowledged` / `acknowledged`; - `closed`: cleared and acknowledged;  - `all`.
 */
import { z } from 'zod';
import { AlertLevelSchema, DistrictCodeSchema, SceneIdSchema, type Alert, type AlertLevel, type DistrictCode, type SceneId } from '../domain';
import { isAlertOpen } from '../alert-lifecycle';

export const ALERT_STATE_FILTERS = ['open', 'active', 'recovered', 'unacknowledged', 'acknowledged', 'closed', 'all'] as const;
export type AlertStateFilter = (typeof ALERT_STATE_FILTERS)[number];

/** Most alerts one list answer holds. */
export const ALERT_LIST_MAX = 2000;
export const ALERT_LIST_DEFAULT = 500;

/** `a,b,c` (or the parameter repeated) → a non-empty list of valid values. */
function commaList<T extends z.ZodType>(item: T) {
  return z.preprocess((v) => (typeof v === 'string' ? v.split(',').map((x) => x.trim()) : v), z.array(item).min(1).max(20));
}

/** `GET /api/alerts?state=&level=&scene=&district=&covered=&limit=` (lists comma-separated). */
export const AlertQuerySchema = z.strictObject({
  state: z.enum(ALERT_STATE_FILTERS).optional(),
  level: commaList(AlertLevelSchema).optional(),
  scene: commaList(SceneIdSchema).optional(),
  district: commaList(DistrictCodeSchema).optional(),
  /** true: only alerts a warning covers; false: only those it does not */
  covered: z.enum(['true', 'false']).optional(),
  limit: z.coerce.number().int().min(1).max(ALERT_LIST_MAX).optional(),
});
export type AlertQuery = z.infer<typeof AlertQuerySchema>;

export function alertInState(a: Alert, state: AlertStateFilter): boolean {
  switch (state) {
    case 'open':
      return isAlertOpen(a);
    case 'active':
      return !a.cleared;
    case 'recovered':
      return a.cleared && !a.acknowledged;
    case 'unacknowledged':
      return !a.acknowledged;
    case 'acknowledged':
      return a.acknowledged;
    case 'closed':
      return a.cleared && a.acknowledged;
    case 'all':
      return true;
    default: {
      const unreachable: never = state;
      return unreachable;
    }
  }
}

/** The alerts matching `q`, newest change first (then id), at most `limit`; `total` counts them all. */
export function filterAlerts(
  alerts: readonly Alert[],
  q: AlertQuery,
  coveredBy: Readonly<Record<string, string>>,
): { alerts: Alert[]; total: number } {
  const state = q.state ?? 'open';
  const levels = q.level ? new Set<AlertLevel>(q.level) : null;
  const scenes = q.scene ? new Set<SceneId>(q.scene) : null;
  const districts = q.district ? new Set<DistrictCode>(q.district) : null;
  const covered = q.covered === undefined ? null : q.covered === 'true';
  const matching = alerts.filter(
    (a) =>
      alertInState(a, state) &&
      (!levels || levels.has(a.level)) &&
      (!scenes || scenes.has(a.scene)) &&
      (!districts || districts.has(a.district)) &&
      (covered === null || Object.hasOwn(coveredBy, a.id) === covered),
  );
  matching.sort((a, b) => b.lastTs - a.lastTs || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { alerts: matching.slice(0, q.limit ?? ALERT_LIST_DEFAULT), total: matching.length };
}
