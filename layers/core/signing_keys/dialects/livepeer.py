"""Livepeer dialect: /access-control/signing-key, ECDSA P-256 by default, bare objects, `{"errors":[…]}`."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr

from signing_keys.dialects import field_errors_text, json_response, pem_to_wire
from signing_keys.errors import FieldError
from signing_keys.models import CreatedKey, SigningKey, to_millis

NAME_MAX_CHARS = 256


class CreateKeyBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: StrictStr | None = Field(default=None, max_length=NAME_MAX_CHARS)
    projectId: StrictStr | None = Field(default=None, max_length=128)
    publicKey: StrictStr | None = Field(default=None, max_length=8192)


class UpdateKeyBody(BaseModel):
    """PATCH body; an explicit null is a type error, an absent field is left unchanged."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"minProperties": 1})
    name: StrictStr = Field(default=None, max_length=NAME_MAX_CHARS)  # type: ignore[assignment]
    disabled: StrictBool = Field(default=None)  # type: ignore[assignment]


def signing_key(key: SigningKey) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": key.key_id,
        "name": key.name if key.name is not None else "",
        "createdAt": to_millis(key.created_at),
        "publicKey": pem_to_wire(key.public_key_pem),
        "disabled": key.disabled,
    }
    if key.last_seen is not None:
        body["lastSeen"] = to_millis(key.last_seen)
    if key.project_id is not None:
        body["projectId"] = key.project_id
    return body


def created(result: CreatedKey) -> Response[Any]:
    body = signing_key(result.key)
    if result.private_key_pem is not None:
        body["privateKey"] = pem_to_wire(result.private_key_pem)
    return json_response(200, body)


def key_list(keys: list[SigningKey]) -> Response[Any]:
    return json_response(200, [signing_key(key) for key in keys])


def key_detail(key: SigningKey) -> Response[Any]:
    return json_response(200, signing_key(key))


def no_content() -> Response[Any]:
    return Response(status_code=204, body=None)


def error_body(status: int, message: str, fields: list[FieldError]) -> dict[str, Any]:
    return {"errors": field_errors_text(fields) if fields else [message]}
