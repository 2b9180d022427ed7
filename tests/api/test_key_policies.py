"""Key policies through the gateway emulator: set on create and update in both dialects, shown by get and list in
each dialect's style, and every invalid field a 422 in the dialect's shape that names it, never echoes it and
changes nothing."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.support import LocalApi, Reply, basic, bearer

FASTPIX, LIVEPEER = "/iam/signing-keys", "/access-control/signing-key"
EXPIRES_AT_MILLIS = 4_102_444_800_000  # 2100-01-01T00:00:00Z
EXPIRES_AT_ISO = "2100-01-01T00:00:00.000Z"
SCOPE = ["intro", "course-42-*"]
CANARY = "CANARY-7d1e"


def livepeer_policy() -> dict[str, Any]:
    return {"expiresAt": EXPIRES_AT_MILLIS, "allowedMedia": SCOPE, "maxTokenLifetimeSeconds": 600}


def fastpix_policy() -> dict[str, Any]:
    return {"expiresAt": EXPIRES_AT_ISO, "allowedMedia": SCOPE, "maxTokenLifetimeSeconds": 600}


@dataclass
class Workspace:
    api: LocalApi
    fastpix: str  # Authorization header values of one credential
    livepeer: str

    def create(self, dialect: str, body: dict[str, Any] | None = None) -> str:
        if dialect == "fastpix":
            reply = self.api.request("POST", FASTPIX, authorization=self.fastpix, body=body)
            assert reply.status == 201, reply.body
            return str(reply.json()["data"]["id"])
        reply = self.api.request("POST", LIVEPEER, authorization=self.livepeer, body=body)
        assert reply.status == 200, reply.body
        return str(reply.json()["id"])

    def livepeer_key(self, key_id: str) -> dict[str, Any]:
        reply = self.api.request("GET", f"{LIVEPEER}/{key_id}", authorization=self.livepeer)
        assert reply.status == 200
        key: dict[str, Any] = reply.json()
        return key

    def fastpix_key(self, key_id: str) -> dict[str, Any]:
        reply = self.api.request("GET", f"{FASTPIX}/{key_id}", authorization=self.fastpix)
        assert reply.status == 200
        key: dict[str, Any] = reply.json()["data"]
        return key

    def patch(self, dialect: str, key_id: str, body: dict[str, Any] | bytes) -> Reply:
        if dialect == "fastpix":
            return self.api.request("PATCH", f"{FASTPIX}/{key_id}", authorization=self.fastpix, body=body)
        return self.api.request("PATCH", f"{LIVEPEER}/{key_id}", authorization=self.livepeer, body=body)


@pytest.fixture
def workspace(api: LocalApi) -> Workspace:
    credential = api.credential("ws-a")
    return Workspace(api, basic(credential), bearer(credential))


def policy_of(shown: dict[str, Any]) -> dict[str, Any]:
    return {name: shown[name] for name in ("expiresAt", "allowedMedia", "maxTokenLifetimeSeconds") if name in shown}


# -- set and shown --------------------------------------------------------------------------------------------
def test_a_livepeer_key_created_with_a_policy_shows_it_in_both_dialects(workspace: Workspace) -> None:
    # Given a key created through Livepeer with every policy field
    key_id = workspace.create("livepeer", {"name": "trailer", **livepeer_policy()})
    # Then Livepeer shows the policy in epoch ms, FastPix in ISO-8601, on get and in each list
    assert policy_of(workspace.livepeer_key(key_id)) == livepeer_policy()
    assert policy_of(workspace.fastpix_key(key_id)) == fastpix_policy()
    (listed,) = workspace.api.request("GET", LIVEPEER, authorization=workspace.livepeer).json()
    assert policy_of(listed) == livepeer_policy()
    (paged,) = workspace.api.request("GET", FASTPIX, authorization=workspace.fastpix).json()["data"]
    assert policy_of(paged) == fastpix_policy()


def test_a_fastpix_key_created_with_a_policy_shows_it_in_the_create_answer(workspace: Workspace) -> None:
    reply = workspace.api.request("POST", FASTPIX, authorization=workspace.fastpix, body=fastpix_policy())
    assert reply.status == 201, reply.body
    data = reply.json()["data"]
    assert policy_of(data) == fastpix_policy()
    assert policy_of(workspace.livepeer_key(data["id"])) == livepeer_policy()


def test_a_key_without_a_policy_shows_no_policy_fields(workspace: Workspace) -> None:
    key_id = workspace.create("livepeer")
    assert policy_of(workspace.livepeer_key(key_id)) == policy_of(workspace.fastpix_key(key_id)) == {}


def test_the_fastpix_patch_answers_the_key_as_get_shows_it(workspace: Workspace) -> None:
    # Given a key without a policy
    key_id = workspace.create("fastpix")
    # When FastPix's PATCH gives it one
    reply = workspace.patch("fastpix", key_id, fastpix_policy())
    # Then it answers 200 with the get shape, policy included, and get agrees
    assert reply.status == 200, reply.body
    assert reply.json() == {"success": True, "data": workspace.fastpix_key(key_id)}
    assert policy_of(reply.json()["data"]) == fastpix_policy()


@pytest.mark.parametrize("dialect", ["fastpix", "livepeer"])
def test_null_clears_a_policy_field_and_absent_ones_stay(workspace: Workspace, dialect: str) -> None:
    # Given a key with every policy field
    key_id = workspace.create("livepeer", livepeer_policy())
    # When an update clears the expiry and the scope, and says nothing of the lifetime
    reply = workspace.patch(dialect, key_id, {"expiresAt": None, "allowedMedia": None})
    # Then only the lifetime is left
    assert reply.status == (200 if dialect == "fastpix" else 204), reply.body
    assert policy_of(workspace.livepeer_key(key_id)) == {"maxTokenLifetimeSeconds": 600}


def test_a_livepeer_patch_sets_a_policy_with_a_rename(workspace: Workspace) -> None:
    key_id = workspace.create("livepeer", {"name": "before"})
    reply = workspace.patch("livepeer", key_id, {"name": "after", **livepeer_policy()})
    assert reply.status == 204, reply.body
    shown = workspace.livepeer_key(key_id)
    assert (shown["name"], policy_of(shown)) == ("after", livepeer_policy())


def test_numbers_sent_as_whole_floats_are_accepted(workspace: Workspace) -> None:
    # Given a client that types every number as a float (as JavaScript and some SDKs do)
    body = {"expiresAt": float(EXPIRES_AT_MILLIS), "maxTokenLifetimeSeconds": 600.0}
    key_id = workspace.create("livepeer", body)
    # Then they are stored as the whole numbers they are
    assert policy_of(workspace.livepeer_key(key_id)) == {"expiresAt": EXPIRES_AT_MILLIS, "maxTokenLifetimeSeconds": 600}


def test_an_iso_expiry_with_an_offset_is_shown_in_utc(workspace: Workspace) -> None:
    key_id = workspace.create("fastpix", {"expiresAt": "2100-01-01T02:00:00+02:00"})
    assert workspace.fastpix_key(key_id)["expiresAt"] == EXPIRES_AT_ISO


# -- invalid input: a 422 naming the field, never echoing it, nothing changed -------------------------------
def past_millis() -> int:
    return int(time.time() * 1000) - 1000


def past_iso() -> str:
    return datetime.fromtimestamp(time.time() - 1, UTC).isoformat()


COMMON_INVALID: dict[str, tuple[str, Any]] = {
    "no media": ("allowedMedia", []),
    "51 media": ("allowedMedia", [f"m{i}" for i in range(51)]),
    "a bare star": ("allowedMedia", ["*"]),
    "a star inside": ("allowedMedia", [f"{CANARY}*x"]),
    "a slash": ("allowedMedia", [f"{CANARY}/x"]),
    "a string, not a list": ("allowedMedia", CANARY),
    "a lifetime under a minute": ("maxTokenLifetimeSeconds", 59),
    "a lifetime over MaxTokenLifetimeSeconds": ("maxTokenLifetimeSeconds", 86_401),
    "a fractional lifetime": ("maxTokenLifetimeSeconds", 600.5),
    "a lifetime as a string": ("maxTokenLifetimeSeconds", CANARY),
}
LIVEPEER_INVALID: dict[str, tuple[str, Any]] = {
    **COMMON_INVALID,
    "an expiry in the past": ("expiresAt", "past"),
    "a fractional expiry": ("expiresAt", 4_102_444_800_000.5),
    "an ISO expiry": ("expiresAt", EXPIRES_AT_ISO),
}
FASTPIX_INVALID: dict[str, tuple[str, Any]] = {
    **COMMON_INVALID,
    "an expiry in the past": ("expiresAt", "past"),
    "an expiry without an offset": ("expiresAt", "2100-01-01T00:00:00"),
    "an expiry in epoch ms": ("expiresAt", EXPIRES_AT_MILLIS),
    "an expiry in words": ("expiresAt", CANARY),
}
CASES = [
    (dialect, operation, case)
    for dialect, invalid in (("livepeer", LIVEPEER_INVALID), ("fastpix", FASTPIX_INVALID))
    for operation in ("create", "update")
    for case in sorted(invalid)
]


def invalid_body(dialect: str, case: str) -> tuple[str, dict[str, Any]]:
    field, value = (LIVEPEER_INVALID if dialect == "livepeer" else FASTPIX_INVALID)[case]
    if value == "past":
        value = past_millis() if dialect == "livepeer" else past_iso()
    return field, {field: value}


def assert_names_the_field(dialect: str, reply: Reply, field: str) -> None:
    assert reply.status == 422, reply.body
    body = reply.json()
    if dialect == "livepeer":
        assert set(body) == {"errors"}
        assert [message.split(":")[0] for message in body["errors"]] == [field]
    else:
        assert (body["success"], body["error"]["code"]) == (False, 422)
        assert [entry["field"] for entry in body["error"]["fields"]] == [field]
    assert CANARY.encode() not in reply.body


@pytest.mark.parametrize(("dialect", "operation", "case"), CASES, ids=["-".join(case) for case in CASES])
def test_an_invalid_policy_field_is_a_422_naming_it(
    workspace: Workspace, dialect: str, operation: str, case: str
) -> None:
    # Given a body with one invalid policy field (for an update: to a key already holding a policy)
    field, body = invalid_body(dialect, case)
    existing = workspace.create("livepeer", livepeer_policy()) if operation == "update" else None
    items_before = workspace.api.key_items("ws-a")
    # When it is sent
    if existing is None:
        path = FASTPIX if dialect == "fastpix" else LIVEPEER
        authorization = workspace.fastpix if dialect == "fastpix" else workspace.livepeer
        reply = workspace.api.request("POST", path, authorization=authorization, body=body)
    else:
        reply = workspace.patch(dialect, existing, body)
    # Then it is a 422 in the dialect's shape naming that field alone, without the value, and nothing changed
    assert_names_the_field(dialect, reply, field)
    assert workspace.api.key_items("ws-a") == items_before
    assert workspace.api.key_count("ws-a") == len(items_before)


@pytest.mark.parametrize("dialect", ["fastpix", "livepeer"])
def test_an_empty_patch_is_a_422(workspace: Workspace, dialect: str) -> None:
    key_id = workspace.create("livepeer")
    reply = workspace.patch(dialect, key_id, {})
    assert_names_the_field(dialect, reply, "body")


@pytest.mark.parametrize("field", ["name", "disabled", "publicKey"])
def test_the_fastpix_patch_takes_only_policy_fields(workspace: Workspace, field: str) -> None:
    key_id = workspace.create("fastpix")
    reply = workspace.patch("fastpix", key_id, {field: "x"})
    assert_names_the_field("fastpix", reply, field)
