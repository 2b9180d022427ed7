"""The dialect renderers: domain objects in, each platform's bodies out (pure functions, no I/O)."""

from __future__ import annotations

import base64
import dataclasses
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from signing_keys.dialects import fastpix, livepeer, neutral
from signing_keys.models import Algorithm, CreatedKey, KeyPage, SigningKey

PUBLIC_PEM = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"
CREATED_AT = datetime(2026, 11, 25, 12, 0, 0, 123_000, tzinfo=UTC)
KEY = SigningKey(
    key_id="2f1c0a8e-0000-8000-8000-000000000001",
    workspace_id="ws-a",
    algorithm=Algorithm.ES256,
    public_key_pem=PUBLIC_PEM,
    created_at=CREATED_AT,
)


def wire(pem: str) -> str:
    return base64.b64encode(pem.encode()).decode()


def test_fastpix_create_is_201_with_the_private_key_once() -> None:
    response = fastpix.created(CreatedKey(KEY, private_key_pem="PRIVATE"))
    assert response.status_code == 201
    assert response.body == {
        "success": True,
        "data": {"id": KEY.key_id, "createdAt": "2026-11-25T12:00:00.123Z", "privateKey": wire("PRIVATE")},
    }


def test_a_registered_public_key_has_no_private_key_field() -> None:
    for response in (fastpix.created(CreatedKey(KEY, None)), livepeer.created(CreatedKey(KEY, None))):
        assert "privateKey" not in str(response.body)


def test_fastpix_pages_count_pages_from_one() -> None:
    response = fastpix.key_page(KeyPage(keys=[KEY], total=3, page=2, page_count=2))
    assert response.body["pagination"] == {"totalRecords": 3, "currentOffset": 2, "offsetCount": 2}
    assert response.body["data"] == [
        {
            "id": KEY.key_id,
            "createdAt": "2026-11-25T12:00:00.123Z",
            "workspace": [{"id": "ws-a", "name": "ws-a", "workspaceType": "production"}],
        }
    ]


def test_fastpix_detail_is_the_public_key_in_base64_pem() -> None:
    assert fastpix.key_detail(KEY).body == {
        "success": True,
        "data": {"workspaceId": "ws-a", "signingKeyId": KEY.key_id, "publicKey": wire(PUBLIC_PEM)},
    }


def test_livepeer_signing_key_leaves_out_what_is_unset() -> None:
    assert livepeer.key_detail(KEY).body == {
        "id": KEY.key_id,
        "name": "",
        "createdAt": 1_795_608_000_123,
        "publicKey": wire(PUBLIC_PEM),
        "disabled": False,
    }


def test_livepeer_signing_key_shows_what_is_set() -> None:
    seen = datetime(2026, 11, 25, 13, 0, tzinfo=UTC)
    key = dataclasses.replace(KEY, name="studio", project_id="p-1", last_seen=seen, disabled=True)
    body = livepeer.key_detail(key).body
    assert (body["name"], body["projectId"], body["lastSeen"], body["disabled"]) == (
        "studio",
        "p-1",
        1_795_611_600_000,
        True,
    )


def test_livepeer_create_is_200_and_list_is_a_bare_array() -> None:
    created = livepeer.created(CreatedKey(KEY, "PRIVATE"))
    assert (created.status_code, created.body["privateKey"]) == (200, wire("PRIVATE"))
    listed = livepeer.key_list([KEY, KEY])
    assert listed.body == [livepeer.key_detail(KEY).body] * 2


def test_playback_grant_keeps_claims_the_token_left_null() -> None:
    claims = {"sub": "m-1", "aud": None, "exp": 99}
    assert neutral.playback_grant("ws-a", KEY.key_id, "m-1", claims).body == {
        "mediaId": "m-1",
        "workspaceId": "ws-a",
        "keyId": KEY.key_id,
        "sub": "m-1",
        "aud": None,
        "groups": None,
        "exp": 99,
    }


def test_a_jwk_set_is_cacheable_for_the_configured_time() -> None:
    jwk = {"kty": "OKP", "crv": "Ed25519", "x": "AAAA", "kid": "k", "alg": "EdDSA", "use": "sig"}
    response = neutral.jwk_set({"keys": [jwk]}, max_age_seconds=60)
    assert response.body == {"keys": [jwk]}
    assert response.headers["Cache-Control"] == "public, max-age=60"


def test_a_jwk_carrying_private_material_is_never_published() -> None:
    leaked = {"kty": "OKP", "crv": "Ed25519", "x": "AAAA", "d": "SECRET", "kid": "k", "alg": "EdDSA", "use": "sig"}
    with pytest.raises(ValidationError):
        neutral.jwk_set({"keys": [leaked]}, max_age_seconds=60)
