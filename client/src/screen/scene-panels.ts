/**
 * Which panel goes where on each scene. The model's `charts` keys are rendered generically:
 * known keys take their place in this order, unknown keys are appended to the shorter column,
 * keys the model lacks are skipped. Non-chart widgets (the urgent list) are slots too.
 */
import type { ScreenSceneId } from '@scenes/domain';

export type PanelSlot = { type: 'chart'; key: string } | { type: 'urgent' };

interface SceneLayout {
  left: PanelSlot[];
  right: PanelSlot[];
}

const chart = (key: string): PanelSlot => ({ type: 'chart', key });

export const SCENE_PANEL_LAYOUT: Record<ScreenSceneId, SceneLayout> = {
  overview: { left: [chart('alertTrend'), chart('alertsByLevel')], right: [chart('incidentsByDistrict')] },
  emergency: { left: [chart('incidentFunnel'), chart('resources')], right: [chart('handlerStatus'), chart('responseTimes')] },
  bridge: { left: [chart('bridgeHealth'), chart('strain'), chart('deflection')], right: [chart('overloads'), chart('vibration')] },
  water: { left: [chart('riverLevels'), chart('rainfall'), chart('waterlogging')], right: [chart('pipePressure'), chart('pumps')] },
  community: { left: [chart('eventMix'), chart('communityRanking')], right: [{ type: 'urgent' }] },
};

/** The panels of `scene` for a model with these chart keys. */
export function arrangePanels(scene: ScreenSceneId, chartKeys: readonly string[]): SceneLayout {
  const present = new Set(chartKeys);
  const layout = SCENE_PANEL_LAYOUT[scene];
  const keep = (slots: PanelSlot[]) => slots.filter((s) => s.type !== 'chart' || present.has(s.key));
  const left = keep(layout.left);
  const right = keep(layout.right);
  const placed = new Set([...layout.left, ...layout.right].flatMap((s) => (s.type === 'chart' ? [s.key] : [])));
  for (const key of [...chartKeys].sort()) {
    if (placed.has(key)) continue;
    (left.length <= right.length ? left : right).push(chart(key));
  }
  return { left, right };
}
