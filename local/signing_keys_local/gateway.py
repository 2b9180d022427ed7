"""What API Gateway does between the socket and the Lambda handler, for the routes in template.yaml: route
matching, stage throttling, Lambda REQUEST authorizers with policy evaluation and caching, the proxy
integration's event and response formats, and its own answers (gateway responses, gateway_responses.py)."""

from __future__ import annotations

import base64
import binascii
import fnmatch
import json
import re
import sys
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from signing_keys.cache import MISS, TtlLruCache
from signing_keys_local import gateway_responses
from signing_keys_local.events import HttpRequest, authorizer_event, method_arn, proxy_event
from signing_keys_local.functions import CallerGaveUp, FunctionInvoker, InvocationFailed
from signing_keys_local.gateway_responses import GatewayError, GatewayResponse
from signing_keys_local.template import DEFAULT_INTEGRATION_TIMEOUT_MILLIS, Authorizer, Route, Template
from signing_keys_local.throttling import Clock, StageThrottle

MAX_PAYLOAD_BYTES = 10 * 1024 * 1024  # API Gateway's request payload quota
# API Gateway waits for a Lambda authorizer no longer than for an integration.
AUTHORIZER_PATIENCE_SECONDS = DEFAULT_INTEGRATION_TIMEOUT_MILLIS / 1000
# Policies each authorizer's cache keeps at most, least recently used out. API Gateway documents no such bound,
# but its cache is not the runner's memory: every spelling of a credential (`Basic` in any case, Bearer with more
# spaces) is an identity of its own, and unbounded they grew the runner ~4 KB each without end.
AUTHORIZER_CACHE_MAX_ENTRIES = 1000
# What a Lambda proxy integration may return (anything else is a malformed response).
_PROXY_RESULT_KEYS = {"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"}
_SCALARS = (str, int, float, bool)


@dataclass(frozen=True)
class GatewayResult:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


@dataclass(frozen=True)
class _Resource:
    path: str
    pattern: re.Pattern[str]
    rank: tuple[int, int]  # static segments, then non-greedy: API Gateway prefers the most specific

    @classmethod
    def of(cls, path: str) -> _Resource:
        segments = [s for s in path.split("/") if s]
        parts, static, greedy = [], 0, 0
        for segment in segments:
            if segment.startswith("{") and segment.endswith("+}"):
                parts.append(f"(?P<{segment[1:-2]}>.+)")
                greedy = 1
            elif segment.startswith("{") and segment.endswith("}"):
                parts.append(f"(?P<{segment[1:-1]}>[^/]+)")
            else:
                parts.append(re.escape(segment))
                static += 1
        return cls(path, re.compile("^/" + "/".join(parts) + "$"), (static, -greedy))


class Rejected(Exception):
    """The gateway answers the request itself, with this condition's gateway response."""

    def __init__(self, error: GatewayError) -> None:
        super().__init__(error.response_type)
        self.error = error


@dataclass(frozen=True)
class Policy:
    """A Lambda authorizer's output, checked: the caller's context and the policy's statements."""

    context: dict[str, Any]
    statements: list[dict[str, Any]]

    def verdict(self, arn: str) -> GatewayError | None:
        """None if the policy allows `arn`; else why not (an explicit Deny wins over any Allow)."""

        def matches(statement: dict[str, Any]) -> bool:
            resources = statement["Resource"]
            resources = [resources] if isinstance(resources, str) else resources
            return any(fnmatch.fnmatchcase(arn, pattern) for pattern in resources)

        effects = {str(s["Effect"]).lower() for s in self.statements if matches(s)}
        if "deny" in effects:
            return gateway_responses.EXPLICIT_DENY
        return None if "allow" in effects else gateway_responses.IMPLICIT_DENY


def authorizer_policy(output: Any) -> Policy:
    """The policy in a Lambda authorizer's output; Rejected (AUTHORIZER_CONFIGURATION_ERROR) if it is not valid:
    no principalId or policyDocument, a statement without an Allow/Deny Effect or Resource, or a context value
    that is not a string, number or boolean."""
    invalid = Rejected(gateway_responses.AUTHORIZER_CONFIGURATION_ERROR)
    if not isinstance(output, dict) or "principalId" not in output:
        raise invalid
    document = output.get("policyDocument")
    statements = document.get("Statement") if isinstance(document, dict) else None
    if not isinstance(statements, list):
        raise invalid
    for statement in statements:
        if not isinstance(statement, dict) or str(statement.get("Effect", "")).lower() not in {"allow", "deny"}:
            raise invalid
        resource = statement.get("Resource")
        if not isinstance(resource, str) and not (
            isinstance(resource, list) and all(isinstance(r, str) for r in resource)
        ):
            raise invalid
    context = output.get("context") or {}
    if not isinstance(context, dict) or not all(isinstance(value, _SCALARS) for value in context.values()):
        raise invalid
    return Policy(context={"principalId": output["principalId"], **context}, statements=statements)


def proxy_result(response: Any) -> tuple[int, list[tuple[str, str]], bytes]:
    """Status, headers and body of a Lambda proxy integration's result; Rejected (the function error 502) if
    it is malformed, as API Gateway rejects it."""
    malformed = Rejected(gateway_responses.FUNCTION_ERROR)
    if not isinstance(response, dict) or not set(response) <= _PROXY_RESULT_KEYS:
        raise malformed
    try:
        status = int(response.get("statusCode") or 200)
        headers = [(str(name), str(value)) for name, value in (response.get("headers") or {}).items()]
        for name, values in (response.get("multiValueHeaders") or {}).items():
            headers.extend((str(name), str(value)) for value in values)
        body = response.get("body") or ""
        if not isinstance(body, str):
            raise malformed
        payload = base64.b64decode(body, validate=True) if response.get("isBase64Encoded") else body.encode("utf-8")
    except (AttributeError, TypeError, ValueError, binascii.Error):
        raise malformed from None
    if not 100 <= status <= 599:
        raise malformed
    return status, headers, payload


def _log(text: str) -> None:
    # For the developer, as Lambda's and API Gateway's logs would say it; one write, as containers share stderr.
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


class Gateway:
    def __init__(
        self, template: Template, host: FunctionInvoker, *, throttling: bool = True, clock: Clock = time.monotonic
    ) -> None:
        self.stage = template.stage()
        self.host = host
        self.authorizers: dict[str, Authorizer] = template.authorizers()
        self.responses: dict[str, GatewayResponse] = template.gateway_responses()
        self.throttle = StageThrottle(template.throttle_limits() if throttling else {}, clock)
        self.routes: dict[str, dict[str, Route]] = {}
        for route in template.routes():
            self.routes.setdefault(route.path, {})[route.method] = route
        self._resources = sorted((_Resource.of(p) for p in self.routes), key=lambda r: r.rank, reverse=True)
        # One cache per authorizer, as each has its own TTL (its ReauthorizeEvery).
        self._policies: dict[str, TtlLruCache[tuple[str, ...], Policy]] = {
            name: TtlLruCache(authorizer.ttl_seconds, AUTHORIZER_CACHE_MAX_ENTRIES)
            for name, authorizer in self.authorizers.items()
        }

    # -- routing -------------------------------------------------------------------------------------
    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        if len(path) > 1:
            path = path.rstrip("/") or "/"
        for resource in self._resources:
            found = resource.pattern.match(path)
            if found is None:
                continue
            methods = self.routes[resource.path]
            route = methods.get(method) or methods.get("ANY")
            if route is None:
                return None
            return route, {name: unquote(value) for name, value in found.groupdict().items()}
        return None

    # -- the request ---------------------------------------------------------------------------------
    def handle(
        self,
        method: str,
        path: str,
        *,
        query: dict[str, list[str]],
        headers: dict[str, list[str]],
        body: bytes | None,
        source_ip: str = "127.0.0.1",
    ) -> GatewayResult:
        request = HttpRequest(
            method=method, path=path, resource="", query=query, headers=headers, body=body, source_ip=source_ip
        )
        try:
            return self._serve(request)
        except Rejected as rejected:
            return self.gateway_response(rejected.error, request.request_id)

    def _serve(self, request: HttpRequest) -> GatewayResult:
        if request.body is not None and len(request.body) > MAX_PAYLOAD_BYTES:
            raise Rejected(gateway_responses.REQUEST_TOO_LARGE)
        matched = self.match(request.method, request.path)
        if matched is None:
            raise Rejected(gateway_responses.MISSING_AUTHENTICATION_TOKEN)
        route, request.path_parameters = matched
        request.resource, request.stage = route.path, self.stage
        if not self.throttle.admits(route.path, route.method):
            raise Rejected(gateway_responses.THROTTLED)
        authorizer_context = None
        if route.authorizer is not None:
            authorizer_context = self._authorize(self.authorizers[route.authorizer], request)
        return self._integrate(route, proxy_event(request, authorizer_context))

    def _identity(self, authorizer: Authorizer, request: HttpRequest) -> tuple[str, ...] | None:
        lowered = {name.lower(): values for name, values in request.headers.items()}
        values: list[str] = []
        for header in authorizer.identity_headers:
            found = lowered.get(header.lower())
            if not found or not found[-1]:
                return None
            values.append(found[-1])
        for name in authorizer.identity_query:
            if not request.query.get(name) or not request.query[name][-1]:
                return None
            values.append(request.query[name][-1])
        return tuple(values)

    def _authorize(self, authorizer: Authorizer, request: HttpRequest) -> dict[str, Any]:
        identity = self._identity(authorizer, request)
        if identity is None:
            # API Gateway answers 401 itself, without calling the authorizer, when an identity source is missing.
            raise Rejected(gateway_responses.UNAUTHORIZED)
        started = time.monotonic()
        cache = self._policies[authorizer.name]
        loaded_at = cache.now()
        # Without identity sources there is nothing to key a cache on: API Gateway calls the authorizer each time.
        cached = cache.cached(identity, loaded_at) if identity else MISS
        if isinstance(cached, Policy):
            policy = cached
        else:
            policy = self._run_authorizer(authorizer, request)
            if identity:
                cache.store(identity, policy, loaded_at)  # a TTL of 0 stores nothing
        refused = policy.verdict(method_arn(request.stage, request.method, request.path))
        if refused is not None:
            raise Rejected(refused)
        return {**policy.context, "integrationLatency": int((time.monotonic() - started) * 1000)}

    def _run_authorizer(self, authorizer: Authorizer, request: HttpRequest) -> Policy:
        try:
            output = self.host.invoke(
                authorizer.function_id, authorizer_event(request), patience_seconds=AUTHORIZER_PATIENCE_SECONDS
            )
        except InvocationFailed as failure:
            # Exactly this message is how a Lambda authorizer asks for a 401; any other error (its Timeout too)
            # is API Gateway's AUTHORIZER_CONFIGURATION_ERROR.
            if failure.message == "Unauthorized":
                raise Rejected(gateway_responses.UNAUTHORIZED) from None
            _log(failure.log_text())
            raise Rejected(gateway_responses.AUTHORIZER_CONFIGURATION_ERROR) from None
        except CallerGaveUp:
            raise Rejected(gateway_responses.AUTHORIZER_CONFIGURATION_ERROR) from None
        return authorizer_policy(output)

    def _integrate(self, route: Route, event: dict[str, Any]) -> GatewayResult:
        try:
            response = self.host.invoke(route.function_id, event, patience_seconds=route.integration_timeout_seconds)
        except InvocationFailed as failure:
            _log(failure.log_text())
            raise Rejected(gateway_responses.FUNCTION_ERROR) from None
        except CallerGaveUp:
            raise Rejected(gateway_responses.INTEGRATION_TIMEOUT) from None
        try:
            status, headers, payload = proxy_result(response)
        except Rejected:
            _log(f"Execution failed due to configuration error: Malformed Lambda proxy response ({route.function_id})")
            raise
        if not any(name.lower() == "content-type" for name, _ in headers):
            headers.append(("Content-Type", "application/json"))
        headers.append(("x-amzn-RequestId", event["requestContext"]["requestId"]))
        return GatewayResult(status, headers, payload)

    def gateway_response(self, error: GatewayError | str, request_id: str | None = None) -> GatewayResult:
        """The gateway's own answer for a condition (or a response type's usual condition)."""
        condition = gateway_responses.BY_TYPE[error] if isinstance(error, str) else error
        rendered = gateway_responses.render(condition, self.responses)
        headers = [*rendered.headers, ("x-amzn-RequestId", request_id or str(uuid.uuid4()))]
        return GatewayResult(rendered.status, headers, rendered.body)


def problem(status: int, message: str) -> GatewayResult:
    """An answer of the runner itself (never of the API), e.g. for a request it cannot parse."""
    body = json.dumps({"message": message}).encode("utf-8")
    return GatewayResult(status, [("Content-Type", "application/json")], body)
