"""What API Gateway does between the socket and the Lambda handler, for the routes in template.yaml:
route matching, Lambda REQUEST authorizers with policy evaluation and caching, gateway responses, and the
proxy integration's event and response formats."""

from __future__ import annotations

import base64
import fnmatch
import json
import re
import sys
import threading
import time
import traceback
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from signing_keys_local.events import HttpRequest, authorizer_event, method_arn, proxy_event
from signing_keys_local.functions import FunctionHost
from signing_keys_local.template import Authorizer, GatewayResponse, Route, Template

MAX_PAYLOAD_BYTES = 10 * 1024 * 1024  # API Gateway's request payload quota


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


@dataclass(frozen=True)
class _Allowed:
    context: dict[str, Any]
    statements: list[dict[str, Any]]

    def permits(self, arn: str) -> bool:
        def matches(statement: dict[str, Any]) -> bool:
            resources = statement.get("Resource", [])
            resources = [resources] if isinstance(resources, str) else resources
            return any(fnmatch.fnmatchcase(arn, pattern) for pattern in resources)

        effects = [str(s.get("Effect", "")).lower() for s in self.statements if matches(s)]
        return "allow" in effects and "deny" not in effects


class _Rejected(Exception):
    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


class Gateway:
    def __init__(self, template: Template, host: FunctionHost) -> None:
        self.stage = template.stage()
        self.host = host
        self.authorizers: dict[str, Authorizer] = template.authorizers()
        self.responses: dict[str, GatewayResponse] = template.gateway_responses()
        self.routes: dict[str, dict[str, Route]] = {}
        for route in template.routes():
            self.routes.setdefault(route.path, {})[route.method] = route
        self._resources = sorted((_Resource.of(p) for p in self.routes), key=lambda r: r.rank, reverse=True)
        self._cache: dict[tuple[str, tuple[str, ...]], tuple[float, _Allowed]] = {}
        self._cache_lock = threading.Lock()

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
        if body is not None and len(body) > MAX_PAYLOAD_BYTES:
            return self.gateway_response("REQUEST_TOO_LARGE")
        matched = self.match(method, path)
        if matched is None:
            return self.gateway_response("MISSING_AUTHENTICATION_TOKEN")
        route, path_parameters = matched
        request = HttpRequest(
            method=method,
            path=path,
            resource=route.path,
            path_parameters=path_parameters,
            query=query,
            headers=headers,
            body=body,
            stage=self.stage,
            source_ip=source_ip,
        )
        authorizer_context: dict[str, Any] | None = None
        if route.authorizer is not None:
            try:
                authorizer_context = self._authorize(self.authorizers[route.authorizer], request)
            except _Rejected as rejected:
                return self.gateway_response(rejected.kind)
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
            raise _Rejected("UNAUTHORIZED")
        arn = method_arn(request.stage, request.method, request.path)
        cache_key = (authorizer.name, identity)
        started = time.monotonic()
        allowed = self._cached(cache_key) if authorizer.ttl_seconds > 0 and identity else None
        if allowed is None:
            allowed = self._run_authorizer(authorizer, request)
            if authorizer.ttl_seconds > 0 and identity:
                with self._cache_lock:
                    self._cache[cache_key] = (time.monotonic() + authorizer.ttl_seconds, allowed)
        if not allowed.permits(arn):
            raise _Rejected("ACCESS_DENIED")
        return {**allowed.context, "integrationLatency": int((time.monotonic() - started) * 1000)}

    def _cached(self, key: tuple[str, tuple[str, ...]]) -> _Allowed | None:
        with self._cache_lock:
            entry = self._cache.get(key)
            if entry is None or entry[0] < time.monotonic():
                self._cache.pop(key, None)
                return None
            return entry[1]

    def _run_authorizer(self, authorizer: Authorizer, request: HttpRequest) -> _Allowed:
        try:
            output = self.host.invoke(authorizer.function_id, authorizer_event(request))
        except Exception as error:
            raise _Rejected("UNAUTHORIZED" if str(error) == "Unauthorized" else "AUTHORIZER_FAILURE") from None
        try:
            statements = output["policyDocument"]["Statement"]
            principal = output["principalId"]
            context = dict(output.get("context") or {})
        except (KeyError, TypeError):
            raise _Rejected("AUTHORIZER_CONFIGURATION_ERROR") from None
        return _Allowed(context={"principalId": principal, **context}, statements=list(statements))

    def _integrate(self, route: Route, event: dict[str, Any]) -> GatewayResult:
        try:
            response = self.host.invoke(route.function_id, event)
            status = int(response["statusCode"])
            headers: list[tuple[str, str]] = [(k, str(v)) for k, v in (response.get("headers") or {}).items()]
            for name, values in (response.get("multiValueHeaders") or {}).items():
                headers.extend((name, str(v)) for v in values)
            body = response.get("body") or ""
            payload = base64.b64decode(body) if response.get("isBase64Encoded") else str(body).encode("utf-8")
        except Exception:
            # What Lambda would write to the function's log: the unhandled error, for the developer.
            traceback.print_exc(file=sys.stderr)
            return self.gateway_response("INTEGRATION_FAILURE")
        if not any(name.lower() == "content-type" for name, _ in headers):
            headers.append(("Content-Type", "application/json"))
        headers.append(("x-amzn-RequestId", event["requestContext"]["requestId"]))
        return GatewayResult(status, headers, payload)

    def gateway_response(self, kind: str) -> GatewayResult:
        response = self.responses[kind]
        headers = [("Content-Type", "application/json"), *response.headers.items()]
        return GatewayResult(response.status, headers, response.body.encode("utf-8"))


def problem(status: int, message: str) -> GatewayResult:
    """An answer of the runner itself (never of the API), e.g. for a request it cannot parse."""
    body = json.dumps({"message": message}).encode("utf-8")
    return GatewayResult(status, [("Content-Type", "application/json")], body)
