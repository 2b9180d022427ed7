"""Livepeer dialect (/access-control/signing-key): bare signing-key objects, ms timestamps, {"errors":[…]}."""

from __future__ import annotations

import base64
import re
import time
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from signing_keys.key_ids import KEY_ID_PATTERN
from tests.api.conftest import ApiFactory
from tests.support import LocalApi, bearer

KEYS = "/access-control/signing-key"


def create(api: LocalApi, authorization: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    reply = api.request("POST", KEYS, authorization=authorization, body=body)
    assert reply.status == 200, reply.body
    created: dict[str, Any] = reply.json()
    return created


def test_create_returns_200_with_an_es256_key_pair(api: LocalApi) -> None:
    # Given a credential used as Bearer
    auth = bearer(api.credential("ws-a"))
    before = int(time.time() * 1000)
    # When a key is created without a body
    key = create(api, auth)
    # Then the signing-key object carries a P-256 private key once, and ms timestamps
    assert set(key) == {"id", "name", "createdAt", "publicKey", "disabled", "privateKey"}
    assert key["disabled"] is False
    assert before - 1000 <= key["createdAt"] <= int(time.time() * 1000) + 1000
    private_key = serialization.load_pem_private_key(base64.b64decode(key["privateKey"]), password=None)
    assert isinstance(private_key, ec.EllipticCurvePrivateKey)
    assert private_key.curve.name == "secp256r1"
    assert base64.b64decode(key["publicKey"]).startswith(b"-----BEGIN PUBLIC KEY-----")


def test_create_keeps_name_and_project(api: LocalApi) -> None:
    auth = bearer(api.credential())
    key = create(api, auth, {"name": "studio", "projectId": "proj-1"})
    fetched = api.request("GET", f"{KEYS}/{key['id']}", authorization=auth).json()
    assert (fetched["name"], fetched["projectId"]) == ("studio", "proj-1")
    assert "privateKey" not in fetched


def test_list_is_an_array_of_signing_key_objects(api: LocalApi) -> None:
    auth = bearer(api.credential())
    ids = [create(api, auth, {"name": f"k{i}"})["id"] for i in range(3)]
    reply = api.request("GET", KEYS, authorization=auth)
    assert reply.status == 200
    listed = reply.json()
    assert [k["id"] for k in listed] == ids
    assert all("privateKey" not in k for k in listed)


def test_update_renames_and_disables_with_204(api: LocalApi) -> None:
    auth = bearer(api.credential())
    key = create(api, auth, {"name": "before"})
    reply = api.request("PATCH", f"{KEYS}/{key['id']}", authorization=auth, body={"name": "after"})
    assert (reply.status, reply.body) == (204, b"")
    reply = api.request("PATCH", f"{KEYS}/{key['id']}", authorization=auth, body={"disabled": True})
    assert reply.status == 204
    fetched = api.request("GET", f"{KEYS}/{key['id']}", authorization=auth).json()
    assert (fetched["name"], fetched["disabled"]) == ("after", True)


def test_a_disabled_key_still_counts_toward_the_limit(make_api: ApiFactory) -> None:
    api = make_api(KeyLimit="1")
    auth = bearer(api.credential())
    key = create(api, auth)
    api.request("PATCH", f"{KEYS}/{key['id']}", authorization=auth, body={"disabled": True})
    reply = api.request("POST", KEYS, authorization=auth)
    assert reply.status == 403
    assert set(reply.json()) == {"errors"}


def test_delete_is_204_then_404(api: LocalApi) -> None:
    auth = bearer(api.credential())
    key = create(api, auth)
    assert api.request("DELETE", f"{KEYS}/{key['id']}", authorization=auth).status == 204
    again = api.request("DELETE", f"{KEYS}/{key['id']}", authorization=auth)
    assert again.status == 404
    assert again.json() == {"errors": ["signing key not found"]}
    assert api.request("GET", f"{KEYS}/{key['id']}", authorization=auth).status == 404
    assert api.request("PATCH", f"{KEYS}/{key['id']}", authorization=auth, body={"name": "x"}).status == 404


def test_key_ids_have_the_documented_shape(api: LocalApi) -> None:
    key = create(api, bearer(api.credential()))
    assert re.fullmatch(KEY_ID_PATTERN, key["id"])
