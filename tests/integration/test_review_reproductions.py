"""The last review's reproductions, through the runner over HTTP: a revoked advance ticket stays revoked (its
entry never expires), a legacy weak key never reaches the public JWKS, and a single-use token presented at a
non-canonical spelling of its URL is spent only by the request it opens (never spent and then denied)."""

from __future__ import annotations

import json
import time

import boto3
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from signing_keys import audit
from signing_keys.key_ids import key_id_for_pem
from signing_keys.models import Actor, Algorithm, AuditAction, SigningKey, utc_now
from signing_keys.store.keys import KeyRepository
from signing_keys.store.table import Table
from signing_keys_tools.tokens import sign
from tests.integration.conftest import Runner, bearer, call, create_livepeer_key, embedded_endpoint

TABLE = "signing-keys-local-KeysTable"


def store_unchecked_key(runner: Runner, workspace: str, pem: str, algorithm: Algorithm) -> str:
    """Write a key item the way the table could hold one from before uploads were checked."""
    client = boto3.client("dynamodb", endpoint_url=embedded_endpoint(runner), region_name="us-east-1")
    key_id = key_id_for_pem(workspace, pem)
    assert key_id is not None
    change = audit.permitted_change(Actor.operator(workspace), AuditAction.KEY_CREATE, retention_days=1, key_id=key_id)
    KeyRepository(Table(client, TABLE)).add_key(SigningKey(key_id, workspace, algorithm, pem, utc_now()), 10, change)
    return key_id


def test_a_legacy_key_with_exponent_3_is_left_out_of_the_public_jwks(runner: Runner) -> None:
    # Given a workspace with a sound key and a legacy RSA key with e = 3 stored before uploads were checked
    workspace = "ws-review-jwks"
    sound = create_livepeer_key(runner, workspace)
    modulus = rsa.generate_private_key(65537, 2048).public_key().public_numbers().n
    weak_pem = (
        rsa.RSAPublicNumbers(3, modulus)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    weak_id = store_unchecked_key(runner, workspace, weak_pem, Algorithm.RS256)
    # When a partner reads the workspace's JWKS
    status, _, body = call(runner, "GET", f"/workspaces/{workspace}/jwks.json")
    # Then only the sound key is published: a partner verifying from it never accepts what e = 3 lets anyone forge
    assert status == 200
    assert [key["kid"] for key in json.loads(body)["keys"]] == [sound["id"]]
    assert weak_id != sound["id"]


@pytest.mark.parametrize(
    ("workspace", "path"),
    [("ws-review-slash", "movie-42/"), ("ws-review-escape", "movie%2D42")],
    ids=["trailing slash", "escaped hyphen"],
)
def test_a_single_use_token_at_a_non_canonical_url_plays_once_then_is_refused(
    runner: Runner, workspace: str, path: str
) -> None:
    # Given a single-use token for movie-42
    key = create_livepeer_key(runner, workspace)
    token = sign(key["privateKey"], key["id"], "movie-42", 600, jti=f"once-{workspace}", single_use=True)
    # When it is presented at another spelling of its URL, twice
    first = call(runner, "GET", f"/workspaces/{workspace}/playback/{path}?token={token}")
    second = call(runner, "GET", f"/workspaces/{workspace}/playback/{path}?token={token}")
    # Then the request that spent it is the one that plays, and only the replay is refused
    assert first[0] == 200, first[2]
    assert json.loads(first[2])["mediaId"] == "movie-42"
    assert second[0] == 403


def test_a_revoked_advance_ticket_is_refused_and_its_revocation_never_expires(runner: Runner) -> None:
    # Given an advance ticket: issued 25 s ahead of now (within the clock skew), valid for an hour, and its jti revoked
    workspace = "ws-review-advance"
    key = create_livepeer_key(runner, workspace)
    token = sign(key["privateKey"], key["id"], "movie-42", 3600, now=time.time() + 25, jti="ticket-7")
    revoked = call(runner, "POST", "/revocations", authorization=bearer(workspace), body=b'{"jti": "ticket-7"}')
    assert revoked[0] == 201, revoked[2]
    # When it is presented
    status, _, body = call(runner, "GET", f"/workspaces/{workspace}/playback/movie-42?token={token}")
    # Then it is refused for its jti, and the revocation's item carries no expiry: no later moment lets it play
    assert (status, json.loads(body)["reason"]) == (403, "jti_revoked")
    client = boto3.client("dynamodb", endpoint_url=embedded_endpoint(runner), region_name="us-east-1")
    answer = json.loads(revoked[2])
    item = client.get_item(TableName=TABLE, Key={"PK": {"S": f"REV#{answer['id']}"}, "SK": {"S": "REV"}})["Item"]
    assert "ttl" not in item
    assert answer["expiresAt"] is None
