"""HTTP glue shared by every handler: the resolver, request guards, registering operations from the route
table, reading the authorizer's context, and the one error-to-HTTP mapping."""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
import traceback
import typing
from collections.abc import Callable
from http import HTTPStatus
from typing import Any, TypeVar

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from pydantic import BaseModel

from signing_keys import routes
from signing_keys.authorizer_context import ManagementContext
from signing_keys.budget import budgeted
from signing_keys.config import Settings
from signing_keys.dialects import JSON, body_of, fastpix, json_response, livepeer, neutral
from signing_keys.errors import (
    FieldError,
    InvalidInput,
    KeyNotFound,
    NotFound,
    PayloadTooLarge,
    ReadOnlyCredential,
    RevocationNotFound,
    SigningKeyError,
    TokenRefused,
    Unauthenticated,
    UnsupportedMediaType,
)
from signing_keys.models import Actor, Scope
from signing_keys.observability import Handler, instrumented, logger
from signing_keys.routes import Auth, Dialect, Route

JSON_MEDIA_TYPE = "application/json"
# Request bodies here are flat objects; deeper nesting is refused before any other code walks it.
MAX_BODY_NESTING = 32
# A location part that is not a plain identifier came from the caller (e.g. a form key): never echo it.
_FIELD_PART = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
HandlerFunction = TypeVar("HandlerFunction", bound=Callable[..., Any])
# Query parameter types any value satisfies.


# -- errors: one mapping from domain errors to each dialect's body -----------------------------------------
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


def _error_parts(resource: str, error: SigningKeyError) -> tuple[Any, dict[str, str]]:
    if isinstance(error, TokenRefused):
        return body_of(neutral.token_refusal(error.status, error.reason, error.detail)), error.headers
    fields = error.fields if isinstance(error, InvalidInput) else []
    return error_body(resource, error.status, error.detail, fields), error.headers


def error_response(resource: str, error: SigningKeyError) -> Response[Any]:
    body, headers = _error_parts(resource, error)
    return json_response(error.status, body, headers)


def proxy_error(event: dict[str, Any], error: SigningKeyError) -> dict[str, Any]:
    """An answer given without the resolver, in the API Gateway proxy response format."""
    body, headers = _error_parts(str(event.get("resource") or ""), error)
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


def _invalid_input(error: RequestValidationError) -> InvalidInput:
    """Pydantic's message and location only: its `input` may be a key the caller should not see echoed."""
    fields = [FieldError(_field_name(e.get("loc", ("body",))), e.get("msg", "invalid")) for e in error.errors()]
    return InvalidInput(fields)


def _missing(route: Route | None) -> NotFound:
    """What a route's unknown id is: the same 404 whether the id is malformed, foreign or gone."""
    if route is not None and route.key_id_parameter:
        return KeyNotFound()
    if route is not None and route.id_parameter == routes.REVOCATION_ID_PARAMETER:
        return RevocationNotFound()
    return NotFound()


def rest_resolver(cors: CORSConfig | None = None) -> APIGatewayRestResolver:
    """The resolver every function routes with; `cors` for routes a browser calls from another origin (the
    exchange): its headers then go with every answer, refusals included."""
    app = APIGatewayRestResolver(enable_validation=True, cors=cors)

    def respond(error: SigningKeyError) -> Response[Any]:
        return error_response(app.current_event.resource, error)

    def validation_error(error: RequestValidationError) -> Response[Any]:
        return respond(_invalid_input(error))

    def unsupported_media_type(_: RequestUnsupportedContentType) -> Response[Any]:
        return respond(UnsupportedMediaType())

    def path_not_matched(_: NotFoundError) -> Response[Any]:
        # API Gateway routed the request here, so only a path parameter the resolver cannot match (e.g. an id
        # holding a decoded slash) lands here: for a key or revocation route, that is one that does not exist.
        route = next((r for r in routes.ROUTES if r.path == app.current_event.resource), None)
        return respond(_missing(route))

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
    return app


# -- operations: registered from the route table ----------------------------------------------------------
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
    """Whether the resolver can refuse what the handler declares (422): a body, or any query parameter (one that is
    not free text can be malformed, and any can be given twice)."""
    hints = typing.get_type_hints(handler, include_extras=True)
    for name, hint in hints.items():
        if name == "return":
            continue
        for marker in getattr(hint, "__metadata__", ()):
            if isinstance(marker, (Body, Query)):
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
        success["content"] = {JSON_MEDIA_TYPE: {"model": response_model}}
    responses: dict[int, OpenAPIResponse] = {route.success_status: success}
    for status in route.also_succeeds:
        responses[status] = {**success, "description": HTTPStatus(status).phrase}
    for status in error_statuses(route, validates_input):
        # A refused viewer token says why (TokenRefused); every other error is the dialect's.
        model = neutral.TokenRefusal if route.viewer_token and status in (401, 403) else ERROR_MODELS[route.dialect]
        responses[status] = {
            "description": _ERROR_DESCRIPTIONS[status],
            "content": {JSON_MEDIA_TYPE: {"model": model}},
        }
    return responses


def operation(
    app: APIGatewayRestResolver, operation_id: str, *, response: type[BaseModel] | None = None
) -> Callable[[HandlerFunction], HandlerFunction]:
    """Register the decorated function as the route `operation_id` names in `signing_keys.routes.ROUTES`:
    method, path, operation id, tags, summary and documented responses all come from the table."""
    route = routes.by_operation_id(operation_id)

    def register(handler: HandlerFunction) -> HandlerFunction:
        decorate = app.route(
            route.resolver_rule,
            route.method,
            operation_id=route.operation_id,
            tags=list(route.tags),
            summary=route.summary,
            responses=documented_responses(route, response, _validates_input(handler)),
        )
        return decorate(handler)

    return register


def caller(app: APIGatewayRestResolver) -> Actor:
    """Who is calling: the credential as the management authorizer resolved it, and where the request came from
    (what an audit entry records)."""
    event = app.current_event
    granted = ManagementContext.decode(event.request_context.authorizer.get_context())
    return Actor(
        workspace_id=granted.workspace_id,
        token_id=granted.token_id,
        scope=granted.scope,
        source_ip=event.request_context.identity.source_ip,
        request_id=event.request_context.request_id,
    )


def scope_rejection(event: dict[str, Any]) -> SigningKeyError | None:
    """A management route that writes (route table `writes`) refuses a read-only credential, before anything of
    the request is read. The authorizer cannot: a policy deny is API Gateway's one ACCESS_DENIED body, and the
    answer here is the route's dialect. The service refuses too (audit.permitted_change), should a route that
    writes be marked otherwise."""
    route = routes.route_for(str(event.get("resource") or ""), str(event.get("httpMethod") or ""))
    if route is None or route.auth is not Auth.MANAGEMENT or not route.writes:
        return None
    try:
        granted = ManagementContext.decode((event.get("requestContext") or {}).get("authorizer") or {})
    except Unauthenticated as error:
        return error
    return ReadOnlyCredential() if granted.scope is not Scope.WRITE else None


# -- request guards, before routing -------------------------------------------------------------------------
def _header(event: dict[str, Any], name: str) -> str:
    headers = event.get("headers") or {}
    return str(next((v for k, v in headers.items() if k.lower() == name), None) or "")


def _media_type(event: dict[str, Any]) -> str:
    """type/subtype of the body, lower case, parameters dropped (RFC 9110: media types are case-insensitive)."""
    return _header(event, "content-type").split(";")[0].strip().lower()


class _DuplicateKey(ValueError):
    pass


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # Two parsers may keep different copies of a repeated key: refuse the ambiguity rather than pick one.
    document = dict(pairs)
    if len(document) != len(pairs):
        raise _DuplicateKey()
    return document


def _finite_number(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError("not a finite number")
    return number


def _refuse_constant(_: str) -> Any:
    raise ValueError("NaN and Infinity are not JSON")


def _nesting_exceeds(document: Any, limit: int) -> bool:
    pending = [(document, 1)]
    while pending:
        value, depth = pending.pop()
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else None
        if children is None:
            continue
        if depth > limit:
            return True
        pending.extend((child, depth + 1) for child in children)
    return False


def _json_error(text: str) -> InvalidInput | None:
    """Strict JSON (RFC 8259, no NaN, no repeated keys, bounded nesting) holding one object, or why not."""
    try:
        document = json.loads(
            text, object_pairs_hook=_unique_keys, parse_float=_finite_number, parse_constant=_refuse_constant
        )
    except _DuplicateKey:
        return InvalidInput([FieldError("body", "repeats a key")])
    except RecursionError:
        return InvalidInput([FieldError("body", f"nests deeper than {MAX_BODY_NESTING} levels")])
    except ValueError:  # also numbers past Python's digit limit
        return InvalidInput([FieldError("body", "is not valid JSON")])
    if not isinstance(document, dict):
        return InvalidInput([FieldError("body", "must be a JSON object")])
    if _nesting_exceeds(document, MAX_BODY_NESTING):
        return InvalidInput([FieldError("body", f"nests deeper than {MAX_BODY_NESTING} levels")])
    return None


def body_rejection(event: dict[str, Any], max_body_bytes: int) -> SigningKeyError | None:
    """Checked before routing: size first, then media type, then that the body is UTF-8 JSON holding an object."""
    body = event.get("body")
    if not body:
        return None
    if len(body) > max_body_bytes * 4 // 3 + 4:
        return PayloadTooLarge(f"request body exceeds {max_body_bytes} bytes")
    raw: bytes = body.encode("utf-8", "surrogatepass")
    if event.get("isBase64Encoded"):
        try:
            raw = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            return InvalidInput([FieldError("body", "is not valid base64")])
    if len(raw) > max_body_bytes:
        return PayloadTooLarge(f"request body exceeds {max_body_bytes} bytes")
    media_type = _media_type(event)
    if media_type and media_type != JSON_MEDIA_TYPE:
        return UnsupportedMediaType()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return InvalidInput([FieldError("body", "must be UTF-8 encoded JSON")])
    return _json_error(text)


def canonical_event(event: dict[str, Any]) -> dict[str, Any]:
    """What the resolver expects once the guards passed: a JSON body labelled exactly `application/json` (it
    compares case-sensitively), and no media type at all on an empty body (the livepeer SDK labels its empty
    create application/octet-stream)."""
    cleaned = dict(event)
    for key in ("headers", "multiValueHeaders"):
        headers = cleaned.get(key)
        if not headers:
            continue
        kept = {name: value for name, value in headers.items() if name.lower() != "content-type"}
        if event.get("body"):
            kept["Content-Type"] = JSON_MEDIA_TYPE if key == "headers" else [JSON_MEDIA_TYPE]
        cleaned[key] = kept
    return cleaned


def entrypoint(app: APIGatewayRestResolver, settings: Settings) -> Handler:
    """The Lambda handler of a function: guards (the credential's scope, then the body), then routing, with
    logging, metrics, tracing and the invocation's time budget."""

    def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
        refused = scope_rejection(event)
        if refused is not None:
            logger.info("credential may not write", extra={"status": refused.status})
            return proxy_error(event, refused)
        rejected = body_rejection(event, settings.max_body_bytes)
        if rejected is not None:
            logger.info("request body rejected", extra={"status": rejected.status})
            return proxy_error(event, rejected)
        return app.resolve(canonical_event(event), context)

    return instrumented(budgeted(handle))
