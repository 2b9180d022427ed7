"""openapi.json is valid OpenAPI 3.1 by an independent validator, every reference resolves, each operation
carries the route table's id, tags and a real schema for each answer, and the document teaches: every operation,
parameter, schema and property is described with an example, and every example holds by its own schema."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from signing_keys import routes
from signing_keys.rejections import MEANINGS, Rejection, status_of
from signing_keys_local.template import Template
from tests.conftest import ROOT, TEMPLATE

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


# -- a document that teaches: every operation, parameter and schema described, with examples that hold --------
COMPONENTS = DOCUMENT["components"]["schemas"]
TOKEN_OPERATIONS = ("verifyPlayback", "playMedia", "verifyToken")


def validate_example(example: Any, schema: dict[str, Any]) -> None:
    """`example` against `schema`, its references resolved within the document."""
    Draft202012Validator({**schema, "components": DOCUMENT["components"]}).validate(example)


def _leaf_without_example(schema: dict[str, Any]) -> bool:
    """A property Swagger UI would render as a placeholder ("string", 0): no example, and nothing else to show."""
    if "examples" in schema or "$ref" in schema or "enum" in schema or "const" in schema:
        return False
    if schema.get("type") == "boolean" or "$ref" in schema.get("items", {}):
        return False
    return not any("$ref" in variant for variant in schema.get("anyOf", []))


def test_every_operation_says_what_it_does_beyond_its_summary() -> None:
    undescribed = [op["operationId"] for *_, op in OPERATIONS if len(op.get("description", "")) <= len(op["summary"])]
    assert undescribed == []


def test_every_parameter_has_a_description_and_an_example_swagger_ui_shows() -> None:
    parameters = [(op["operationId"], p) for *_, op in OPERATIONS for p in op.get("parameters", [])]
    assert [(op, p["name"]) for op, p in parameters if not p.get("description") or "example" not in p] == []
    for _, parameter in parameters:
        validate_example(parameter["example"], parameter["schema"])


def test_every_schema_is_described_and_every_property_has_a_description_and_an_example() -> None:
    assert [name for name, schema in COMPONENTS.items() if not schema.get("description")] == []
    properties = [
        (name, field, schema)
        for name, model in COMPONENTS.items()
        for field, schema in model.get("properties", {}).items()
    ]
    assert [
        (name, field) for name, field, schema in properties if "description" not in schema and "$ref" not in schema
    ] == []
    assert [(name, field) for name, field, schema in properties if _leaf_without_example(schema)] == []


def test_every_example_is_valid_by_its_own_schema() -> None:
    for name, model in COMPONENTS.items():
        for example in model.get("examples", []):
            validate_example(example, {"$ref": f"#/components/schemas/{name}"})
        for schema in model.get("properties", {}).values():
            for example in schema.get("examples", []):
                validate_example(example, schema)
    for *_, op in OPERATIONS:
        bodies = [op.get("requestBody", {}), *op["responses"].values()]
        for media in (media for body in bodies for media in body.get("content", {}).values()):
            for example in media.get("examples", {}).values():
                validate_example(example["value"], media["schema"])


def test_every_error_answer_shows_an_example_of_that_status() -> None:
    for *_, op in OPERATIONS:
        for status, response in op["responses"].items():
            if int(status) < 400:
                continue
            (example,) = response["content"]["application/json"]["examples"].values()
            body = example["value"]
            # Livepeer's `errors` says no status; FastPix's and the union shape's `error.code` does.
            assert body["error"]["code"] == int(status) if "error" in body else set(body) == {"errors"}


def test_the_documented_429_is_api_gateways_throttled_answer() -> None:
    throttled = Template(TEMPLATE).gateway_responses()["THROTTLED"]
    for *_, op in OPERATIONS:
        (example,) = op["responses"]["429"]["content"]["application/json"]["examples"].values()
        assert example["value"] == json.loads(throttled.body), op["operationId"]


@pytest.mark.parametrize("operation_id", TOKEN_OPERATIONS)
def test_the_operations_that_judge_tokens_list_the_claims_and_every_refusal_reason(operation_id: str) -> None:
    (description,) = [op["description"] for *_, op in OPERATIONS if op["operationId"] == operation_id]
    for claim in ("`kid`", '`aud: "media:<mediaId>"`', "`pub`", '`sub: "<mediaId>"`', "`exp`", "`iat`", "`nbf`"):
        assert claim in description, claim
    for claim in ("`jti`", "`viewer`", "`single_use: true`", "MaxTokenLifetimeSeconds"):
        assert claim in description, claim
    for reason in Rejection:
        assert f"| `{reason.value}` | {status_of(reason)} | {MEANINGS[reason]} |" in description


def test_every_refusal_reason_has_a_meaning() -> None:
    assert set(MEANINGS) == set(Rejection)


def test_the_tags_are_the_operations_and_each_is_described() -> None:
    used = {tag for *_, op in OPERATIONS for tag in op["tags"]}
    assert [tag["name"] for tag in DOCUMENT["tags"]] == list(routes.TAG_DESCRIPTIONS)
    assert set(routes.TAG_DESCRIPTIONS) == used
    assert all(tag["description"] for tag in DOCUMENT["tags"])


def test_the_seeds_tags_are_kept() -> None:
    assert {routes.FASTPIX_TAG, routes.LIVEPEER_TAG} == {"Signing Keys", "accessControl"}


def test_the_servers_are_the_local_runner_and_a_deployed_stage() -> None:
    local, deployed = DOCUMENT["servers"]
    assert local["url"] == "http://127.0.0.1:3000"
    variables = set(re.findall(r"\{(\w+)\}", deployed["url"]))
    assert variables == set(deployed["variables"]) == {"apiId", "region", "stage"}
    assert Template(TEMPLATE).parameters["StageName"] == deployed["variables"]["stage"]["default"]
