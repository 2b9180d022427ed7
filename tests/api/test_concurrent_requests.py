"""Concurrent requests through the in-process gateway never see each other's state (issue 19, finding 1).

All functions share this process and Powertools' per-request state (the resolver's current event is a class
attribute), so the in-process host runs one invocation at a time. Before, 600 reads alternating between two
workspaces with a short thread switch interval answered 11 with the other workspace's key, 14 spurious 404s
and 10 500s.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.support import LocalApi, basic, bearer

READS = 600


@pytest.fixture
def short_switch_interval() -> Iterator[None]:
    """Threads switch every microsecond instead of every 5 ms, so interleavings that can happen, do."""
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(previous)


def test_concurrent_reads_across_two_workspaces_each_get_their_own_key(
    api: LocalApi, short_switch_interval: None
) -> None:
    # Given one key in each of two workspaces
    credentials = {ws: api.credential(ws) for ws in ("ws-a", "ws-b")}
    keys = {
        ws: api.request("POST", "/access-control/signing-key", authorization=bearer(c)).json()["id"]
        for ws, c in credentials.items()
    }

    def read(index: int) -> tuple[str, int, str | None]:
        workspace = ("ws-a", "ws-b")[index % 2]
        if index % 4 < 2:
            reply = api.request(
                "GET", f"/iam/signing-keys/{keys[workspace]}", authorization=basic(credentials[workspace])
            )
            return workspace, reply.status, reply.json().get("data", {}).get("signingKeyId")
        reply = api.request(
            "GET", f"/access-control/signing-key/{keys[workspace]}", authorization=bearer(credentials[workspace])
        )
        return workspace, reply.status, reply.json().get("id")

    # When both workspaces read their key from 16 threads at once
    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(read, range(READS)))
    # Then every read succeeds with its own workspace's key: no leak, no spurious 404, no 5xx
    assert Counter(status for _, status, _ in answers) == {200: READS}
    assert [(ws, key) for ws, _, key in answers if key != keys[ws]] == []
