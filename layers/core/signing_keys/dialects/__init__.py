"""Wire dialects: pure functions between domain objects and HTTP bodies, one module per platform.

Every body a dialect sends is built from a pydantic model, and the same model is the operation's response
schema in openapi.json, so the document cannot drift from what is sent.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal, TypeVar

from aws_lambda_powertools.event_handler import Response
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StrictStr
from pydantic.config import JsonDict
from pydantic.json_schema import SkipJsonSchema

from signing_keys.dialects import examples
from signing_keys.limits import (
    DEFAULT_ROTATION_OVERLAP_SECONDS,
    MAX_ALLOWED_MEDIA,
    MAX_PUBLIC_KEY_CHARS,
    MAX_ROTATION_OVERLAP_SECONDS,
    MIN_KEY_TOKEN_LIFETIME_SECONDS,
)
from signing_keys.models import KEEP, Keep, KeyPolicy, KeyUpdate
from signing_keys.patterns import MEDIA_PATTERN, is_media_pattern

JSON = "application/json"
Value = TypeVar("Value")
Converted = TypeVar("Converted")


class WireModel(BaseModel):
    """A body we send: exactly these fields (extra ones would be a leak), optional ones left out, not null."""

    # Deferred (here and in the request models): a handler imports every dialect's models but validates or renders
    # only its own routes', so each is built on first use, not at import (cold start, bench/README.md).
    model_config = ConfigDict(extra="forbid", defer_build=True)
    # Whether a None field is left out of the body (the usual) or sent as null (fields holding JSON values).
    omits_none: ClassVar[bool] = True


def _drop_default(schema: JsonDict) -> None:
    schema.pop("default", None)


def omitted_when_unset(**constraints: Any) -> Any:
    """An optional field that is absent from the body when unset: typed `X | SkipJsonSchema[None]`, so the
    schema says "X, not required" rather than "X or null"."""
    return Field(default=None, exclude_if=_is_none, json_schema_extra=_drop_default, **constraints)


def body_of(model: BaseModel) -> Any:
    return model.model_dump(mode="json", exclude_none=getattr(model, "omits_none", True))


def pem_to_wire(pem: str) -> str:
    """Both platforms send PEM text base64-encoded, so it survives JSON and env files unescaped."""
    return base64.b64encode(pem.encode("ascii")).decode("ascii")


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response[Any]:
    return Response(status_code=status, content_type=JSON, body=body, headers=headers)


def model_response(status: int, model: BaseModel, headers: dict[str, str] | None = None) -> Response[Any]:
    return json_response(status, body_of(model), headers)


def no_content() -> Response[Any]:
    return Response(status_code=204, body=None)


# -- request fields both dialects share (key policies, rotation) -------------------------------------------------
# How a refusal names the unit of each time-valued field (each dialect adds its expiresAt).
SHARED_TIME_UNITS = {"maxTokenLifetimeSeconds": "in seconds", "overlapSeconds": "in seconds"}


def _whole_number(value: Any) -> Any:
    """JSON has one number type and some clients send every number as a float: 600.0 is 600. Nothing fractional,
    no strings, no booleans."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("must be a whole number")  # noqa: TRY004 - pydantic turns ValueError, not TypeError, into a 422
    return value


def _media_pattern(value: str) -> str:
    if not is_media_pattern(value):
        raise ValueError("must be a media id, or a prefix of one ending in a single * (null allows any media)")
    return value


# After a field's constraints in `Annotated[int, Field(ge=...), WHOLE_NUMBER]`: placed before them, pydantic
# documents the bounds as "ge"/"le", which JSON Schema does not know.
WHOLE_NUMBER = BeforeValidator(_whole_number)
MediaPattern = Annotated[
    StrictStr, AfterValidator(_media_pattern), Field(json_schema_extra={"pattern": f"^(?:{MEDIA_PATTERN.pattern})$"})
]
AllowedMedia = Annotated[list[MediaPattern], Field(min_length=1, max_length=MAX_ALLOWED_MEDIA)]
TokenLifetime = Annotated[int, Field(ge=MIN_KEY_TOKEN_LIFETIME_SECONDS), WHOLE_NUMBER]


# A public key the caller brings (create, rotate); it is checked, and never echoed in an error.
UPLOADED_PUBLIC_KEY = (
    "Your own public key, as a PEM or the PEM's base64: RSA of 2048 to 4096 bits, P-256 or Ed25519. No private key "
    "then exists on the server, and none is answered"
)


def omitted_or_null(**constraints: Any) -> Any:
    """A request field that may be left out (unchanged) or sent as null (cleared): no default in the schema."""
    return Field(default=None, exclude_if=_is_none, json_schema_extra=_drop_default, **constraints)


def _is_none(value: Any) -> bool:
    return value is None


def given(body: BaseModel, field: str, convert: Callable[[Any], Converted]) -> Converted | Literal[Keep.KEEP] | None:
    """An update's field: KEEP when the body left it out, None when it sent null, else the converted value."""
    if field not in body.model_fields_set:
        return KEEP
    value = getattr(body, field)
    return None if value is None else convert(value)


def optional_tuple(values: list[Value] | None) -> tuple[Value, ...] | None:
    return None if values is None else tuple(values)


class PolicyRequest(BaseModel):
    """The policy fields of a create or update body. Each dialect declares `expiresAt` in its own style and says
    what moment it names (`expiry_of`). On create, absent or null is no limit; on update, absent is unchanged and
    null clears."""

    model_config = ConfigDict(extra="forbid", defer_build=True)
    expiresAt: Any = omitted_or_null()
    allowedMedia: AllowedMedia | None = omitted_or_null(
        description=(
            f"1 to {MAX_ALLOWED_MEDIA} media ids and `prefix*` patterns the key's tokens may open (`course-42-*` "
            "admits course-42-ep1, not course-42; a bare `*` is refused); null: any media"
        ),
        examples=[examples.ALLOWED_MEDIA],
    )
    maxTokenLifetimeSeconds: TokenLifetime | None = omitted_or_null(
        description=(
            f"The longest lifetime (`exp` - `iat`) the key's tokens may have, from {MIN_KEY_TOKEN_LIFETIME_SECONDS} "
            "s to the deployment's MaxTokenLifetimeSeconds; null: the deployment's cap"
        ),
        examples=[examples.MAX_TOKEN_LIFETIME_SECONDS],
    )

    @staticmethod
    def expiry_of(sent: Any) -> datetime:
        raise NotImplementedError

    def key_policy(self) -> KeyPolicy:
        return KeyPolicy(
            expires_at=None if self.expiresAt is None else self.expiry_of(self.expiresAt),
            allowed_media=optional_tuple(self.allowedMedia),
            max_token_lifetime_seconds=self.maxTokenLifetimeSeconds,
        )

    def key_update(self) -> KeyUpdate:
        return KeyUpdate(
            expires_at=given(self, "expiresAt", self.expiry_of),
            allowed_media=given(self, "allowedMedia", tuple),
            max_token_lifetime_seconds=given(self, "maxTokenLifetimeSeconds", int),
        )


# The policy fields of a key as both dialects show it (each adds `expiresAt` in its own style), left out when unset.
ShownAllowedMedia = Annotated[
    list[str] | SkipJsonSchema[None],
    omitted_when_unset(
        description="The media ids and `prefix*` patterns its tokens may open; absent: any media",
        examples=[examples.ALLOWED_MEDIA],
    ),
]
ShownTokenLifetime = Annotated[
    int | SkipJsonSchema[None],
    omitted_when_unset(
        description="The longest lifetime its tokens may have, in seconds; absent: the deployment's cap",
        examples=[examples.MAX_TOKEN_LIFETIME_SECONDS],
    ),
]


def shown_policy(policy: KeyPolicy, moment: Callable[[datetime], Any]) -> dict[str, Any]:
    """The policy's fields for a key body, `expiresAt` written by `moment` (epoch ms or ISO-8601)."""
    return {
        "expiresAt": None if policy.expires_at is None else moment(policy.expires_at),
        "allowedMedia": None if policy.allowed_media is None else list(policy.allowed_media),
        "maxTokenLifetimeSeconds": policy.max_token_lifetime_seconds,
    }


class RotateKeyRequest(BaseModel):
    """Optional body of both dialects' rotate: how long the old key keeps verifying, and the successor's public
    key when you bring your own (else a key pair of the old key's algorithm is generated)."""

    model_config = ConfigDict(
        extra="forbid", defer_build=True, json_schema_extra={"examples": [{"overlapSeconds": examples.OVERLAP_SECONDS}]}
    )
    overlapSeconds: Annotated[int, Field(ge=0, le=MAX_ROTATION_OVERLAP_SECONDS), WHOLE_NUMBER] = Field(
        default=DEFAULT_ROTATION_OVERLAP_SECONDS,
        description="Seconds the old key keeps verifying (its expiresAt becomes now + this, unless sooner)",
        examples=[examples.OVERLAP_SECONDS],
    )
    publicKey: StrictStr | None = Field(
        default=None,
        max_length=MAX_PUBLIC_KEY_CHARS,
        description=UPLOADED_PUBLIC_KEY,
        examples=[examples.UPLOADED_PUBLIC_KEY],
    )
