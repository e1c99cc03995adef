import { describe, expect, it } from 'vitest';
import { demoStreamUrl, viewedStreamUrl } from './demo-streams';

describe('the stream URL a player loads', () => {
  it('names the camera on a server stream, so the server can audit who watched which camera', () => {
    expect(viewedStreamUrl(demoStreamUrl('clip-a'), 'cam-01 #2')).toBe('/api/video/clip-a/live.m3u8?camera=cam-01%20%232');
    expect(viewedStreamUrl('/api/video/clip-a/live.m3u8?x=1', 'cam-01')).toBe('/api/video/clip-a/live.m3u8?x=1&camera=cam-01');
    expect(viewedStreamUrl(demoStreamUrl('clip-b'), 'cam-02', 1_796_000_000.7)).toBe('/api/video/clip-b/live.m3u8?camera=cam-02&since=1796000000');
  });

  it('leaves another server’s stream as given', () => {
    expect(viewedStreamUrl('https://nvr.example.cn/live/1.m3u8', 'cam-01')).toBe('https://nvr.example.cn/live/1.m3u8');
  });
});
