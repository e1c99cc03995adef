/**
 * Demo clips as live HLS: a short VOD clip (scripts/make-demo-video.sh) replayed forever as a
 * live playlist whose media sequence follows the wall clock, so every viewer sees the same
 * "now" and a player's currentTime keeps growing (as with a real NVR's live stream). Each wrap of
 * the clip is a discontinuity (its timestamps restart); each segment carries its wall-clock time
 * (EXT-X-PROGRAM-DATE-TIME). Pure: the caller passes `nowMs`.
 */

export interface ClipSegment {
  uri: string;
  /** seconds */
  durationS: number;
}

export interface ClipPlaylist {
  /** the fMP4 init segment (EXT-X-MAP) */
  mapUri: string;
  segments: ClipSegment[];
}

/**
 * Segments listed in a live playlist (60 s): the player starts about three target durations from
 * its end, and a player held up for a while (a busy wall PC) still finds its next segment listed.
 */
export const LIVE_WINDOW_SEGMENTS = 30;

/** Read the VOD playlist ffmpeg wrote: its init segment and its segments in order. */
export function parseVodPlaylist(text: string): ClipPlaylist {
  const lines = text.split(/\r?\n/).map((l) => l.trim());
  const map = lines.map((l) => /^#EXT-X-MAP:URI="([^"]+)"/.exec(l)?.[1]).find((u) => u !== undefined);
  const segments: ClipSegment[] = [];
  for (let i = 0; i < lines.length; i++) {
    const inf = /^#EXTINF:([0-9.]+)/.exec(lines[i]!);
    const uri = lines[i + 1];
    if (inf && uri && !uri.startsWith('#')) segments.push({ uri, durationS: Number(inf[1]) });
  }
  if (!map || segments.length === 0) throw new Error('not an fMP4 HLS playlist with segments');
  return { mapUri: map, segments };
}

/**
 * The live playlist at `nowMs`: the last `windowSegments` segments of an endless repetition of
 * the clip. Segments are taken as equally long (the clip is cut at fixed key frames); counted from
 * `anchorMs` (rounded down to a whole clip, so every viewer sees the same picture at the same
 * time), the media sequence number of segment k is k, and its discontinuity sequence ⌊k / n⌋.
 *
 * The anchor keeps those numbers small: hls.js keeps its timestamp offsets in an array indexed by
 * the discontinuity sequence and scans it on every playlist reload, so counted from 1970 (≈ 1.8e8
 * wraps of a 10-s clip) each reload cost a wall PC ≈ 10 s of main thread per player. A player
 * anchors at the moment it starts (`since`); the anchor of one URL never changes, so its numbers
 * stay consistent across reloads, and on every node.
 */
export function livePlaylist(clip: ClipPlaylist, nowMs: number, windowSegments = LIVE_WINDOW_SEGMENTS, anchorMs = 0): string {
  const n = clip.segments.length;
  const segmentMs = Math.round(clip.segments[0]!.durationS * 1000);
  const base = Math.floor(Math.max(0, Math.min(anchorMs, nowMs)) / (n * segmentMs)) * n * segmentMs;
  const newest = Math.floor((nowMs - base) / segmentMs);
  const first = Math.max(0, newest - windowSegments + 1);
  const targetS = Math.ceil(Math.max(...clip.segments.map((s) => s.durationS)));
  const out = [
    '#EXTM3U',
    '#EXT-X-VERSION:7',
    `#EXT-X-TARGETDURATION:${targetS}`,
    `#EXT-X-MEDIA-SEQUENCE:${first}`,
    `#EXT-X-DISCONTINUITY-SEQUENCE:${Math.floor(first / n)}`,
    `#EXT-X-MAP:URI="${clip.mapUri}"`,
  ];
  for (let k = first; k <= newest; k++) {
    const seg = clip.segments[k % n]!;
    if (k % n === 0 && k !== first) out.push('#EXT-X-DISCONTINUITY');
    // the wall-clock time of the segment's first frame: the player's "live" clock (hls.js playingDate)
    out.push(`#EXT-X-PROGRAM-DATE-TIME:${new Date(base + k * segmentMs).toISOString()}`);
    out.push(`#EXTINF:${seg.durationS.toFixed(3)},`, seg.uri);
  }
  return out.join('\n') + '\n';
}
