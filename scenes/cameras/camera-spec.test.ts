import { describe, expect, it } from 'vitest';
import { DEVICE_CATALOGUE } from '../catalogue';
import { QINGDAO_CAMERAS } from '../city/qingdao-cameras';
import { districtOf } from '../geo/districts';
import { CameraSpecSchema, isAcceptableStreamUrl } from './camera-spec';
import { camerasOf } from './camera-view';

describe('camera stream URLs', () => {
  it.each(['https://nvr.example.cn/live/cam1.m3u8', 'http://10.0.0.5:8080/live/34020000001320000001.flv', '/api/video/clip-a/live.m3u8'])(
    'accepts %s',
    (url) => expect(isAcceptableStreamUrl(url)).toBe(true),
  );
  it.each([
    'javascript:alert(1)',
    'JaVaScRiPt:alert(1)',
    'data:video/mp4;base64,AAAA',
    '//evil.example/x.m3u8',
    'rtsp://10.0.0.5/stream',
    'ftp://x/y',
    'cam1.m3u8',
    '/a b',
  ])('refuses %s', (url) => expect(isAcceptableStreamUrl(url)).toBe(false));

  it('validates a camera record: heading in [0, 360), format hls or flv, field of view defaulted', () => {
    const ok = CameraSpecSchema.safeParse({ stream: { url: '/api/video/clip-a/live.m3u8', format: 'hls' }, headingDeg: 90 });
    expect(ok.success && ok.data.fovDeg).toBe(60);
    expect(CameraSpecSchema.safeParse({ stream: { url: '/x.m3u8', format: 'rtsp' }, headingDeg: 90 }).success).toBe(false);
    expect(CameraSpecSchema.safeParse({ stream: { url: '/x.m3u8', format: 'hls' }, headingDeg: 360 }).success).toBe(false);
  });
});

describe('the demo cameras', () => {
  it('are 8–12 cameras with valid specs, each in the district its location lies in', () => {
    expect(QINGDAO_CAMERAS.length).toBeGreaterThanOrEqual(8);
    expect(QINGDAO_CAMERAS.length).toBeLessThanOrEqual(12);
    for (const d of QINGDAO_CAMERAS) {
      expect(d.kind).toBe('camera');
      expect(d.scene).toBe(DEVICE_CATALOGUE.camera.scene);
      expect(CameraSpecSchema.safeParse(d.camera).success, d.id).toBe(true);
      expect(districtOf(d.location), d.id).toBe(d.district);
    }
  });

  it('map to camera views with their stream and heading', () => {
    const views = camerasOf(QINGDAO_CAMERAS);
    expect(views).toHaveLength(QINGDAO_CAMERAS.length);
    expect(views[0]!.stream?.format).toBe('hls');
    expect(camerasOf([{ ...QINGDAO_CAMERAS[0]!, status: 'retired' }])).toEqual([]);
  });
});
