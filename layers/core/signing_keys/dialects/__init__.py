"""Wire dialects: pure functions between domain objects and HTTP bodies, one module per platform.

Every body a dialect sends is built from a pydantic model, and the same model is the operation's response
schema in openapi.json, so the document cannot drift from what is sent.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Annotated, Any, ClassVar, Literal, TypeVar

from aws_lambda_powertools.event_handler import Response
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StrictStr
from pydantic.config import JsonDict

from signing_keys.limits import (
    DEFAULT_ROTATION_OVERLAP_SECONDS,
    MAX_ALLOWED_MEDIA,
    MAX_PUBLIC_KEY_CHARS,
    MAX_ROTATION_OVERLAP_SECONDS,
    MIN_KEY_TOKEN_LIFETIME_SECONDS,
)
from signing_keys.models import KEEP, Keep
from signing_keys.patterns import MEDIA_PATTERN, is_media_pattern

JSON = "application/json"
Value = TypeVar("Value")
Converted = TypeVar("Converted")


class WireModel(BaseModel):
    """A body we send: exactly these fields (extra ones would be a leak), optional ones left out, not null."""

    model_config = ConfigDict(extra="forbid")
    # Whether a None field is left out of the body (the usual) or sent as null (fields holding JSON values).
    omits_none: ClassVar[bool] = True


def _drop_default(schema: JsonDict) -> None:
    schema.pop("default", None)


def omitted_when_unset(**constraints: Any) -> Any:
    """An optional field that is absent from the body when unset: typed `X | SkipJsonSchema[None]`, so the
    schema says "X, not required" rather than "X or null"."""
    return Field(default=None, json_schema_extra=_drop_default, **constraints)


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
AllowedMedia = Annotated[
    list[MediaPattern],
    Field(
        min_length=1,
        max_length=MAX_ALLOWED_MEDIA,
        description="Media ids and `prefix*` patterns a token signed by the key may open (null: any media)",
    ),
]
TokenLifetime = Annotated[
    int,
    Field(
        ge=MIN_KEY_TOKEN_LIFETIME_SECONDS,
        description="Longest token lifetime (exp - iat) the key's tokens may have, at most MaxTokenLifetimeSeconds",
    ),
    WHOLE_NUMBER,
]


def omitted_or_null(**constraints: Any) -> Any:
    """A request field that may be left out (unchanged) or sent as null (cleared): no default in the schema."""
    return Field(default=None, json_schema_extra=_drop_default, **constraints)


def given(body: BaseModel, field: str, convert: Callable[[Any], Converted]) -> Converted | Literal[Keep.KEEP] | None:
    """An update's field: KEEP when the body left it out, None when it sent null, else the converted value."""
    if field not in body.model_fields_set:
        return KEEP
    value = getattr(body, field)
    return None if value is None else convert(value)


def optional_tuple(values: list[Value] | None) -> tuple[Value, ...] | None:
    return None if values is None else tuple(values)


class RotateKeyRequest(BaseModel):
    """Optional body of both dialects' rotate: how long the old key keeps verifying, and the successor's public
    key when you bring your own (else a key pair of the old key's algorithm is generated)."""

    model_config = ConfigDict(extra="forbid")
    overlapSeconds: Annotated[int, Field(ge=0, le=MAX_ROTATION_OVERLAP_SECONDS), WHOLE_NUMBER] = Field(
        default=DEFAULT_ROTATION_OVERLAP_SECONDS,
        description="Seconds the old key keeps verifying (its expiresAt becomes now + this, unless sooner)",
    )
    publicKey: StrictStr | None = Field(default=None, max_length=MAX_PUBLIC_KEY_CHARS)
