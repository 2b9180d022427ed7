"""The example values openapi.json shows (signing_keys.dialects.examples) are values this API hands out and reads:
ids of the shape it gives, the revocation of the example jti, a token that decodes to the claims it documents, and
an edge location the edge would parse."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

import pytest

from signing_keys import edge_tokens
from signing_keys.dialects import examples
from signing_keys.key_ids import revocation_id_for


def decoded(segment: str) -> Any:
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


@pytest.mark.parametrize("value", [examples.KEY_ID, examples.SUCCESSOR_KEY_ID, examples.REVOCATION_ID])
def test_the_example_ids_are_uuid_v8_as_this_api_lays_them_out(value: str) -> None:
    parsed = uuid.UUID(value)
    assert (str(parsed), parsed.version, parsed.variant) == (value, 8, uuid.RFC_4122)


def test_the_example_revocation_is_the_one_of_the_example_jti() -> None:
    assert revocation_id_for(examples.WORKSPACE_ID, "jti", examples.JTI) == examples.REVOCATION_ID


def test_the_example_token_names_the_example_key_media_and_claims() -> None:
    header, claims, _signature = (
        decoded(part) if index < 2 else part for index, part in enumerate(examples.PLAYBACK_TOKEN.split("."))
    )
    assert header == {"alg": "ES256", "kid": examples.KEY_ID, "typ": "JWT"}
    assert claims == {
        "sub": examples.MEDIA_ID,
        "aud": f"media:{examples.MEDIA_ID}",
        "iat": examples.TOKEN_ISSUED_AT,
        "exp": examples.TOKEN_EXPIRES_AT,
        "jti": examples.JTI,
        "viewer": examples.VIEWER,
    }


def test_the_example_edge_location_carries_the_example_session() -> None:
    prefix, workspace, media, token, *path = examples.EDGE_LOCATION.lstrip("/").split("/")
    session = edge_tokens.parse(token)
    assert (prefix, workspace, media, "/".join(path)) == (
        "m",
        examples.WORKSPACE_ID,
        examples.MEDIA_ID,
        examples.MEDIA_PATH,
    )
    assert session is not None
    assert (session.key_id, session.expires_at, session.jti_revocation_id) == (
        examples.KEY_ID,
        examples.TOKEN_EXPIRES_AT,
        examples.REVOCATION_ID,
    )


def test_no_example_is_key_material() -> None:
    for value in (examples.PRIVATE_KEY, examples.PUBLIC_KEY, examples.UPLOADED_PUBLIC_KEY):
        assert "LS0tLS1CRUdJTi" not in value and "-----BEGIN" not in value
