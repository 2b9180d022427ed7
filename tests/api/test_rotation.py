"""Rotation through the gateway emulator: each dialect's create shape for the successor, what it inherits, the
old key's expiry, bring-your-own-key successors, the key limit (403, nothing changed), other workspaces' keys
(404) and invalid bodies (422)."""

from __future__ import annotations

import base64
import time
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.api.conftest import ApiFactory
from tests.support import LocalApi, Reply, basic, bearer

FASTPIX, LIVEPEER = "/iam/signing-keys", "/access-control/signing-key"
POLICY = {"allowedMedia": ["intro", "course-42-*"], "maxTokenLifetimeSeconds": 600}


def create(api: LocalApi, authorization: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    reply = api.request("POST", LIVEPEER, authorization=authorization, body=body)
    assert reply.status == 200, reply.body
    key: dict[str, Any] = reply.json()
    return key


def rotate(api: LocalApi, dialect: str, authorization: str, key_id: str, body: Any = None) -> Reply:
    path = f"{FASTPIX if dialect == 'fastpix' else LIVEPEER}/{key_id}/rotate"
    return api.request("POST", path, authorization=authorization, body=body)


def get(api: LocalApi, authorization: str, key_id: str) -> dict[str, Any]:
    key: dict[str, Any] = api.request("GET", f"{LIVEPEER}/{key_id}", authorization=authorization).json()
    return key


def rsa_public_pem() -> str:
    public_key = rsa.generate_private_key(65537, 2048).public_key()
    return public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def test_livepeer_rotation_answers_the_successor_as_livepeer_creates_it(api: LocalApi) -> None:
    # Given a named, scoped key
    auth = bearer(api.credential("ws-a"))
    old = create(api, auth, {"name": "studio", "projectId": "p-1", **POLICY})
    # When it is rotated with a 5-minute overlap
    before = int(time.time() * 1000)
    reply = rotate(api, "livepeer", auth, old["id"], {"overlapSeconds": 300})
    after = int(time.time() * 1000)
    # Then the answer is Livepeer's create shape (200): a new key, its private key, the old key's name,
    # project and policy, and no expiry
    assert reply.status == 200, reply.body
    successor = reply.json()
    assert successor["id"] != old["id"] and successor["privateKey"]
    assert (successor["name"], successor["projectId"]) == ("studio", "p-1")
    assert {name: successor[name] for name in POLICY} == POLICY
    assert "expiresAt" not in successor
    # And the old key expires at the end of the overlap
    assert before + 300_000 <= get(api, auth, old["id"])["expiresAt"] <= after + 300_000


def test_fastpix_rotation_answers_201_in_fastpixs_create_shape_and_overlaps_an_hour(api: LocalApi) -> None:
    credential = api.credential("ws-a")
    old = create(api, bearer(credential), POLICY)
    before = int(time.time() * 1000)
    reply = rotate(api, "fastpix", basic(credential), old["id"])
    assert reply.status == 201, reply.body
    data = reply.json()["data"]
    assert set(data) == {"id", "createdAt", "privateKey", *POLICY}
    assert get(api, bearer(credential), old["id"])["expiresAt"] >= before + 3_600_000


def test_a_successor_brought_as_a_public_key_has_no_private_key_and_its_own_algorithm(api: LocalApi) -> None:
    # Given an ES256 key, and an RSA public key made elsewhere
    credential = api.credential("ws-a")
    old = create(api, bearer(credential))
    uploaded = rsa_public_pem()
    # When the key is rotated to it
    reply = rotate(api, "fastpix", basic(credential), old["id"], {"publicKey": uploaded, "overlapSeconds": 0})
    # Then the successor is that key, with no private key in the answer
    assert reply.status == 201, reply.body
    data = reply.json()["data"]
    assert "privateKey" not in data
    detail = api.request("GET", f"{FASTPIX}/{data['id']}", authorization=basic(credential)).json()["data"]
    assert base64.b64decode(detail["publicKey"]).decode() == uploaded
    jwks = api.request("GET", "/workspaces/ws-a/jwks.json").json()["keys"]
    # And the JWKS publishes it as RS256 while the old key, expired at once, has left it
    assert [(jwk["kid"], jwk["alg"]) for jwk in jwks] == [(data["id"], "RS256")]


@pytest.mark.parametrize("dialect", ["fastpix", "livepeer"])
def test_at_the_limit_rotation_is_403_and_nothing_changes(make_api: ApiFactory, dialect: str) -> None:
    # Given a workspace at its limit of 2
    api = make_api(KeyLimit="2")
    credential = api.credential("ws-a")
    old = create(api, bearer(credential), POLICY)
    create(api, bearer(credential))
    listed_before = api.request("GET", LIVEPEER, authorization=bearer(credential)).body
    items_before = api.key_items("ws-a")
    # When a key is rotated
    auth = basic(credential) if dialect == "fastpix" else bearer(credential)
    reply = rotate(api, dialect, auth, old["id"])
    # Then it is the key limit's 403 in the dialect's shape, and the counter, the old key and the list are unchanged
    assert reply.status == 403
    body = reply.json()
    if dialect == "livepeer":
        assert set(body) == {"errors"}
    else:
        assert (body["success"], body["error"]["code"]) == (False, 403)
    assert api.key_count("ws-a") == 2
    assert api.key_items("ws-a") == items_before
    assert api.request("GET", LIVEPEER, authorization=bearer(credential)).body == listed_before


def test_another_workspaces_key_is_404_and_nothing_changes_anywhere(api: LocalApi) -> None:
    theirs = create(api, bearer(api.credential("ws-b")))
    mine = api.credential("ws-a")
    items_before = api.key_items("ws-b")
    reply = rotate(api, "livepeer", bearer(mine), theirs["id"])
    assert (reply.status, reply.json()) == (404, {"errors": ["signing key not found"]})
    assert api.key_items("ws-b") == items_before
    assert (api.key_count("ws-a"), api.key_count("ws-b")) == (0, 1)


CANARY = "CANARY-51fa"
INVALID_BODIES: dict[str, tuple[dict[str, Any], str]] = {
    "a negative overlap": ({"overlapSeconds": -1}, "overlapSeconds"),
    "an overlap over a week": ({"overlapSeconds": 604_801}, "overlapSeconds"),
    "a fractional overlap": ({"overlapSeconds": 1.5}, "overlapSeconds"),
    "an overlap as a string": ({"overlapSeconds": CANARY}, "overlapSeconds"),
    "a public key that is none": ({"publicKey": CANARY}, "publicKey"),
    "a name": ({"name": CANARY}, "name"),
}


@pytest.mark.parametrize("dialect", ["fastpix", "livepeer"])
@pytest.mark.parametrize("case", sorted(INVALID_BODIES))
def test_an_invalid_rotation_body_is_a_422_naming_the_field(api: LocalApi, dialect: str, case: str) -> None:
    credential = api.credential("ws-a")
    old = create(api, bearer(credential))
    items_before = api.key_items("ws-a")
    body, field = INVALID_BODIES[case]
    auth = basic(credential) if dialect == "fastpix" else bearer(credential)
    reply = rotate(api, dialect, auth, old["id"], body)
    assert reply.status == 422, reply.body
    named = reply.json()["errors"] if dialect == "livepeer" else [f["field"] for f in reply.json()["error"]["fields"]]
    assert [entry.split(":")[0] for entry in named] == [field]
    assert CANARY.encode() not in reply.body
    assert api.key_items("ws-a") == items_before


def test_rotating_to_the_keys_own_public_key_is_a_422(api: LocalApi) -> None:
    credential = api.credential("ws-a")
    old = create(api, bearer(credential))
    own = base64.b64decode(old["publicKey"]).decode()
    reply = rotate(api, "livepeer", bearer(credential), old["id"], {"publicKey": own})
    assert reply.status == 422
    assert reply.json()["errors"][0].startswith("publicKey: ")
    assert api.key_count("ws-a") == 1
