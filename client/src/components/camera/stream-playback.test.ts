import { describe, expect, it } from 'vitest';
import { camt, en, zh } from './messages';
import {
  H264_MSE_TYPE,
  choosePlayback,
  flvFeatureRefusal,
  isOfflineStatus,
  readPlaybackSupport,
  unplayableMessage,
  type PlaybackSupport,
  type UnplayableReason,
} from './stream-playback';

const CHROMIUM: PlaybackSupport = { mediaSource: true, mseH264: true, nativeHls: false };
/** a Chromium built without the proprietary codecs: MSE, VP9, no H.264 */
const NO_H264: PlaybackSupport = { mediaSource: true, mseH264: false, nativeHls: false };
/** iOS Safari before ManagedMediaSource: its own HLS only */
const OLD_IOS: PlaybackSupport = { mediaSource: false, mseH264: false, nativeHls: true };

const hls = (url = 'https://nvr.example.cn/live/cam1.m3u8') => ({ format: 'hls' as const, url });
const flv = (url = 'http://10.0.0.5:8080/live/cam1.flv') => ({ format: 'flv' as const, url });

describe('choosePlayback', () => {
  it('plays HLS with hls.js and HTTP-FLV with mpegts.js where MSE decodes H.264', () => {
    expect(choosePlayback(hls(), CHROMIUM)).toEqual({ kind: 'hls.js' });
    expect(choosePlayback(flv(), CHROMIUM)).toEqual({ kind: 'mpegts' });
    expect(choosePlayback(flv('/nvr/live/cam1.flv'), CHROMIUM)).toEqual({ kind: 'mpegts' });
  });

  it('refuses FLV up front, saying H.264 is missing, where MSE has no H.264 — HLS still plays there', () => {
    expect(choosePlayback(flv(), NO_H264)).toEqual({ kind: 'unplayable', reason: 'flv-no-h264' });
    expect(choosePlayback(hls(), NO_H264)).toEqual({ kind: 'hls.js' });
  });

  it('plays FLV through ManagedMediaSource (H.264 there, no window.MediaSource)', () => {
    expect(choosePlayback(flv(), { mediaSource: false, mseH264: true, nativeHls: true })).toEqual({ kind: 'mpegts' });
  });

  it('without MSE: native HLS for other hosts only (it cannot send the session token), FLV refused', () => {
    expect(choosePlayback(hls(), OLD_IOS)).toEqual({ kind: 'native-hls' });
    expect(choosePlayback(hls('/api/video/clip-a/live.m3u8'), OLD_IOS)).toEqual({ kind: 'unplayable', reason: 'hls-no-mse' });
    expect(choosePlayback(hls(), { ...OLD_IOS, nativeHls: false })).toEqual({ kind: 'unplayable', reason: 'hls-no-mse' });
    expect(choosePlayback(flv(), OLD_IOS)).toEqual({ kind: 'unplayable', reason: 'flv-no-mse' });
  });
});

describe('flvFeatureRefusal', () => {
  it('refuses a live FLV stream where the network cannot be read as a stream', () => {
    expect(flvFeatureRefusal({ networkStreamIO: true })).toBeNull();
    expect(flvFeatureRefusal({ networkStreamIO: false })).toBe('flv-no-stream-io');
  });
});

describe('unplayableMessage', () => {
  const reasons: UnplayableReason[] = ['hls-no-mse', 'flv-no-mse', 'flv-no-h264', 'flv-no-stream-io', 'flv-codec'];

  it('names the missing H.264 decoder for FLV, in Chinese and English', () => {
    expect(zh[unplayableMessage('flv-no-h264')]).toBe('此浏览器不支持 H.264 解码，无法播放 FLV 视频流');
    expect(en[unplayableMessage('flv-no-h264')]).toMatch(/cannot decode H\.264.*FLV/);
    expect(camt(unplayableMessage('flv-no-h264'))).toContain('H.264');
  });

  it('gives every reason its own message', () => {
    const keys = reasons.map(unplayableMessage);
    expect(new Set(keys).size).toBe(reasons.length);
    for (const k of keys) expect(zh[k] && en[k]).toBeTruthy();
  });
});

describe('isOfflineStatus', () => {
  it('shows signed-out, forbidden and missing streams as an offline camera', () => {
    expect([401, 403, 404].every(isOfflineStatus)).toBe(true);
    expect([undefined, 0, 200, 500, 502].some(isOfflineStatus)).toBe(false);
  });
});

describe('readPlaybackSupport', () => {
  const video = (hlsAnswer: string) => ({ canPlayType: (t: string) => (t === 'application/vnd.apple.mpegurl' ? hlsAnswer : '') }) as never;

  it('probes H.264 in MSE with the H.264 MIME type, and native HLS', () => {
    const asked: string[] = [];
    const scope = {
      MediaSource: {
        isTypeSupported: (t: string) => {
          asked.push(t);
          return false;
        },
      },
    } as never;
    expect(readPlaybackSupport(video(''), scope)).toEqual({ mediaSource: true, mseH264: false, nativeHls: false });
    expect(asked).toEqual([H264_MSE_TYPE]);
    const h264 = { MediaSource: { isTypeSupported: (t: string) => t === H264_MSE_TYPE } } as never;
    expect(readPlaybackSupport(video('maybe'), h264)).toEqual({ mediaSource: true, mseH264: true, nativeHls: true });
  });

  it('counts ManagedMediaSource for H.264 and reports no MediaSource where there is none', () => {
    const scope = { ManagedMediaSource: { isTypeSupported: () => true } } as never;
    expect(readPlaybackSupport(video('probably'), scope)).toEqual({ mediaSource: false, mseH264: true, nativeHls: true });
    expect(readPlaybackSupport(video(''), {} as never)).toEqual({ mediaSource: false, mseH264: false, nativeHls: false });
  });
});
