"""Wire dialects: pure functions between domain objects and HTTP bodies, one module per platform.

Every body a dialect sends is built from a pydantic model, and the same model is the operation's response
schema in openapi.json, so the document cannot drift from what is sent.
"""

from __future__ import annotations

import base64
from typing import Any, ClassVar

from aws_lambda_powertools.event_handler import Response
from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

JSON = "application/json"


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
