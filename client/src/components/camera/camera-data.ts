/**
 * The cameras of this page's session (`GET /api/cameras`, server/video/video-router.ts), loaded
 * once per page and shared by the map, the pop-up and the incident detail; refreshed every few
 * minutes (cameras are registry data: they change rarely). The answer is validated.
 */
import { shallowRef } from 'vue';
import { CamerasResponseSchema, type CameraView } from '@scenes/cameras/camera-view';
import { isServerStream } from '@scenes/cameras/demo-streams';
import { freshToken, loadSession } from '../../auth/session';
import { call } from '../../data/rest';

/** How often the list is read again while a page shows cameras, ms. */
export const CAMERA_LIST_REFRESH_MS = 5 * 60_000;

/** Every camera in the session's scope (empty until loaded, or for a role that may not watch video). */
export const cameraList = shallowRef<readonly CameraView[]>([]);

let loadedTs = 0;
let loading: Promise<void> | null = null;

/** Load (or refresh, when older than CAMERA_LIST_REFRESH_MS) the camera list; concurrent callers share one request. */
export function loadCameras(nowTs = Date.now()): Promise<void> {
  if (loading) return loading;
  if (loadedTs > 0 && nowTs - loadedTs < CAMERA_LIST_REFRESH_MS) return Promise.resolve();
  loading = (async () => {
    const r = await call<unknown>(loadSession()?.token ?? '', '/api/cameras');
    const parsed = r.ok ? CamerasResponseSchema.safeParse(r) : null;
    if (parsed?.success) {
      cameraList.value = parsed.data.cameras;
      loadedTs = nowTs;
    }
  })()
    .catch(() => undefined)
    .finally(() => {
      loading = null;
    });
  return loading;
}

/** The session's bearer token for a stream request to this server (other hosts get none). */
export async function streamAuthorization(url: string): Promise<string | null> {
  const path = url.startsWith('/') ? url : new URL(url, location.href).origin === location.origin ? new URL(url).pathname : null;
  if (path === null || !isServerStream(path)) return null;
  const token = (await freshToken()) ?? loadSession()?.token ?? null;
  return token ? `Bearer ${token}` : null;
}
