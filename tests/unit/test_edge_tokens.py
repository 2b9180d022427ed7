"""The reference edge tokens (signing_keys.edge_tokens): the contract's format and MAC, and what mint refuses."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import replace
from typing import Any

import pytest

from signing_keys.edge_tokens import EdgeSession, mint, parse

SECRET = "q3Zs8LwVb0NxEr5TyUi2OpAk7SdFg4HjK1lZxC9vBnM"
SESSION = EdgeSession(
    secret_id="9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d",
    key_id="5f2b7c1e-9a3d-8b4e-8c6f-1d2e3f4a5b6c",
    expires_at=1_893_554_045,
    started_at=1_893_553_385,
    issued_at=1_893_553_325,
    jti_revocation_id="2a4c6e8f-0b1d-8e3f-a5b7-c9d0e1f2a3b4",
    viewer_revocation_id="8e6c4a2f-1d3b-8f5e-b7a9-0c2e4a6c8e0f",
)
BARE = replace(SESSION, issued_at=None, jti_revocation_id=None, viewer_revocation_id=None)


def token(session: EdgeSession = SESSION, workspace: str = "acme", media: str = "clip-1") -> str:
    return mint(session, workspace_id=workspace, media_id=media, secret=SECRET)


def test_a_minted_token_parses_back_to_its_session() -> None:
    assert parse(token()) == SESSION


def test_a_session_without_iat_or_revocation_ids_leaves_those_fields_empty() -> None:
    fields = token(BARE).split(".")
    assert fields[5:8] == ["", "", ""]
    assert parse(token(BARE)) == BARE


def test_the_fields_are_in_the_contracts_order() -> None:
    fields = token().split(".")
    assert fields[:8] == [
        "e1",
        SESSION.secret_id,
        SESSION.key_id,
        "1893554045",
        "1893553385",
        "1893553325",
        SESSION.jti_revocation_id,
        SESSION.viewer_revocation_id,
    ]


def test_the_mac_is_hmac_sha256_of_version_workspace_media_and_the_signed_fields() -> None:
    minted = token()
    signed, _, mac = minted.rpartition(".")
    expected = hmac.new(SECRET.encode(), f"e1\nacme\nclip-1\n{signed}".encode(), hashlib.sha256).digest()
    assert mac == base64.urlsafe_b64encode(expected).decode().rstrip("=")


def test_the_mac_binds_the_workspace_and_the_media() -> None:
    macs = {
        token(workspace=ws, media=media).rpartition(".")[2] for ws, media in [("acme", "a"), ("acme", "b"), ("x", "a")]
    }
    assert len(macs) == 3


def test_a_token_is_url_safe_and_within_512_characters() -> None:
    minted = token(replace(SESSION, expires_at=999_999_999_999, started_at=999_999_999_999))
    assert re.fullmatch(r"[A-Za-z0-9_.-]{1,512}", minted)


@pytest.mark.parametrize(
    ("field", "changes"),
    [
        ("secret_id", {"secret_id": "9B1DEB4D-3B7D-4BAD-9BDD-2B0D7B3DCB6D"}),
        ("key_id", {"key_id": "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d"}),
        ("expires_at", {"expires_at": -1}),
        ("expires_at", {"expires_at": 1_000_000_000_000}),
        ("expires_at", {"expires_at": True}),
        ("started_at", {"started_at": 1.5}),
        ("issued_at", {"issued_at": -5}),
        ("jti_revocation_id", {"jti_revocation_id": ""}),
        ("viewer_revocation_id", {"viewer_revocation_id": "viewer-42"}),
    ],
)
def test_mint_refuses_a_session_field_the_function_would_refuse(field: str, changes: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=f"invalid {field}$"):
        token(replace(SESSION, **changes))


@pytest.mark.parametrize(
    ("field", "workspace", "media", "secret"),
    [
        ("workspace_id", ".acme", "clip-1", SECRET),
        ("workspace_id", "ac/me", "clip-1", SECRET),
        ("media_id", "acme", "..", SECRET),
        ("media_id", "acme", ".", SECRET),
        ("media_id", "acme", "a/b", SECRET),
        ("media_id", "acme", "clip%2F1", SECRET),
        ("secret", "acme", "clip-1", SECRET[:42]),
    ],
)
def test_mint_refuses_a_path_or_secret_the_function_would_refuse(
    field: str, workspace: str, media: str, secret: str
) -> None:
    with pytest.raises(ValueError, match=f"invalid {field}$") as refused:
        mint(SESSION, workspace_id=workspace, media_id=media, secret=secret)
    assert secret not in str(refused.value)


@pytest.mark.parametrize(
    "malformed",
    [
        "",
        "e1",
        token().rsplit(".", 1)[0],  # no MAC
        token() + ".x",
        "e2" + token()[2:],
        token().replace(".1893554045.", ".01893554045.", 1),
        token().replace(".1893554045.", ".-1.", 1),
        token()[:-1],  # a MAC one character short
        token() + "A" * 600,
        token().replace(SESSION.key_id, SESSION.secret_id, 1),
    ],
)
def test_parse_refuses_a_token_of_the_wrong_shape(malformed: str) -> None:
    assert parse(malformed) is None
