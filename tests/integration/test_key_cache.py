"""The key cache through the runner with default settings (KeyCacheMillis=1000): a disabled key, and a revoked
jti, are refused within KeyCacheMillis of the change, plus the one request in flight when the cached lookup
expired."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from signing_keys_tools.tokens import sign
from tests.integration.conftest import Runner, call, start_runner

# They time how late a change takes effect (about 1 s): alone on the machine, after the parallel run.
pytestmark = pytest.mark.serial

WORKSPACE, TOKEN_ID, SECRET = "ws-cache", "tok-cache", "secret-cache-0123456789"
KEY_CACHE_SECONDS = 1.0  # the template's default


@pytest.fixture(scope="module")
def default_runner() -> Iterator[Runner]:
    started = start_runner("--credential", f"{WORKSPACE}:{TOKEN_ID}:{SECRET}")
    yield started
    assert started.stop() == 0


@dataclass
class Refusal:
    status: int
    delay: float  # seconds from the change to the refusal's answer
    allowed_since: list[float]  # when each request still allowed after the change started, from the change
    slowest: float  # the slowest request's duration

    def assert_within_key_cache_millis(self) -> None:
        # Every allow started within KeyCacheMillis of the change (the cached lookup predates it), and the
        # refusal came within KeyCacheMillis plus the one request then in flight
        assert self.status == 403
        assert max(self.allowed_since, default=0.0) < KEY_CACHE_SECONDS
        assert self.delay <= KEY_CACHE_SECONDS + self.slowest

    def report(self, change: str) -> str:
        return (
            f"{change} → refused after {self.delay * 1000:.0f} ms ({len(self.allowed_since)} cached allows, "
            f"slowest request {self.slowest * 1000:.0f} ms)"
        )


def request_until_refused(runner: Runner, path: str, changed_at: float) -> Refusal:
    """A viewer requesting `path` again and again from `changed_at` until refused."""
    allowed_since: list[float] = []
    slowest = 0.0
    while True:
        started = time.monotonic()
        status = call(runner, "GET", path)[0]
        slowest = max(slowest, time.monotonic() - started)
        if status != 200:
            return Refusal(status, time.monotonic() - changed_at, allowed_since, slowest)
        allowed_since.append(started - changed_at)


def create_key(runner: Runner) -> dict[str, Any]:
    status, _, body = call(runner, "POST", "/access-control/signing-key", authorization=f"Bearer {SECRET}")
    assert status == 200
    key: dict[str, Any] = json.loads(body)
    return key


def test_a_disabled_key_is_refused_within_key_cache_millis(default_runner: Runner) -> None:
    # Given a key whose lookup a verification has just cached in the authorizer
    key = create_key(default_runner)
    playback = f"/workspaces/{WORKSPACE}/playback/movie-42?token={sign(key['privateKey'], key['id'], 'movie-42', 600)}"
    assert call(default_runner, "GET", playback)[0] == 200
    # When the key is disabled, and a viewer keeps requesting until refused
    disable = json.dumps({"disabled": True}).encode()
    path = f"/access-control/signing-key/{key['id']}"
    assert call(default_runner, "PATCH", path, authorization=f"Bearer {SECRET}", body=disable)[0] == 204
    refusal = request_until_refused(default_runner, playback, time.monotonic())
    # Then it is refused (403) within KeyCacheMillis
    refusal.assert_within_key_cache_millis()
    print(refusal.report("disable"))


def test_a_revoked_jti_is_refused_within_key_cache_millis(default_runner: Runner) -> None:
    # Given a token with a jti whose lookups (key and revocation) a verification has just cached
    key = create_key(default_runner)
    token = sign(key["privateKey"], key["id"], "movie-42", 600, jti="cached-token")
    playback = f"/workspaces/{WORKSPACE}/playback/movie-42?token={token}"
    assert call(default_runner, "GET", playback)[0] == 200
    # When its jti is revoked, and a viewer keeps requesting until refused
    revocation = json.dumps({"jti": "cached-token"}).encode()
    assert call(default_runner, "POST", "/revocations", authorization=f"Bearer {SECRET}", body=revocation)[0] == 201
    refusal = request_until_refused(default_runner, playback, time.monotonic())
    # Then it is refused (403) within KeyCacheMillis
    refusal.assert_within_key_cache_millis()
    print(refusal.report("revoke jti"))
