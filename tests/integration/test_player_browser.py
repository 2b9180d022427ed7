"""The demo player (/demo) in headless chromium, without the runner or the edge: a loopback site serves the page as
the runner does and the sample clip as the edge would, answering refusals in the API's and the edge's shapes.

Chromium and the driver are set up by the `browser` fixture (tests/browser.py), or the tests are skipped saying why.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import quote

import pytest

from signing_keys_local import player
from tests.browser import INSTALL_TIMEOUT_SECONDS, Browser
from tests.conftest import ROOT
from tests.static_site import StaticSite
from tests.support import Reply

pytestmark = pytest.mark.timeout(INSTALL_TIMEOUT_SECONDS + 120)  # the first test may install chromium

SAMPLE = ROOT / "local" / "signing_keys_local" / "media" / "dev" / "sample"
EDGE_PREFIX = "/m/dev/sample/e1.test-session"
EXCHANGE = "/workspaces/dev/play/sample"


@pytest.fixture
def site() -> Iterator[StaticSite]:
    with StaticSite() as serving:
        serving.serve_documents(player.documents())
        yield serving


def require_native_hls(browser: Browser, site: StaticSite) -> None:
    """Recent chromium plays HLS itself (150 here does); an older one has only MSE, for hls.js."""
    page = browser.open(f"{site.url}/demo")
    if not page.evaluate("document.createElement('video').canPlayType('application/vnd.apple.mpegurl')"):
        pytest.skip(f"this chromium ({browser.version}) has no native HLS")
    page.close()


def demo(site: StaticSite, **query: str) -> str:
    return f"{site.url}/demo?" + "&".join(f"{name}={quote(value, safe='')}" for name, value in query.items())


def test_the_demo_page_plays_the_sample_clip_with_hls_js(site: StaticSite, browser: Browser) -> None:
    # Given the sample clip served next to the page
    site.serve_directory(EDGE_PREFIX, SAMPLE)
    # When the page is opened with the clip's media playlist
    page = browser.open(demo(site, src=f"{site.url}{EDGE_PREFIX}/index.m3u8"))
    # Then hls.js plays it past its first second
    status = page.wait_for(lambda status: status.current_time > 1.0)
    assert (status.state, status.engine) == ("playing", "hls.js")


def test_a_stream_behind_the_exchange_redirect_plays_from_the_edge_prefix(site: StaticSite, browser: Browser) -> None:
    # Given the exchange on the page's origin redirecting to the clip on another origin (the edge), as the contract says
    with StaticSite() as edge:
        edge.serve_directory(EDGE_PREFIX, SAMPLE)
        site.routes[f"{EXCHANGE}/master.m3u8"] = Reply(302, {"Location": f"{edge.url}{EDGE_PREFIX}/master.m3u8"}, b"")
        # When the page is opened with a workspace, a media id and a token
        page = browser.open(demo(site, workspace="dev", media="sample", token="viewer-jwt", path="master.m3u8"))
        # Then it asks the exchange once with the token, plays, and takes every playlist and segment from the edge
        page.wait_for(lambda status: status.current_time > 1.0)
    exchanged = [path for path in site.requested if path.startswith(EXCHANGE)]
    assert exchanged == [f"{EXCHANGE}/master.m3u8?token=viewer-jwt"]
    from_edge = {f"{EDGE_PREFIX}/{name}" for name in ("master.m3u8", "index.m3u8", "segment_000.ts", "segment_001.ts")}
    assert from_edge <= set(edge.requested)


def exchange_refusal(reason: str, message: str, **headers: str) -> Reply:
    """The exchange's 403 in the API's union error shape, with its X-Refusal-Reason header."""
    body = {
        "success": False,
        "error": {"code": 403, "message": message, "reason": reason},
        "errors": [message],
        "reason": reason,
    }
    return Reply(
        403,
        {"Content-Type": "application/json", "X-Refusal-Reason": reason, **headers},
        json.dumps(body).encode(),
    )


def test_a_refused_exchange_shows_its_reason_and_message(site: StaticSite, browser: Browser) -> None:
    # Given the exchange refusing the playlist with the API's union error shape and the refusal header
    site.routes[f"{EXCHANGE}/index.m3u8"] = exchange_refusal("jti_revoked", "The token was revoked.")
    # When the page is opened with it
    page = browser.open(demo(site, src=f"{site.url}{EXCHANGE}/index.m3u8?token=viewer-jwt"))
    # Then it says playback was refused, why, and the API's message, and plays nothing
    status = page.wait_for(lambda status: status.state == "refused")
    assert (status.http_status, status.reason, status.message) == (403, "jti_revoked", "The token was revoked.")
    assert "jti_revoked" in status.text
    assert status.current_time == 0


def test_a_segment_refused_at_the_edge_stops_playback_and_shows_the_edge_reason(
    site: StaticSite, browser: Browser
) -> None:
    # Given the edge serving the first two segments (4 s) and refusing the rest, as after a revocation
    site.serve_directory(EDGE_PREFIX, SAMPLE)
    for later in ("segment_002.ts", "segment_003.ts"):
        site.routes[f"{EDGE_PREFIX}/{later}"] = Reply(403, {"Content-Type": "text/plain"}, b"Forbidden: revoked")
    # When the page plays the clip
    page = browser.open(demo(site, src=f"{site.url}{EDGE_PREFIX}/index.m3u8"))
    # Then it played what it was given (its short buffer fetched the refused segment only then), and stopped on the
    # edge's refusal with the check the edge named
    status = page.wait_for(lambda status: status.state == "refused")
    assert (status.http_status, status.reason, status.message) == (403, "revoked", "Forbidden: revoked")
    assert status.current_time > 1.0
    assert status.paused


def test_a_refusal_from_another_origin_that_hides_its_header_shows_the_reason_in_its_body(
    site: StaticSite, browser: Browser
) -> None:
    # Given an exchange on another origin whose CORS headers do not expose X-Refusal-Reason to the page
    with StaticSite() as exchange:
        exchange.routes[f"{EXCHANGE}/index.m3u8"] = exchange_refusal(
            "signature", "The token's signature does not verify.", **{"Access-Control-Expose-Headers": "Content-Type"}
        )
        # When the page is opened with it
        page = browser.open(demo(site, src=f"{exchange.url}{EXCHANGE}/index.m3u8?token=viewer-jwt"))
        # Then the reason still shows, read from the JSON body
        status = page.wait_for(lambda status: status.state == "refused")
    assert (status.http_status, status.reason) == (403, "signature")


def test_without_hls_js_the_page_plays_with_the_browsers_native_hls(site: StaticSite, browser: Browser) -> None:
    # Given a server without hls.js (the player package not installed), and a browser with native HLS
    require_native_hls(browser, site)
    del site.routes["/demo/hls.min.js"]
    site.serve_directory(EDGE_PREFIX, SAMPLE)
    page = browser.open(demo(site, src=f"{site.url}{EDGE_PREFIX}/index.m3u8"))
    # When the page is opened with the clip; Then the browser plays it itself
    status = page.wait_for(lambda status: status.current_time > 1.0)
    assert (status.state, status.engine) == ("playing", "native")


def test_a_refusal_under_native_hls_shows_the_reason_the_page_reads_again(site: StaticSite, browser: Browser) -> None:
    # Given native HLS only (its media element reports no HTTP detail) and an exchange refusing the playlist
    require_native_hls(browser, site)
    del site.routes["/demo/hls.min.js"]
    site.routes[f"{EXCHANGE}/index.m3u8"] = exchange_refusal("expired", "The token has expired.")
    # When the page is opened with it
    page = browser.open(demo(site, src=f"{site.url}{EXCHANGE}/index.m3u8?token=viewer-jwt"))
    # Then the page asked the URL again itself and shows the refusal it read
    status = page.wait_for(lambda status: status.state == "refused")
    assert (status.engine, status.http_status, status.reason) == ("native", 403, "expired")
