/**
 * The scene on screen: holds exactly what the server sent (the model is a shallowRef replaced
 * whole on every change — deck.gl and ECharts consume its arrays by identity).
 */
import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type { SceneModel } from '@scenes/scene-model';
import type { ScreenSceneId } from '@scenes/domain';
import { subscribeScene } from '../data/scene';
import type { SceneListener, SceneUpdate } from '../data/scene';

export type SubscribeSceneFn = (scene: ScreenSceneId, onModel: SceneListener) => () => void;

export const useSceneStore = defineStore('scene', () => {
  const scene = ref<ScreenSceneId | null>(null);
  const model = shallowRef<SceneModel | null>(null);
  /** revision of `model`; -1 = none yet */
  const rev = ref(-1);
  /** epoch ms (client clock) when the model last changed */
  const receivedTs = ref(0);
  let unsubscribe: (() => void) | null = null;

  function receive(update: SceneUpdate) {
    if (update.scene !== scene.value) return;
    model.value = update.model;
    rev.value = update.rev;
    receivedTs.value = update.receivedTs;
  }

  /** Show `next`; the previous scene is unsubscribed (and left after the feed's grace period). */
  function show(next: ScreenSceneId, subscribe: SubscribeSceneFn = subscribeScene) {
    if (scene.value === next && unsubscribe) return;
    unsubscribe?.();
    scene.value = next;
    model.value = null;
    rev.value = -1;
    receivedTs.value = 0;
    unsubscribe = subscribe(next, receive);
  }

  function stop() {
    unsubscribe?.();
    unsubscribe = null;
    scene.value = null;
    model.value = null;
    rev.value = -1;
  }

  return { scene, model, rev, receivedTs, show, stop };
});
