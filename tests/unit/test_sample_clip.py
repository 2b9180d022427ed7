"""The committed sample clip stays what the tests and the demo need: a few seconds of HLS in a few tens of KB,
every file named by a relative URI (so it plays under any prefix, the edge's tokenized one included)."""

from __future__ import annotations

from tests.conftest import ROOT
from tests.hls_client import named_uris

SAMPLE = ROOT / "local" / "signing_keys_local" / "media" / "dev" / "sample"
MAX_TOTAL_BYTES = 64 * 1024


def _tag_values(playlist: str, tag: str) -> list[str]:
    return [line.removeprefix(tag).rstrip(",") for line in playlist.splitlines() if line.startswith(tag)]


def test_the_sample_clip_lasts_four_to_eight_seconds_in_segments_of_at_most_two() -> None:
    # Given the committed media playlist; When its segment durations are read; Then they make a short VOD clip
    media_playlist = (SAMPLE / "index.m3u8").read_text(encoding="utf-8")
    durations = [float(value.split(",")[0]) for value in _tag_values(media_playlist, "#EXTINF:")]
    assert _tag_values(media_playlist, "#EXT-X-TARGETDURATION:") == ["2"]
    assert all(duration <= 2 for duration in durations)
    assert 4 <= sum(durations) <= 8
    assert "#EXT-X-ENDLIST" in media_playlist


def test_every_playlist_names_files_beside_it_by_relative_uri_and_every_file_is_named() -> None:
    # Given the committed playlists; When the URIs they name are read; Then each is a bare file name, and together
    # with the master playlist they are exactly the committed files
    named = {uri for playlist in SAMPLE.glob("*.m3u8") for uri in named_uris(playlist.read_text(encoding="utf-8"))}
    assert all("/" not in uri and ":" not in uri for uri in named)
    assert named | {"master.m3u8"} == {file.name for file in SAMPLE.iterdir()}


def test_the_sample_clip_is_a_few_tens_of_kilobytes() -> None:
    # Given the committed files; Then they fit the budget that keeps the repository and the tests light
    assert sum(file.stat().st_size for file in SAMPLE.iterdir()) <= MAX_TOTAL_BYTES
