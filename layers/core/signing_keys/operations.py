"""Registering the handlers' operations from the route table, with every answer each can give documented: the
success body's model, and for each error status the dialect's error model, what it means, and an example body
rendered by the error mapping itself (so the example is what is sent)."""

from __future__ import annotations

import typing
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, TypeVar

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from pydantic import BaseModel

from signing_keys import guards, http_errors, routes
from signing_keys.config import Settings
from signing_keys.dialects import JSON, neutral
from signing_keys.errors import (
    FieldError,
    InvalidInput,
    ReadOnlyCredential,
    ServiceUnavailable,
    SigningKeyError,
    TokenRefused,
    Unauthenticated,
    UnsupportedMediaType,
)
from signing_keys.rejections import Rejection
from signing_keys.routes import Auth, Route

HandlerFunction = TypeVar("HandlerFunction", bound=Callable[..., Any])
_NUMBERS: tuple[Any, ...] = (int, float)

_ERROR_DESCRIPTIONS = {
    413: f"The body is over the size limit ({Settings.max_body_bytes} bytes by default)",
    415: "The body is labelled another media type than application/json",
    422: (
        f"Invalid input: not strict JSON (no NaN, no repeated keys, nesting at most {guards.MAX_BODY_NESTING}), not "
        "an object, or a field or parameter out of bounds; FastPix's `fields` and Livepeer's `errors` name what is "
        "wrong, never echoing it"
    ),
    429: "Throttled by the stage's limits (API Gateway's own answer, both dialects' fields); retry later",
    503: "DynamoDB throttled, timed out or kept conflicting; retry after `Retry-After` seconds",
}


def _error_description(route: Route, status: int) -> str:
    if route.viewer_token and status == 401:
        return "The token is missing or not valid: `reason` (body and `X-Refusal-Reason`) says why"
    if route.viewer_token and status == 403:
        return "A valid token that may not open this media (any more): `reason` says why"
    if status == 401:
        return "The credential is missing, unknown, disabled or retired (`WWW-Authenticate` names both schemes)"
    if status == 403:
        limit = ", or a limit is reached (the description says which)" if 403 in route.also_answers else ""
        return "A read-only credential asked for a change" + limit
    if status == 404 and route.id_parameter:
        return "No such one in this workspace: an id of any other shape, or another workspace's, answers the same"
    if status == 404:
        return "Not found: the description says when"
    return _ERROR_DESCRIPTIONS[status]


# API Gateway answers 429 itself, with the template's THROTTLED gateway response: both dialects' fields at once.
THROTTLED_MESSAGE = "Too many requests"


@dataclass(frozen=True, slots=True)
class Inputs:
    """What a handler declares that Powertools' validation can refuse (422): a body, and query parameters (any of
    them, free text included: a parameter sent twice is a list, not the one value it takes)."""

    body: bool
    numeric_query: tuple[str, ...]
    text_query: tuple[str, ...]

    @property
    def refusable(self) -> bool:
        return self.body or bool(self.numeric_query or self.text_query)

    @classmethod
    def of(cls, handler: Callable[..., Any]) -> Inputs:
        body = False
        numeric: list[str] = []
        text: list[str] = []
        for name, hint in typing.get_type_hints(handler, include_extras=True).items():
            markers = getattr(hint, "__metadata__", ())
            body = body or any(isinstance(marker, Body) for marker in markers)
            if any(isinstance(marker, Query) for marker in markers):
                (numeric if hint.__origin__ in _NUMBERS else text).append(name)
        return cls(body=body, numeric_query=tuple(numeric), text_query=tuple(text))


def error_statuses(route: Route, validates_input: bool) -> list[int]:
    """Every error status this operation can answer, whoever answers it (handler or API Gateway)."""
    statuses = {429, 503, *route.also_answers}  # every route reads DynamoDB, itself or in its authorizer
    if route.auth is not Auth.NONE or route.viewer_token:
        statuses.add(401)
    if route.viewer_token or (route.auth is Auth.MANAGEMENT and route.writes):
        statuses.add(403)
    if route.id_parameter:
        statuses.add(404)
    if route.method in {"POST", "PATCH"}:
        statuses |= {413, 415}
    if validates_input:
        statuses.add(422)
    return sorted(statuses)


def _invalid_example(inputs: Inputs) -> InvalidInput:
    if inputs.body:
        return InvalidInput([FieldError("body", "repeats a key")])
    if inputs.numeric_query:  # every number a handler takes counts from 1
        return InvalidInput([FieldError(inputs.numeric_query[0], "Input should be greater than or equal to 1")])
    return InvalidInput([FieldError(inputs.text_query[0], "Input should be a valid string")])  # sent twice


def _example_error(route: Route, inputs: Inputs, status: int) -> SigningKeyError:
    """A typical error of `status` on `route`, as its handler (or guard) raises it."""
    if route.viewer_token and status == 401:
        return TokenRefused(
            401, Rejection.EXPIRED, "expired at 2026-01-15T09:40:00Z (95 s ago; 30 s of clock skew allowed)"
        )
    if route.viewer_token and status == 403:
        return TokenRefused(403, Rejection.JTI_REVOKED, "this token's jti is revoked")
    examples: dict[int, Callable[[], SigningKeyError]] = {
        401: Unauthenticated,
        403: ReadOnlyCredential,
        404: lambda: http_errors.missing(route),
        413: lambda: guards.body_too_large(Settings.max_body_bytes),
        415: UnsupportedMediaType,
        422: lambda: _invalid_example(inputs),
        503: ServiceUnavailable,
    }
    return examples[status]()


def _error_example(route: Route, inputs: Inputs, status: int) -> Any:
    if status == HTTPStatus.TOO_MANY_REQUESTS:
        return http_errors.error_body("", status, THROTTLED_MESSAGE)
    body, _ = http_errors.error_parts(route.path, _example_error(route, inputs, status))
    return body


def documented_responses(
    route: Route, response_model: type[BaseModel] | None, inputs: Inputs
) -> dict[int, OpenAPIResponse]:
    success: OpenAPIResponse = {"description": HTTPStatus(route.success_status).phrase}
    if response_model is not None:
        success["content"] = {JSON: {"model": response_model}}
    responses: dict[int, OpenAPIResponse] = {route.success_status: success}
    for status in route.also_succeeds:
        responses[status] = {**success, "description": HTTPStatus(status).phrase}
    for status in error_statuses(route, inputs.refusable):
        # A refused viewer token says why (TokenRefused); every other error is the dialect's.
        refusal = route.viewer_token and status in (401, 403)
        model = neutral.TokenRefusal if refusal else http_errors.ERROR_MODELS[route.dialect]
        example = {"summary": HTTPStatus(status).phrase, "value": _error_example(route, inputs, status)}
        responses[status] = {
            "description": _error_description(route, status),
            "content": {JSON: {"model": model, "examples": {HTTPStatus(status).name.lower(): example}}},
        }
    return responses


def operation(
    app: APIGatewayRestResolver, operation_id: str, *, response: type[BaseModel] | None = None
) -> Callable[[HandlerFunction], HandlerFunction]:
    """Register the decorated function as the route `operation_id` names in `signing_keys.routes.ROUTES`:
    method, path, operation id, tags, summary, description and documented responses all come from the table."""
    route = routes.by_operation_id(operation_id)

    def register(handler: HandlerFunction) -> HandlerFunction:
        decorate = app.route(
            route.resolver_rule,
            route.method,
            operation_id=route.operation_id,
            tags=list(route.tags),
            summary=route.summary,
            description=route.description,
            responses=documented_responses(route, response, Inputs.of(handler)),
        )
        return decorate(handler)

    return register
