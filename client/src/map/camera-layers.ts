/**
 * Cameras on the map (issue 17): a dot per camera and a translucent wedge showing where it looks
 * (heading ± half the field of view). Pure descriptor builder; ids start with `camera-` (the
 * `cameras` layer group). The wedges are computed once per camera list: the same `data` objects
 * go to deck.gl while the list is unchanged.
 */
import type { CameraView } from '@scenes/cameras/camera-view';
import type { LngLat } from '@scenes/domain';
import type { LayerDescriptor, MapSelection } from './scene-to-layer-props';

export const CAMERA_LAYER_IDS = { wedges: 'camera-wedges', points: 'camera-points' } as const;

/** How far a wedge reaches on the map, m (a symbol, not the camera's real range). */
export const CAMERA_WEDGE_RADIUS_M = 150;
/** Arc vertices of a wedge. */
const WEDGE_ARC_STEPS = 12;
const M_PER_DEG_LAT = 111_195;
/** Camera colours: cyan dot with a white rim, the wedge the same cyan, translucent. */
const CAMERA_RGB: [number, number, number] = [0, 210, 255];
const WEDGE_ALPHA = 70;
const DOT_RADIUS_PX = 6;
const DOT_RIM_PX = 1.5;

export interface CameraMark {
  camera: CameraView;
  /** closed ring [lng, lat][] of the view wedge */
  wedge: LngLat[];
}

/** The view wedge of a camera: its position, then the arc from heading − fov/2 to heading + fov/2. */
export function cameraWedge(camera: Pick<CameraView, 'location' | 'headingDeg' | 'fovDeg'>, radiusM = CAMERA_WEDGE_RADIUS_M): LngLat[] {
  const [lng, lat] = camera.location;
  const mPerDegLng = M_PER_DEG_LAT * Math.cos((lat * Math.PI) / 180);
  const fov = Math.min(360, Math.max(1, camera.fovDeg));
  const ring: LngLat[] = fov < 360 ? [[lng, lat]] : [];
  for (let i = 0; i <= WEDGE_ARC_STEPS; i++) {
    const bearing = ((camera.headingDeg - fov / 2 + (fov * i) / WEDGE_ARC_STEPS) * Math.PI) / 180;
    ring.push([lng + (radiusM * Math.sin(bearing)) / mPerDegLng, lat + (radiusM * Math.cos(bearing)) / M_PER_DEG_LAT]);
  }
  ring.push(ring[0]!);
  return ring;
}

const marksOf = new WeakMap<readonly CameraView[], CameraMark[]>();
function cameraMarks(cameras: readonly CameraView[]): CameraMark[] {
  let marks = marksOf.get(cameras);
  if (!marks) {
    marks = cameras.map((camera) => ({ camera, wedge: cameraWedge(camera) }));
    marksOf.set(cameras, marks);
  }
  return marks;
}

export interface CameraLayerOptions {
  /** screen-px multiplier (the wall's panel scale); default 1 */
  pixelScale?: number;
}

/** Descriptors for the cameras (none when there are none). */
export function cameraLayers(cameras: readonly CameraView[], opts: CameraLayerOptions = {}): LayerDescriptor[] {
  if (cameras.length === 0) return [];
  const data = cameraMarks(cameras);
  const scale = opts.pixelScale ?? 1;
  return [
    {
      type: 'PolygonLayer',
      props: {
        id: CAMERA_LAYER_IDS.wedges,
        data,
        visible: true,
        pickable: true,
        getPolygon: (m: CameraMark) => m.wedge,
        getFillColor: [...CAMERA_RGB, WEDGE_ALPHA],
        getLineColor: [...CAMERA_RGB, 160],
        lineWidthUnits: 'pixels',
        getLineWidth: 1 * scale,
        stroked: true,
        filled: true,
      },
    },
    {
      type: 'ScatterplotLayer',
      props: {
        id: CAMERA_LAYER_IDS.points,
        data,
        visible: true,
        pickable: true,
        getPosition: (m: CameraMark) => m.camera.location,
        getFillColor: [...CAMERA_RGB, 255],
        getLineColor: [255, 255, 255, 255],
        stroked: true,
        radiusUnits: 'pixels',
        getRadius: DOT_RADIUS_PX * scale,
        lineWidthUnits: 'pixels',
        getLineWidth: DOT_RIM_PX * scale,
        updateTriggers: { getRadius: scale, getLineWidth: scale },
      },
    },
  ];
}

/** What a click on a camera layer picked, or null when the layer is not a camera layer. */
export function cameraSelectionFromPick(layerId: string, object: unknown): MapSelection | null {
  if (layerId !== CAMERA_LAYER_IDS.points && layerId !== CAMERA_LAYER_IDS.wedges) return null;
  const camera = (object as Partial<CameraMark>).camera;
  return camera ? { kind: 'camera', id: camera.id, item: camera } : null;
}
