/**
 * A camera as the client sees it (GET /api/cameras): a registry device of kind `camera` with its
 * stream and viewing direction. Pure mapping from the registry's devices.
 */
import { z } from 'zod';
import { DistrictCodeSchema, IdSchema, LngLatSchema, type Device, type DistrictCode, type LngLat } from '../domain';
import { CameraStreamSchema, DEFAULT_FOV_DEG, isCameraDevice, type CameraStream } from './camera-spec';

export interface CameraView {
  id: string;
  name: string;
  /** WGS84 [lng, lat] */
  location: LngLat;
  district: DistrictCode;
  assetId?: string;
  /** viewing direction, degrees clockwise from north */
  headingDeg: number;
  /** horizontal field of view, degrees */
  fovDeg: number;
  /** null = no stream configured yet (the player says so) */
  stream: CameraStream | null;
}

/** The cameras among `devices` (retired ones left out), sorted by id. */
export function camerasOf(devices: readonly Device[]): CameraView[] {
  const out: CameraView[] = [];
  for (const d of devices) {
    if (!isCameraDevice(d) || d.status === 'retired') continue;
    out.push({
      id: d.id,
      name: d.name,
      location: d.location,
      district: d.district,
      ...(d.assetId !== undefined ? { assetId: d.assetId } : {}),
      headingDeg: d.camera?.headingDeg ?? 0,
      fovDeg: d.camera?.fovDeg ?? DEFAULT_FOV_DEG,
      stream: d.camera?.stream ?? null,
    });
  }
  return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** `GET /api/cameras`, validated by the client. */
export const CamerasResponseSchema = z.object({
  cameras: z.array(
    z.object({
      id: IdSchema,
      name: z.string(),
      location: LngLatSchema,
      district: DistrictCodeSchema,
      assetId: IdSchema.optional(),
      headingDeg: z.number(),
      fovDeg: z.number(),
      stream: CameraStreamSchema.nullable(),
    }),
  ),
});
