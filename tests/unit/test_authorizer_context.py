"""The authorizer → handler contract: what an authorizer encodes is what a handler decodes, through API
Gateway's stringification of context values; a context that does not decode is no authorization (401)."""

from __future__ import annotations

from typing import Any

import pytest

from signing_keys.authorizer_context import ManagementContext, PlaybackContext
from signing_keys.errors import Unauthenticated
from signing_keys.models import Scope

GRANT = PlaybackContext(
    workspace_id="ws-a", key_id="k-1", media_id="movie:42", sub="movie:42", aud=["media:movie:42"], groups=None, exp=99
)


def as_api_gateway_passes_it(context: dict[str, Any]) -> dict[str, str]:
    """REST APIs hand every context value to the integration as a string."""
    return {name: str(value) for name, value in context.items()}


@pytest.mark.parametrize("scope", list(Scope))
def test_management_context_round_trips(scope: Scope) -> None:
    granted = ManagementContext("ws-a", "tok-1", scope)
    encoded = granted.encode()
    assert encoded == {"workspaceId": "ws-a", "tokenId": "tok-1", "scope": scope.value}
    assert ManagementContext.decode(as_api_gateway_passes_it(encoded)) == granted


def test_playback_context_round_trips_structured_claims_as_json_text() -> None:
    encoded = GRANT.encode()
    assert all(isinstance(value, str | int) for value in encoded.values())
    assert PlaybackContext.decode(as_api_gateway_passes_it(encoded)) == GRANT


def test_playback_context_takes_what_it_needs_from_the_claims() -> None:
    claims = {"sub": "movie:42", "aud": ["media:movie:42"], "exp": 99, "iat": 1, "custom": "ignored"}
    assert PlaybackContext.of_claims("ws-a", "k-1", "movie:42", claims) == GRANT


COMPLETE = {"workspaceId": "ws-a", "tokenId": "tok-1", "scope": "write"}


@pytest.mark.parametrize(
    "context",
    [
        {},
        {**COMPLETE, "workspaceId": ""},
        {**COMPLETE, "workspaceId": 7},
        {"principalId": "ws-a", "tokenId": "tok-1", "scope": "write"},
        {"workspaceId": "ws-a", "scope": "write"},
        {**COMPLETE, "tokenId": ""},
        {"workspaceId": "ws-a", "tokenId": "tok-1"},
        {**COMPLETE, "scope": "admin"},
        {**COMPLETE, "scope": "WRITE"},
    ],
)
def test_a_management_context_without_workspace_token_id_or_known_scope_is_no_authorization(
    context: dict[str, Any],
) -> None:
    # Given a context the management authorizer would never write (a misconfigured route, say)
    # When a handler decodes it / Then it is no authorization at all, never a guessed scope
    with pytest.raises(Unauthenticated):
        ManagementContext.decode(context)


@pytest.mark.parametrize(
    "damage", [{"sub": "{not json"}, {"exp": "soon"}, {"exp": None}, {"keyId": ""}, {"mediaId": None}]
)
def test_a_garbled_playback_context_is_no_authorization(damage: dict[str, Any]) -> None:
    context = {**as_api_gateway_passes_it(GRANT.encode()), **damage}
    with pytest.raises(Unauthenticated):
        PlaybackContext.decode(context)
