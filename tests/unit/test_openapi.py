"""openapi.json is valid OpenAPI 3.1 by an independent validator, every reference resolves, and each operation
carries the route table's id, tags and a real schema for each answer."""

from __future__ import annotations

import json
from typing import Any

import pytest
from openapi_spec_validator import validate

from signing_keys import routes
from tests.conftest import ROOT

DOCUMENT: dict[str, Any] = json.loads((ROOT / "openapi.json").read_text(encoding="utf-8"))
OPERATIONS = [(path, method, op) for path, ops in DOCUMENT["paths"].items() for method, op in ops.items()]


def references(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if "$ref" in node else []
        return found + [ref for value in node.values() for ref in references(value)]
    if isinstance(node, list):
        return [ref for item in node for ref in references(item)]
    return []


def test_the_document_is_valid_openapi() -> None:
    validate(DOCUMENT)  # raises with the offending path when invalid


def test_every_reference_resolves() -> None:
    schemas = DOCUMENT["components"]["schemas"]
    dangling = {ref for ref in references(DOCUMENT) if ref.removeprefix("#/components/schemas/") not in schemas}
    assert dangling == set()


def test_operations_are_the_route_tables() -> None:
    documented = {(method.upper(), path, op["operationId"], tuple(op["tags"])) for path, method, op in OPERATIONS}
    table = {(r.method, r.document_path, r.operation_id, r.tags) for r in routes.ROUTES}
    assert documented == table


@pytest.mark.parametrize(("path", "method", "operation"), OPERATIONS, ids=[op["operationId"] for *_, op in OPERATIONS])
def test_every_answer_has_a_schema_but_no_content(path: str, method: str, operation: dict[str, Any]) -> None:
    route = routes.by_operation_id(operation["operationId"])
    assert str(route.success_status) in operation["responses"]
    for status, response in operation["responses"].items():
        if status == "204":
            assert "content" not in response
            continue
        if status == "302":  # a redirect says where, in its Location header, and has no body
            assert "content" not in response
            assert "Location" in response["headers"]
            continue
        schema = response["content"]["application/json"]["schema"]
        assert schema.get("$ref", "").startswith("#/components/schemas/"), (status, schema)
        assert schema != {"title": "Return"}


def test_error_answers_use_the_routes_dialect_and_a_refused_viewer_token_says_why() -> None:
    expected = {
        routes.Dialect.FASTPIX: "FastPixError",
        routes.Dialect.LIVEPEER: "LivepeerError",
        routes.Dialect.NEUTRAL: "UnionError",
    }
    for path, method, operation in OPERATIONS:
        route = routes.by_operation_id(operation["operationId"])
        errors = {
            int(status): response["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
            for status, response in operation["responses"].items()
            if int(status) >= 400
        }
        refusals = {401, 403} if route.viewer_token else set()
        assert {errors[status] for status in errors.keys() - refusals} == {expected[route.dialect]}, (method, path)
        assert {errors[status] for status in refusals} <= {"TokenRefusal"}, (method, path)


def test_the_documented_public_key_limit_is_the_enforced_one() -> None:
    from signing_keys.limits import MAX_PUBLIC_KEY_CHARS

    schemas = DOCUMENT["components"]["schemas"]
    for name in ("FastPixCreateKeyRequest", "LivepeerCreateKeyRequest"):
        (string,) = [v for v in schemas[name]["properties"]["publicKey"]["anyOf"] if v.get("type") == "string"]
        assert string["maxLength"] == MAX_PUBLIC_KEY_CHARS
