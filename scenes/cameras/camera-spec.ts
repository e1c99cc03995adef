/**
 * What a camera adds to a registry device (issue 17, 视频联动): where its video is published and
 * where it looks. Pure schema; the registry validates it at the boundary.
 */
import { z } from 'zod';
import type { Device } from '../domain';

/**
 * A video camera (kind `camera`): the map draws it once, by the camera layer, and a scene counts
 * it on its own (视频监控 在线) — never as a sensor dot, in a device count or online rate, or in an
 * asset's status. A fire-lane camera is a sensor: it reports a blocked lane, not video.
 */
export function isCameraDevice(device: Pick<Device, 'kind'>): boolean {
  return device.kind === 'camera';
}

/** Stream formats NVR and GB/T 28181 gateways publish: HLS (`.m3u8`) and HTTP-FLV. */
export const CAMERA_STREAM_FORMATS = ['hls', 'flv'] as const;
export type CameraStreamFormat = (typeof CAMERA_STREAM_FORMATS)[number];

/** Longest stream URL accepted, characters. */
export const MAX_STREAM_URL_CHARS = 2_000;
/** Default horizontal field of view when a record names none, degrees. */
export const DEFAULT_FOV_DEG = 60;

/**
 * A stream URL is absolute http(s) or a path on this server (`/api/video/…`): never
 * `javascript:`, `data:` or a protocol-relative `//host` (which would silently pick the page's scheme).
 */
export function isAcceptableStreamUrl(url: string): boolean {
  if (url.startsWith('/')) return !url.startsWith('//') && !/[\s\\]/.test(url);
  try {
    const u = new URL(url);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
  } catch {
    return false;
  }
}

export const CameraStreamSchema = z
  .object({
    url: z
      .string()
      .trim()
      .min(1)
      .max(MAX_STREAM_URL_CHARS)
      .refine(isAcceptableStreamUrl, 'stream url must be http(s):// or a server path starting with /'),
    format: z.enum(CAMERA_STREAM_FORMATS),
  })
  .strict();

export const CameraSpecSchema = z
  .object({
    stream: CameraStreamSchema,
    /** viewing direction, degrees clockwise from north [0, 360) */
    headingDeg: z.number().finite().min(0).lt(360),
    /** horizontal field of view, degrees (0, 360] */
    fovDeg: z.number().finite().gt(0).max(360).default(DEFAULT_FOV_DEG),
  })
  .strict();
export type CameraSpec = z.infer<typeof CameraSpecSchema>;
export type CameraStream = CameraSpec['stream'];
