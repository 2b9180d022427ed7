"""The sample clip (workspace dev, media sample) as a plain HTTP client gets it: no cookies, no browser, through a
redirect like the exchange's, every URI resolved against the playlist that names it."""

from __future__ import annotations

from tests.conftest import ROOT
from tests.hls_client import fetch_presentation
from tests.static_site import StaticSite
from tests.support import Reply

SAMPLE = ROOT / "local" / "signing_keys_local" / "media" / "dev" / "sample"
EDGE_PREFIX = "/m/dev/sample/e1.test-session"


def test_a_cookie_less_client_gets_every_file_of_the_sample_clip_from_under_the_redirect_target() -> None:
    # Given the clip under a tokenized prefix, and an exchange URL redirecting to its master playlist
    with StaticSite() as site:
        site.serve_directory(EDGE_PREFIX, SAMPLE)
        site.routes["/workspaces/dev/play/sample/master.m3u8"] = Reply(
            302, {"Location": f"{EDGE_PREFIX}/master.m3u8"}, b""
        )
        # When a client without cookies follows the exchange URL and every playlist and segment it names
        fetched = fetch_presentation(f"{site.url}/workspaces/dev/play/sample/master.m3u8?token=viewer-jwt")
    # Then it got each committed file, byte for byte, and only from under the prefix
    assert fetched == {f"{site.url}{EDGE_PREFIX}/{file.name}": file.read_bytes() for file in SAMPLE.iterdir()}
