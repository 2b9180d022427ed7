"""Wire dialects: pure functions between domain objects and HTTP bodies, one module per platform."""

from __future__ import annotations

import base64
from typing import Any

from aws_lambda_powertools.event_handler import Response

from signing_keys.errors import FieldError

JSON = "application/json"


def pem_to_wire(pem: str) -> str:
    """Both platforms send PEM text base64-encoded, so it survives JSON and env files unescaped."""
    return base64.b64encode(pem.encode("ascii")).decode("ascii")


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response[Any]:
    return Response(status_code=status, content_type=JSON, body=body, headers=headers)


def field_errors_text(fields: list[FieldError]) -> list[str]:
    return [f"{f.field}: {f.message}" for f in fields]
