/**
 * Cameras and video over REST (issue 17): the registry validates camera records (a stream URL is
 * http(s) or a server path, never javascript:), GET /api/cameras lists them in scope, and the demo
 * video is served as live HLS to signed-in sessions only, and who watched which camera is audited
 * once per user and camera per window, never per segment.
 */
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CollectingAudit } from '../audit/audit';
import type { RegistryDevice } from '../registry/registry-schemas';
import { WHOLE_CITY } from '../../scenes/scope';
import { createVideoRouter, VIDEO_VIEW_AUDIT_WINDOW_MS } from './video-router';
import { QINGDAO_CAMERAS } from '../../scenes/city/qingdao-cameras';
import type { CameraView } from '../../scenes/cameras/camera-view';
import type { Device } from '../../scenes/domain';
import type { IocServer } from '../app';
import { login, startTestServer } from '../test/helpers';

const DETECTOR: Device = { id: 'gas-1', kind: 'gas-detector', scene: 'emergency', name: 'gas', location: [120.384, 36.093], district: '370203' };
let server: IocServer;
let admin: string;
let officer: string;

const get = (path: string, token?: string) => fetch(`${server.url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
const post = (path: string, token: string, body: unknown) =>
  fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

beforeAll(async () => {
  server = await startTestServer({}, { devices: [DETECTOR, ...QINGDAO_CAMERAS] });
  [admin, officer] = await Promise.all([login(server, 'admin'), login(server, 'officer1')]);
});
afterAll(async () => {
  await server?.close();
});

const camera = (url: string) => ({
  id: 'cam-test',
  kind: 'camera',
  name: '测试摄像头',
  location: [120.38, 36.09],
  camera: { stream: { url, format: 'hls' }, headingDeg: 45 },
});

describe('camera records in the registry', () => {
  it('refuses a javascript: or relative stream URL with E_VALIDATION', async () => {
    for (const url of ['javascript:alert(1)', 'cam.m3u8', '//evil.example/x.m3u8']) {
      const r = await post('/api/devices', admin, camera(url));
      expect(r.status, url).toBe(400);
      expect(((await r.json()) as { error: { code: string } }).error.code).toBe('E_VALIDATION');
    }
  });

  it('refuses a stream on a device that is not a camera', async () => {
    const r = await post('/api/devices', admin, { ...camera('/api/video/clip-a/live.m3u8'), id: 'gas-x', kind: 'gas-detector' });
    expect(r.status).toBe(400);
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe('E_VALIDATION');
  });

  it('keeps a valid camera record and lists it with its stream and heading', async () => {
    const r = await post('/api/devices', admin, camera('https://nvr.example.cn/live/1.m3u8'));
    expect(r.status).toBe(201);
    const list = (await (await get('/api/cameras', officer)).json()) as { cameras: CameraView[] };
    expect(list.cameras.find((c) => c.id === 'cam-test')).toMatchObject({
      stream: { url: 'https://nvr.example.cn/live/1.m3u8', format: 'hls' },
      headingDeg: 45,
      fovDeg: 60,
    });
    expect(list.cameras.filter((c) => c.id.startsWith('cam-')).length).toBe(QINGDAO_CAMERAS.length + 1);
    expect(list.cameras.some((c) => c.id === DETECTOR.id)).toBe(false);
  });
});

describe('demo video', () => {
  it('needs a signed-in session of a role that watches the city', async () => {
    expect((await get('/api/video/clip-a/live.m3u8')).status).toBe(401);
    expect((await get('/api/video/clip-a/seg0.m4s')).status).toBe(401);
    expect((await get('/api/cameras')).status).toBe(401);
    const handler = await login(server, 'handler1');
    expect((await get('/api/cameras', handler)).status).toBe(403);
  });

  it('serves a live playlist and its segments, and nothing outside the clips', async () => {
    const r = await get('/api/video/clip-a/live.m3u8', officer);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toContain('mpegurl');
    const text = await r.text();
    expect(text).toContain('#EXT-X-MAP:URI="init.mp4"');
    expect(text).not.toContain('#EXT-X-ENDLIST');
    const segment = text.split('\n').find((l) => l.endsWith('.m4s'))!;
    const seg = await get(`/api/video/clip-a/${segment}`, officer);
    expect(seg.status).toBe(200);
    expect((await seg.arrayBuffer()).byteLength).toBeGreaterThan(1000);
    for (const bad of [
      '/api/video/clip-z/live.m3u8',
      '/api/video/clip-a/index.m3u8',
      '/api/video/clip-a/..%2F..%2Fvideo-router.ts',
      '/api/video/clip-a/seg99.m4s',
    ])
      expect((await get(bad, officer)).status, bad).toBe(404);
  });
});

describe('video viewing in the audit log', () => {
  const CAM = QINGDAO_CAMERAS[0]!;
  const OTHER_CLIP_CAM = QINGDAO_CAMERAS[1]!;

  it('records one video.view for a playlist and its segments, with actor, camera and address', async () => {
    const url = `${CAM.camera!.stream.url}?camera=${CAM.id}`;
    const first = await get(url, admin);
    expect(first.status).toBe(200);
    const segment = (await first.text()).split('\n').find((l) => l.endsWith('.m4s'))!;
    for (let i = 0; i < 5; i++) expect((await get(`/api/video/clip-a/${segment}`, admin)).status).toBe(200);
    expect((await get(url, admin)).status).toBe(200);
    const r = await get(`/api/audit?action=video.view&target=${encodeURIComponent(`camera:${CAM.id}`)}`, admin);
    const { records } = (await r.json()) as { records: { actor: string; target: string; source?: string }[] };
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ actor: 'admin', target: `camera:${CAM.id}` });
    expect(records[0]!.source).toMatch(/127\.0\.0\.1|::1/);
  });

  it('refuses a named camera that does not show this clip', async () => {
    expect(OTHER_CLIP_CAM.camera!.stream.url).not.toContain('clip-a');
    expect((await get(`/api/video/clip-a/live.m3u8?camera=${OTHER_CLIP_CAM.id}`, admin)).status).toBe(404);
    expect((await get('/api/video/clip-a/live.m3u8?camera=no-such-cam', admin)).status).toBe(404);
  });

  it('records the same viewer and camera again only after the window', async () => {
    const registryCameras: RegistryDevice[] = QINGDAO_CAMERAS.map((x) => ({
      ...x,
      status: 'active',
      version: 1,
      maintenance: [],
      createdTs: 0,
      updatedTs: 0,
      updatedBy: 'seed',
    }));
    const clock = { nowTs: Date.UTC(2026, 11, 1) };
    const audit = new CollectingAudit();
    const app = express();
    app.use(
      createVideoRouter({
        registry: { listDevices: () => registryCameras },
        audit,
        log: { warn: () => undefined, error: () => undefined },
        route: (_entry, handler) => (req, res, next) => void Promise.resolve(handler(req, res)).catch(next),
        auth: () => (req, _res, next) => {
          (req as { user?: unknown }).user = { username: 'officer1', role: 'officer' };
          next();
        },
        scopeOf: async () => WHOLE_CITY,
        now: () => clock.nowTs,
      }),
    );
    const http = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => http.once('listening', resolve));
    const base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    const playlist = () => fetch(`${base}/video/clip-a/live.m3u8?camera=${CAM.id}`).then((r) => r.status);
    try {
      expect(await playlist()).toBe(200);
      for (let i = 0; i < 10; i++) expect((await fetch(`${base}/video/clip-a/init.mp4`)).status).toBe(200);
      clock.nowTs += VIDEO_VIEW_AUDIT_WINDOW_MS - 1;
      expect(await playlist()).toBe(200);
      expect(audit.entries.map((e) => [e.action, e.actor, e.target])).toEqual([['video.view', 'officer1', `camera:${CAM.id}`]]);
      clock.nowTs += 1;
      expect(await playlist()).toBe(200);
      expect(audit.entries).toHaveLength(2);
      // an audit log that cannot be written: the video is served, the next reload records it
      clock.nowTs += VIDEO_VIEW_AUDIT_WINDOW_MS;
      audit.failNext = true;
      expect(await playlist()).toBe(200);
      expect(await playlist()).toBe(200);
      expect(audit.entries).toHaveLength(3);
      // a player's anchor (when it started): small numbers; one from the future or too old is refused
      const withSince = (s: number) => fetch(`${base}/video/clip-a/live.m3u8?camera=${CAM.id}&since=${s}`);
      const nowS = Math.floor(clock.nowTs / 1000);
      const anchored = await withSince(nowS - 3600);
      expect(anchored.status).toBe(200);
      expect(Number(/#EXT-X-DISCONTINUITY-SEQUENCE:(\d+)/.exec(await anchored.text())![1])).toBeLessThan(1000);
      expect((await withSince(nowS + 3600)).status).toBe(400);
      expect((await withSince(nowS - 8 * 86_400)).status).toBe(400);
      expect((await fetch(`${base}/video/clip-a/live.m3u8?camera=${CAM.id}&since=abc`)).status).toBe(400);
    } finally {
      await new Promise((resolve) => http.close(resolve));
    }
  });
});
