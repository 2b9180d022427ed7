"""The contract between each authorizer and the functions behind it: what goes into API Gateway's
`requestContext.authorizer`, and how a handler reads it back.

API Gateway accepts only strings, numbers and booleans as context values and hands them to the integration
as strings, so structured values travel as JSON text and numbers are parsed back. A context that does not
decode is treated as no authorization at all (401): it can only come from a misconfigured route.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from signing_keys.errors import Unauthenticated

ContextValue = str | int | bool


def _text(context: Mapping[str, Any], name: str) -> str:
    value = context.get(name)
    if not isinstance(value, str) or not value:
        raise Unauthenticated()
    return value


def _json(context: Mapping[str, Any], name: str) -> Any:
    try:
        return json.loads(_text(context, name))
    except ValueError:
        raise Unauthenticated() from None


def _integer(context: Mapping[str, Any], name: str) -> int:
    value = context.get(name)
    try:
        return int(str(value))
    except ValueError:
        raise Unauthenticated() from None


@dataclass(frozen=True, slots=True)
class ManagementContext:
    """Set by ManagementAuthorizer from the caller's credential.

    Room to grow: the credential's token id (for audit entries) and its scope (read-only credentials) join
    here as fields, each written by `encode` and read by `decode`, so no handler parses the context itself.
    """

    workspace_id: str

    def encode(self) -> dict[str, ContextValue]:
        return {"workspaceId": self.workspace_id}

    @classmethod
    def decode(cls, context: Mapping[str, Any]) -> ManagementContext:
        return cls(workspace_id=_text(context, "workspaceId"))


@dataclass(frozen=True, slots=True)
class PlaybackContext:
    """Set by PlaybackAuthorizer once a token verified for one workspace's media."""

    workspace_id: str
    key_id: str
    media_id: str
    sub: Any
    aud: Any
    groups: Any
    exp: int

    @classmethod
    def of_claims(cls, workspace_id: str, key_id: str, media_id: str, claims: Mapping[str, Any]) -> PlaybackContext:
        return cls(
            workspace_id=workspace_id,
            key_id=key_id,
            media_id=media_id,
            sub=claims.get("sub"),
            aud=claims.get("aud"),
            groups=claims.get("groups"),
            exp=int(claims["exp"]),
        )

    def encode(self) -> dict[str, ContextValue]:
        return {
            "workspaceId": self.workspace_id,
            "keyId": self.key_id,
            "mediaId": self.media_id,
            "sub": json.dumps(self.sub),
            "aud": json.dumps(self.aud),
            "groups": json.dumps(self.groups),
            "exp": self.exp,
        }

    @classmethod
    def decode(cls, context: Mapping[str, Any]) -> PlaybackContext:
        return cls(
            workspace_id=_text(context, "workspaceId"),
            key_id=_text(context, "keyId"),
            media_id=_text(context, "mediaId"),
            sub=_json(context, "sub"),
            aud=_json(context, "aud"),
            groups=_json(context, "groups"),
            exp=_integer(context, "exp"),
        )
