/**
 * A camera's video in the registry's flat import/export files (issue 17 follow-up): the CSV has no
 * nested objects, so a camera's stream and view are four columns — `streamUrl`, `streamFormat`
 * (`hls` | `flv`; when empty, taken from the URL: `.flv` → flv, else hls), `headingDeg`, `fovDeg`.
 * A row that fills none of them leaves the camera as it is (an update row names only what it
 * changes). GeoJSON carries the nested `camera` object as a property instead.
 */
import { DEFAULT_FOV_DEG, type CameraSpec } from '../../scenes/cameras/camera-spec';

export const CAMERA_COLUMNS = ['streamUrl', 'streamFormat', 'headingDeg', 'fovDeg'] as const;

/** The CSV cells of a device's camera, in CAMERA_COLUMNS order (empty for a device without one). */
export function cameraCells(camera: CameraSpec | undefined): (string | number | undefined)[] {
  return camera ? [camera.stream.url, camera.stream.format, camera.headingDeg, camera.fovDeg] : CAMERA_COLUMNS.map(() => undefined);
}

/** The stream format a URL names by its extension (query and fragment ignored). */
export function streamFormatOf(url: string): 'hls' | 'flv' {
  return /\.flv$/i.test(url.split(/[?#]/)[0]!) ? 'flv' : 'hls';
}

/**
 * The `camera` candidate an import row's camera columns make (unvalidated: the device schema names
 * what is wrong), or undefined when the row fills none. Like every column of an update row, the
 * columns it leaves out keep the device's current values (`current`); a new camera's field of view
 * defaults to DEFAULT_FOV_DEG and its format to the URL's. `toNumber` reads a numeric CSV cell.
 */
export function cameraCandidate(
  values: Record<string, unknown>,
  toNumber: (cell: unknown) => unknown,
  current: CameraSpec | undefined,
): Record<string, unknown> | undefined {
  const [url, format, heading, fov] = CAMERA_COLUMNS.map((c) => values[c]);
  if ([url, format, heading, fov].every((v) => v === undefined)) return undefined;
  const streamUrl = url ?? current?.stream.url;
  const streamFormat = format ?? (url === undefined ? current?.stream.format : typeof url === 'string' ? streamFormatOf(url) : undefined);
  return {
    stream: { url: streamUrl, format: streamFormat },
    headingDeg: heading === undefined ? current?.headingDeg : toNumber(heading),
    fovDeg: fov === undefined ? (current?.fovDeg ?? DEFAULT_FOV_DEG) : toNumber(fov),
  };
}
