"""OpenAPI 3.1 for the whole API: each function's resolver schema (Powertools), merged, then completed with
what API Gateway and the error mapping add: auth schemes and every error status in its dialect's shape."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aws_lambda_powertools.event_handler.openapi import swagger_ui
from aws_lambda_powertools.event_handler.openapi.merge import OpenAPIMerge

from signing_keys_local.functions import FunctionHost

_FASTPIX_ERROR = {
    "type": "object",
    "required": ["success", "error"],
    "properties": {
        "success": {"const": False},
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "integer"},
                "message": {"type": "string"},
                "fields": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["field", "message"],
                        "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
                    },
                },
            },
        },
        "errors": {"type": "array", "items": {"type": "string"}},
    },
}
_LIVEPEER_ERROR = {
    "type": "object",
    "required": ["errors"],
    "properties": {"errors": {"type": "array", "items": {"type": "string"}, "minItems": 1}},
}
# Answers of API Gateway itself (authorizer, unknown route) carry both shapes; so do routes of neither dialect.
_GATEWAY_ERROR = {"allOf": [_FASTPIX_ERROR, _LIVEPEER_ERROR]}
_DESCRIPTIONS = {
    401: "Missing or invalid credential or token",
    403: "Key limit reached, or a valid token for another media or a disabled key",
    404: "Unknown key (another workspace's key answers the same)",
    405: "Method not served by this resource (see Allow)",
    413: "Request body too large",
    415: "Body is not application/json",
    422: "Invalid input; `fields` names what is wrong",
    503: "DynamoDB throttled or kept conflicting; retry after Retry-After seconds",
}
# Success codes other than Powertools' default 200 (the handlers return them through their dialect).
_SUCCESS = {
    ("/iam/signing-keys", "post"): (201, "Created; privateKey is shown this once"),
    ("/access-control/signing-key/{keyId}", "patch"): (204, "Updated"),
    ("/access-control/signing-key/{keyId}", "delete"): (204, "Deleted"),
}
# Where a created key's id is, so clients (and stateful fuzzers) can follow create → get/update/delete.
_CREATED_KEY_LINKS = {
    ("/iam/signing-keys", "post"): ("/iam/signing-keys/{signingKeyId}", "signingKeyId", "$response.body#/data/id"),
    ("/access-control/signing-key", "post"): ("/access-control/signing-key/{keyId}", "keyId", "$response.body#/id"),
}
SECURITY_SCHEMES = {
    "basicAuth": {"type": "http", "scheme": "basic", "description": "FastPix style: token id and secret"},
    "bearerAuth": {"type": "http", "scheme": "bearer", "description": "Livepeer style: the secret"},
    "playbackToken": {"type": "apiKey", "in": "query", "name": "token", "description": "A playback JWT"},
    "playbackBearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
}


def _error_schema(path: str) -> str:
    if path.startswith("/iam/"):
        return "FastPixError"
    if path.startswith("/access-control/"):
        return "LivepeerError"
    return "GatewayError"


def _statuses(path: str, method: str) -> list[int]:
    if path.startswith(("/iam/", "/access-control/")):
        statuses = [401, 405, 503]
        if method in {"post", "patch"}:
            statuses += [413, 415, 422]
        if method == "post":
            statuses.append(403)
        if "{" in path:
            statuses += [404, 422]
        if method == "get" and "{" not in path and path.startswith("/iam/"):
            statuses.append(422)
        return sorted(set(statuses))
    if "/playback/" in path:
        return [401, 403, 405, 503]
    return [405, 503]


def _security(path: str) -> list[dict[str, list[str]]]:
    if path.startswith(("/iam/", "/access-control/")):
        return [{"basicAuth": []}, {"bearerAuth": []}]
    if "/playback/" in path:
        return [{"playbackToken": []}, {"playbackBearer": []}]
    return []


def build(host: FunctionHost) -> dict[str, Any]:
    merge = OpenAPIMerge(
        title="Signing Keys API",
        version="1.0.0",
        description="Playback signing keys in the FastPix and Livepeer dialects, over one key store.",
        on_conflict="error",
    )
    for logical_id in sorted(host.functions):
        resolver = getattr(host.module(logical_id), "app", None)
        if resolver is not None:
            merge.add_schema(json.loads(resolver.get_openapi_json_schema()))
    schema = merge.get_openapi_schema()
    schema.pop("servers", None)
    components = schema.setdefault("components", {})
    components.setdefault("schemas", {}).update(
        {"FastPixError": _FASTPIX_ERROR, "LivepeerError": _LIVEPEER_ERROR, "GatewayError": _GATEWAY_ERROR}
    )
    for name in ("HTTPValidationError", "ValidationError"):
        components["schemas"].pop(name, None)  # Powertools' 422 shape: ours replaces it
    components["securitySchemes"] = SECURITY_SCHEMES
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            if (path, method) in _SUCCESS:
                status, description = _SUCCESS[(path, method)]
                success = responses.pop("200", {})
                responses[str(status)] = (
                    {"description": description} if status == 204 else {**success, "description": description}
                )
            for status in _statuses(path, method):
                responses[str(status)] = {
                    "description": _DESCRIPTIONS[status],
                    "content": {
                        "application/json": {"schema": {"$ref": f"#/components/schemas/{_error_schema(path)}"}}
                    },
                }
            operation["security"] = _security(path)
    _add_links(schema["paths"])
    return schema


def _add_links(paths: dict[str, Any]) -> None:
    for (path, method), (target, parameter, expression) in _CREATED_KEY_LINKS.items():
        success = next(code for code in ("201", "200") if code in paths[path][method]["responses"])
        paths[path][method]["responses"][success]["links"] = {
            f"{other_method.capitalize()}CreatedKey": {
                "operationId": operation["operationId"],
                "parameters": {parameter: expression},
            }
            for other_method, operation in paths[target].items()
        }


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def documents(schema: dict[str, Any]) -> dict[str, tuple[str, bytes]]:
    """/openapi.json and /docs (Swagger UI from the assets Powertools ships, so it works offline)."""
    assets = Path(swagger_ui.__file__).parent
    page = """<!doctype html>
<html><head><meta charset="utf-8"><title>Signing Keys API</title>
<link rel="stylesheet" href="/docs/swagger-ui.css"></head>
<body><div id="ui"></div><script src="/docs/swagger-ui.js"></script>
<script>SwaggerUIBundle({url: "/openapi.json", dom_id: "#ui"});</script></body></html>
"""
    return {
        "/openapi.json": ("application/json", render(schema).encode()),
        "/docs": ("text/html; charset=utf-8", page.encode()),
        "/docs/swagger-ui.css": ("text/css", (assets / "swagger-ui.min.css").read_bytes()),
        "/docs/swagger-ui.js": ("application/javascript", (assets / "swagger-ui-bundle.min.js").read_bytes()),
    }
