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
from signing_keys.models import Scope

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
    """Set by ManagementAuthorizer from the caller's credential: its workspace, its token id (the audit trail
    names it) and its scope (a read-scoped credential may not call routes that write)."""

    workspace_id: str
    token_id: str
    scope: Scope

    def encode(self) -> dict[str, ContextValue]:
        return {"workspaceId": self.workspace_id, "tokenId": self.token_id, "scope": self.scope.value}

    @classmethod
    def decode(cls, context: Mapping[str, Any]) -> ManagementContext:
        try:
            scope = Scope(_text(context, "scope"))
        except ValueError:
            raise Unauthenticated() from None
        return cls(workspace_id=_text(context, "workspaceId"), token_id=_text(context, "tokenId"), scope=scope)


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
