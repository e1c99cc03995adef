import { describe, expect, it } from 'vitest';
import { camerasOf, type CameraView } from '@scenes/cameras/camera-view';
import { buildEmergencyScene } from '@scenes/builders/index';
import { QINGDAO_CAMERAS } from '@scenes/city/qingdao-cameras';
import { makeFusedState } from '@scenes/test-fixtures/fused-state';
import { layerGroupOf } from './layer-groups';
import { CAMERA_LAYER_IDS, cameraLayers, cameraSelectionFromPick, cameraWedge, type CameraMark } from './camera-layers';
import { sceneToLayerProps } from './scene-to-layer-props';
import { MAP_TEST_CAMERA } from './map-layer-input.fixture';

const camera: CameraView = MAP_TEST_CAMERA;

describe('camera layers', () => {
  it('draws nothing without cameras, else a wedge layer and a dot layer in the cameras group', () => {
    expect(cameraLayers([])).toEqual([]);
    const layers = cameraLayers([camera]);
    expect(layers.map((l) => l.props.id)).toEqual([CAMERA_LAYER_IDS.wedges, CAMERA_LAYER_IDS.points]);
    for (const l of layers) expect(layerGroupOf(l.props.id)).toBe('cameras');
  });

  it('keeps the same data while the camera list is the same array', () => {
    const list = [camera];
    expect(cameraLayers(list)[0]!.props.data).toBe(cameraLayers(list)[0]!.props.data);
    expect(cameraLayers([camera])[0]!.props.data).not.toBe(cameraLayers(list)[0]!.props.data);
  });

  it('points the wedge along the heading: east-looking camera, wedge east of it', () => {
    const ring = cameraWedge(camera, 150);
    expect(ring[0]).toEqual(camera.location);
    expect(ring.at(-1)).toEqual(ring[0]);
    const arc = ring.slice(1, -1);
    for (const [lng] of arc) expect(lng).toBeGreaterThan(camera.location[0]);
    const mid = arc[Math.floor(arc.length / 2)]!;
    expect(mid[1]).toBeCloseTo(camera.location[1], 6);
  });

  it('turns a click on a camera into a camera selection', () => {
    const mark = (cameraLayers([camera])[1]!.props.data as unknown[])[0];
    expect(cameraSelectionFromPick(CAMERA_LAYER_IDS.points, mark)).toEqual({ kind: 'camera', id: 'cam-1', item: camera });
    expect(cameraSelectionFromPick('devices', mark)).toBeNull();
  });

  it('draws each registry camera once: a camera dot, never also a device dot', () => {
    const base = makeFusedState();
    const devices = new Map(base.devices);
    for (const c of QINGDAO_CAMERAS) devices.set(c.id, c);
    const model = buildEmergencyScene({ ...base, devices });
    const layers = [
      ...sceneToLayerProps(model, { nowTs: base.nowTs, pulseTs: 0, zoom: 14, lang: 'zh' }),
      ...cameraLayers(camerasOf([...devices.values()])),
    ];
    const pointIds = (layerId: string): string[] =>
      layers
        .filter((l) => l.props.id === layerId)
        .flatMap((l) => l.props.data as readonly unknown[])
        .map((x) => (layerId === CAMERA_LAYER_IDS.points ? (x as CameraMark).camera.id : (x as { id: string }).id));
    const cameraIds = QINGDAO_CAMERAS.map((c) => c.id).sort();
    expect(pointIds(CAMERA_LAYER_IDS.points).sort()).toEqual(cameraIds);
    expect(pointIds('devices').filter((id) => cameraIds.includes(id))).toEqual([]);
    expect(pointIds('devices').length).toBeGreaterThan(0);
  });
});
