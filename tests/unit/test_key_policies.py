"""Key policies as pure code: media patterns and how they match, the dialects' request fields (validation and
what they become in the domain), and how each dialect shows a key's policy."""

from __future__ import annotations

import base64
import dataclasses
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from signing_keys.dialects import RotateKeyRequest, fastpix, livepeer
from signing_keys.limits import DEFAULT_ROTATION_OVERLAP_SECONDS, MAX_ALLOWED_MEDIA
from signing_keys.models import KEEP, Algorithm, CreatedKey, KeyPage, KeyPolicy, KeyUpdate, SigningKey
from signing_keys.patterns import is_media_pattern, media_allowed

EXPIRES_AT = datetime(2027, 1, 31, 23, 59, 59, 250_000, tzinfo=UTC)
EXPIRES_AT_MILLIS = 1_801_439_999_250
KEY = SigningKey(
    key_id="2f1c0a8e-0000-8000-8000-000000000001",
    workspace_id="ws-a",
    algorithm=Algorithm.ES256,
    public_key_pem="-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
    created_at=datetime(2026, 11, 25, 12, 0, tzinfo=UTC),
    policy=KeyPolicy(expires_at=EXPIRES_AT, allowed_media=("intro", "course-42-*"), max_token_lifetime_seconds=600),
)


# -- media patterns ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("pattern", ["intro", "course-42-*", "a*", "m:1.b_c-*", "x" * 128, "x" * 127 + "*"])
def test_a_media_id_or_a_prefix_with_one_trailing_star_is_a_pattern(pattern: str) -> None:
    assert is_media_pattern(pattern)


@pytest.mark.parametrize(
    "pattern",
    ["*", "", "a**", "a*b", "*a", "a/b", "a b", "é", "x" * 129, "x" * 128 + "*", "a?"],
    ids=["bare star", "empty", "two stars", "inner star", "leading star", "slash", "space", "non-ascii",
         "longer than a media id", "prefix as long as a media id", "question mark"],
)  # fmt: skip
def test_anything_else_is_not_a_pattern(pattern: str) -> None:
    assert not is_media_pattern(pattern)


@pytest.mark.parametrize(
    ("patterns", "media_id", "allowed"),
    [
        (["intro"], "intro", True),
        (["intro"], "intro2", False),  # an exact id never matches as a prefix
        (["intro"], "intr", False),
        (["course-42-*"], "course-42-ep1", True),
        (["course-42-*"], "course-42-", True),  # `*` stands for any rest, the empty one included
        (["course-42-*"], "course-42", False),
        (["course-42-*"], "course-4", False),
        (["course-42-*"], "xcourse-42-ep1", False),
        (["intro", "course-42-*"], "course-42-ep9", True),
        (["intro", "course-42-*"], "outro", False),
    ],
)
def test_media_matches_an_exact_id_or_a_prefix(patterns: list[str], media_id: str, allowed: bool) -> None:
    assert media_allowed(patterns, media_id) is allowed


# -- request fields ------------------------------------------------------------------------------------------
def invalid_fields(model: type[BaseModel], body: dict[str, Any]) -> list[tuple[str, ...]]:
    with pytest.raises(ValidationError) as refused:
        model.model_validate(body)
    return [tuple(str(part) for part in error["loc"] if not isinstance(part, int)) for error in refused.value.errors()]


POLICY_MODELS = [
    livepeer.LivepeerCreateKeyRequest,
    livepeer.LivepeerUpdateKeyRequest,
    fastpix.FastPixCreateKeyRequest,
    fastpix.FastPixUpdateKeyRequest,
]


@pytest.mark.parametrize("model", POLICY_MODELS, ids=lambda model: model.__name__)
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("allowedMedia", []),
        ("allowedMedia", ["m"] * (MAX_ALLOWED_MEDIA + 1)),
        ("allowedMedia", ["*"]),
        ("allowedMedia", ["ok", "a/b"]),
        ("allowedMedia", "intro"),
        ("allowedMedia", [5]),
        ("maxTokenLifetimeSeconds", 59),
        ("maxTokenLifetimeSeconds", 600.5),
        ("maxTokenLifetimeSeconds", "600"),
        ("maxTokenLifetimeSeconds", True),
        ("maxTokenLifetimeSeconds", float("inf")),
    ],
)
def test_an_invalid_policy_field_is_refused_by_name(model: type[BaseModel], field: str, value: Any) -> None:
    # Given a body with one invalid policy field, When it is validated, Then that field (and only it) is named
    assert {location[:1] for location in invalid_fields(model, {field: value})} == {(field,)}


@pytest.mark.parametrize("model", POLICY_MODELS, ids=lambda model: model.__name__)
def test_a_lifetime_sent_as_a_whole_float_is_a_whole_number(model: type[BaseModel]) -> None:
    # Given a client that sends every number as a float
    body = model.model_validate({"maxTokenLifetimeSeconds": 600.0})
    # Then 600.0 is taken as 600
    assert body.maxTokenLifetimeSeconds == 600
    assert type(body.maxTokenLifetimeSeconds) is int


@pytest.mark.parametrize("value", [1.5e12 + 0.5, "1801439999250", True, -1, 253_402_300_800_000])
@pytest.mark.parametrize("model", [livepeer.LivepeerCreateKeyRequest, livepeer.LivepeerUpdateKeyRequest])
def test_livepeer_expires_at_is_whole_epoch_milliseconds(model: type[BaseModel], value: Any) -> None:
    assert invalid_fields(model, {"expiresAt": value}) == [("expiresAt",)]


def test_livepeer_expires_at_becomes_the_policys_moment() -> None:
    # Given epoch milliseconds, sent as an integer or as a whole float
    for sent in (EXPIRES_AT_MILLIS, float(EXPIRES_AT_MILLIS)):
        body = livepeer.LivepeerCreateKeyRequest.model_validate({"expiresAt": sent})
        # Then the policy expires at that millisecond
        assert body.key_policy().expires_at == EXPIRES_AT


@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        ("2027-01-31T23:59:59.250Z", EXPIRES_AT),
        ("2027-02-01T01:59:59.250+02:00", EXPIRES_AT),
        ("2027-01-31T23:59:59.250999Z", EXPIRES_AT),  # kept to the millisecond, as DynamoDB stores it
    ],
)
def test_fastpix_expires_at_is_iso_8601_with_an_offset(sent: str, expected: datetime) -> None:
    body = fastpix.FastPixUpdateKeyRequest.model_validate({"expiresAt": sent})
    update = body.key_update()
    assert update.expires_at == expected
    assert update.expires_at.tzinfo is not None


@pytest.mark.parametrize(
    "sent",
    ["2027-01-31T23:59:59", "31/01/2027", "tomorrow", 1_801_439_999_250, "2027-01-31T23:59:59Z" + " " * 40],
    ids=["no offset", "not ISO", "words", "a number", "too long"],
)
@pytest.mark.parametrize("model", [fastpix.FastPixCreateKeyRequest, fastpix.FastPixUpdateKeyRequest])
def test_fastpix_expires_at_without_an_offset_or_not_iso_is_refused(model: type[BaseModel], sent: Any) -> None:
    assert invalid_fields(model, {"expiresAt": sent}) == [("expiresAt",)]


def test_a_validation_message_never_echoes_the_value() -> None:
    canary = "CANARY-9f2b"
    for body in ({"expiresAt": canary}, {"allowedMedia": [canary + "/x"]}, {"maxTokenLifetimeSeconds": canary}):
        with pytest.raises(ValidationError) as refused:
            fastpix.FastPixUpdateKeyRequest.model_validate(body)
        assert all(canary not in error["msg"] for error in refused.value.errors())


def test_an_update_keeps_what_is_absent_and_clears_what_is_null() -> None:
    # Given a Livepeer PATCH naming a lifetime, clearing the media scope and leaving the rest out
    body = livepeer.LivepeerUpdateKeyRequest.model_validate({"maxTokenLifetimeSeconds": 900, "allowedMedia": None})
    # When it becomes a domain update
    update = livepeer.key_update(body)
    # Then the lifetime is set, the scope cleared and everything else kept
    assert update == KeyUpdate(max_token_lifetime_seconds=900, allowed_media=None)
    assert (update.name, update.disabled, update.expires_at) == (KEEP, KEEP, KEEP)


def test_name_and_disabled_cannot_be_cleared_with_null() -> None:
    assert invalid_fields(livepeer.LivepeerUpdateKeyRequest, {"name": None}) == [("name",)]
    assert invalid_fields(livepeer.LivepeerUpdateKeyRequest, {"disabled": None}) == [("disabled",)]


def test_a_create_without_policy_fields_is_a_key_without_limits() -> None:
    assert livepeer.LivepeerCreateKeyRequest(name="n").key_policy() == KeyPolicy()
    assert fastpix.FastPixCreateKeyRequest().key_policy() == KeyPolicy()


def test_rotation_overlaps_an_hour_unless_told_otherwise() -> None:
    assert RotateKeyRequest().overlapSeconds == DEFAULT_ROTATION_OVERLAP_SECONDS == 3600
    assert RotateKeyRequest.model_validate({"overlapSeconds": 0.0}).overlapSeconds == 0


@pytest.mark.parametrize("overlap", [-1, 604_801, 1.5, "60", None, True])
def test_rotation_overlap_is_zero_to_a_week_in_whole_seconds(overlap: Any) -> None:
    assert invalid_fields(RotateKeyRequest, {"overlapSeconds": overlap}) == [("overlapSeconds",)]


def test_rotation_takes_nothing_but_overlap_and_public_key() -> None:
    assert invalid_fields(RotateKeyRequest, {"name": "renamed"}) == [("name",)]


# -- how each dialect shows a policy -------------------------------------------------------------------------
def wire(pem: str) -> str:
    return base64.b64encode(pem.encode()).decode()


def test_livepeer_shows_the_policy_in_epoch_milliseconds() -> None:
    body = livepeer.key_detail(KEY).body
    assert (body["expiresAt"], body["allowedMedia"], body["maxTokenLifetimeSeconds"]) == (
        EXPIRES_AT_MILLIS,
        ["intro", "course-42-*"],
        600,
    )


def test_fastpix_shows_the_policy_in_iso_8601_on_get_list_and_create() -> None:
    policy = {"expiresAt": "2027-01-31T23:59:59.250Z", "allowedMedia": ["intro", "course-42-*"],
              "maxTokenLifetimeSeconds": 600}  # fmt: skip
    assert fastpix.key_detail(KEY).body["data"] == {
        "workspaceId": "ws-a",
        "signingKeyId": KEY.key_id,
        "publicKey": wire(KEY.public_key_pem),
        **policy,
    }
    (listed,) = fastpix.key_page(KeyPage(keys=[KEY], total=1, page=1, page_count=1)).body["data"]
    assert {name: listed[name] for name in policy} == policy
    created = fastpix.created(CreatedKey(KEY, "PRIVATE")).body["data"]
    assert {name: created[name] for name in policy} == policy


def test_an_expiry_in_another_offset_is_shown_in_utc() -> None:
    east = datetime(2027, 2, 1, 1, 59, 59, 250_000, tzinfo=timezone(timedelta(hours=2)))
    key = dataclasses.replace(KEY, policy=KeyPolicy(expires_at=east))
    assert fastpix.key_detail(key).body["data"]["expiresAt"] == "2027-01-31T23:59:59.250Z"
