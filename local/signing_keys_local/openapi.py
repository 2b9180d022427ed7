"""OpenAPI 3.1 for the whole API: each function's resolver schema (Powertools, with the operation ids, tags,
summaries, descriptions and response models the handlers registered from `signing_keys.routes`, and the
parameters they declare from `signing_keys.parameters`), merged, then completed with what API Gateway adds (the
authorizers' security schemes, links from create to get/update/delete) and where to call it: the servers, the
tags' descriptions, the README."""

from __future__ import annotations

import json
from http import HTTPStatus
from pathlib import Path
from typing import Any

from aws_lambda_powertools.event_handler.openapi import swagger_ui
from aws_lambda_powertools.event_handler.openapi.merge import OpenAPIMerge

from signing_keys.dialects import examples
from signing_keys.routes import ROUTES, TAG_DESCRIPTIONS, Auth, Dialect, Route
from signing_keys_local.functions import FunctionHost

DESCRIPTION = """Playback signing keys in the FastPix and Livepeer dialects, over one key store: create, list, \
rotate and delete keys with either platform's SDK, verify the playback tokens they sign, revoke tokens or viewers, \
and read the audit trail.

Management operations take a workspace's API credential: HTTP Basic with its token id and secret (FastPix style), \
or `Authorization: Bearer <secret>` (Livepeer style); a read-only credential may list and get, and is refused \
(403) every change. Playback operations take a viewer's playback token instead. Errors come in the route's \
dialect: FastPix `{"success": false, "error": {...}}`, Livepeer `{"errors": [...]}`, both at once on routes of \
neither platform and in API Gateway's own answers."""
SERVERS = [
    {"url": "http://127.0.0.1:3000", "description": "The local runner (make run)"},
    {
        "url": "https://{apiId}.execute-api.{region}.amazonaws.com/{stage}",
        "description": "A deployed stack: its ApiUrl output (sam deploy)",
        "variables": {
            "apiId": {"default": "abcde12345", "description": "The REST API's id (SigningKeysApi)"},
            "region": {"default": "us-east-1", "description": "The stack's AWS Region"},
            "stage": {"default": "v1", "description": "The StageName parameter"},
        },
    },
]
# Served by the runner beside /docs (`documents`).
README_PATH = "/docs/README.md"
_README = Path(__file__).resolve().parents[2] / "README.md"
EXTERNAL_DOCS = {
    "description": "README: run it, both SDKs against it, playback tokens, revocations, key policies, deploying",
    "url": README_PATH,
}
SECURITY_SCHEMES = {
    "basicAuth": {
        "type": "http",
        "scheme": "basic",
        "description": "FastPix style: the credential's token id as user name, its secret as password",
    },
    "bearerAuth": {
        "type": "http",
        "scheme": "bearer",
        "description": "Livepeer style: `Authorization: Bearer <the credential's secret>`",
    },
    "playbackToken": {
        "type": "apiKey",
        "in": "query",
        "name": "token",
        "description": "A viewer's playback JWT in `?token=`",
    },
    "playbackBearer": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "A viewer's playback JWT in `Authorization: Bearer <JWT>`",
    },
}
# Either scheme of each authorizer works; an empty list overrides any default (the route is public).
SECURITY: dict[Auth, list[dict[str, list[str]]]] = {
    Auth.MANAGEMENT: [{"basicAuth": []}, {"bearerAuth": []}],
    Auth.NONE: [],
}
REDIRECT_HEADERS = {
    "Location": {
        "description": "Where to go: the file's tokenized edge URL (relative when EdgeBaseUrl is empty)",
        "schema": {"type": "string"},
        "example": examples.EDGE_LOCATION,
    },
    "Cache-Control": {
        "description": "The answer is this viewer's session: never cached",
        "schema": {"type": "string"},
        "example": "no-store",
    },
}
VIEWER_TOKEN: list[dict[str, list[str]]] = [{"playbackToken": []}, {"playbackBearer": []}]
# Where a created thing's id is in each dialect's create response (a key; in the neutral dialect, a revocation).
_CREATED_ID = {
    Dialect.FASTPIX: "$response.body#/data/id",
    Dialect.LIVEPEER: "$response.body#/id",
    Dialect.NEUTRAL: "$response.body#/id",
}


def build(host: FunctionHost) -> dict[str, Any]:
    merge = OpenAPIMerge(title="Signing Keys API", version="1.0.0", description=DESCRIPTION, on_conflict="error")
    for logical_id in sorted(host.functions):
        resolver = getattr(host.module(logical_id), "app", None)
        if resolver is not None:
            merge.add_schema(json.loads(resolver.get_openapi_json_schema()))
    schema = merge.get_openapi_schema()
    schema["servers"] = SERVERS
    schema["externalDocs"] = EXTERNAL_DOCS
    schema["tags"] = [{"name": name, "description": text} for name, text in TAG_DESCRIPTIONS.items()]
    schema.setdefault("components", {})["securitySchemes"] = SECURITY_SCHEMES
    _greedy_paths_as_parameters(schema["paths"])
    for route in ROUTES:
        operation = schema["paths"][route.document_path][route.method.lower()]
        operation["security"] = VIEWER_TOKEN if route.viewer_token else SECURITY[route.auth]
        _parameter_examples_shown(operation)
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
                    "schema": {"type": "string", "examples": [examples.MEDIA_PATH]},
                    "example": examples.MEDIA_PATH,
                    "description": (
                        "The file within the media, one or more path segments (A-Z a-z 0-9 _ . -, not starting "
                        "with . or -), as the edge serves it."
                    ),
                }
            )
        paths.setdefault(route.document_path, {}).update(operations)


def _parameter_examples_shown(operation: dict[str, Any]) -> None:
    """A parameter's example as its own `example` too: Swagger UI shows that one, not its schema's `examples`."""
    for parameter in operation.get("parameters", []):
        shown = parameter["schema"].get("examples")
        if shown:
            parameter["example"] = shown[0]


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
    """/openapi.json, /docs (Swagger UI from the assets Powertools ships, so it works offline, calling this runner
    first) and the README the document links to."""
    assets = Path(swagger_ui.__file__).parent
    page = """<!doctype html>
<html><head><meta charset="utf-8"><title>Signing Keys API</title>
<link rel="stylesheet" href="/docs/swagger-ui.css"></head>
<body><div id="ui"></div><script src="/docs/swagger-ui.js"></script>
<script>
// The runner serving this page comes first among the servers, whatever its port: "Try it out" calls it, and the
// document's relative links (the README) resolve to it.
fetch("/openapi.json").then((answer) => answer.json()).then((spec) => {
  spec.servers = [{url: window.location.origin, description: "This runner"}, ...spec.servers];
  SwaggerUIBundle({spec: spec, dom_id: "#ui"});
});
</script></body></html>
"""
    return {
        "/openapi.json": ("application/json", render(schema).encode()),
        "/docs": ("text/html; charset=utf-8", page.encode()),
        "/docs/swagger-ui.css": ("text/css", (assets / "swagger-ui.min.css").read_bytes()),
        "/docs/swagger-ui.js": ("application/javascript", (assets / "swagger-ui-bundle.min.js").read_bytes()),
        README_PATH: ("text/plain; charset=utf-8", _README.read_bytes()),
    }
