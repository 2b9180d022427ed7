"""FastPix dialect: /iam/signing-keys, RSA-2048 by default, `{"success":…,"data":…}` envelopes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response
from pydantic import BeforeValidator, ConfigDict, Field, StrictStr
from pydantic.config import JsonDict
from pydantic.json_schema import SkipJsonSchema

from signing_keys.dialects import (
    SHARED_TIME_UNITS,
    UPLOADED_PUBLIC_KEY,
    PolicyRequest,
    ShownAllowedMedia,
    ShownTokenLifetime,
    WireModel,
    examples,
    model_response,
    omitted_or_null,
    omitted_when_unset,
    pem_to_wire,
    shown_policy,
)
from signing_keys.errors import FieldError
from signing_keys.limits import MAX_PUBLIC_KEY_CHARS
from signing_keys.models import CreatedKey, KeyPage, SigningKey, iso8601, truncated_to_millis

WORKSPACE_TYPE = "production"
# "2026-11-25T12:00:00.123+00:00" is 29 characters; room for more fraction digits, not for a payload.
_MAX_TIMESTAMP_CHARS = 40


def _timestamp(value: Any) -> datetime:
    """An ISO-8601 date and time with an offset (`Z` or `±hh:mm`), as FastPix writes createdAt; kept to the
    millisecond when it becomes a policy. A time without an offset would mean whatever the server's zone is:
    refused."""
    if not isinstance(value, str) or len(value) > _MAX_TIMESTAMP_CHARS:
        raise ValueError("must be an ISO-8601 date and time with an offset, e.g. 2026-12-31T23:59:59.000Z")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError("must be an ISO-8601 date and time with an offset, e.g. 2026-12-31T23:59:59.000Z") from None
    if moment.tzinfo is None:
        raise ValueError("must name its offset from UTC (Z or +hh:mm)")
    return moment


ExpiresAtTimestamp = Annotated[datetime, BeforeValidator(_timestamp)]
TIME_UNITS = {**SHARED_TIME_UNITS, "expiresAt": "an ISO-8601 date and time"}
# No expiresAt: it must lie in the future, and an example that expires would stop working.
_POLICY_EXAMPLE: JsonDict = {
    "allowedMedia": examples.ALLOWED_MEDIA,
    "maxTokenLifetimeSeconds": examples.MAX_TOKEN_LIFETIME_SECONDS,
}


class FastPixPolicyRequest(PolicyRequest):
    expiresAt: ExpiresAtTimestamp | None = omitted_or_null(
        description=(
            "When the key stops verifying: an ISO-8601 date and time with an offset (`Z` or `+hh:mm`), in the "
            "future; null: never"
        ),
        examples=[examples.EXPIRES_AT_ISO],
    )

    @staticmethod
    def expiry_of(sent: Any) -> datetime:
        moment: datetime = sent
        return truncated_to_millis(moment)


class FastPixCreateKeyRequest(FastPixPolicyRequest):
    """Optional body: FastPix creates without one; `publicKey` registers the caller's own key; the policy fields
    are this API's own."""

    model_config = ConfigDict(json_schema_extra={"examples": [_POLICY_EXAMPLE]})
    publicKey: StrictStr | None = Field(
        default=None,
        max_length=MAX_PUBLIC_KEY_CHARS,
        description=UPLOADED_PUBLIC_KEY,
        examples=[examples.UPLOADED_PUBLIC_KEY],
    )


class FastPixUpdateKeyRequest(FastPixPolicyRequest):
    """PATCH body (beyond FastPix): an absent field is left unchanged, null clears it; at least one field."""

    model_config = ConfigDict(
        json_schema_extra={
            "minProperties": 1,
            "examples": [{"allowedMedia": examples.ALLOWED_MEDIA, "maxTokenLifetimeSeconds": None}],
        }
    )


_SUCCESS = "Always true on success"
_KEY_ID = "The key's id: what a token names in its `kid`"
_CREATED_AT = "When the key was created: ISO-8601, UTC, to the millisecond"


class FastPixKeyPolicy(WireModel):
    """The key's policy fields that are set, on every key FastPix-style bodies show (beyond FastPix)."""

    expiresAt: str | SkipJsonSchema[None] = omitted_when_unset(
        description="ISO-8601, UTC: from then on the key verifies nothing (it still counts toward the limit)",
        examples=[examples.EXPIRES_AT_ISO],
    )
    allowedMedia: ShownAllowedMedia
    maxTokenLifetimeSeconds: ShownTokenLifetime


class FastPixCreatedKey(FastPixKeyPolicy):
    """The key created (or a rotation's successor), with its private key this once."""

    id: str = Field(description=_KEY_ID, examples=[examples.KEY_ID])
    createdAt: str = Field(description=_CREATED_AT, examples=[examples.CREATED_AT_ISO])
    privateKey: str | SkipJsonSchema[None] = omitted_when_unset(
        description=(
            "Base64 of the PKCS#8 PEM: sign tokens with it. Shown this once and never stored; absent when you sent "
            "your own public key"
        ),
        examples=[examples.PRIVATE_KEY],
    )


class FastPixCreateKeyResponse(WireModel):
    """FastPix's envelope around the created key."""

    success: Literal[True] = Field(description=_SUCCESS)
    data: FastPixCreatedKey


class FastPixWorkspace(WireModel):
    """The workspace a key belongs to, as FastPix lists it."""

    id: str = Field(description="The workspace id", examples=[examples.WORKSPACE_ID])
    name: str = Field(
        description="The workspace id again: there is no directory of names", examples=[examples.WORKSPACE_ID]
    )
    workspaceType: str = Field(description=f"Always `{WORKSPACE_TYPE}`", examples=[WORKSPACE_TYPE])


class FastPixListedKey(FastPixKeyPolicy):
    """A key as FastPix lists it: never its private key, and its public key only from get."""

    id: str = Field(description=_KEY_ID, examples=[examples.KEY_ID])
    createdAt: str = Field(description=_CREATED_AT, examples=[examples.CREATED_AT_ISO])
    workspace: list[FastPixWorkspace] = Field(description="The key's workspace (one)")


class FastPixPagination(WireModel):
    """Where this page is among all of them."""

    totalRecords: int = Field(description="How many keys the workspace holds", examples=[3])
    currentOffset: int = Field(description="This page's number, from 1", examples=[1])
    offsetCount: int = Field(description="How many pages there are", examples=[1])


class FastPixListKeysResponse(WireModel):
    """One page of the workspace's keys, oldest first."""

    success: Literal[True] = Field(description=_SUCCESS)
    data: list[FastPixListedKey] = Field(description="The page's keys, oldest first")
    pagination: FastPixPagination


class FastPixKeyDetail(FastPixKeyPolicy):
    """A key's public key, and its policy fields that are set."""

    workspaceId: str = Field(description="The key's workspace", examples=[examples.WORKSPACE_ID])
    signingKeyId: str = Field(description=_KEY_ID, examples=[examples.KEY_ID])
    publicKey: str = Field(
        description="Base64 of the SPKI PEM: what verifies the key's tokens", examples=[examples.PUBLIC_KEY]
    )


class FastPixGetKeyResponse(WireModel):
    """FastPix's envelope around a key."""

    success: Literal[True] = Field(description=_SUCCESS)
    data: FastPixKeyDetail


class FastPixMessage(WireModel):
    """What was done, in words."""

    message: str = Field(description="A confirmation", examples=["Signing key deleted successfully"])


class FastPixDeleteKeyResponse(WireModel):
    """FastPix's confirmation of a delete."""

    success: Literal[True] = Field(description=_SUCCESS)
    data: FastPixMessage


class FastPixFieldError(WireModel):
    """One field that is wrong, and why (never its value)."""

    field: str = Field(description="The field, as the body or query names it", examples=["allowedMedia"])
    message: str = Field(
        description="What is wrong with it", examples=["List should have at least 1 item after validation, not 0"]
    )


class FastPixErrorDetail(WireModel):
    """The error: its status, what went wrong, and for invalid input the fields."""

    code: int = Field(description="The HTTP status", examples=[404])
    message: str = Field(
        description="What went wrong, in words (never echoing a secret)", examples=["signing key not found"]
    )
    fields: list[FastPixFieldError] | SkipJsonSchema[None] = omitted_when_unset(
        description="The fields at fault (422 only)"
    )


class FastPixError(WireModel):
    """A FastPix-style error. API Gateway's own answers (401, 429, ...) also carry Livepeer's `errors`: extra
    fields are allowed."""

    model_config = ConfigDict(extra="allow")
    success: Literal[False] = Field(description="Always false on an error")
    error: FastPixErrorDetail


def created(result: CreatedKey) -> Response[Any]:
    """A created key, or a rotated key's successor."""
    key = result.key
    private_key = None if result.private_key_pem is None else pem_to_wire(result.private_key_pem)
    data = FastPixCreatedKey(
        id=key.key_id, createdAt=iso8601(key.created_at), privateKey=private_key, **shown_policy(key.policy, iso8601)
    )
    return model_response(201, FastPixCreateKeyResponse(success=True, data=data))


def key_page(page: KeyPage) -> Response[Any]:
    listed = [
        FastPixListedKey(
            id=key.key_id,
            createdAt=iso8601(key.created_at),
            # We hold no workspace directory, so the id doubles as its name.
            workspace=[FastPixWorkspace(id=key.workspace_id, name=key.workspace_id, workspaceType=WORKSPACE_TYPE)],
            **shown_policy(key.policy, iso8601),
        )
        for key in page.keys
    ]
    pagination = FastPixPagination(totalRecords=page.total, currentOffset=page.page, offsetCount=page.page_count)
    return model_response(200, FastPixListKeysResponse(success=True, data=listed, pagination=pagination))


def key_detail(key: SigningKey) -> Response[Any]:
    detail = FastPixKeyDetail(
        workspaceId=key.workspace_id,
        signingKeyId=key.key_id,
        publicKey=pem_to_wire(key.public_key_pem),
        **shown_policy(key.policy, iso8601),
    )
    return model_response(200, FastPixGetKeyResponse(success=True, data=detail))


def deleted() -> Response[Any]:
    message = FastPixMessage(message="Signing key deleted successfully")
    return model_response(200, FastPixDeleteKeyResponse(success=True, data=message))


def error_detail(status: int, message: str, fields: list[FieldError]) -> FastPixErrorDetail:
    listed = [FastPixFieldError(field=f.field, message=f.message) for f in fields] or None
    return FastPixErrorDetail(code=status, message=message, fields=listed)


def error(status: int, message: str, fields: list[FieldError]) -> FastPixError:
    return FastPixError(success=False, error=error_detail(status, message, fields))
