/** A scene model for tests: nothing on it (the overview, generated at 1 ms), with `over` applied. */
import type { SceneModel } from './scene-model';

export function sceneModelFixture(over: Partial<SceneModel> = {}): SceneModel {
  return {
    scene: 'overview',
    generatedTs: 1,
    kpis: [],
    devices: [],
    alerts: [],
    incidents: [],
    handlers: [],
    assets: [],
    resources: [],
    charts: {},
    ...over,
  };
}
