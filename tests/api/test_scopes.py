"""Read-scoped credentials: every route of the route table that writes answers 403 in its dialect's shape, before
anything of the request is read, and changes nothing; every management route that only reads answers 200.

Both lists come from the route table (`writes`), so a route added later joins them by itself.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from signing_keys import routes
from signing_keys.credentials import IssuedCredential
from signing_keys.models import Scope
from signing_keys.routes import Auth, Dialect, Route
from tests.support import LocalApi, basic, bearer

MANAGEMENT_ROUTES = routes.guarded_by(Auth.MANAGEMENT)
WRITES = [route for route in MANAGEMENT_ROUTES if route.writes]
READS = [route for route in MANAGEMENT_ROUTES if not route.writes]
READ_ONLY_MESSAGE = "this credential is read-only"
# Routes that only read but take a body: the token debugger.
READ_BODIES: dict[str, dict[str, Any]] = {"verifyToken": {"token": "not.a.token", "mediaId": "movie-42"}}
_PARAMETER = re.compile(r"\{([A-Za-z][A-Za-z0-9]*)\}")


def route_id(route: Route) -> str:
    return f"{route.method} {route.path}"


def authorization(route: Route, credential: IssuedCredential) -> str:
    # Each dialect's SDK authenticates its own way; routes of neither platform take both.
    return bearer(credential) if route.dialect is Dialect.LIVEPEER else basic(credential)


def concrete_path(route: Route, key_id: str) -> str:
    """The route's path with every parameter filled: key ids with a key of the workspace, others with a word."""
    return _PARAMETER.sub(lambda found: key_id if found.group(1) in routes.KEY_ID_PARAMETERS else "x", route.path)


def assert_read_only_refusal(route: Route, reply: Any) -> None:
    assert reply.status == 403, reply.body
    body = reply.json()
    if route.dialect is Dialect.FASTPIX:
        assert set(body) == {"success", "error"}
        assert (body["success"], body["error"]["code"]) == (False, 403)
        assert body["error"]["message"].startswith(READ_ONLY_MESSAGE)
    elif route.dialect is Dialect.LIVEPEER:
        assert set(body) == {"errors"}
        assert body["errors"][0].startswith(READ_ONLY_MESSAGE)
    else:
        assert set(body) == {"success", "error", "errors"}
        assert (body["error"]["code"], body["errors"][0][: len(READ_ONLY_MESSAGE)]) == (403, READ_ONLY_MESSAGE)


@pytest.fixture
def workspace(api: LocalApi) -> dict[str, Any]:
    """A workspace with one key, a write credential and a read credential."""
    writer = api.credential("ws-a")
    reader = api.credential("ws-a", Scope.READ)
    key = api.request("POST", "/access-control/signing-key", authorization=bearer(writer)).json()
    return {"writer": writer, "reader": reader, "key_id": key["id"]}


def test_the_route_table_has_writes_in_both_dialects() -> None:
    # Given the route table / Then the refusals below cover writes of both platforms (a guard against an empty list)
    assert {route.dialect for route in WRITES} >= {Dialect.FASTPIX, Dialect.LIVEPEER}


@pytest.mark.parametrize("route", WRITES, ids=route_id)
def test_a_read_credential_is_refused_every_write_in_its_dialects_shape(
    api: LocalApi, workspace: dict[str, Any], route: Route
) -> None:
    # Given a read-scoped credential of a workspace holding a key
    before = api.table_items()
    # When it calls a route that writes (with a body the route would accept, where it takes one)
    reply = api.request(
        route.method,
        concrete_path(route, workspace["key_id"]),
        authorization=authorization(route, workspace["reader"]),
        body={"name": "renamed"} if route.method == "PATCH" else None,
    )
    # Then it is told, in the route's dialect, that it may not; and nothing changed, so no audit entry either
    assert_read_only_refusal(route, reply)
    assert api.table_items() == before


@pytest.mark.parametrize("route", [r for r in WRITES if r.method in {"POST", "PATCH"}], ids=route_id)
def test_a_read_credential_is_refused_before_its_body_is_read(
    api: LocalApi, workspace: dict[str, Any], route: Route
) -> None:
    # Given a read-scoped credential and a body no route would accept
    # When it calls a route that writes
    reply = api.request(
        route.method,
        concrete_path(route, workspace["key_id"]),
        authorization=authorization(route, workspace["reader"]),
        body="{not json",
    )
    # Then the answer is the refusal, not a verdict on the body (authorization comes first)
    assert_read_only_refusal(route, reply)


@pytest.mark.parametrize("route", READS, ids=route_id)
def test_a_read_credential_may_call_every_route_that_only_reads(
    api: LocalApi, workspace: dict[str, Any], route: Route
) -> None:
    # Given a read-scoped credential of a workspace holding a key
    # When it calls a management route that only reads (with a body the route would accept, where it takes one)
    reply = api.request(
        route.method,
        concrete_path(route, workspace["key_id"]),
        authorization=authorization(route, workspace["reader"]),
        body=READ_BODIES.get(route.operation_id),
    )
    # Then it is answered as a write credential would be
    assert reply.status == 200, reply.body


def test_a_write_credential_is_not_refused(api: LocalApi, workspace: dict[str, Any]) -> None:
    # Given the workspace's write credential / When it renames the key / Then the change is made
    reply = api.request(
        "PATCH",
        f"/access-control/signing-key/{workspace['key_id']}",
        authorization=bearer(workspace["writer"]),
        body={"name": "renamed"},
    )
    assert reply.status == 204, reply.body
