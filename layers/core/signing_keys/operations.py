"""Registering the handlers' operations from the route table, with every answer each can give documented: the
success body's model, and for each error status the dialect's error model and what it means."""

from __future__ import annotations

import typing
from collections.abc import Callable
from http import HTTPStatus
from typing import Any, TypeVar

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from pydantic import BaseModel

from signing_keys import http_errors, routes
from signing_keys.dialects import JSON, neutral
from signing_keys.routes import Auth, Route

HandlerFunction = TypeVar("HandlerFunction", bound=Callable[..., Any])
# Query parameter types any value satisfies.
_FREE_TEXT: tuple[Any, ...] = (str, str | None)

_ERROR_DESCRIPTIONS = {
    401: "Missing or invalid credential (management routes) or token (playback)",
    403: (
        "A read-only credential asked for a change, the key limit (create, rotate) or the active issuedBefore limit"
        " (create revocation) is reached, or (playback) a valid token the key may not open this media with, or a"
        " revoked one"
    ),
    404: (
        "No such key or revocation in this workspace: an id of any other shape, or another workspace's, answers "
        "the same"
    ),
    413: "Request body too large",
    415: "Body is not application/json",
    422: "Invalid input; FastPix's `fields` and Livepeer's `errors` name what is wrong",
    429: "Throttled by the stage's limits; retry later",
    503: "DynamoDB throttled, timed out or kept conflicting; retry after Retry-After seconds",
}


def _validates_input(handler: Callable[..., Any]) -> bool:
    """Whether the resolver can refuse what the handler declares (422): a body, or a query parameter that is not
    free text (a number, or one with constraints)."""
    hints = typing.get_type_hints(handler, include_extras=True)
    for name, hint in hints.items():
        if name == "return":
            continue
        for marker in getattr(hint, "__metadata__", ()):
            if isinstance(marker, Body):
                return True
            if isinstance(marker, Query) and (marker.metadata or hint.__origin__ not in _FREE_TEXT):
                return True
    return False


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


def documented_responses(
    route: Route, response_model: type[BaseModel] | None, validates_input: bool
) -> dict[int, OpenAPIResponse]:
    success: OpenAPIResponse = {"description": HTTPStatus(route.success_status).phrase}
    if response_model is not None:
        success["content"] = {JSON: {"model": response_model}}
    responses: dict[int, OpenAPIResponse] = {route.success_status: success}
    for status in route.also_succeeds:
        responses[status] = {**success, "description": HTTPStatus(status).phrase}
    for status in error_statuses(route, validates_input):
        # A refused viewer token says why (TokenRefused); every other error is the dialect's.
        model = (
            neutral.TokenRefusal
            if route.viewer_token and status in (401, 403)
            else http_errors.ERROR_MODELS[route.dialect]
        )
        responses[status] = {
            "description": _ERROR_DESCRIPTIONS[status],
            "content": {JSON: {"model": model}},
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
            responses=documented_responses(route, response, _validates_input(handler)),
        )
        return decorate(handler)

    return register
