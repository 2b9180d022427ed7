#!/usr/bin/env bash
# Produces the committed sample clip dev/sample/ (workspace `dev`, media `sample`): 8 s of HLS, about 40 KB.
# Run once by hand (needs ffmpeg; Debian bookworm's 5.1 made the committed files); nothing runs it at run time or CI.
#
# - ffmpeg's testsrc pattern: colour bars, a scrolling gradient and a seconds counter, so a frozen picture shows.
# - 320x180, 15 fps, H.264 Constrained Baseline level 3.0, no audio: every MSE browser (through hls.js) and every
#   native-HLS player decodes it, and a muted, silent clip autoplays in headless browsers without a user gesture.
# - MPEG-TS segments of exactly 2 s (a keyframe every 30 frames, no scene-cut keyframes), so each segment starts
#   with a keyframe and a player fetches a new one every 2 s: a refusal at the edge shows within a segment or two.
# - index.m3u8 (media playlist, VOD) and master.m3u8 (one variant) name their files by relative URI, so they
#   resolve under whatever prefix serves them (the edge's tokenized /m/<ws>/<media>/<token>/).
set -euo pipefail
cd "$(dirname "$0")"
out=dev/sample
rm -rf "$out"
mkdir -p "$out"
ffmpeg -hide_banner -loglevel error -nostdin \
	-f lavfi -i "testsrc=size=320x180:rate=15:duration=8" \
	-c:v libx264 -profile:v baseline -level:v 3.0 -pix_fmt yuv420p -preset veryslow -crf 36 \
	-maxrate 60k -bufsize 120k -g 30 -keyint_min 30 -sc_threshold 0 -threads 1 -an \
	-flags +bitexact -fflags +bitexact \
	-f hls -hls_time 2 -hls_playlist_type vod -hls_segment_filename "$out/segment_%03d.ts" \
	-master_pl_name master.m3u8 \
	"$out/index.m3u8"
du -cb "$out"/* | tail -n 1
