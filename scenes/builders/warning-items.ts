/**
 * Area warnings (issue 14) as wall items: the count and list a wall shows; their per-gauge alerts
 * stay in the console's warning detail. Pure: reads `state.areaWarnings` only.
 */
import { ALERT_LEVEL_RANK, type SceneId } from '../domain';
import { DEFAULT_RULES, DEVICE_CATALOGUE } from '../catalogue';
import type { FusedState, WarningItem } from '../scene-model';
import type { AreaWarning } from '../storm/area-warnings';

/** most warnings one wall model lists (most severe first) */
export const MAX_WARNING_ITEMS = 50;

const SCENE_OF_ALERT_RULE: ReadonlyMap<string, SceneId> = new Map(DEFAULT_RULES.map((r) => [r.id, DEVICE_CATALOGUE[r.deviceKind].scene]));

/** The scene whose alerts a warning groups: alert ids are `deviceId|ruleId|firstTs` (scenes/alert-lifecycle.ts alertId). */
function sceneOf(w: AreaWarning): SceneId {
  const parts = w.alertIds[0]?.split('|') ?? [];
  const ruleId = parts[parts.length - 2];
  return (ruleId !== undefined ? SCENE_OF_ALERT_RULE.get(ruleId) : undefined) ?? 'water';
}

function toWarningItem(w: AreaWarning): WarningItem {
  return {
    id: w.id,
    ruleId: w.ruleId,
    scene: sceneOf(w),
    district: w.district,
    area: w.area,
    level: w.level,
    title: w.title,
    titleEn: w.titleEn,
    alertCount: w.alertIds.length,
    deviceCount: w.deviceIds.length,
    firstTs: w.firstTs,
    lastTs: w.lastTs,
    active: w.active,
  };
}

/** Warnings in force whose alerts belong to `scene` (every scene when omitted), most severe first, then oldest. */
export function warningItems(state: FusedState, scene?: SceneId): WarningItem[] {
  const items = (state.areaWarnings ?? []).map(toWarningItem).filter((w) => scene === undefined || w.scene === scene);
  items.sort((a, b) => ALERT_LEVEL_RANK[a.level] - ALERT_LEVEL_RANK[b.level] || a.firstTs - b.firstTs || (a.id < b.id ? -1 : 1));
  return items.slice(0, MAX_WARNING_ITEMS);
}
