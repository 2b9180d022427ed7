"""The one mapping from domain errors to HTTP answers: status, headers, and the body in the dialect of the route
that answers (chosen by the event's `resource`, the route's path in template syntax, never by a path prefix).

Handlers raise domain errors (`signing_keys.errors`) and the guards do too; `answer_errors` makes the resolver
answer them here, and so it answers Powertools' own refusals (validation, media type, an unmatched path)."""

from __future__ import annotations

import json
import re
import traceback
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from pydantic import BaseModel

from signing_keys import routes
from signing_keys.dialects import JSON, body_of, fastpix, json_response, livepeer, neutral
from signing_keys.errors import (
    FieldError,
    InvalidInput,
    KeyNotFound,
    NotFound,
    RevocationNotFound,
    SigningKeyError,
    TokenRefused,
    UnsupportedMediaType,
)
from signing_keys.observability import logger
from signing_keys.routes import Dialect, Route

# A location part that is not a plain identifier came from the caller (e.g. a form key): never echo it.
_FIELD_PART = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")

# The unit of each time-valued field, as each dialect has it on the wire: a refusal of one names it.
TIME_UNITS: dict[Dialect, dict[str, str]] = {
    Dialect.FASTPIX: fastpix.TIME_UNITS,
    Dialect.LIVEPEER: livepeer.TIME_UNITS,
    Dialect.NEUTRAL: neutral.TIME_UNITS,
}
# Pydantic's prefix for a validator's own message: noise to a caller.
_VALUE_ERROR_PREFIX = "Value error, "

ERROR_MODELS: dict[Dialect, type[BaseModel]] = {
    Dialect.FASTPIX: fastpix.FastPixError,
    Dialect.LIVEPEER: livepeer.LivepeerError,
    Dialect.NEUTRAL: neutral.UnionError,
}


def error_model(dialect: Dialect, status: int, message: str, fields: list[FieldError]) -> BaseModel:
    if dialect is Dialect.FASTPIX:
        return fastpix.error(status, message, fields)
    if dialect is Dialect.LIVEPEER:
        return livepeer.error(message, fields)
    return neutral.error(status, message, fields)


def error_body(resource: str, status: int, message: str, fields: list[FieldError] | None = None) -> Any:
    """The error body of the dialect of `resource` (a route's path in template syntax, which API Gateway sends
    as the event's `resource`); unknown resources and API Gateway's own answers carry both shapes."""
    return body_of(error_model(routes.dialect_of(resource), status, message, fields or []))


def with_units(error: InvalidInput, units: dict[str, str]) -> InvalidInput:
    """`error` with each time-valued field's unit in its message, unless the message names it already."""
    fields = [
        FieldError(field.field, field.message)
        if field.field not in units or units[field.field] in field.message
        else FieldError(field.field, f"{field.message} ({field.field} is {units[field.field]})")
        for field in error.fields
    ]
    if error.detail != InvalidInput(error.fields).detail:  # a message of its own, not the fields'
        return InvalidInput(fields, error.detail)
    return InvalidInput(fields)


def error_parts(resource: str, error: SigningKeyError) -> tuple[Any, dict[str, str]]:
    """The body and headers `error` is answered with on `resource`."""
    if isinstance(error, TokenRefused):
        return body_of(neutral.token_refusal(error.status, error.reason, error.detail)), error.headers
    if isinstance(error, InvalidInput):
        error = with_units(error, TIME_UNITS[routes.dialect_of(resource)])
    fields = error.fields if isinstance(error, InvalidInput) else []
    return error_body(resource, error.status, error.detail, fields), error.headers


def error_response(resource: str, error: SigningKeyError) -> Response[Any]:
    body, headers = error_parts(resource, error)
    return json_response(error.status, body, headers)


def proxy_error(event: dict[str, Any], error: SigningKeyError) -> dict[str, Any]:
    """An answer given without a resolver (MethodNotAllowedFunction), in the API Gateway proxy response format."""
    body, headers = error_parts(str(event.get("resource") or ""), error)
    return {
        "statusCode": error.status,
        "headers": {"Content-Type": JSON, **headers},
        "body": json.dumps(body, separators=(",", ":")),
        "isBase64Encoded": False,
    }


def _field_name(location: tuple[Any, ...] | list[Any]) -> str:
    # pydantic locations look like ("body", "name") or ("query", "limit"); JSON errors carry a position.
    parts = [str(part) for part in location[1:] if not isinstance(part, int)]
    if not all(_FIELD_PART.match(part) for part in parts):
        return "body"
    return ".".join(parts) or str(location[0])


def invalid_input(error: RequestValidationError) -> InvalidInput:
    """Pydantic's message and location only: its `input` may be a key the caller should not see echoed."""
    fields = [
        FieldError(_field_name(e.get("loc", ("body",))), e.get("msg", "invalid").removeprefix(_VALUE_ERROR_PREFIX))
        for e in error.errors()
    ]
    return InvalidInput(fields)


def missing(route: Route | None) -> NotFound:
    """What a route's unknown id is: the same 404 whether the id is malformed, foreign or gone."""
    if route is not None and route.key_id_parameter:
        return KeyNotFound()
    if route is not None and route.id_parameter == routes.REVOCATION_ID_PARAMETER:
        return RevocationNotFound()
    return NotFound()


def answer_errors(app: APIGatewayRestResolver) -> None:
    """Make `app` answer every error through this mapping: domain errors, Powertools' validation and media type
    refusals, a path it cannot match, and anything unexpected (a 500 that says nothing of the request)."""

    def respond(error: SigningKeyError) -> Response[Any]:
        return error_response(app.current_event.resource, error)

    def validation_error(error: RequestValidationError) -> Response[Any]:
        return respond(invalid_input(error))

    def unsupported_media_type(_: RequestUnsupportedContentType) -> Response[Any]:
        return respond(UnsupportedMediaType())

    def path_not_matched(_: NotFoundError) -> Response[Any]:
        # API Gateway routed the request here, so only a path parameter the resolver cannot match (e.g. an id
        # holding a decoded slash) lands here: for a key or revocation route, that is one that does not exist.
        route = next((r for r in routes.ROUTES if r.path == app.current_event.resource), None)
        return respond(missing(route))

    def unexpected_error(error: Exception) -> Response[Any]:
        # Type and stack frames only: an exception's message may carry request data.
        stack = "".join(traceback.format_tb(error.__traceback__))
        logger.error("unhandled error", extra={"error_type": type(error).__name__, "stack": stack})
        return respond(SigningKeyError())

    app.exception_handler(SigningKeyError)(respond)
    app.exception_handler(RequestValidationError)(validation_error)
    app.exception_handler(RequestUnsupportedContentType)(unsupported_media_type)
    app.exception_handler(NotFoundError)(path_not_matched)
    app.exception_handler(Exception)(unexpected_error)
