"""API Gateway REST (v1) events and a Lambda context, built as API Gateway and Lambda build them.

The runner builds every event with these; the tests and `events/*.json` use the same factory.
"""

from __future__ import annotations

import base64
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from signing_keys_local.template import LOCAL_ACCOUNT, LOCAL_API_ID, LOCAL_REGION

_TEXT_TYPES = ("application/json", "text/", "application/x-www-form-urlencoded", "application/xml")


def _single(multi: dict[str, list[str]]) -> dict[str, str] | None:
    # API Gateway keeps the last value of a repeated header or query parameter in the single-value map.
    return {name: values[-1] for name, values in multi.items()} or None


def _is_text(headers: dict[str, list[str]]) -> bool:
    content_type = next((v[-1] for k, v in headers.items() if k.lower() == "content-type"), "")
    return not content_type or content_type.lower().startswith(_TEXT_TYPES)


def _user_agent(headers: dict[str, list[str]]) -> str | None:
    return next((v[-1] for k, v in headers.items() if k.lower() == "user-agent"), None)


def method_arn(stage: str, method: str, path: str) -> str:
    return f"arn:aws:execute-api:{LOCAL_REGION}:{LOCAL_ACCOUNT}:{LOCAL_API_ID}/{stage}/{method}{path}"


def request_context(request: HttpRequest) -> dict[str, Any]:
    stage, path, request_id = request.stage, request.path, request.request_id
    return {
        "accountId": LOCAL_ACCOUNT,
        "apiId": LOCAL_API_ID,
        "domainName": "localhost",
        "domainPrefix": "localhost",
        "extendedRequestId": request_id,
        "httpMethod": request.method,
        "identity": {"sourceIp": request.source_ip, "userAgent": _user_agent(request.headers)},
        "path": f"/{stage}{path}",
        "protocol": "HTTP/1.1",
        "requestId": request_id,
        "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(request.received_at)),
        "requestTimeEpoch": int(request.received_at * 1000),
        "resourceId": "local",
        "resourcePath": request.resource,
        "stage": stage,
    }


@dataclass
class HttpRequest:
    method: str
    path: str
    resource: str
    path_parameters: dict[str, str] = field(default_factory=dict)
    query: dict[str, list[str]] = field(default_factory=dict)
    headers: dict[str, list[str]] = field(default_factory=dict)
    body: bytes | None = None
    stage: str = "v1"
    source_ip: str = "127.0.0.1"
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    received_at: float = field(default_factory=time.time)


def proxy_event(request: HttpRequest, authorizer: dict[str, Any] | None = None) -> dict[str, Any]:
    """The Lambda proxy integration event for `request`; text bodies as text, others base64."""
    body: str | None = None
    is_base64 = False
    if request.body:
        if _is_text(request.headers):
            try:
                body = request.body.decode("utf-8")
            except UnicodeDecodeError:
                body, is_base64 = base64.b64encode(request.body).decode("ascii"), True
        else:
            body, is_base64 = base64.b64encode(request.body).decode("ascii"), True
    context = request_context(request)
    if authorizer is not None:
        context["authorizer"] = authorizer
    return {
        "resource": request.resource,
        "path": request.path,
        "httpMethod": request.method,
        "headers": _single(request.headers),
        "multiValueHeaders": request.headers or None,
        "queryStringParameters": _single(request.query),
        "multiValueQueryStringParameters": request.query or None,
        "pathParameters": request.path_parameters or None,
        "stageVariables": None,
        "requestContext": context,
        "body": body,
        "isBase64Encoded": is_base64,
    }


def authorizer_event(request: HttpRequest) -> dict[str, Any]:
    """The REQUEST authorizer event API Gateway sends before the integration runs."""
    return {
        "type": "REQUEST",
        "methodArn": method_arn(request.stage, request.method, request.path),
        "resource": request.resource,
        "path": request.path,
        "httpMethod": request.method,
        "headers": _single(request.headers) or {},
        "multiValueHeaders": request.headers,
        "queryStringParameters": _single(request.query) or {},
        "multiValueQueryStringParameters": request.query,
        "pathParameters": request.path_parameters,
        "stageVariables": {},
        "requestContext": request_context(request),
    }


@dataclass
class LambdaContext:
    """What Lambda passes as `context`, enough for Powertools' Logger and Metrics.

    `deadline` is the `time.monotonic()` instant at which Lambda stops the invocation (by default
    `timeout_seconds` from now); a container receives the one its host enforces.
    """

    function_name: str
    memory_limit_in_mb: int = 512
    timeout_seconds: float = 10
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = "local"
    deadline: float | None = None
    _deadline: float = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.invoked_function_arn = f"arn:aws:lambda:{LOCAL_REGION}:{LOCAL_ACCOUNT}:function:{self.function_name}"
        self.log_group_name = self.log_group_name or f"/aws/lambda/{self.function_name}"
        self._deadline = self.deadline if self.deadline is not None else time.monotonic() + self.timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))
