/**
 * One pure builder per screen scene: (FusedState) → SceneModel. The server runs the builder of
 * each scene a room watches and diffs consecutive models (scene-diff.ts).
 */
import type { ScreenSceneId } from '../domain';
import type { FusedState, SceneModel } from '../scene-model';
import { buildBridgeScene } from './build-bridge-scene';
import { buildCommunityScene } from './build-community-scene';
import { buildEmergencyScene } from './build-emergency-scene';
import { buildOverviewScene } from './build-overview-scene';
import { buildWaterScene } from './build-water-scene';

export { buildBridgeScene, buildCommunityScene, buildEmergencyScene, buildOverviewScene, buildWaterScene };

export const SCENE_BUILDERS: Record<ScreenSceneId, (s: FusedState) => SceneModel> = {
  overview: buildOverviewScene,
  emergency: buildEmergencyScene,
  bridge: buildBridgeScene,
  water: buildWaterScene,
  community: buildCommunityScene,
};
