"""HTTP glue shared by every handler: the resolver, request guards, and the one error-to-HTTP mapping."""

from __future__ import annotations

import base64
import binascii
import json
import re
import traceback
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)

from signing_keys.config import Settings
from signing_keys.dialects import JSON, fastpix, json_response, livepeer
from signing_keys.errors import (
    FieldError,
    InvalidInput,
    PayloadTooLarge,
    ServiceUnavailable,
    SigningKeyError,
    Unauthenticated,
    UnsupportedMediaType,
)
from signing_keys.observability import Handler, instrumented, logger

FASTPIX_PREFIX = "/iam/"
LIVEPEER_PREFIX = "/access-control/"
JSON_MEDIA_TYPE = "application/json"
# A location part that is not a plain identifier came from the caller (e.g. a form key): never echo it.
_FIELD_PART = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


def error_body(path: str, status: int, message: str, fields: list[FieldError]) -> dict[str, Any]:
    """The error shape of the dialect that owns `path`; other routes get one both clients parse."""
    if path.startswith(FASTPIX_PREFIX):
        return fastpix.error_body(status, message, fields)
    if path.startswith(LIVEPEER_PREFIX):
        return livepeer.error_body(status, message, fields)
    return {**fastpix.error_body(status, message, fields), **livepeer.error_body(status, message, fields)}


def _error_parts(path: str, error: SigningKeyError) -> tuple[dict[str, Any], dict[str, str]]:
    fields = error.fields if isinstance(error, InvalidInput) else []
    headers = {"Retry-After": str(error.retry_after_seconds)} if isinstance(error, ServiceUnavailable) else {}
    return error_body(path, error.status, error.detail, fields), headers


def error_response(path: str, error: SigningKeyError) -> Response[Any]:
    body, headers = _error_parts(path, error)
    return json_response(error.status, body, headers)


def _proxy_error(event: dict[str, Any], error: SigningKeyError) -> dict[str, Any]:
    """A rejection answered before routing, in the API Gateway proxy response format."""
    body, headers = _error_parts(str(event.get("path") or ""), error)
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


def rest_resolver() -> APIGatewayRestResolver:
    app = APIGatewayRestResolver(enable_validation=True)

    def domain_error(error: SigningKeyError) -> Response[Any]:
        return error_response(app.current_event.path, error)

    def validation_error(error: RequestValidationError) -> Response[Any]:
        return error_response(app.current_event.path, _invalid_input(error))

    def unsupported_media_type(_: RequestUnsupportedContentType) -> Response[Any]:
        return error_response(app.current_event.path, UnsupportedMediaType())

    def unexpected_error(error: Exception) -> Response[Any]:
        # Type and stack frames only: an exception's message may carry request data.
        stack = "".join(traceback.format_tb(error.__traceback__))
        logger.error("unhandled error", extra={"error_type": type(error).__name__, "stack": stack})
        return error_response(app.current_event.path, SigningKeyError())

    app.exception_handler(SigningKeyError)(domain_error)
    app.exception_handler(RequestValidationError)(validation_error)
    app.exception_handler(RequestUnsupportedContentType)(unsupported_media_type)
    app.exception_handler(Exception)(unexpected_error)
    return app


def workspace_id(app: APIGatewayRestResolver) -> str:
    """The workspace the authorizer resolved from the caller's credential."""
    workspace = app.current_event.request_context.authorizer.get_context().get("workspaceId")
    if not isinstance(workspace, str) or not workspace:
        raise Unauthenticated()
    return workspace


def _content_type(event: dict[str, Any]) -> str:
    headers = event.get("headers") or {}
    value = next((v for k, v in headers.items() if k.lower() == "content-type"), None) or ""
    return str(value).split(";")[0].strip().lower()


def _body_error(event: dict[str, Any], max_body_bytes: int) -> SigningKeyError | None:
    """Checked before routing: size first, then media type, then that the body is UTF-8 as JSON must be."""
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
    content_type = _content_type(event)
    if content_type and content_type != JSON_MEDIA_TYPE:
        return UnsupportedMediaType()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return InvalidInput([FieldError("body", "must be UTF-8 encoded JSON")])
    # Every request body here is an object. Powertools lets some arrays reach an optional model as "no body".
    if text.lstrip().startswith("["):
        return InvalidInput([FieldError("body", "must be a JSON object")])
    return None


def _drop_content_type_of_empty_body(event: dict[str, Any]) -> dict[str, Any]:
    """An empty body has no media type, yet the livepeer SDK labels it application/octet-stream."""
    if event.get("body"):
        return event
    cleaned = dict(event)
    for key in ("headers", "multiValueHeaders"):
        if cleaned.get(key):
            cleaned[key] = {name: value for name, value in cleaned[key].items() if name.lower() != "content-type"}
    return cleaned


def entrypoint(app: APIGatewayRestResolver, settings: Settings) -> Handler:
    """The Lambda handler of a function: guards, then routing, with logging, metrics and tracing."""

    def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
        rejected = _body_error(event, settings.max_body_bytes)
        if rejected is not None:
            logger.info("request body rejected", extra={"status": rejected.status})
            return _proxy_error(event, rejected)
        return app.resolve(_drop_content_type_of_empty_body(event), context)

    return instrumented(handle)
