"""Livepeer dialect: /access-control/signing-key, ECDSA P-256 by default, bare objects, `{"errors":[…]}`."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from pydantic import ConfigDict, Field, RootModel, StrictBool, StrictStr
from pydantic.json_schema import SkipJsonSchema

from signing_keys.dialects import (
    SHARED_TIME_UNITS,
    UPLOADED_PUBLIC_KEY,
    WHOLE_NUMBER,
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
from signing_keys.limits import LATEST_EPOCH_MILLIS, MAX_NAME_CHARS, MAX_PROJECT_ID_CHARS, MAX_PUBLIC_KEY_CHARS
from signing_keys.models import KEEP, CreatedKey, KeyUpdate, SigningKey, from_millis, to_millis

# Beyond the seed: when the key stops verifying, in epoch milliseconds like createdAt.
ExpiresAtMillis = Annotated[int, Field(ge=0, le=LATEST_EPOCH_MILLIS), WHOLE_NUMBER]
TIME_UNITS = {**SHARED_TIME_UNITS, "expiresAt": "in epoch milliseconds"}
_KEY_NAME = "A label for the key (Livepeer's `name`); empty when none was given"
_PROJECT_ID = "The Livepeer project the key belongs to, as your client names it"


class LivepeerPolicyRequest(PolicyRequest):
    expiresAt: ExpiresAtMillis | None = omitted_or_null(
        description="When the key stops verifying, in epoch milliseconds, in the future; null: never",
        examples=[examples.EXPIRES_AT_MILLIS],
    )

    @staticmethod
    def expiry_of(sent: Any) -> datetime:
        return from_millis(sent)


class LivepeerCreateKeyRequest(LivepeerPolicyRequest):
    """Optional body: a label, a project, your own public key, and the key's policy (this API's own)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": examples.KEY_NAME,
                    "allowedMedia": examples.ALLOWED_MEDIA,
                    "maxTokenLifetimeSeconds": examples.MAX_TOKEN_LIFETIME_SECONDS,
                }
            ]
        }
    )
    name: StrictStr | None = Field(
        default=None, max_length=MAX_NAME_CHARS, description="A label for the key", examples=[examples.KEY_NAME]
    )
    projectId: StrictStr | None = Field(
        default=None, max_length=MAX_PROJECT_ID_CHARS, description=_PROJECT_ID, examples=[examples.PROJECT_ID]
    )
    publicKey: StrictStr | None = Field(
        default=None,
        max_length=MAX_PUBLIC_KEY_CHARS,
        description=UPLOADED_PUBLIC_KEY,
        examples=[examples.UPLOADED_PUBLIC_KEY],
    )


class LivepeerUpdateKeyRequest(LivepeerPolicyRequest):
    """PATCH body; an absent field is left unchanged, and at least one is sent. name and disabled cannot be null;
    a policy field sent as null is cleared."""

    model_config = ConfigDict(json_schema_extra={"minProperties": 1, "examples": [{"disabled": True}]})
    name: StrictStr = Field(  # type: ignore[assignment]
        default=None, max_length=MAX_NAME_CHARS, description="A new label", examples=[examples.KEY_NAME]
    )
    disabled: StrictBool = Field(  # type: ignore[assignment]
        default=None,
        description="true: the key's tokens are refused (403 disabled_key) until it is false again",
        examples=[True],
    )


class LivepeerSigningKey(WireModel):
    """A key as Livepeer shows it (never its private key), with its policy fields that are set."""

    id: str = Field(description="The key's id: what a token names in its `kid`", examples=[examples.KEY_ID])
    name: str = Field(description=_KEY_NAME, examples=[examples.KEY_NAME])
    createdAt: int = Field(
        description="When the key was created, in epoch milliseconds", examples=[examples.CREATED_AT_MILLIS]
    )
    lastSeen: int | SkipJsonSchema[None] = omitted_when_unset(
        description="Epoch milliseconds of the latest verification (written at most once a minute); absent: never",
        examples=[examples.LAST_SEEN_MILLIS],
    )
    publicKey: str = Field(
        description="Base64 of the SPKI PEM: what verifies the key's tokens (a Livepeer token's `pub`)",
        examples=[examples.PUBLIC_KEY],
    )
    disabled: bool = Field(description="Whether its tokens are refused", examples=[False])
    projectId: str | SkipJsonSchema[None] = omitted_when_unset(description=_PROJECT_ID, examples=[examples.PROJECT_ID])
    expiresAt: int | SkipJsonSchema[None] = omitted_when_unset(
        description="Epoch milliseconds from which the key verifies nothing (it still counts toward the limit)",
        examples=[examples.EXPIRES_AT_MILLIS],
    )
    allowedMedia: ShownAllowedMedia
    maxTokenLifetimeSeconds: ShownTokenLifetime


class LivepeerCreatedSigningKey(LivepeerSigningKey):
    """The key created (or a rotation's successor), with its private key this once."""

    privateKey: str | SkipJsonSchema[None] = omitted_when_unset(
        description=(
            "Base64 of the PKCS#8 PEM: sign tokens with it. Shown this once and never stored; absent when you sent "
            "your own public key"
        ),
        examples=[examples.PRIVATE_KEY],
    )


class LivepeerSigningKeyList(RootModel[list[LivepeerSigningKey]]):
    """Every key of the workspace, oldest first."""


class LivepeerError(WireModel):
    """A Livepeer-style error. API Gateway's own answers (401, 429, ...) also carry FastPix's fields: extra fields
    are allowed."""

    model_config = ConfigDict(extra="allow")
    errors: list[str] = Field(
        min_length=1,
        description="What went wrong; for invalid input, `<field>: <problem>` per field (never echoing a value)",
        examples=[["signing key not found"]],
    )


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
