/**
 * Which player plays a camera's stream (issue 17), decided before anything is downloaded: HLS
 * through hls.js (the browser's own HLS where Media Source Extensions are missing), HTTP-FLV
 * through mpegts.js, which remuxes FLV's H.264 into fragmented MP4 for MSE — so an FLV stream
 * needs a browser whose MSE decodes H.264 (Chromium builds without the proprietary codecs do not).
 * A stream the browser cannot play gets a message saying why, never a black box.
 *
 * Pure: the caller reads the browser's capabilities (`readPlaybackSupport`) and passes them in.
 */
import type { CameraStream } from '@scenes/cameras/camera-spec';
import { isServerStream } from '@scenes/cameras/demo-streams';
import type { CameraMessageKey } from './messages';

/** What the browser offers for live video. */
export interface PlaybackSupport {
  /** `window.MediaSource` exists (hls.js needs it) */
  mediaSource: boolean;
  /** MSE (MediaSource, or Apple's ManagedMediaSource) accepts H.264 video in MP4 — what mpegts.js feeds it from FLV */
  mseH264: boolean;
  /** the video element plays HLS by itself (Safari) */
  nativeHls: boolean;
}

/** Why a stream cannot play in this browser. */
export type UnplayableReason =
  | 'hls-no-mse'
  | 'flv-no-mse'
  | 'flv-no-h264'
  | 'flv-no-stream-io'
  /** the FLV carries a codec mpegts.js cannot remux or MSE cannot decode (H.265 from many cameras): known only once it plays */
  | 'flv-codec';

export type Playback =
  | { kind: 'hls.js' }
  /** the browser's own HLS: it cannot add the session header, so only for streams of other hosts */
  | { kind: 'native-hls' }
  | { kind: 'mpegts' }
  | { kind: 'unplayable'; reason: UnplayableReason };

/** The MIME type probed for H.264 in MSE (Constrained Baseline 3.0, what every H.264 decoder takes). */
export const H264_MSE_TYPE = 'video/mp4; codecs="avc1.42E01E"';

/** The player for `stream` in a browser offering `support`. */
export function choosePlayback(stream: Pick<CameraStream, 'format' | 'url'>, support: PlaybackSupport): Playback {
  switch (stream.format) {
    case 'hls':
      if (support.mediaSource) return { kind: 'hls.js' };
      if (support.nativeHls && !isServerStream(stream.url)) return { kind: 'native-hls' };
      return { kind: 'unplayable', reason: 'hls-no-mse' };
    case 'flv':
      if (support.mseH264) return { kind: 'mpegts' };
      return { kind: 'unplayable', reason: support.mediaSource ? 'flv-no-h264' : 'flv-no-mse' };
    default: {
      const never: never = stream.format;
      return never;
    }
  }
}

/**
 * What mpegts.js's own feature list (`mpegts.getFeatureList()`, read once it is loaded) adds: a live
 * FLV stream is one endless HTTP response, read as a stream (fetch streams or moz-chunked XHR).
 * Its `msePlayback` is not used: it probes H.264 together with AAC audio, and a camera without
 * audio plays where only H.264 is there (`choosePlayback` probed that already).
 */
export function flvFeatureRefusal(features: { networkStreamIO: boolean }): UnplayableReason | null {
  return features.networkStreamIO ? null : 'flv-no-stream-io';
}

/** The message shown instead of the video. */
export function unplayableMessage(reason: UnplayableReason): CameraMessageKey {
  switch (reason) {
    case 'hls-no-mse':
      return 'cam.noMse';
    case 'flv-no-mse':
      return 'cam.flvNoMse';
    case 'flv-no-h264':
      return 'cam.flvNoH264';
    case 'flv-no-stream-io':
      return 'cam.flvNoStreamIo';
    case 'flv-codec':
      return 'cam.flvCodec';
    default: {
      const never: never = reason;
      return never;
    }
  }
}

/**
 * An HTTP status that means the camera is not there for this viewer (signed out, not allowed,
 * gone): shown as "offline", not as a raw error.
 */
export function isOfflineStatus(status: number | undefined): boolean {
  return status === 401 || status === 403 || status === 404;
}

/** The capabilities of this browser (no MSE on iOS Safari before 17.1; no H.264 in some Chromium builds). */
export function readPlaybackSupport(video: Pick<HTMLVideoElement, 'canPlayType'>, scope: typeof globalThis = globalThis): PlaybackSupport {
  const mse = (scope as { MediaSource?: { isTypeSupported(type: string): boolean } }).MediaSource;
  const managed = (scope as { ManagedMediaSource?: { isTypeSupported(type: string): boolean } }).ManagedMediaSource;
  return {
    mediaSource: mse !== undefined,
    mseH264: Boolean(mse?.isTypeSupported(H264_MSE_TYPE) || managed?.isTypeSupported(H264_MSE_TYPE)),
    nativeHls: video.canPlayType('application/vnd.apple.mpegurl') !== '',
  };
}
