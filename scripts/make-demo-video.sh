#!/usr/bin/env bash
# Demo camera streams (issue 17): a few short looping HLS clips — a test pattern with a label and a
# running clock — generated once with ffmpeg and committed small under server/video/clips/.
# The server serves them as live HLS (server/video/live-playlist.ts loops the segments with a
# running media sequence), so a player's currentTime keeps growing like a real NVR's stream.
#
# Codec: VP9 in fMP4 segments. Debian's Chromium plays VP9 and AV1 from MSE on every build (a
# probe of MediaSource.isTypeSupported said yes to avc1, vp09 and av01 here, but H.264 depends on
# how the browser was built); VP9 encodes fast and small. Real gateways usually send H.264: hls.js
# plays that too where the browser can.
#
# Usage: scripts/make-demo-video.sh [out-dir]   (default server/video/clips; needs ffmpeg with libvpx-vp9)
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$root/server/video/clips}"
font="$root/node_modules/@fontsource/noto-sans-sc/files/noto-sans-sc-latin-400-normal.woff"
[ -f "$font" ] || font=/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf

fps=10           # frames per second
seconds=10       # clip length = one loop
segment_s=2      # HLS segment length (a key frame starts every segment)
size=640x360
bitrate=160k

make_clip() {
  local name="$1" label="$2" pattern="$3"
  local dir="$out/$name"
  rm -rf "$dir" && mkdir -p "$dir"
  ffmpeg -hide_banner -loglevel error -y \
    -f lavfi -i "${pattern}=size=${size}:rate=${fps}:duration=${seconds}" \
    -vf "drawbox=x=0:y=0:w=iw:h=64:color=black@0.6:t=fill,\
drawtext=fontfile=${font}:text='${label}':x=16:y=14:fontsize=34:fontcolor=white,\
drawtext=fontfile=${font}:text='%{pts\:hms}':x=w-tw-16:y=14:fontsize=34:fontcolor=yellow" \
    -c:v libvpx-vp9 -b:v "$bitrate" -deadline realtime -cpu-used 8 -row-mt 1 \
    -g $((fps * segment_s)) -keyint_min $((fps * segment_s)) -pix_fmt yuv420p -an \
    -f hls -hls_time "$segment_s" -hls_list_size 0 -hls_playlist_type vod \
    -hls_segment_type fmp4 -hls_fmp4_init_filename init.mp4 \
    -hls_segment_filename "$dir/seg%d.m4s" "$dir/index.m3u8"
}

make_clip clip-a 'QD-CAM A  demo' testsrc2
make_clip clip-b 'QD-CAM B  demo' smptehdbars
make_clip clip-c 'QD-CAM C  demo' testsrc
du -sh "$out"
