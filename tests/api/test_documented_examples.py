"""What openapi.json shows a reader to send works as it says: every request body example is accepted by its
operation, and the example cursors are cursors the listings accept."""

from __future__ import annotations

import json
from typing import Any

import pytest

from signing_keys import routes
from signing_keys.dialects import examples
from tests.conftest import ROOT
from tests.support import LocalApi, basic, bearer

DOCUMENT: dict[str, Any] = json.loads((ROOT / "openapi.json").read_text(encoding="utf-8"))
SCHEMAS = DOCUMENT["components"]["schemas"]


def body_examples() -> list[tuple[routes.Route, Any]]:
    """Each operation's request body examples, as its schema gives them."""
    found = []
    for route in routes.ROUTES:
        operation = DOCUMENT["paths"][route.document_path][route.method.lower()]
        schema = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
        if schema is not None:
            name = schema["$ref"].rsplit("/", 1)[1]
            found += [(route, example) for example in SCHEMAS[name].get("examples", [])]
    return found


def test_every_operation_with_a_body_documents_one() -> None:
    with_body = {route.operation_id for route in routes.ROUTES if route.method in {"POST", "PATCH"}}
    assert {route.operation_id for route, _ in body_examples()} == with_body


@pytest.mark.parametrize(("route", "example"), body_examples(), ids=lambda value: getattr(value, "operation_id", ""))
def test_every_request_body_example_is_accepted_by_its_operation(
    api: LocalApi, route: routes.Route, example: Any
) -> None:
    # Given a workspace holding a key, and the example body the document shows for the operation
    credential = api.credential("ws-a")
    key = api.request("POST", "/access-control/signing-key", authorization=bearer(credential)).json()
    path = route.path.replace(f"{{{route.key_id_parameter}}}", key["id"])
    # When a client sends it as it is
    reply = api.request(route.method, path, authorization=basic(credential), body=example)
    # Then the operation succeeds
    assert reply.status == route.success_status, reply.body


@pytest.mark.parametrize(
    ("path", "cursor"), [("/audit-events", examples.AUDIT_CURSOR), ("/revocations", examples.REVOCATION_CURSOR)]
)
def test_the_example_cursors_are_cursors_the_listings_accept(api: LocalApi, path: str, cursor: str) -> None:
    reply = api.request("GET", path, authorization=basic(api.credential("ws-a")), query={"cursor": cursor})
    assert reply.status == 200, reply.body
