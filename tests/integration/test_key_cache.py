"""The key cache through the runner with default settings (KeyCacheMillis=1000): a disabled key is refused
within KeyCacheMillis of the change, plus the one request in flight when the cached lookup expired."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest

from signing_keys_tools.tokens import sign
from tests.integration.conftest import Runner, call, start_runner

WORKSPACE, TOKEN_ID, SECRET = "ws-cache", "tok-cache", "secret-cache-0123456789"
KEY_CACHE_SECONDS = 1.0  # the template's default


@pytest.fixture(scope="module")
def default_runner() -> Iterator[Runner]:
    started = start_runner("--credential", f"{WORKSPACE}:{TOKEN_ID}:{SECRET}")
    yield started
    assert started.stop() == 0


def test_a_disabled_key_is_refused_within_key_cache_millis(default_runner: Runner) -> None:
    # Given a key whose lookup a verification has just cached in the authorizer
    bearer = f"Bearer {SECRET}"
    status, _, body = call(default_runner, "POST", "/access-control/signing-key", authorization=bearer)
    assert status == 200
    key = json.loads(body)
    playback = f"/workspaces/{WORKSPACE}/playback/movie-42?token={sign(key['privateKey'], key['id'], 'movie-42', 600)}"
    assert call(default_runner, "GET", playback)[0] == 200
    # When the key is disabled, and a viewer keeps requesting until refused
    disable = json.dumps({"disabled": True}).encode()
    path = f"/access-control/signing-key/{key['id']}"
    assert call(default_runner, "PATCH", path, authorization=bearer, body=disable)[0] == 204
    disabled_at = time.monotonic()
    allowed_since: list[float] = []
    slowest = 0.0
    while True:
        started = time.monotonic()
        status = call(default_runner, "GET", playback)[0]
        slowest = max(slowest, time.monotonic() - started)
        if status != 200:
            break
        allowed_since.append(started - disabled_at)
    delay = time.monotonic() - disabled_at
    # Then it is refused (403); every allow before started within KeyCacheMillis of the change (the cached
    # lookup predates it), and the refusal came within KeyCacheMillis plus the one request then in flight
    assert status == 403
    assert max(allowed_since, default=0.0) < KEY_CACHE_SECONDS
    assert delay <= KEY_CACHE_SECONDS + slowest
    print(
        f"disable → refused after {delay * 1000:.0f} ms ({len(allowed_since)} cached allows, slowest request "
        f"{slowest * 1000:.0f} ms)"
    )
