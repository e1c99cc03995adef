import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LIVE_WINDOW_SEGMENTS, livePlaylist, parseVodPlaylist } from './live-playlist';

const CLIP = parseVodPlaylist(readFileSync(path.join(import.meta.dirname, 'clips/clip-a/index.m3u8'), 'utf8'));
const SEGMENT_MS = CLIP.segments[0]!.durationS * 1000;
const tag = (text: string, name: string) => Number(new RegExp(`#${name}:(\\d+)`).exec(text)?.[1]);

describe('live playlist of a demo clip', () => {
  it('reads the committed clip: an init segment and 2-second segments', () => {
    expect(CLIP.mapUri).toBe('init.mp4');
    expect(CLIP.segments.length).toBeGreaterThanOrEqual(3);
    expect(CLIP.segments.every((s) => s.durationS === CLIP.segments[0]!.durationS)).toBe(true);
  });

  it('advances its media sequence with the clock and never ends', () => {
    const t = 1_780_000_000_000;
    const a = livePlaylist(CLIP, t);
    const b = livePlaylist(CLIP, t + 3 * SEGMENT_MS);
    expect(tag(b, 'EXT-X-MEDIA-SEQUENCE') - tag(a, 'EXT-X-MEDIA-SEQUENCE')).toBe(3);
    expect(a).not.toContain('ENDLIST');
    expect(a.match(/#EXTINF/g)).toHaveLength(LIVE_WINDOW_SEGMENTS);
    // the newest segment started within one segment before now
    const dates = [...a.matchAll(/#EXT-X-PROGRAM-DATE-TIME:(\S+)/g)].map((m) => Date.parse(m[1]!));
    expect(t - dates.at(-1)!).toBeGreaterThanOrEqual(0);
    expect(t - dates.at(-1)!).toBeLessThan(SEGMENT_MS);
  });

  it('marks each wrap of the clip as a discontinuity and counts the earlier ones', () => {
    const n = CLIP.segments.length;
    // a 5-segment window whose first segment is the clip's last: the wrap follows it
    const nowMs = (7 * n + 3) * SEGMENT_MS + 1;
    const text = livePlaylist(CLIP, nowMs, 5);
    const first = tag(text, 'EXT-X-MEDIA-SEQUENCE');
    expect(first).toBe(7 * n - 1);
    expect(tag(text, 'EXT-X-DISCONTINUITY-SEQUENCE')).toBe(Math.floor(first / n));
    const lines = text.trim().split('\n');
    const at = lines.indexOf('#EXT-X-DISCONTINUITY');
    expect(at).toBeGreaterThan(0);
    expect(lines[at + 3]).toBe(CLIP.segments[0]!.uri);
    expect(lines.filter((l) => l === '#EXT-X-DISCONTINUITY')).toHaveLength(1);
  });

  it('counts from its anchor: small discontinuity numbers, the same picture at the same time, the same numbers on every reload', () => {
    const n = CLIP.segments.length;
    const t = 1_796_000_000_000;
    const anchor = t - 3_600_000;
    const a = livePlaylist(CLIP, t, LIVE_WINDOW_SEGMENTS, anchor);
    const unanchored = livePlaylist(CLIP, t);
    // an hour of a short clip: hundreds of wraps, not the 1e8 counted from 1970
    expect(tag(unanchored, 'EXT-X-DISCONTINUITY-SEQUENCE')).toBeGreaterThan(1e7);
    expect(tag(a, 'EXT-X-DISCONTINUITY-SEQUENCE')).toBeLessThanOrEqual(Math.ceil(3_600_000 / (n * SEGMENT_MS)));
    // same segments and wall-clock times as counted from 1970
    const body = (text: string) => text.split('\n').filter((l) => l.startsWith('#EXT-X-PROGRAM-DATE-TIME') || l.endsWith('.m4s'));
    expect(body(a)).toEqual(body(unanchored));
    // a reload three segments later continues the numbering
    const b = livePlaylist(CLIP, t + 3 * SEGMENT_MS, LIVE_WINDOW_SEGMENTS, anchor);
    expect(tag(b, 'EXT-X-MEDIA-SEQUENCE') - tag(a, 'EXT-X-MEDIA-SEQUENCE')).toBe(3);
  });
});
