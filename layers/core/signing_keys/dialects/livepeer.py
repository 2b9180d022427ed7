"""Livepeer dialect: /access-control/signing-key, ECDSA P-256 by default, bare objects, `{"errors":[…]}`."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from pydantic import ConfigDict, Field, RootModel, StrictBool, StrictStr
from pydantic.json_schema import SkipJsonSchema

from signing_keys.dialects import (
    WHOLE_NUMBER,
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
from signing_keys.limits import LATEST_EPOCH_MILLIS, MAX_NAME_CHARS, MAX_PROJECT_ID_CHARS, MAX_PUBLIC_KEY_CHARS
from signing_keys.models import KEEP, CreatedKey, KeyUpdate, SigningKey, from_millis, to_millis

# Beyond the seed: when the key stops verifying, in epoch milliseconds like createdAt.
ExpiresAtMillis = Annotated[
    int, Field(ge=0, le=LATEST_EPOCH_MILLIS, description="epoch milliseconds; must be in the future"), WHOLE_NUMBER
]


class LivepeerPolicyRequest(PolicyRequest):
    expiresAt: ExpiresAtMillis | None = omitted_or_null()

    @staticmethod
    def expiry_of(sent: Any) -> datetime:
        return from_millis(sent)


class LivepeerCreateKeyRequest(LivepeerPolicyRequest):
    name: StrictStr | None = Field(default=None, max_length=MAX_NAME_CHARS)
    projectId: StrictStr | None = Field(default=None, max_length=MAX_PROJECT_ID_CHARS)
    publicKey: StrictStr | None = Field(default=None, max_length=MAX_PUBLIC_KEY_CHARS)


class LivepeerUpdateKeyRequest(LivepeerPolicyRequest):
    """PATCH body; an absent field is left unchanged. name and disabled cannot be null; a policy field sent as
    null is cleared."""

    model_config = ConfigDict(json_schema_extra={"minProperties": 1})
    name: StrictStr = Field(default=None, max_length=MAX_NAME_CHARS)  # type: ignore[assignment]
    disabled: StrictBool = Field(default=None)  # type: ignore[assignment]


class LivepeerSigningKey(WireModel):
    id: str
    name: str
    createdAt: int = Field(description="epoch milliseconds")
    lastSeen: int | SkipJsonSchema[None] = omitted_when_unset(
        description="epoch milliseconds of the latest verification (at most once a minute)"
    )
    publicKey: str = Field(description="base64 of the SPKI PEM")
    disabled: bool
    projectId: str | SkipJsonSchema[None] = omitted_when_unset()
    expiresAt: int | SkipJsonSchema[None] = omitted_when_unset(
        description="epoch milliseconds from which the key verifies nothing (it still counts toward the limit)"
    )
    allowedMedia: ShownAllowedMedia
    maxTokenLifetimeSeconds: ShownTokenLifetime


class LivepeerCreatedSigningKey(LivepeerSigningKey):
    privateKey: str | SkipJsonSchema[None] = omitted_when_unset(
        description="base64 of the PKCS#8 PEM; shown this once, absent when you sent your own public key"
    )


class LivepeerSigningKeyList(RootModel[list[LivepeerSigningKey]]):
    pass


class LivepeerError(WireModel):
    """API Gateway's own answers (401, 429, ...) also carry FastPix's fields: extra fields are allowed."""

    model_config = ConfigDict(extra="allow")
    errors: list[str] = Field(min_length=1)


def key_update(body: LivepeerUpdateKeyRequest) -> KeyUpdate:
    # Never null (the model refuses it): only absent or a value.
    name = body.name if "name" in body.model_fields_set else KEEP
    disabled = body.disabled if "disabled" in body.model_fields_set else KEEP
    return replace(body.key_update(), name=name, disabled=disabled)


def _fields(key: SigningKey) -> dict[str, Any]:
    return {
        "id": key.key_id,
        "name": key.name if key.name is not None else "",
        "createdAt": to_millis(key.created_at),
        "lastSeen": None if key.last_seen is None else to_millis(key.last_seen),
        "publicKey": pem_to_wire(key.public_key_pem),
        "disabled": key.disabled,
        "projectId": key.project_id,
        **shown_policy(key.policy, to_millis),
    }


def signing_key(key: SigningKey) -> LivepeerSigningKey:
    return LivepeerSigningKey(**_fields(key))


def created(result: CreatedKey) -> Response[Any]:
    private_key = None if result.private_key_pem is None else pem_to_wire(result.private_key_pem)
    return model_response(200, LivepeerCreatedSigningKey(**_fields(result.key), privateKey=private_key))


def key_list(keys: list[SigningKey]) -> Response[Any]:
    return model_response(200, LivepeerSigningKeyList([signing_key(key) for key in keys]))


def key_detail(key: SigningKey) -> Response[Any]:
    return model_response(200, signing_key(key))


def error_messages(message: str, fields: list[FieldError]) -> list[str]:
    return [f"{f.field}: {f.message}" for f in fields] if fields else [message]


def error(message: str, fields: list[FieldError]) -> LivepeerError:
    return LivepeerError(errors=error_messages(message, fields))
