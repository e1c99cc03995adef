/** A small scene and the layer builder's input around it, for the map's unit tests. */
import type { DevicePoint, SceneModel } from '@scenes/scene-model';
import type { CameraView } from '@scenes/cameras/camera-view';
import { defaultVisibility } from './layer-groups';
import type { MapLayerInput } from './map-layer-builder';
import { sceneModelFixture } from '@scenes/scene-model.fixture';

export const mapTestDevice = (id: string): DevicePoint => ({ id, kind: 'water-level', p: [120.4, 36.1], s: 'normal' });

export const MAP_TEST_MODEL: SceneModel = sceneModelFixture({ devices: [mapTestDevice('d1'), mapTestDevice('d2')] });

/** A wall's input at zoom 12 over MAP_TEST_MODEL, with `over` applied. */
export const mapLayerInput = (over: Partial<MapLayerInput> = {}): MapLayerInput => ({
  model: MAP_TEST_MODEL,
  nowTs: 0,
  zoom: 12,
  lang: 'zh',
  pixelScale: 1,
  visibility: defaultVisibility('wall'),
  cameras: [],
  district: null,
  impact: null,
  project: null,
  coveredTopPx: 0,
  ...over,
});

/** One camera looking east over 山东路下穿. */
export const MAP_TEST_CAMERA: CameraView = {
  id: 'cam-1',
  name: '山东路下穿',
  location: [120.38, 36.09],
  district: '370203',
  headingDeg: 90,
  fovDeg: 60,
  stream: null,
};
