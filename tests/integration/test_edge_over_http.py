"""The edge through the runner over HTTP, as a player and an attacker use it: `start-api --media-dir` serves the
exchange and `/m/...` on one port, the CloudFront Function checking every request under Node.js against the local
KeyValueStore that the stream function keeps in step with the table (KeyCacheMillis at its default: the local
revocation bound is KeyCacheMillis + 1 s)."""

from __future__ import annotations

import http.client
import json
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from signing_keys_tools.tokens import sign
from tests.hls_client import fetch_presentation
from tests.integration.conftest import SAMPLE, SECRET_BYTES, Runner, bearer, call, create_livepeer_key

pytestmark = pytest.mark.serial  # revocations measured against the local bound

LOCAL_BOUND_SECONDS = 1.0 + 1.0  # KeyCacheMillis (default 1000) + 1 s


_KEYS: dict[tuple[str, str], dict[str, Any]] = {}


def create_key(runner: Runner, workspace: str) -> dict[str, Any]:
    """The workspace's key for these tests (one each: the key limit is per workspace)."""
    if (runner.url, workspace) not in _KEYS:
        _KEYS[runner.url, workspace] = create_livepeer_key(runner, workspace)
    return _KEYS[runner.url, workspace]


def exchange(runner: Runner, workspace: str, token: str, path: str = "index.m3u8", media: str = "sample") -> Any:
    """The exchange's raw answer (redirects not followed)."""
    connection = http.client.HTTPConnection("127.0.0.1", urlsplit(runner.url).port, timeout=30)
    connection.request("GET", f"/workspaces/{workspace}/play/{media}/{path}?token={token}")
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


def raw_get(runner: Runner, path: str) -> tuple[int, bytes]:
    """A request line exactly as given: no client-side normalisation of `..`, `//` or escapes."""
    connection = http.client.HTTPConnection("127.0.0.1", urlsplit(runner.url).port, timeout=30)
    connection.putrequest("GET", path, skip_host=False, skip_accept_encoding=True)
    connection.endheaders()
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, body


def session(runner: Runner, workspace: str, **claims: Any) -> tuple[dict[str, Any], str, str]:
    """A key, a token for the sample, and the edge prefix the exchange redirected it to."""
    key = create_key(runner, workspace)
    token = sign(key["privateKey"], key["id"], "sample", 600, **claims)
    reply = exchange(runner, workspace, token)
    assert reply.status == 302, reply.status
    location = reply.getheader("Location")
    return key, token, location.rsplit("/", 1)[0]


def segment_status(runner: Runner, prefix: str, name: str = "segment_001.ts") -> int:
    return raw_get(runner, f"{prefix}/{name}")[0]


def refused_within(runner: Runner, prefix: str, bound: float) -> float:
    """Seconds until the edge refuses a segment of `prefix` (fails past `bound` + a second of grace)."""
    started = time.monotonic()
    while time.monotonic() - started < bound + 1.0:
        if segment_status(runner, prefix) == 403:
            return time.monotonic() - started
        time.sleep(0.05)
    raise AssertionError(f"still served after {bound + 1.0} s")


def test_a_cookie_less_client_gets_every_file_through_the_redirect(edge_runner: Runner) -> None:
    # Given a token for the sample, and a client with no cookies and no headers of its own (like AirPlay)
    key = create_key(edge_runner, "ws-edge")
    token = sign(key["privateKey"], key["id"], "sample", 600)
    # When it follows the exchange's redirect and fetches the playlist and everything it names
    fetched = fetch_presentation(f"{edge_runner.url}/workspaces/ws-edge/play/sample/index.m3u8?token={token}")
    # Then every file came from under the tokenized prefix, byte for byte the sample's
    by_name = {urlsplit(url).path.rsplit("/", 1)[1]: body for url, body in fetched.items()}
    assert set(by_name) == {path.name for path in SAMPLE.iterdir() if path.suffix == ".ts"} | {"index.m3u8"}
    assert all(by_name[name] == (SAMPLE / name).read_bytes() for name in by_name)
    assert all(urlsplit(url).path.startswith("/m/ws-edge/sample/e1.") for url in fetched)


def test_a_missing_file_under_a_valid_session_is_404(edge_runner: Runner) -> None:
    _, _, prefix = session(edge_runner, "ws-edge")
    assert segment_status(edge_runner, prefix, "segment_999.ts") == 404


@pytest.mark.parametrize(
    "make",
    [
        lambda key: ("sample", sign(key["privateKey"], key["id"], "another-media", 600), 403, "wrong_media"),
        lambda key: ("sample", "", 401, "missing_token"),
        lambda key: (
            "sample",
            sign(key["privateKey"], key["id"], "sample", 600, now=time.time() - 7200),
            401,
            "expired",
        ),
    ],
    ids=["another media", "no token", "expired"],
)
def test_the_exchange_refuses_with_the_playback_routes_reasons(edge_runner: Runner, make: Any) -> None:
    media, token, status, reason = make(create_key(edge_runner, "ws-edge"))
    reply = exchange(edge_runner, "ws-edge", token, media=media)
    assert (reply.status, reply.getheader("X-Refusal-Reason")) == (status, reason)


def test_another_workspaces_key_opens_nothing_at_the_exchange(edge_runner: Runner) -> None:
    theirs = create_key(edge_runner, "ws-edge-other")
    reply = exchange(edge_runner, "ws-edge", sign(theirs["privateKey"], theirs["id"], "sample", 600))
    assert (reply.status, reply.getheader("X-Refusal-Reason")) == (401, "unknown_key")


def test_a_tampered_edge_token_is_refused(edge_runner: Runner) -> None:
    _, _, prefix = session(edge_runner, "ws-edge")
    head, token = prefix.rsplit("/", 1)
    fields = token.split(".")
    fields[3] = str(int(fields[3]) + 3600)  # a longer session
    assert segment_status(edge_runner, f"{head}/{'.'.join(fields)}") == 403


def test_an_edge_token_moved_to_another_media_or_workspace_is_refused(edge_runner: Runner) -> None:
    _, _, prefix = session(edge_runner, "ws-edge")
    token = prefix.rsplit("/", 1)[1]
    assert raw_get(edge_runner, f"/m/ws-edge/private/{token}/index.m3u8")[0] == 403
    assert raw_get(edge_runner, f"/m/ws-edge-other/sample/{token}/index.m3u8")[0] == 403


def test_an_edge_session_ends_with_its_jwt(edge_runner: Runner) -> None:
    key = create_key(edge_runner, "ws-edge")
    token = sign(key["privateKey"], key["id"], "sample", 2)
    prefix = exchange(edge_runner, "ws-edge", token).getheader("Location").rsplit("/", 1)[0]
    assert segment_status(edge_runner, prefix) == 200
    time.sleep(2.5)
    assert segment_status(edge_runner, prefix) == 403


TRICKS = [
    "../private/index.m3u8",
    "..%2Fprivate%2Findex.m3u8",
    "%2e%2e/private/index.m3u8",
    "%2E%2E%2Fprivate%2Findex.m3u8",
    "..%5Cprivate%5Cindex.m3u8",
    "..\\private\\index.m3u8",
    "segment_001.ts/../../private/index.m3u8",
    "/private/index.m3u8",
    ".%2e/.%2e/outside.txt",
    "../../../outside.txt",
    "segment_001.ts%00",
    "index.m3u8/",
    ".",
]


@pytest.mark.parametrize("trick", TRICKS)
def test_no_path_trick_reaches_another_medias_bytes(edge_runner: Runner, trick: str) -> None:
    _, _, prefix = session(edge_runner, "ws-edge")
    status, body = raw_get(edge_runner, f"{prefix}/{trick}")
    assert status in {403, 404}
    assert SECRET_BYTES not in body


def test_disabling_the_key_ends_its_live_sessions_within_the_bound(edge_runner: Runner) -> None:
    key, _, prefix = session(edge_runner, "ws-edge-key")
    assert segment_status(edge_runner, prefix) == 200
    status, _, _ = call(
        edge_runner,
        "PATCH",
        f"/access-control/signing-key/{key['id']}",
        authorization=bearer("ws-edge-key"),
        body=json.dumps({"disabled": True}).encode(),
    )
    assert status == 204
    elapsed = refused_within(edge_runner, prefix, LOCAL_BOUND_SECONDS)
    print(f"refused at the edge {elapsed:.2f} s after the change")
    assert elapsed <= LOCAL_BOUND_SECONDS


@pytest.mark.parametrize(
    ("workspace", "claims", "revocation"),
    [
        ("ws-edge-revoke", {"jti": "order-9"}, {"jti": "order-9"}),
        ("ws-edge-viewer", {"viewer": "viewer-9"}, {"viewer": "viewer-9"}),
        ("ws-edge-cutoff", {}, None),
    ],
    ids=["jti", "viewer", "issuedBefore"],
)
def test_a_revocation_ends_the_live_sessions_it_covers_within_the_bound(
    edge_runner: Runner, workspace: str, claims: dict[str, Any], revocation: dict[str, Any] | None
) -> None:
    _, _, prefix = session(edge_runner, workspace, **claims)
    assert segment_status(edge_runner, prefix) == 200
    body = revocation if revocation is not None else {"issuedBefore": int(time.time()) + 1}
    status, _, _ = call(
        edge_runner, "POST", "/revocations", authorization=bearer(workspace), body=json.dumps(body).encode()
    )
    assert status == 201
    elapsed = refused_within(edge_runner, prefix, LOCAL_BOUND_SECONDS)
    print(f"refused at the edge {elapsed:.2f} s after the change")
    assert elapsed <= LOCAL_BOUND_SECONDS


def test_the_second_use_of_a_single_use_jwt_is_refused_while_the_first_session_plays(edge_runner: Runner) -> None:
    key = create_key(edge_runner, "ws-edge")
    token = sign(key["privateKey"], key["id"], "sample", 600, jti="once-edge", single_use=True)
    first = exchange(edge_runner, "ws-edge", token)
    assert first.status == 302
    second = exchange(edge_runner, "ws-edge", token)
    assert (second.status, second.getheader("X-Refusal-Reason")) == (403, "single_use_replayed")
    assert segment_status(edge_runner, first.getheader("Location").rsplit("/", 1)[0]) == 200


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_hundreds_of_concurrent_segment_requests_are_all_served_with_flat_memory(edge_runner: Runner) -> None:
    _, _, prefix = session(edge_runner, "ws-edge")
    names = [path.name for path in sorted(SAMPLE.glob("*.ts"))]

    def burst() -> Counter[int]:
        with ThreadPoolExecutor(max_workers=200) as pool:
            return Counter(pool.map(lambda n: segment_status(edge_runner, prefix, names[n % len(names)]), range(800)))

    assert burst() == {200: 800}
    settled = rss_kb(edge_runner.process.pid)
    assert burst() == {200: 800}
    assert burst() == {200: 800}
    # The runner's own memory after 1,600 more requests: within a few MB of where it settled
    assert rss_kb(edge_runner.process.pid) - settled < 20_000


def test_no_edge_token_or_secret_reaches_the_runners_output(edge_runner: Runner) -> None:
    _, token, prefix = session(edge_runner, "ws-edge")
    segment_status(edge_runner, prefix)
    edge_token = prefix.rsplit("/", 1)[1]
    output = edge_runner.output
    assert "/m/ws-edge/sample/<edge-token>/segment_001.ts" in output
    assert edge_token not in output
    assert edge_token.rsplit(".", 1)[1] not in output  # nor its MAC alone
    assert token not in output
