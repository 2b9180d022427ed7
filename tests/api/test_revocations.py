"""POST/GET/DELETE /revocations through the gateway emulator: bodies, statuses and shapes as the README's "Revoke a
token" section says; invalid input is a 4xx with both dialects' error fields, never a 500, and stores nothing."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from signing_keys.key_ids import revocation_id_for
from tests.support import LocalApi, Reply, basic, bearer

MISSING_OF_OUR_SHAPE = "00000000-0000-8000-8000-000000000000"


def revoke(api: LocalApi, body: Any, workspace: str = "ws-a", **headers: str) -> Reply:
    return api.request(
        "POST", "/revocations", authorization=basic(api.credential(workspace)), body=body, headers=headers
    )


def assert_union_error(reply: Reply, status: int) -> None:
    body = reply.json()
    assert reply.status == status, reply.body
    assert (body["success"], body["error"]["code"]) == (False, status)
    assert body["errors"]


@pytest.mark.parametrize(
    ("body", "revoked_type", "value"),
    [
        ({"jti": "token-1"}, "jti", "token-1"),
        ({"viewer": "viewer-7", "reason": "chargeback"}, "viewer", "viewer-7"),
        ({"issuedBefore": 1_700_000_000}, "issuedBefore", 1_700_000_000),
    ],
)
def test_each_kind_of_revocation_is_created(api: LocalApi, body: Any, revoked_type: str, value: str | int) -> None:
    # Given a revocation of one kind
    # When it is posted
    reply = revoke(api, body)
    # Then it is created, answered with its id, type, value, creation time and reason as given, and an expiry of
    # null: it stands until deleted
    assert reply.status == 201, reply.body
    entry = reply.json()
    assert (entry["id"], entry["type"], entry["value"]) == (
        revocation_id_for("ws-a", revoked_type, value),
        revoked_type,
        value,
    )
    assert entry.get("reason") == body.get("reason")
    assert entry["createdAt"] > 0
    assert entry["expiresAt"] is None


def test_the_same_revocation_again_is_200_with_the_standing_entry(api: LocalApi) -> None:
    first = revoke(api, {"jti": "token-1", "reason": "leaked"})
    again = revoke(api, {"jti": "token-1", "reason": "another reason"})
    assert (first.status, again.status) == (201, 200)
    assert again.json() == first.json()
    assert len([item for item in api.revocation_items() if item["SK"]["S"] == "REV"]) == 1


def test_an_issued_before_a_minute_ahead_is_accepted(api: LocalApi) -> None:
    # Room for the caller's clock (the boundary itself is tested on the service, with an injected clock)
    assert revoke(api, {"issuedBefore": int(time.time()) + 50}).status == 201


BAD_BODIES: dict[str, Any] = {
    "both jti and viewer": {"jti": "a", "viewer": "b"},
    "jti and issuedBefore": {"jti": "a", "issuedBefore": 1},
    "neither": {},
    "only a reason": {"reason": "why"},
    "a 257-character jti": {"jti": "j" * 257},
    "a 257-character viewer": {"viewer": "v" * 257},
    "a 257-character reason": {"jti": "a", "reason": "r" * 257},
    "an empty jti": {"jti": ""},
    "issuedBefore far in the future": {"issuedBefore": 4_102_444_800},
    "issuedBefore before the epoch": {"issuedBefore": -1},
    "issuedBefore as text": {"issuedBefore": "1700000000"},
    "issuedBefore with a fraction": {"issuedBefore": 1_700_000_000.5},
    "issuedBefore as a boolean": {"issuedBefore": True},
    "a huge issuedBefore": {"issuedBefore": 10**30},
    "jti as a number": {"jti": 42},
    "viewer as a list": {"viewer": ["a"]},
    "jti as null": {"jti": None},
    "reason as a number": {"jti": "a", "reason": 7},
    "an unknown field": {"jti": "a", "expiresAt": 1},
    "a lone surrogate": '{"jti": "\\ud800"}',
    "not JSON": "jti=token-1",
    "a JSON array": '[{"jti": "a"}]',
}


@pytest.mark.parametrize("kind", sorted(BAD_BODIES))
def test_invalid_input_is_422_and_stores_nothing(api: LocalApi, kind: str) -> None:
    # Given a body that is not exactly one valid revocation
    # When it is posted
    reply = revoke(api, BAD_BODIES[kind])
    # Then it is a 422 with both dialects' fields, never a 500, and nothing was stored
    assert_union_error(reply, 422)
    assert api.revocation_items() == []


def test_a_body_that_is_not_json_is_415_and_stores_nothing(api: LocalApi) -> None:
    reply = revoke(api, "jti=token-1", **{"Content-Type": "application/x-www-form-urlencoded"})
    assert_union_error(reply, 415)
    assert api.revocation_items() == []


def test_a_validation_error_names_the_field_without_echoing_it(api: LocalApi) -> None:
    reply = revoke(api, {"viewer": "secret-viewer-" + "v" * 250})
    assert_union_error(reply, 422)
    assert [field["field"] for field in reply.json()["error"]["fields"]] == ["viewer"]
    assert b"secret-viewer" not in reply.body


def test_a_page_shows_the_workspaces_revocations_newest_first(api: LocalApi) -> None:
    for n in range(3):
        assert revoke(api, {"jti": f"token-{n}"}).status == 201
    reply = api.request("GET", "/revocations", authorization=bearer(api.credential("ws-a")), query={"limit": "2"})
    assert reply.status == 200
    page = reply.json()
    assert len(page["revocations"]) == 2
    rest = api.request(
        "GET", "/revocations", authorization=bearer(api.credential("ws-a")), query={"cursor": page["nextCursor"]}
    ).json()
    values = [entry["value"] for entry in page["revocations"] + rest["revocations"]]
    assert sorted(values) == ["token-0", "token-1", "token-2"]
    assert rest["nextCursor"] is None


@pytest.mark.parametrize(
    "query",
    [{"limit": "0"}, {"limit": "1001"}, {"limit": "ten"}, {"cursor": "bm90IGEgY3Vyc29y"}, {"cursor": "c" * 129}],
)
def test_an_invalid_limit_or_cursor_is_422(api: LocalApi, query: dict[str, str]) -> None:
    reply = api.request("GET", "/revocations", authorization=basic(api.credential("ws-a")), query=query)
    assert_union_error(reply, 422)


def test_another_workspace_cannot_see_a_revocation(api: LocalApi) -> None:
    assert revoke(api, {"viewer": "viewer-7"}, workspace="ws-owner").status == 201
    listed = api.request("GET", "/revocations", authorization=basic(api.credential("ws-intruder"))).json()
    assert listed == {"revocations": [], "nextCursor": None}


def deleted(api: LocalApi, revocation_id: str, workspace: str = "ws-a") -> Reply:
    return api.request("DELETE", f"/revocations/{revocation_id}", authorization=basic(api.credential(workspace)))


def test_a_deleted_revocation_is_gone(api: LocalApi) -> None:
    entry = revoke(api, {"issuedBefore": 1_700_000_000}).json()
    reply = deleted(api, entry["id"])
    assert (reply.status, reply.body) == (204, b"")
    assert api.revocation_items() == []


def deleted_one(api: LocalApi) -> str:
    revocation_id: str = revoke(api, {"jti": "gone"}).json()["id"]
    assert deleted(api, revocation_id).status == 204
    return revocation_id


UNKNOWN_IDS: dict[str, Callable[[LocalApi], str]] = {
    "another shape": lambda api: "not-an-id",
    "1,000 characters": lambda api: "r" * 1000,
    "a UUIDv4": lambda api: "00000000-0000-4000-8000-000000000000",
    "another workspace's": lambda api: revoke(api, {"jti": "theirs"}, workspace="ws-owner").json()["id"],
    "a deleted one": deleted_one,
}


@pytest.mark.parametrize("kind", sorted(UNKNOWN_IDS))
def test_an_unknown_revocation_is_the_same_404_byte_for_byte(api: LocalApi, kind: str) -> None:
    # Given an id that names no revocation of the caller's workspace
    revocation_id = UNKNOWN_IDS[kind](api)
    # When it is deleted, and a missing id of our own shape too
    reply, reference = deleted(api, revocation_id), deleted(api, MISSING_OF_OUR_SHAPE)
    # Then both are the same 404, byte for byte
    assert_union_error(reference, 404)
    assert (reply.status, reply.body) == (reference.status, reference.body)


def test_another_workspace_cannot_delete_a_revocation(api: LocalApi) -> None:
    entry = revoke(api, {"jti": "token-1"}, workspace="ws-owner").json()
    assert deleted(api, entry["id"], workspace="ws-intruder").status == 404
    owner_view = api.request("GET", "/revocations", authorization=basic(api.credential("ws-owner"))).json()
    assert [listed["id"] for listed in owner_view["revocations"]] == [entry["id"]]
