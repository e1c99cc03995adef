/**
 * The scene on screen: holds exactly what the server sent (the model is a shallowRef replaced
 * whole on every change — deck.gl and ECharts consume its arrays by identity). A screen may be
 * drilled into one district (issue 17): the server then sends that district's model.
 */
import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type { SceneModel } from '@scenes/scene-model';
import type { DistrictCode, ScreenSceneId } from '@scenes/domain';
import type { IocError } from '@scenes/protocol';
import { subscribeScene } from '../data/scene';
import type { SceneListener, SceneUpdate, SceneViewOptions } from '../data/scene';

export type SubscribeSceneFn = (scene: ScreenSceneId, onModel: SceneListener, view?: SceneViewOptions) => () => void;

export const useSceneStore = defineStore('scene', () => {
  const scene = ref<ScreenSceneId | null>(null);
  /** the district the shown scene is drilled into; null = the viewer's whole scope */
  const district = ref<DistrictCode | null>(null);
  const model = shallowRef<SceneModel | null>(null);
  /** revision of `model`; -1 = none yet */
  const rev = ref(-1);
  /** epoch ms (client clock) when the model last changed */
  const receivedTs = ref(0);
  /** the server refused the drilled view (a district outside the viewer's scope); null otherwise */
  const refused = ref<IocError | null>(null);
  let unsubscribe: (() => void) | null = null;

  function receive(update: SceneUpdate) {
    if (update.scene !== scene.value || (update.district ?? null) !== district.value) return;
    model.value = update.model;
    rev.value = update.rev;
    receivedTs.value = update.receivedTs;
  }

  /** Show `next` (drilled into `nextDistrict`); the previous view is unsubscribed (and left after the feed's grace period). */
  function show(next: ScreenSceneId, subscribe: SubscribeSceneFn = subscribeScene, nextDistrict: DistrictCode | null = null) {
    if (scene.value === next && district.value === nextDistrict && unsubscribe) return;
    unsubscribe?.();
    scene.value = next;
    district.value = nextDistrict;
    model.value = null;
    rev.value = -1;
    receivedTs.value = 0;
    refused.value = null;
    const view: SceneViewOptions = {
      ...(nextDistrict !== null ? { district: nextDistrict } : {}),
      onRefused: (error) => {
        if (scene.value === next && district.value === nextDistrict) refused.value = error;
      },
    };
    unsubscribe = subscribe(next, receive, view);
  }

  function stop() {
    unsubscribe?.();
    unsubscribe = null;
    scene.value = null;
    district.value = null;
    model.value = null;
    rev.value = -1;
    refused.value = null;
  }

  return { scene, district, model, rev, receivedTs, refused, show, stop };
});
