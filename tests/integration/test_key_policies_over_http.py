"""Key policies and rotation through the runner over HTTP, with real tokens minted by `signing_keys_tools.tokens`
(the session runner reads keys on every verification: KeyCacheMillis=0, KeyLimit=10)."""

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
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from signing_keys_tools.tokens import sign
from tests.integration.conftest import ROTATION_RACE_WORKSPACES, Runner, bearer, call, counter

LIVEPEER, FASTPIX = "/access-control/signing-key", "/iam/signing-keys"
LIMIT = 10  # the session runner's KeyLimit


def json_body(body: dict[str, Any]) -> bytes:
    return json.dumps(body).encode()


def create(runner: Runner, workspace: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    status, _, reply = call(
        runner, "POST", LIVEPEER, authorization=bearer(workspace), body=None if body is None else json_body(body)
    )
    assert status == 200, reply
    key: dict[str, Any] = json.loads(reply)
    return key


def rotate(runner: Runner, workspace: str, key_id: str, body: dict[str, Any]) -> tuple[int, bytes]:
    path = f"{LIVEPEER}/{key_id}/rotate"
    status, _, reply = call(runner, "POST", path, authorization=bearer(workspace), body=json_body(body))
    return status, reply


def play(runner: Runner, workspace: str, key: dict[str, Any], media: str, lifetime: int = 600) -> int:
    token = sign(key["privateKey"], key["id"], media, lifetime)
    return call(runner, "GET", f"/workspaces/{workspace}/playback/{media}?token={token}")[0]


def listed(runner: Runner, workspace: str) -> dict[str, dict[str, Any]]:
    status, _, reply = call(runner, "GET", LIVEPEER, authorization=bearer(workspace))
    assert status == 200
    return {key["id"]: key for key in json.loads(reply)}


def jwks_kids(runner: Runner, workspace: str) -> set[str]:
    status, _, reply = call(runner, "GET", f"/workspaces/{workspace}/jwks.json")
    assert status == 200
    return {jwk["kid"] for jwk in json.loads(reply)["keys"]}


@pytest.mark.parametrize(
    ("media", "status"),
    [("intro", 200), ("intro2", 403), ("course-42-ep1", 200), ("course-42", 403), ("outro", 403)],
)
def test_a_scoped_key_opens_exact_ids_and_prefixes_only(runner: Runner, media: str, status: int) -> None:
    # Given a key scoped to the id `intro` and the prefix `course-42-`
    key = create(runner, "ws-scope", {"allowedMedia": ["intro", "course-42-*"]})
    # When a token it signed for the media is presented there
    # Then matching media play; `intro2` (an exact id is no prefix) and `course-42` do not: 403
    assert play(runner, "ws-scope", key, media) == status
    call(runner, "DELETE", f"{LIVEPEER}/{key['id']}", authorization=bearer("ws-scope"))


def test_a_key_refuses_tokens_living_longer_than_its_maximum(runner: Runner) -> None:
    # Given a key whose tokens may live at most 10 minutes (set by FastPix's PATCH)
    key = create(runner, "ws-lifetime")
    path = f"{FASTPIX}/{key['id']}"
    patched = call(
        runner, "PATCH", path, authorization=bearer("ws-lifetime"), body=json_body({"maxTokenLifetimeSeconds": 600})
    )
    assert patched[0] == 200, patched[2]
    # Then a 10-minute token plays, an hour-long one is refused as invalid (401)
    assert play(runner, "ws-lifetime", key, "movie-1", lifetime=600) == 200
    assert play(runner, "ws-lifetime", key, "movie-1", lifetime=3600) == 401


def test_an_expired_key_is_refused_leaves_the_jwks_and_still_counts(runner: Runner) -> None:
    # Given a key, rotated with no overlap: it expires at once
    old = create(runner, "ws-expiry")
    status, reply = rotate(runner, "ws-expiry", old["id"], {"overlapSeconds": 0})
    assert status == 200, reply
    successor = json.loads(reply)
    # Then its tokens are refused (403) while the successor's play
    assert play(runner, "ws-expiry", old, "movie-1") == 403
    assert play(runner, "ws-expiry", successor, "movie-1") == 200
    # And it is listed with its expiresAt, gone from the JWKS, and still counted until deleted
    keys = listed(runner, "ws-expiry")
    assert keys[old["id"]]["expiresAt"] <= int(time.time() * 1000)
    assert jwks_kids(runner, "ws-expiry") == {successor["id"]}
    assert counter(runner, "ws-expiry") == (2, 2)


def test_rotation_round_trip_both_keys_verify_during_the_overlap(runner: Runner, tmp_path: Path) -> None:
    # Given a key and a token it signed, minted by the CLI as in the README
    old = create(runner, "ws-rotate", {"name": "studio", "allowedMedia": ["movie-*"]})
    key_file = tmp_path / "old.b64"
    key_file.write_text(old["privateKey"])
    minted = subprocess.run(
        [sys.executable, "-m", "signing_keys_tools.tokens", "sign", "--key", str(key_file), "--kid", old["id"],
         "--media", "movie-42", "--lifetime", "600"],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    old_token = minted.stdout.strip()
    # When it is rotated with an hour of overlap
    before = int(time.time() * 1000)
    status, reply = rotate(runner, "ws-rotate", old["id"], {"overlapSeconds": 3600})
    assert status == 200, reply
    successor = json.loads(reply)
    # Then the successor is named and scoped like the old key, and tokens of both keys play during the overlap
    assert (successor["name"], successor["allowedMedia"]) == ("studio", ["movie-*"])
    assert call(runner, "GET", f"/workspaces/ws-rotate/playback/movie-42?token={old_token}")[0] == 200
    assert play(runner, "ws-rotate", successor, "movie-42") == 200
    assert jwks_kids(runner, "ws-rotate") == {old["id"], successor["id"]}
    # And the old key is shown expiring when the overlap ends
    assert before + 3_600_000 <= listed(runner, "ws-rotate")[old["id"]]["expiresAt"] <= before + 3_660_000


def test_a_successor_brought_as_a_public_key_verifies_its_owners_tokens(runner: Runner) -> None:
    # Given a key, and an Ed25519 key pair its owner made
    old = create(runner, "ws-byok")
    own = ed25519.Ed25519PrivateKey.generate()
    public_pem = own.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    # When the key is rotated to that public key
    status, reply = rotate(runner, "ws-byok", old["id"], {"publicKey": public_pem.decode(), "overlapSeconds": 60})
    assert status == 200, reply
    successor = json.loads(reply)
    # Then no private key came back, and tokens the owner signs with their own key play
    assert "privateKey" not in successor
    private_pem = own.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    assert play(runner, "ws-byok", {"id": successor["id"], "privateKey": private_pem}, "movie-1") == 200


@pytest.mark.parametrize("workspace", ROTATION_RACE_WORKSPACES)
def test_twenty_concurrent_rotations_at_one_below_the_limit_yield_exactly_one_successor(
    runner: Runner, workspace: str
) -> None:
    # Given a workspace one key below its limit
    keys = [create(runner, workspace) for _ in range(LIMIT - 1)]
    target = keys[0]["id"]
    # When 20 clients rotate the same key at the same moment
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(lambda _: rotate(runner, workspace, target, {"overlapSeconds": 600}), range(20)))
    elapsed = time.perf_counter() - started
    # Then exactly one succeeds and the other 19 meet the limit (403); the counter equals the keys: the limit
    statuses = Counter(status for status, _ in results)
    assert statuses == {200: 1, 403: 19}, [reply for status, reply in results if status not in {200, 403}][:3]
    assert counter(runner, workspace) == (LIMIT, LIMIT)
    successor = next(json.loads(reply)["id"] for status, reply in results if status == 200)
    assert set(listed(runner, workspace)) == {key["id"] for key in keys} | {successor}
    print(f"{workspace}: 20 concurrent rotations at {LIMIT - 1}/{LIMIT}: {dict(statuses)} in {elapsed:.2f} s")
