"""Revocations through the runner over HTTP (KeyCacheMillis=0 here: a change shows on the very next request;
test_key_cache.py measures the default bound): each kind refuses its token and lets it verify again once deleted,
without touching another workspace; a single-use token verifies once however many ask at the same moment."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from signing_keys_tools.tokens import sign
from tests.integration.conftest import Runner, bearer, call, create_livepeer_key

MEDIA = "movie-42"
OTHER_WORKSPACE = "ws-rev-other"


def play(runner: Runner, workspace: str, token: str) -> int:
    return call(runner, "GET", f"/workspaces/{workspace}/playback/{MEDIA}?token={token}")[0]


def revoke(runner: Runner, workspace: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    status, _, reply = call(
        runner, "POST", "/revocations", authorization=bearer(workspace), body=json.dumps(body).encode()
    )
    return status, json.loads(reply)


def listed(runner: Runner, workspace: str) -> list[str]:
    status, _, body = call(runner, "GET", "/revocations", authorization=bearer(workspace))
    assert status == 200
    return [entry["id"] for entry in json.loads(body)["revocations"]]


def delete(runner: Runner, workspace: str, revocation_id: str) -> int:
    return call(runner, "DELETE", f"/revocations/{revocation_id}", authorization=bearer(workspace))[0]


REVOCATIONS = {
    "jti": lambda: {"jti": "token-1"},
    "viewer": lambda: {"viewer": "viewer-7"},
    # One second from now: every token minted so far was issued before it.
    "issuedBefore": lambda: {"issuedBefore": int(time.time()) + 1},
}


@pytest.mark.parametrize("kind", sorted(REVOCATIONS))
def test_a_revoked_token_is_refused_until_the_revocation_is_deleted(runner: Runner, kind: str) -> None:
    # Given a token of a workspace that verifies, and one with the same claims in another workspace
    workspace = f"ws-rev-{kind}"
    key, other_key = create_livepeer_key(runner, workspace), create_livepeer_key(runner, OTHER_WORKSPACE)
    token = sign(key["privateKey"], key["id"], MEDIA, 600, jti="token-1", viewer="viewer-7")
    other_token = sign(other_key["privateKey"], other_key["id"], MEDIA, 600, jti="token-1", viewer="viewer-7")
    assert play(runner, workspace, token) == 200
    # When it is revoked
    status, entry = revoke(runner, workspace, REVOCATIONS[kind]())
    assert status == 201, entry
    # Then it is refused on the next request, while the other workspace neither sees, deletes nor feels it
    assert play(runner, workspace, token) == 403
    assert play(runner, OTHER_WORKSPACE, other_token) == 200
    assert entry["id"] not in listed(runner, OTHER_WORKSPACE)
    assert delete(runner, OTHER_WORKSPACE, entry["id"]) == 404
    assert play(runner, workspace, token) == 403
    # And once the owner deletes the revocation, the token verifies again
    assert entry["id"] in listed(runner, workspace)
    assert delete(runner, workspace, entry["id"]) == 204
    assert play(runner, workspace, token) == 200


def test_twenty_concurrent_verifications_of_a_single_use_token_allow_exactly_one(runner: Runner) -> None:
    # Given a single-use token
    workspace = "ws-rev-once"
    key = create_livepeer_key(runner, workspace)
    token = sign(key["privateKey"], key["id"], MEDIA, 600, jti="once-only", single_use=True)
    # When twenty viewers present it at the same moment
    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(lambda _: play(runner, workspace, token), range(20)))
    # Then exactly one plays, and every other is refused as a replay
    errors = [line for line in runner.lines if "unhandled error" in line]
    assert Counter(statuses) == {200: 1, 403: 19}, errors[-3:]


def test_the_readme_revoke_a_token_round_trip(runner: Runner, tmp_path: Path) -> None:
    # Given a key, and a token minted by the helper with a jti, as the README does it
    workspace = "ws-rev-jti"
    key = create_livepeer_key(runner, workspace)
    key_file = tmp_path / "key.b64"
    key_file.write_text(key["privateKey"])
    helper = [sys.executable, "-m", "signing_keys_tools.tokens", "sign", "--key", str(key_file)]
    minted = subprocess.run(
        [*helper, "--kid", key["id"], "--media", MEDIA, "--lifetime", "600", "--jti", "order-1234"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    token = minted.stdout.strip()
    assert play(runner, workspace, token) == 200
    # When its jti is revoked (twice: the second answer is the same entry) and then the revocation deleted
    first_status, entry = revoke(runner, workspace, {"jti": "order-1234", "reason": "leaked"})
    again_status, again = revoke(runner, workspace, {"jti": "order-1234"})
    refused = play(runner, workspace, token)
    deleted = delete(runner, workspace, entry["id"])
    # Then: created, then the same entry; refused; deleted; and it plays again
    assert (first_status, again_status, again) == (201, 200, entry)
    assert (refused, deleted, play(runner, workspace, token)) == (403, 204, 200)
    assert token not in runner.output
