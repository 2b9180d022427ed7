"""FastPix dialect: /iam/signing-keys, RSA-2048 by default, `{"success":…,"data":…}` envelopes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response
from pydantic import BeforeValidator, ConfigDict, Field, StrictStr
from pydantic.json_schema import SkipJsonSchema

from signing_keys.dialects import (
    PolicyRequest,
    ShownAllowedMedia,
    ShownTokenLifetime,
    WireModel,
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


ExpiresAtTimestamp = Annotated[
    datetime, BeforeValidator(_timestamp), Field(description="ISO-8601 with an offset; must be in the future")
]


class FastPixPolicyRequest(PolicyRequest):
    expiresAt: ExpiresAtTimestamp | None = omitted_or_null()

    @staticmethod
    def expiry_of(sent: Any) -> datetime:
        moment: datetime = sent
        return truncated_to_millis(moment)


class FastPixCreateKeyRequest(FastPixPolicyRequest):
    """Optional body: FastPix creates without one; `publicKey` registers the caller's own key; the policy fields
    are this API's own."""

    publicKey: StrictStr | None = Field(default=None, max_length=MAX_PUBLIC_KEY_CHARS)


class FastPixUpdateKeyRequest(FastPixPolicyRequest):
    """PATCH body (beyond FastPix): an absent field is left unchanged, null clears it."""

    model_config = ConfigDict(json_schema_extra={"minProperties": 1})


class FastPixKeyPolicy(WireModel):
    """The key's policy fields that are set, on every key FastPix-style bodies show (beyond FastPix)."""

    expiresAt: str | SkipJsonSchema[None] = omitted_when_unset(
        description="ISO-8601, UTC: from then on the key verifies nothing (it still counts toward the limit)"
    )
    allowedMedia: ShownAllowedMedia
    maxTokenLifetimeSeconds: ShownTokenLifetime


class FastPixCreatedKey(FastPixKeyPolicy):
    id: str
    createdAt: str = Field(description="ISO-8601, UTC")
    privateKey: str | SkipJsonSchema[None] = omitted_when_unset(
        description="base64 of the PKCS#8 PEM; shown this once, absent when you sent your own public key"
    )


class FastPixCreateKeyResponse(WireModel):
    success: Literal[True]
    data: FastPixCreatedKey


class FastPixWorkspace(WireModel):
    id: str
    name: str
    workspaceType: str


class FastPixListedKey(FastPixKeyPolicy):
    id: str
    createdAt: str
    workspace: list[FastPixWorkspace]


class FastPixPagination(WireModel):
    totalRecords: int
    currentOffset: int = Field(description="the page number, from 1")
    offsetCount: int = Field(description="how many pages there are")


class FastPixListKeysResponse(WireModel):
    success: Literal[True]
    data: list[FastPixListedKey]
    pagination: FastPixPagination


class FastPixKeyDetail(FastPixKeyPolicy):
    workspaceId: str
    signingKeyId: str
    publicKey: str = Field(description="base64 of the SPKI PEM")


class FastPixGetKeyResponse(WireModel):
    success: Literal[True]
    data: FastPixKeyDetail


class FastPixMessage(WireModel):
    message: str


class FastPixDeleteKeyResponse(WireModel):
    success: Literal[True]
    data: FastPixMessage


class FastPixFieldError(WireModel):
    field: str
    message: str


class FastPixErrorDetail(WireModel):
    code: int = Field(description="the HTTP status")
    message: str
    fields: list[FastPixFieldError] | SkipJsonSchema[None] = omitted_when_unset(description="422 only")


class FastPixError(WireModel):
    """API Gateway's own answers (401, 429, ...) also carry Livepeer's `errors`: extra fields are allowed."""

    model_config = ConfigDict(extra="allow")
    success: Literal[False]
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
