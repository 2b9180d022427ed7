"""Ids are opaque: on every route that takes a key id (both dialects, and any route added to the table), an id
that names no key of the caller's workspace, whatever its shape or length, gets the same 404 body as a missing
key of our own shape — byte for byte, so a caller learns nothing from the answer."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest

from signing_keys import routes
from tests.support import LocalApi, basic, bearer

MISSING_OF_OUR_SHAPE = "00000000-0000-8000-8000-000000000000"
KEY_ROUTES = [route for route in routes.ROUTES if route.key_id_parameter]
# A valid body for each route that needs one, so the answer depends on the id alone.
BODY_FOR = {"updateSigningKey": {"name": "renamed"}, "update_signing_key": {"maxTokenLifetimeSeconds": 600}}


def another_workspaces_key(api: LocalApi) -> str:
    created = api.request("POST", "/access-control/signing-key", authorization=bearer(api.credential("ws-b")))
    key_id: str = created.json()["id"]
    return key_id


def deleted_key(api: LocalApi) -> str:
    auth = bearer(api.credential("ws-a"))
    key_id: str = api.request("POST", "/access-control/signing-key", authorization=auth).json()["id"]
    assert api.request("DELETE", f"/access-control/signing-key/{key_id}", authorization=auth).status == 204
    return key_id


UNKNOWN_IDS: dict[str, Callable[[LocalApi], str]] = {
    "another shape": lambda _: "not-a-key",
    "a UUIDv4": lambda _: str(uuid.uuid4()),
    "1,000 characters": lambda _: "k" * 1000,
    "percent-encoded slashes": lambda _: "..%2F..%2Fetc%2Fpasswd",
    "upper-case hex of our shape": lambda _: MISSING_OF_OUR_SHAPE.replace("0", "A"),
    "another workspace's key": another_workspaces_key,
    "a deleted key": deleted_key,
}


def call(api: LocalApi, route: routes.Route, key_id: str) -> tuple[int, bytes]:
    path = route.path.replace("{" + str(route.key_id_parameter) + "}", key_id)
    reply = api.request(
        route.method, path, authorization=basic(api.credential("ws-a")), body=BODY_FOR.get(route.operation_id)
    )
    return reply.status, reply.body


@pytest.mark.parametrize("kind", sorted(UNKNOWN_IDS))
@pytest.mark.parametrize("route", KEY_ROUTES, ids=lambda route: route.operation_id)
def test_an_unknown_id_is_the_missing_key_404_byte_for_byte(api: LocalApi, route: routes.Route, kind: str) -> None:
    # Given an id that names no key of the caller's workspace
    key_id = UNKNOWN_IDS[kind](api)
    # When the route is called with it, and with a missing key of our own shape
    status, body = call(api, route, key_id)
    reference_status, reference_body = call(api, route, MISSING_OF_OUR_SHAPE)
    # Then both answers are the same 404, byte for byte
    assert reference_status == 404
    assert (status, body) == (reference_status, reference_body)


@pytest.mark.parametrize("dialect", [routes.Dialect.FASTPIX, routes.Dialect.LIVEPEER])
def test_every_key_route_of_a_dialect_answers_the_same_404_body(api: LocalApi, dialect: routes.Dialect) -> None:
    # Given every key route of one dialect
    bodies = {route.operation_id: call(api, route, "not-a-key") for route in KEY_ROUTES if route.dialect is dialect}
    # Then they all answer one and the same 404 body
    assert len(bodies) >= 2
    assert len(set(bodies.values())) == 1
    assert next(iter(bodies.values()))[0] == 404
