"""FastPix dialect (/iam/signing-keys) through API Gateway semantics: routes, bodies and status codes."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.support import LocalApi, basic

KEYS = "/iam/signing-keys"


def create(api: LocalApi, authorization: str) -> dict[str, str]:
    reply = api.request("POST", KEYS, authorization=authorization)
    assert reply.status == 201, reply.body
    data: dict[str, str] = reply.json()["data"]
    return data


def test_create_returns_201_with_a_private_key_shown_once(api: LocalApi) -> None:
    # Given a workspace credential
    auth = basic(api.credential())
    # When a key is created without a body
    reply = api.request("POST", KEYS, authorization=auth)
    # Then it is 201 with the id, an ISO-8601 UTC creation time and a base64 PKCS#8 RSA-2048 private key
    assert reply.status == 201
    body = reply.json()
    assert body["success"] is True
    assert set(body["data"]) == {"id", "privateKey", "createdAt"}
    created_at = datetime.fromisoformat(body["data"]["createdAt"])
    assert created_at.utcoffset() == timedelta(0)
    assert abs(datetime.now(UTC) - created_at) < timedelta(minutes=1)
    pem = base64.b64decode(body["data"]["privateKey"])
    assert pem.startswith(b"-----BEGIN PRIVATE KEY-----")
    private_key = serialization.load_pem_private_key(pem, password=None)
    assert isinstance(private_key, rsa.RSAPrivateKey)
    assert private_key.key_size == 2048


def test_get_returns_the_public_half_of_the_created_key(api: LocalApi) -> None:
    # Given a created key
    auth = basic(api.credential("ws-a"))
    created = create(api, auth)
    # When it is read
    reply = api.request("GET", f"{KEYS}/{created['id']}", authorization=auth)
    # Then the base64 SPKI public key matches the private key returned at creation
    assert reply.status == 200
    data = reply.json()["data"]
    assert data["workspaceId"] == "ws-a"
    assert data["signingKeyId"] == created["id"]
    public_pem = base64.b64decode(data["publicKey"])
    assert public_pem.startswith(b"-----BEGIN PUBLIC KEY-----")
    private_key = serialization.load_pem_private_key(base64.b64decode(created["privateKey"]), password=None)
    expected = private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert public_pem == expected


def test_list_pages_with_a_one_based_offset(api: LocalApi) -> None:
    # Given three keys
    auth = basic(api.credential())
    ids = [create(api, auth)["id"] for _ in range(3)]
    # When listed two per page
    first = api.request("GET", KEYS, authorization=auth, query={"limit": "2", "offset": "1"}).json()
    second = api.request("GET", KEYS, authorization=auth, query={"limit": "2", "offset": "2"}).json()
    # Then the pages hold all three, oldest first, and the pagination counts them
    assert [k["id"] for k in first["data"] + second["data"]] == ids
    assert first["pagination"] == {"totalRecords": 3, "currentOffset": 1, "offsetCount": 2}
    assert second["pagination"] == {"totalRecords": 3, "currentOffset": 2, "offsetCount": 2}
    assert first["data"][0]["workspace"][0]["id"] == "ws-a"


def test_list_defaults_to_the_first_ten(api: LocalApi) -> None:
    auth = basic(api.credential())
    create(api, auth)
    reply = api.request("GET", KEYS, authorization=auth)
    assert reply.status == 200
    assert reply.json()["pagination"] == {"totalRecords": 1, "currentOffset": 1, "offsetCount": 1}


def test_list_accepts_integral_floats_as_the_sdk_types_them(api: LocalApi) -> None:
    auth = basic(api.credential())
    reply = api.request("GET", KEYS, authorization=auth, query={"limit": "10.0", "offset": "1.0"})
    assert reply.status == 200
    assert reply.json() == {
        "success": True,
        "data": [],
        "pagination": {"totalRecords": 0, "currentOffset": 1, "offsetCount": 0},
    }


@pytest.mark.parametrize(
    ("name", "value"),
    [("limit", "10.5"), ("limit", "0"), ("limit", "101"), ("limit", "ten"), ("offset", "0"), ("offset", "-1")],
)
def test_list_rejects_invalid_paging_with_422_naming_the_field(api: LocalApi, name: str, value: str) -> None:
    auth = basic(api.credential())
    reply = api.request("GET", KEYS, authorization=auth, query={name: value})
    assert reply.status == 422
    error = reply.json()["error"]
    assert reply.json()["success"] is False
    assert error["code"] == 422
    assert [f["field"] for f in error["fields"]] == [name]


def test_delete_returns_200_and_the_key_is_gone(api: LocalApi) -> None:
    auth = basic(api.credential())
    key_id = create(api, auth)["id"]
    reply = api.request("DELETE", f"{KEYS}/{key_id}", authorization=auth)
    assert reply.status == 200
    assert reply.json()["success"] is True
    assert isinstance(reply.json()["data"]["message"], str)
    assert api.request("GET", f"{KEYS}/{key_id}", authorization=auth).status == 404


def test_unknown_key_is_404_in_the_fastpix_shape(api: LocalApi) -> None:
    auth = basic(api.credential())
    reply = api.request("GET", f"{KEYS}/00000000-0000-8000-8000-000000000000", authorization=auth)
    assert reply.status == 404
    assert reply.json() == {"success": False, "error": {"code": 404, "message": "signing key not found"}}
