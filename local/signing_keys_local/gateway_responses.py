"""API Gateway's own answers (gateway responses): which type each condition raises, and how a type renders
from the template's `GatewayResponses`, falling back as API Gateway does.

Sources (docs/gateway-responses.md has the table): AWS, "Gateway response types for API Gateway" (types and
default status codes; an uncustomised type falls back to DEFAULT_4XX/DEFAULT_5XX, and a status code set on
those changes the status of every other response of its class); AWS Lambda, "Handling Lambda errors with an API
Gateway API" (a function error or a malformed proxy response is a 502, a rejected invocation a 500, both
`{"message": "Internal server error"}`); public reports of Lambda authorizers (anything but "Unauthorized",
an invalid policy or a timeout → 500 `{"message": null}`, `x-amzn-ErrorType: AuthorizerConfigurationException`);
LocalStack's API Gateway emulator for the error type names and which type a Lambda proxy failure uses.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

# The default status code of each type ("Gateway response types for API Gateway"). DEFAULT_4XX and DEFAULT_5XX
# have none: a response that falls back to them keeps the status of its condition.
TYPE_STATUS: dict[str, int | None] = {
    "ACCESS_DENIED": 403,
    "API_CONFIGURATION_ERROR": 500,
    "AUTHORIZER_CONFIGURATION_ERROR": 500,
    "AUTHORIZER_FAILURE": 500,
    "BAD_REQUEST_PARAMETERS": 400,
    "BAD_REQUEST_BODY": 400,
    "DEFAULT_4XX": None,
    "DEFAULT_5XX": None,
    "EXPIRED_TOKEN": 403,
    "INTEGRATION_FAILURE": 504,
    "INTEGRATION_TIMEOUT": 504,
    "INVALID_API_KEY": 403,
    "INVALID_SIGNATURE": 403,
    "MISSING_AUTHENTICATION_TOKEN": 403,
    "QUOTA_EXCEEDED": 429,
    "REQUEST_TOO_LARGE": 413,
    "RESOURCE_NOT_FOUND": 404,
    "THROTTLED": 429,
    "UNAUTHORIZED": 401,
    "UNSUPPORTED_MEDIA_TYPE": 415,
    "WAF_FILTERED": 403,
}
# API Gateway's body when nothing is customised.
DEFAULT_TEMPLATE = '{"message":$context.error.messageString}'
JSON = "application/json"


@dataclass(frozen=True)
class GatewayResponse:
    """One `GatewayResponses` entry of the template; what it leaves out, API Gateway supplies."""

    status: int | None = None
    body: str | None = None  # the application/json template: a static body, or with $context.error variables
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class GatewayError:
    """A condition API Gateway answers itself: its response type, the status it has when that type is not
    customised, `x-amzn-ErrorType`, and `$context.error.message` (None renders as null)."""

    response_type: str
    status: int
    error_type: str
    message: str | None


MISSING_AUTHENTICATION_TOKEN = GatewayError(
    "MISSING_AUTHENTICATION_TOKEN", 403, "MissingAuthenticationTokenException", "Missing Authentication Token"
)
# An identity source is missing, or the authorizer raised exactly "Unauthorized".
UNAUTHORIZED = GatewayError("UNAUTHORIZED", 401, "UnauthorizedException", "Unauthorized")
EXPLICIT_DENY = GatewayError(
    "ACCESS_DENIED",
    403,
    "AccessDeniedException",
    "User is not authorized to access this resource with an explicit deny",
)
IMPLICIT_DENY = GatewayError(
    "ACCESS_DENIED", 403, "AccessDeniedException", "User is not authorized to access this resource"
)
# The authorizer raised anything else, timed out, or returned something that is not a valid policy.
AUTHORIZER_CONFIGURATION_ERROR = GatewayError(
    "AUTHORIZER_CONFIGURATION_ERROR", 500, "AuthorizerConfigurationException", None
)
# The integration's function failed: an unhandled error, its Timeout, or a malformed proxy response. API Gateway
# has no type of its own for these: they render as DEFAULT_5XX with status 502.
FUNCTION_ERROR = GatewayError("DEFAULT_5XX", 502, "InternalServerErrorException", "Internal server error")
# API Gateway stopped waiting for the integration (its TimeoutInMillis, 29 s unless set lower); the function
# itself runs on until it ends or reaches its own Timeout.
INTEGRATION_TIMEOUT = GatewayError(
    "INTEGRATION_TIMEOUT", 504, "InternalServerErrorException", "Endpoint request timed out"
)
THROTTLED = GatewayError("THROTTLED", 429, "TooManyRequestsException", "Too Many Requests")
REQUEST_TOO_LARGE = GatewayError("REQUEST_TOO_LARGE", 413, "RequestTooLargeException", "Request Too Long")

# For callers that name a condition by its response type.
BY_TYPE = {
    error.response_type: error
    for error in (
        MISSING_AUTHENTICATION_TOKEN,
        UNAUTHORIZED,
        AUTHORIZER_CONFIGURATION_ERROR,
        INTEGRATION_TIMEOUT,
        THROTTLED,
        REQUEST_TOO_LARGE,
    )
}


@dataclass(frozen=True)
class RenderedResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def _fill(template: str, error: GatewayError) -> str:
    """The `$context.error` variables API Gateway offers a gateway response template."""
    return (
        template.replace("$context.error.messageString", json.dumps(error.message))
        .replace("$context.error.message", error.message or "")
        .replace("$context.error.responseType", error.response_type)
    )


def _class_default(response_type: str, status: int) -> str:
    """The fallback a type belongs to: DEFAULT_4XX or DEFAULT_5XX, by the class of its own status."""
    return "DEFAULT_4XX" if (TYPE_STATUS.get(response_type) or status) < 500 else "DEFAULT_5XX"


def render(error: GatewayError, customised: Mapping[str, GatewayResponse]) -> RenderedResponse:
    """The answer for `error` under the template's `GatewayResponses` (`customised`), as API Gateway builds it.

    The body template and headers are the type's own entry, else its class's fallback (DEFAULT_4XX/DEFAULT_5XX),
    else API Gateway's default. The status is the type's own StatusCode, else the fallback's when it sets one
    (AWS: changing it "changes the status codes of all other 4XX [5XX] responses"), else the type's default status
    (a fallback left without a StatusCode takes nobody's status away).
    """
    fallback = customised.get(_class_default(error.response_type, error.status))
    own = customised.get(error.response_type)
    chosen = own if own is not None else fallback
    status = (
        (own.status if own is not None else None)
        or (fallback.status if fallback is not None else None)
        or TYPE_STATUS.get(error.response_type)
        or error.status
    )
    template = chosen.body if chosen is not None and chosen.body is not None else DEFAULT_TEMPLATE
    headers = [("Content-Type", JSON), *(chosen.headers.items() if chosen is not None else ())]
    headers.append(("x-amzn-ErrorType", error.error_type))
    return RenderedResponse(status, headers, _fill(template, error).encode("utf-8"))
