"""Hostile and malformed input: a clear 4xx in the dialect's shape, never a 500, nothing half-written."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support import LocalApi, basic

FASTPIX = "/iam/signing-keys"
LIVEPEER = "/access-control/signing-key"


def assert_fastpix_error(body: dict[str, Any], status: int) -> None:
    assert body["success"] is False
    assert body["error"]["code"] == status
    assert isinstance(body["error"]["message"], str)


def assert_livepeer_error(body: dict[str, Any]) -> None:
    assert set(body) == {"errors"}
    assert body["errors"]
    assert all(isinstance(e, str) for e in body["errors"])


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        (b"{not json", 422),
        (b"[]", 422),
        (b'"a string"', 422),
        (b'{"publicKey": 5}', 422),
        (b'{"unexpected": true}', 422),
        (b'{"publicKey": "not a key"}', 422),
    ],
)
def test_fastpix_create_rejects_bad_bodies(api: LocalApi, payload: bytes, status: int) -> None:
    auth = basic(api.credential("ws-a"))
    reply = api.request("POST", FASTPIX, authorization=auth, body=payload)
    assert reply.status == status, reply.body
    assert_fastpix_error(reply.json(), status)
    assert api.key_count("ws-a") == 0
    assert api.key_items("ws-a") == []


@pytest.mark.parametrize(
    "payload",
    [b"{not json", b'{"name": 5}', b'{"name": "a", "extra": 1}', b'{"projectId": []}', b'{"name": "x"' + b"}" * 3],
)
def test_livepeer_create_rejects_bad_bodies(api: LocalApi, payload: bytes) -> None:
    credential = api.credential("ws-a")
    reply = api.request("POST", LIVEPEER, authorization=f"Bearer {credential.secret}", body=payload)
    assert reply.status == 422, reply.body
    assert_livepeer_error(reply.json())
    assert api.key_count("ws-a") == 0


def test_validation_errors_never_echo_the_input(api: LocalApi) -> None:
    canary = "CANARY-" + "x" * 40
    auth = basic(api.credential())
    for body in ({"publicKey": 5, canary: canary}, {"publicKey": canary}):
        reply = api.request("POST", FASTPIX, authorization=auth, body=body)
        assert reply.status == 422
        assert canary.encode() not in reply.body


def test_form_encoded_body_is_415_without_echo(api: LocalApi) -> None:
    auth = basic(api.credential("ws-a"))
    reply = api.request(
        "POST",
        FASTPIX,
        authorization=auth,
        body=b"publicKey=secret-ish",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert reply.status == 415
    assert_fastpix_error(reply.json(), 415)
    assert b"secret-ish" not in reply.body


def test_huge_body_is_413(api: LocalApi) -> None:
    credential = api.credential("ws-a")
    body = json.dumps({"name": "n" * 100_000}).encode()
    reply = api.request("POST", LIVEPEER, authorization=f"Bearer {credential.secret}", body=body)
    assert reply.status == 413
    assert_livepeer_error(reply.json())
    assert api.key_count("ws-a") == 0


@pytest.mark.parametrize(
    "payload",
    [b"{}", b'{"name": null}', b'{"disabled": "yes"}', b'{"name": 7}', b'{"disabled": true, "other": 1}', b"nope"],
)
def test_livepeer_update_rejects_bad_bodies_and_changes_nothing(api: LocalApi, payload: bytes) -> None:
    credential = api.credential("ws-a")
    bearer = f"Bearer {credential.secret}"
    key = api.request("POST", LIVEPEER, authorization=bearer, body={"name": "original"}).json()
    reply = api.request("PATCH", f"{LIVEPEER}/{key['id']}", authorization=bearer, body=payload)
    assert reply.status == 422, reply.body
    assert_livepeer_error(reply.json())
    after = api.request("GET", f"{LIVEPEER}/{key['id']}", authorization=bearer).json()
    assert (after["name"], after["disabled"]) == ("original", False)


@pytest.mark.parametrize(("path", "status"), [(FASTPIX, 201), (LIVEPEER, 200)])
def test_empty_body_labelled_octet_stream_creates_a_key(api: LocalApi, path: str, status: int) -> None:
    # The livepeer SDK sends its body-less create as application/octet-stream.
    credential = api.credential("ws-a")
    reply = api.request(
        "POST", path, authorization=basic(credential), body=b"", headers={"Content-Type": "application/octet-stream"}
    )
    assert reply.status == status, reply.body
    assert api.key_count("ws-a") == 1


@pytest.mark.parametrize("payload", [b"[null, null]", b"[{}]", b"  [ ]"])
@pytest.mark.parametrize("path", [FASTPIX, LIVEPEER])
def test_an_array_body_is_422_and_creates_nothing(api: LocalApi, path: str, payload: bytes) -> None:
    credential = api.credential("ws-a")
    reply = api.request("POST", path, authorization=basic(credential), body=payload)
    assert reply.status == 422
    assert api.key_count("ws-a") == 0


@pytest.mark.parametrize("key_id", ["%00", "abc%0d%0aX-Injected:%201", "%E2%80%AE" * 10, "x" * 5000, "..%2F..%2F"])
def test_hostile_key_ids_are_4xx(api: LocalApi, key_id: str) -> None:
    credential = api.credential()
    for method, prefix in (("GET", FASTPIX), ("DELETE", LIVEPEER)):
        reply = api.request(method, f"{prefix}/{key_id}", authorization=basic(credential))
        assert 400 <= reply.status < 500, (method, key_id, reply.status)
        assert b"X-Injected" not in reply.body
