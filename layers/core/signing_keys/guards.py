"""The request guards: Powertools middlewares every request passes before Powertools validates it and the handler
runs. `api.rest_resolver` installs them in one ordered list; each refuses by raising the domain error, which the
error mapping (`http_errors`) answers in the route's dialect.

They come before Powertools' validation because it reads the body: the scope guard answers before anything of
the request is read, and a body that would make the resolver stumble (not base64, not UTF-8, JSON two parsers
read differently, nesting that exhausts the parser) is refused here, as a 4xx, before the resolver reads it.
Each check is a pure function of the API Gateway event, so it can be tested alone.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware

from signing_keys import routes
from signing_keys.authorizer_context import ManagementContext
from signing_keys.dialects import JSON
from signing_keys.errors import (
    FieldError,
    InvalidInput,
    PayloadTooLarge,
    ReadOnlyCredential,
    SigningKeyError,
    Unauthenticated,
    UnsupportedMediaType,
)
from signing_keys.models import Scope
from signing_keys.observability import logger
from signing_keys.routes import Auth

# Request bodies here are flat objects; deeper nesting is refused before any other code walks it.
MAX_BODY_NESTING = 32
Middleware = Callable[[APIGatewayRestResolver, NextMiddleware], Response[Any]]


# -- the checks -----------------------------------------------------------------------------------------------
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


def body_too_large(max_body_bytes: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"request body exceeds {max_body_bytes} bytes")


def _not_base64() -> InvalidInput:
    return InvalidInput([FieldError("body", "is not valid base64")])


def _body_bytes(event: dict[str, Any]) -> bytes | None:
    """The body as sent, decoded when API Gateway passed it base64-encoded; None when that is not base64."""
    body: str = event["body"]
    if not event.get("isBase64Encoded"):
        return body.encode("utf-8", "surrogatepass")
    try:
        return base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        return None


def size_rejection(event: dict[str, Any], max_body_bytes: int) -> SigningKeyError | None:
    """A body over `max_body_bytes`, measured as sent and as decoded (a base64 body is a third longer). One that is
    flagged base64 but is not cannot be measured: 422."""
    body = event.get("body")
    if not body:
        return None
    if len(body) > max_body_bytes * 4 // 3 + 4:  # too long whatever it decodes to: not worth decoding
        return body_too_large(max_body_bytes)
    raw = _body_bytes(event)
    if raw is None:
        return _not_base64()
    return body_too_large(max_body_bytes) if len(raw) > max_body_bytes else None


def _header(event: dict[str, Any], name: str) -> str:
    headers = event.get("headers") or {}
    return str(next((v for k, v in headers.items() if k.lower() == name), None) or "")


def _media_type(event: dict[str, Any]) -> str:
    """type/subtype of the body, lower case, parameters dropped (RFC 9110: media types are case-insensitive)."""
    return _header(event, "content-type").split(";")[0].strip().lower()


def media_type_rejection(event: dict[str, Any]) -> SigningKeyError | None:
    """A body labelled anything but JSON (any case, with parameters); an unlabelled body is taken as JSON, and an
    empty body needs no label."""
    media_type = _media_type(event)
    if event.get("body") and media_type and media_type != JSON:
        return UnsupportedMediaType()
    return None


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


def _too_deep() -> InvalidInput:
    return InvalidInput([FieldError("body", f"nests deeper than {MAX_BODY_NESTING} levels")])


def _json_error(text: str) -> InvalidInput | None:
    """Strict JSON (RFC 8259, no NaN, no repeated keys, bounded nesting) holding one object, or why not."""
    try:
        document = json.loads(
            text, object_pairs_hook=_unique_keys, parse_float=_finite_number, parse_constant=_refuse_constant
        )
    except _DuplicateKey:
        return InvalidInput([FieldError("body", "repeats a key")])
    except RecursionError:
        return _too_deep()
    except ValueError:  # also numbers past Python's digit limit
        return InvalidInput([FieldError("body", "is not valid JSON")])
    if not isinstance(document, dict):
        return InvalidInput([FieldError("body", "must be a JSON object")])
    if _nesting_exceeds(document, MAX_BODY_NESTING):
        return _too_deep()
    return None


def json_rejection(event: dict[str, Any]) -> InvalidInput | None:
    """A body that is not UTF-8, not strict JSON, nested too deep, or not one object."""
    if not event.get("body"):
        return None
    raw = _body_bytes(event)
    if raw is None:
        return _not_base64()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return InvalidInput([FieldError("body", "must be UTF-8 encoded JSON")])
    return _json_error(text)


def canonical_event(event: dict[str, Any]) -> dict[str, Any]:
    """What Powertools' validation expects once the guards passed: a JSON body labelled exactly
    `application/json` (it compares case-sensitively), and no media type at all on an empty body (the livepeer
    SDK labels its empty create application/octet-stream)."""
    cleaned = dict(event)
    for key in ("headers", "multiValueHeaders"):
        headers = cleaned.get(key)
        if not headers:
            continue
        kept = {name: value for name, value in headers.items() if name.lower() != "content-type"}
        if event.get("body"):
            kept["Content-Type"] = JSON if key == "headers" else [JSON]
        cleaned[key] = kept
    return cleaned


# -- the middlewares ------------------------------------------------------------------------------------------
def _refuse(rejection: SigningKeyError | None, log_message: str) -> None:
    if rejection is not None:
        logger.info(log_message, extra={"status": rejection.status})
        raise rejection


def refuse_read_only_writes(app: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Response[Any]:
    """403 for a read-only credential on a route that writes (scope_rejection)."""
    _refuse(scope_rejection(app.current_event.raw_event), "credential may not write")
    return next_middleware(app)


def refuse_bodies_over(max_body_bytes: int) -> Middleware:
    """413 for a body over `max_body_bytes` (size_rejection)."""

    def refuse_oversized_body(app: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Response[Any]:
        _refuse(size_rejection(app.current_event.raw_event, max_body_bytes), "request body rejected")
        return next_middleware(app)

    return refuse_oversized_body


def refuse_other_media_types(app: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Response[Any]:
    """415 for a body labelled anything but JSON (media_type_rejection)."""
    _refuse(media_type_rejection(app.current_event.raw_event), "request body rejected")
    return next_middleware(app)


def refuse_malformed_json(app: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Response[Any]:
    """422 for a body that is not UTF-8, strict JSON, shallow enough, and one object (json_rejection)."""
    _refuse(json_rejection(app.current_event.raw_event), "request body rejected")
    return next_middleware(app)


def label_body_as_json(app: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Response[Any]:
    """Relabel the body as Powertools' validation expects (canonical_event), in the event the resolver holds:
    `api.entrypoint` hands the resolver a copy, so the caller's event is left as it was."""
    event = app.current_event.raw_event
    event.update(canonical_event(event))
    return next_middleware(app)
