"""The runner's own memory stays bounded under what a client controls: distinct credential spellings (the
authorizer cache), many slow clients with large bodies, and a client that never finishes its request."""

from __future__ import annotations

import base64
import itertools
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from signing_keys_local.gateway import AUTHORIZER_CACHE_MAX_ENTRIES
from tests.integration.conftest import Runner, call, runner_rss_bytes, start_runner

CACHE = ("ws-cache-bound", "tok-cache-bound", "secret-cache-bound-0123456789")
_, _, CACHE_SECRET = CACHE
SPELLINGS = 4000
MB = 2**20


def bearer_spellings(secret: str) -> Iterator[str]:
    """Distinct Authorization values the authorizer accepts as one credential: the scheme in any letter case,
    then one or more spaces (each value is an identity of its own to API Gateway's cache)."""
    for spaces in itertools.count(1):
        for case in itertools.product(*(("b", "B"), ("e", "E"), ("a", "A"), ("r", "R"), ("e", "E"), ("r", "R"))):
            yield "".join(case) + " " * spaces + secret


@pytest.fixture(scope="module")
def cache_runner() -> Iterator[Runner]:
    # DEBUG: the management authorizer logs "credential accepted" once per call, which is what these tests count.
    started = start_runner("--credential", ":".join(CACHE), "--no-throttle", "--parameter-overrides", "LogLevel=DEBUG")
    yield started
    assert started.stop() == 0


def authorizer_calls(runner: Runner, authorization: str, probe: str) -> int:
    """How many times the authorizer ran for one request (its log lines come before the runner's line for it)."""
    already = len(runner.lines)
    path = f"/iam/signing-keys/{probe}"
    assert call(runner, "GET", path, authorization=authorization)[0] == 404  # authorized; no such key
    runner.wait_for_line(lambda line: line.startswith(f"GET {path} 404 "), after=already)
    return sum("credential accepted" in line for line in runner.lines[already:])


def test_the_authorizer_cache_keeps_the_newest_identities_up_to_its_bound_and_memory_stays_flat(
    cache_runner: Runner,
) -> None:
    # Given as many spellings of one credential as the cache holds, each sent once (the cache is full)
    spellings = list(itertools.islice(bearer_spellings(CACHE_SECRET), SPELLINGS))

    def send(authorization: str) -> int:
        return call(cache_runner, "GET", "/audit-events?limit=1", authorization=authorization)[0]

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert set(pool.map(send, spellings[:AUTHORIZER_CACHE_MAX_ENTRIES])) == {200}
        full = runner_rss_bytes(cache_runner)
        # When the rest of the 4,000 spellings follow
        assert set(pool.map(send, spellings[AUTHORIZER_CACHE_MAX_ENTRIES:])) == {200}
    grown = runner_rss_bytes(cache_runner) - full
    # Then the oldest spelling still cached is the bound's worth back, and the one before it was evicted
    assert authorizer_calls(cache_runner, spellings[-AUTHORIZER_CACHE_MAX_ENTRIES], "still-cached") == 0
    assert authorizer_calls(cache_runner, spellings[-AUTHORIZER_CACHE_MAX_ENTRIES - 1], "evicted") == 1
    # And the runner did not grow with the 3,000 policies it did not keep (unbounded, they took ~11 MB)
    assert grown < 5 * MB, f"grew {grown / MB:.1f} MB"


def test_a_basic_credential_in_another_letter_case_is_one_more_identity(cache_runner: Runner) -> None:
    # Given a Basic credential whose policy is cached
    encoded = base64.b64encode(f"{CACHE[1]}:{CACHE_SECRET}".encode()).decode()
    assert authorizer_calls(cache_runner, f"Basic {encoded}", "basic-first") == 1
    assert authorizer_calls(cache_runner, f"Basic {encoded}", "basic-again") == 0
    # When the scheme is spelled in lower case, then it is a new identity: the authorizer runs for it
    assert authorizer_calls(cache_runner, f"basic {encoded}", "basic-lower") == 1
