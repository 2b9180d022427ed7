"""OpenAPI 3.1 for the whole API: each function's resolver schema (Powertools, with the operation ids, tags,
summaries and response models the handlers registered from `signing_keys.routes`), merged, then completed
with what API Gateway adds: the authorizers' security schemes and links from create to get/update/delete."""

from __future__ import annotations

import json
from http import HTTPStatus
from pathlib import Path
from typing import Any

from aws_lambda_powertools.event_handler.openapi import swagger_ui
from aws_lambda_powertools.event_handler.openapi.merge import OpenAPIMerge

from signing_keys.routes import ROUTES, TAG_DESCRIPTIONS, Auth, Dialect, Route
from signing_keys_local.functions import FunctionHost

SECURITY_SCHEMES = {
    "basicAuth": {"type": "http", "scheme": "basic", "description": "FastPix style: token id and secret"},
    "bearerAuth": {"type": "http", "scheme": "bearer", "description": "Livepeer style: the secret"},
    "playbackToken": {"type": "apiKey", "in": "query", "name": "token", "description": "A playback JWT"},
    "playbackBearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
}
# Either scheme of each authorizer works; an empty list overrides any default (the route is public).
SECURITY: dict[Auth, list[dict[str, list[str]]]] = {
    Auth.MANAGEMENT: [{"basicAuth": []}, {"bearerAuth": []}],
    Auth.NONE: [],
}
REDIRECT_HEADERS = {
    "Location": {"description": "where to go: the media's tokenized edge URL", "schema": {"type": "string"}},
    "Cache-Control": {"description": "no-store: the answer is this viewer's session", "schema": {"type": "string"}},
}
VIEWER_TOKEN: list[dict[str, list[str]]] = [{"playbackToken": []}, {"playbackBearer": []}]
# Where a created thing's id is in each dialect's create response (a key; in the neutral dialect, a revocation).
_CREATED_ID = {
    Dialect.FASTPIX: "$response.body#/data/id",
    Dialect.LIVEPEER: "$response.body#/id",
    Dialect.NEUTRAL: "$response.body#/id",
}
_VALIDATION_ERROR_REF = "#/components/schemas/HTTPValidationError"


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
    schema["tags"] = [{"name": name, "description": text} for name, text in TAG_DESCRIPTIONS.items()]
    schema.setdefault("components", {})["securitySchemes"] = SECURITY_SCHEMES
    _greedy_paths_as_parameters(schema["paths"])
    for route in ROUTES:
        operation = schema["paths"][route.document_path][route.method.lower()]
        operation["security"] = VIEWER_TOKEN if route.viewer_token else SECURITY[route.auth]
        _drop_default_validation_error(operation)
        _optional_body_is_absent(operation)
        success = operation["responses"][str(route.success_status)]
        if route.success_status == HTTPStatus.NO_CONTENT or 300 <= route.success_status < 400:
            # Powertools fills a response declared without content from the handler's return annotation.
            success.pop("content", None)
        if 300 <= route.success_status < 400:
            success["headers"] = REDIRECT_HEADERS
    _add_links(schema["paths"])
    _prune_unreferenced_schemas(schema)
    return schema


def _greedy_paths_as_parameters(paths: dict[str, Any]) -> None:
    """A route with a `{name+}` parameter is registered with Powertools as `.+` (its own parameters never span a
    slash): document it at its template path, the parameter declared."""
    for route in ROUTES:
        name = route.greedy_parameter
        registered = route.resolver_rule.replace("<", "{").replace(">", "}")
        if name is None or registered not in paths:
            continue
        operations = paths.pop(registered)
        for operation in operations.values():
            operation.setdefault("parameters", []).append(
                {
                    "name": name,
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string"},
                    "description": "one or more path segments within the media, e.g. 720p/index.m3u8",
                }
            )
        paths.setdefault(route.document_path, {}).update(operations)


def _drop_default_validation_error(operation: dict[str, Any]) -> None:
    """Powertools documents a 422 in its own shape on every operation; ours are declared where they occur."""
    invalid = operation["responses"].get("422", {})
    if invalid.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref") == _VALIDATION_ERROR_REF:
        del operation["responses"]["422"]


def _optional_body_is_absent(operation: dict[str, Any]) -> None:
    """An optional body is one the client may leave out, not one it may send as JSON null (a 422)."""
    body = operation.get("requestBody")
    if body is None:
        return
    media = body["content"]["application/json"]
    variants = media["schema"].get("anyOf", [])
    if len(variants) == 2 and {"type": "null"} in variants:
        media["schema"] = next(variant for variant in variants if variant != {"type": "null"})
        body["required"] = False


def _created_links(create: Route) -> dict[str, Any]:
    """Links from a create to the operations on what it created, so clients (and stateful fuzzers) follow."""
    links: dict[str, Any] = {}
    for route in ROUTES:
        parameter = route.id_parameter
        if parameter is None or route.dialect is not create.dialect or not route.path.startswith(create.path + "/"):
            continue
        created = "Key" if route.key_id_parameter else "Revocation"
        links[f"{route.method.capitalize()}Created{created}"] = {
            "operationId": route.operation_id,
            "parameters": {parameter: _CREATED_ID[create.dialect]},
        }
    return links


def _add_links(paths: dict[str, Any]) -> None:
    for route in ROUTES:
        if route.method == "POST" and route.dialect in _CREATED_ID and not route.path_parameters:
            success = paths[route.document_path]["post"]["responses"][str(route.success_status)]
            success["links"] = _created_links(route)


def _references(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"]} if isinstance(node.get("$ref"), str) else set()
        return found.union(*(_references(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(_references(item) for item in node))
    return set()


def _prune_unreferenced_schemas(schema: dict[str, Any]) -> None:
    """Keep the component schemas some operation reaches (Powertools adds its validation shapes to every one)."""
    definitions: dict[str, Any] = schema["components"].get("schemas", {})
    prefix = "#/components/schemas/"
    reached: set[str] = set()
    pending = [ref for ref in _references(schema["paths"]) if ref.startswith(prefix)]
    while pending:
        name = pending.pop().removeprefix(prefix)
        if name in reached:
            continue
        reached.add(name)
        pending.extend(ref for ref in _references(definitions.get(name, {})) if ref.startswith(prefix))
    schema["components"]["schemas"] = {name: definitions[name] for name in sorted(reached) if name in definitions}


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
