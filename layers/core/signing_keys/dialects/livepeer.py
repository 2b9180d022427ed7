"""Livepeer dialect: /access-control/signing-key, ECDSA P-256 by default, bare objects, `{"errors":[…]}`."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from pydantic import BaseModel, ConfigDict, Field, RootModel, StrictBool, StrictStr
from pydantic.json_schema import SkipJsonSchema

from signing_keys.dialects import WireModel, model_response, omitted_when_unset, pem_to_wire
from signing_keys.errors import FieldError
from signing_keys.limits import MAX_NAME_CHARS, MAX_PROJECT_ID_CHARS, MAX_PUBLIC_KEY_CHARS
from signing_keys.models import CreatedKey, SigningKey, to_millis


class LivepeerCreateKeyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: StrictStr | None = Field(default=None, max_length=MAX_NAME_CHARS)
    projectId: StrictStr | None = Field(default=None, max_length=MAX_PROJECT_ID_CHARS)
    publicKey: StrictStr | None = Field(default=None, max_length=MAX_PUBLIC_KEY_CHARS)


class LivepeerUpdateKeyRequest(BaseModel):
    """PATCH body; an explicit null is a type error, an absent field is left unchanged."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"minProperties": 1})
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


def _fields(key: SigningKey) -> dict[str, Any]:
    return {
        "id": key.key_id,
        "name": key.name if key.name is not None else "",
        "createdAt": to_millis(key.created_at),
        "lastSeen": None if key.last_seen is None else to_millis(key.last_seen),
        "publicKey": pem_to_wire(key.public_key_pem),
        "disabled": key.disabled,
        "projectId": key.project_id,
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
