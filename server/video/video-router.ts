/**
 * Cameras and their video (issue 17, 视频联动):
 *   GET /api/cameras                    → { cameras: CameraView[] } in the caller's scope
 *   GET /api/video/:clip/live.m3u8      → the demo clip as a live HLS playlist (live-playlist.ts)
 *   GET /api/video/:clip/:segment       → its init segment and fMP4 segments
 * Video of a city is sensitive: every path needs a signed-in session (Bearer, like the rest of
 * /api; the player adds it to each playlist and segment request) of a role that watches the city
 * — field handlers' phones see their own tasks only. Only the committed clips are served: the
 * clip id and file name are checked against fixed patterns, so no path reaches outside them.
 *
 * Watching is audited (`video.view`: actor, camera, source address) once per user and camera per
 * VIDEO_VIEW_AUDIT_WINDOW_MS, on the playlist only — never per segment. The player names the
 * camera it shows (`live.m3u8?camera=<id>`: several cameras share a demo clip); a named camera must
 * be a camera in the caller's scope streaming this clip. Without a name the clip is the target.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import { camerasOf } from '../../scenes/cameras/camera-view';
import { DEMO_CLIP_IDS, type DemoClipId } from '../../scenes/cameras/demo-streams';
import { IdSchema, type Role } from '../../scenes/domain';
import { placeInScope, type DataScope } from '../../scenes/scope';
import type { SessionClaims } from '../auth/tokens';
import type { IocError } from '../../scenes/protocol';
import { demoStreamUrl } from '../../scenes/cameras/demo-streams';
import type { AuditRecorder } from '../audit/audit';
import { auditWho } from '../audit/audit-request';
import { httpStatusOf, iocError } from '../errors';
import type { Logger } from '../logger';
import { toLiveDevice, type DeviceRegistry } from '../registry/device-registry';
import { livePlaylist, parseVodPlaylist, type ClipPlaylist } from './live-playlist';
import { AuditLimiter } from '../audit/audit-limiter';

type AuthedRequest = Request & { user?: SessionClaims };

/** Roles that may list cameras and watch video (the wall, the duty room, admins). */
export const VIDEO_ROLES: readonly Role[] = ['screen', 'officer', 'leader', 'admin'];
/** The committed demo clips (scripts/make-demo-video.sh). */
export const DEFAULT_CLIPS_DIR = path.resolve(import.meta.dirname, 'clips');
/** How long a browser may keep a segment, s (segments never change; the playlist always does). */
export const SEGMENT_MAX_AGE_S = 3600;

/** one `video.view` per (user, camera) per this, ms: a live player reloads its playlist every few seconds */
export const VIDEO_VIEW_AUDIT_WINDOW_MS = 10 * 60_000;
/** (user, camera) viewings remembered within one window, at most */
const MAX_VIEW_KEYS = 10_000;

/** Without `since` (a player other than ours) the playlist counts from here: small numbers still. */
export const DEFAULT_PLAYLIST_ANCHOR_MS = Date.UTC(2026, 0, 1);
/** How old a player's `since` may be (a camera shown for days gets a fresh start from its retry). */
const MAX_ANCHOR_AGE_MS = 7 * 24 * 3_600_000;

/** The playlist anchor of `?since=<epoch s>` (live-playlist.ts), the default without one; null when not acceptable. */
function anchorOf(raw: unknown, nowMs: number): number | null {
  if (raw === undefined) return DEFAULT_PLAYLIST_ANCHOR_MS;
  if (typeof raw !== 'string' || !/^\d{1,12}$/.test(raw)) return null;
  const ms = Number(raw) * 1000;
  return ms > nowMs + 60_000 || ms < nowMs - MAX_ANCHOR_AGE_MS ? null : ms;
}

const SEGMENT_FILE = /^(init\.mp4|seg\d{1,4}\.m4s)$/;

function sendError(res: Response, e: IocError): void {
  res.status(httpStatusOf(e.code)).json({ error: e });
}

export interface VideoRouterDeps {
  registry: Pick<DeviceRegistry, 'listDevices'>;
  route: (entry: string, handler: (req: AuthedRequest, res: Response) => unknown) => RequestHandler;
  auth: (...roles: Role[]) => RequestHandler;
  scopeOf: (req: AuthedRequest) => Promise<DataScope>;
  audit: AuditRecorder;
  log: Pick<Logger, 'warn' | 'error'>;
  clipsDir?: string;
  now?: () => number;
  /** one `video.view` per (user, camera) per this, ms */
  viewAuditWindowMs?: number;
}

export function createVideoRouter(d: VideoRouterDeps): Router {
  const r = express.Router();
  const clipsDir = d.clipsDir ?? DEFAULT_CLIPS_DIR;
  const now = d.now ?? Date.now;
  const playlists = new Map<DemoClipId, ClipPlaylist | null>();
  const views = new AuditLimiter({
    audit: d.audit,
    log: d.log,
    intervalMs: d.viewAuditWindowMs ?? VIDEO_VIEW_AUDIT_WINDOW_MS,
    maxKeys: MAX_VIEW_KEYS,
    retryAfterFailure: true,
    what: 'video.view',
    now,
  });
  /** the clip's VOD playlist, read once; null when the clip is not on disk */
  const clipOf = (id: string): ClipPlaylist | null => {
    if (!(DEMO_CLIP_IDS as readonly string[]).includes(id)) return null;
    const clip = id as DemoClipId;
    if (!playlists.has(clip)) {
      try {
        playlists.set(clip, parseVodPlaylist(readFileSync(path.join(clipsDir, clip, 'index.m3u8'), 'utf8')));
      } catch {
        playlists.set(clip, null);
      }
    }
    return playlists.get(clip) ?? null;
  };

  /** `camera:<id>` of a named camera in scope streaming this clip, `video:<clip>` unnamed; null = not one */
  const viewTarget = async (req: AuthedRequest, clipId: string): Promise<string | null> => {
    if (req.query.camera === undefined) return `video:${clipId}`;
    const id = IdSchema.safeParse(req.query.camera);
    if (!id.success) return null;
    const camera = d.registry.listDevices().find((x) => x.id === id.data && x.kind === 'camera' && x.status !== 'retired');
    if (!camera || camera.camera?.stream.url.split('?')[0] !== demoStreamUrl(clipId as DemoClipId)) return null;
    return placeInScope(await d.scopeOf(req), camera) ? `camera:${camera.id}` : null;
  };
  /**
   * A record that cannot be written is logged and tried again on the next playlist reload; the
   * video is served meanwhile (a duty room must not go dark because the audit store is down).
   * The gate lives in this node's memory: behind several nodes a viewing moved to another node is
   * recorded there too (at most once per node per window), which errs on the side of recording.
   */
  const recordView = (req: AuthedRequest, target: string, clipId: string): void => {
    const who = auditWho(req);
    views.record(`${who.actor}\n${target}`, { ...who, action: 'video.view', target, outcome: 'success', details: { clip: clipId } });
  };

  r.get(
    '/cameras',
    d.auth(...VIDEO_ROLES),
    d.route('cameras', async (req, res) => {
      const scope = await d.scopeOf(req);
      const devices = d.registry
        .listDevices()
        .filter((x) => x.kind === 'camera' && placeInScope(scope, x))
        .map(toLiveDevice);
      res.set('cache-control', 'no-store').json({ cameras: camerasOf(devices) });
    }),
  );

  r.get(
    '/video/:clip/live.m3u8',
    d.auth(...VIDEO_ROLES),
    d.route('video-playlist', async (req, res) => {
      const clipId = String(req.params.clip);
      const clip = clipOf(clipId);
      if (!clip) return sendError(res, iocError('E_NOT_FOUND', 'no such video stream'));
      const target = await viewTarget(req, clipId);
      if (!target) return sendError(res, iocError('E_NOT_FOUND', 'no such camera stream'));
      const nowMs = now();
      const anchor = anchorOf(req.query.since, nowMs);
      if (anchor === null) return sendError(res, iocError('E_VALIDATION', 'since: epoch seconds within the last 7 days'));
      recordView(req, target, clipId);
      res
        .set('cache-control', 'no-store')
        .type('application/vnd.apple.mpegurl')
        .send(livePlaylist(clip, nowMs, undefined, anchor));
    }),
  );

  r.get(
    '/video/:clip/:file',
    d.auth(...VIDEO_ROLES),
    d.route('video-segment', (req, res) => {
      const file = String(req.params.file);
      if (!clipOf(String(req.params.clip)) || !SEGMENT_FILE.test(file)) return sendError(res, iocError('E_NOT_FOUND', 'no such video segment'));
      res.set('cache-control', `private, max-age=${SEGMENT_MAX_AGE_S}, immutable`);
      res.type(file.endsWith('.mp4') ? 'video/mp4' : 'video/iso.segment');
      res.sendFile(path.join(clipsDir, String(req.params.clip), file), (err) => {
        if (err && !res.headersSent) sendError(res, iocError('E_NOT_FOUND', 'no such video segment'));
      });
    }),
  );
  return r;
}
