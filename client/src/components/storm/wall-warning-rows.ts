/**
 * What the wall's 区域预警 card shows (WallWarnings.vue): the active warnings worst first, up to
 * the rows that fit; the rest are counts — active ones that did not fit, and eased ones (已回落),
 * which never take a full row: they stay in the model for a while after a storm and would cover
 * the map.
 */
import type { WarningItem } from '@scenes/scene-model';
import { ALERT_LEVEL_RANK } from '@scenes/domain';

export interface WallWarningRows {
  rows: WarningItem[];
  /** active warnings that did not fit */
  moreActive: number;
  /** eased warnings (not active), shown as one line */
  eased: number;
  active: number;
}

export function wallWarningRows(warnings: readonly WarningItem[], maxRows: number): WallWarningRows {
  const active = warnings
    .filter((w) => w.active)
    .sort((a, b) => ALERT_LEVEL_RANK[a.level] - ALERT_LEVEL_RANK[b.level] || b.deviceCount - a.deviceCount);
  const rows = active.slice(0, maxRows);
  return { rows, moreActive: active.length - rows.length, eased: warnings.length - active.length, active: active.length };
}
