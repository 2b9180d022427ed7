"""A real player through the runner's exchange and edge: the demo page (/demo, hls.js) in headless chromium plays
the bundled sample with a viewer's token, a revoked jti stops it (new segment requests refused at the edge within
the local bound), and a revoked token shows its reason on the page."""

from __future__ import annotations

import json
import time
from urllib.parse import quote

import pytest

from signing_keys_tools.tokens import sign
from tests.browser import INSTALL_TIMEOUT_SECONDS, Browser
from tests.integration.conftest import Runner, call

pytestmark = [
    pytest.mark.timeout(INSTALL_TIMEOUT_SECONDS + 120),  # the first test may install chromium
    pytest.mark.serial,  # a revocation measured against the local bound
]
WORKSPACE = "ws-edge-play"
LOCAL_BOUND_SECONDS = 2.0  # KeyCacheMillis (1 s, its default) + 1 s


def key(runner: Runner) -> dict[str, str]:
    status, _, body = call(runner, "POST", "/access-control/signing-key", authorization=f"Bearer secret-{WORKSPACE}")
    assert status == 200, body
    created: dict[str, str] = json.loads(body)
    return created


def demo_url(runner: Runner, token: str) -> str:
    return f"{runner.url}/demo?workspace={WORKSPACE}&media=sample&token={quote(token, safe='')}"


def revoke(runner: Runner, jti: str) -> None:
    body = json.dumps({"jti": jti}).encode()
    status, _, answer = call(runner, "POST", "/revocations", authorization=f"Bearer secret-{WORKSPACE}", body=body)
    assert status == 201, answer


def test_the_demo_page_plays_the_sample_through_exchange_and_edge_and_a_revoked_jti_stops_it(
    edge_runner: Runner, browser: Browser
) -> None:
    # Given a viewer's token for the sample, its jti known to the backend
    signing_key = key(edge_runner)
    token = sign(signing_key["privateKey"], signing_key["id"], "sample", 600, jti="viewer-session-1")
    # When the demo page plays it
    page = browser.open(demo_url(edge_runner, token))
    # Then the video's time advances: manifest and segments came through the exchange's redirect and the edge
    playing = page.wait_for(lambda status: status.current_time > 1.0)
    assert playing.state == "playing"
    # When the jti is revoked
    revoked_at = time.monotonic()
    revoke(edge_runner, "viewer-session-1")
    # Then the next segment request is refused at the edge, within the local bound, and the page says why
    refused = page.wait_for(lambda status: status.state == "refused", timeout=LOCAL_BOUND_SECONDS + 8)
    assert refused.http_status == 403
    assert refused.reason == "revoked"
    forbidden = [line for line in page.log() if line.startswith("403 GET segment_")]
    assert forbidden, page.log()
    # (the player fetches a segment every ~2 s: the refusal shows by the next fetch after the bound)
    assert time.monotonic() - revoked_at < LOCAL_BOUND_SECONDS + 4


def test_the_player_url_the_runner_prints_plays_the_sample(edge_runner: Runner, browser: Browser) -> None:
    # Given the URL the runner printed for the bundled sample (a token it minted for the dev workspace's key)
    line = edge_runner.wait_for_line(lambda text: "/demo?workspace=dev&media=sample&token=" in text)
    # When it is opened, Then the sample plays
    page = browser.open(line.strip())
    assert page.wait_for(lambda status: status.current_time > 1.0).state == "playing"


def test_a_revoked_token_shows_its_reason_on_the_page(edge_runner: Runner, browser: Browser) -> None:
    # Given a token whose jti is already revoked
    signing_key = key(edge_runner)
    token = sign(signing_key["privateKey"], signing_key["id"], "sample", 600, jti="viewer-session-2")
    revoke(edge_runner, "viewer-session-2")
    time.sleep(LOCAL_BOUND_SECONDS)
    # When the demo page tries to play it
    page = browser.open(demo_url(edge_runner, token))
    # Then the exchange's refusal and its reason are on the page
    status = page.wait_for(lambda status: status.state == "refused")
    assert (status.http_status, status.reason) == (403, "jti_revoked")
    assert "revoked" in status.message
